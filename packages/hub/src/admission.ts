/**
 * Admission of new connections, decided before any WebSocket or signature work (ADR 0226):
 * connections per process and per address, connections not yet authenticated, and a
 * budget of failed authentications per address. An address whose connections keep ending
 * without authenticating (an invalid signature, a malformed or unexpected frame before auth,
 * the auth deadline, a drop before auth) is refused for a cool-down: the upgrade is answered
 * 429 with `Retry-After`, so a flood from it costs the hub an HTTP parse, not a handshake
 * and a signature check. Memory is bounded: at most `addressesTrackedMax` addresses are
 * remembered, least recently failed first forgotten.
 */
import { LruMap } from '@trickle/protocol';
import type { HubLimits } from './limits.js';

/** Why a connection is refused: the HTTP status, its reason, and when to retry (seconds), if known. */
export interface Refusal {
  readonly status: 429 | 503;
  readonly reason: string;
  readonly retryAfterS?: number;
  /** The address is in its cool-down: its answer is held back `refusalDelayMs`. */
  readonly coolingDown?: true;
}

/** How a connection ended, for its address's budget. */
export type ConnectionEnd =
  /** It authenticated: never counted against its address. */
  | 'authenticated'
  /** It ended without authenticating through the client's doing: counted. */
  | 'failed'
  /** The hub ended it before auth (overloaded, shutting down): not counted. */
  | 'hubEnded';

/** The admission state of one hub process. */
export interface Admission {
  /** Why a new connection from `address` is refused now, if it is. */
  refusal(address: string): Refusal | undefined;
  /** A connection from `address` was admitted (it is not authenticated yet). */
  opened(address: string): void;
  /** A connection from `address` authenticated. */
  authenticated(address: string): void;
  /** A connection from `address` is gone; `end` says whether it counts against the address. */
  closed(address: string, end: ConnectionEnd): void;
  /** Connections open now. */
  readonly connections: number;
  /** Connections open now and not authenticated. */
  readonly unauthenticated: number;
}

interface Failures {
  /** When the current window of this address began, in ms. */
  windowStartMs: number;
  /** Failed authentications in the current window. */
  count: number;
  /** Refused until this time, in ms (0: not refused). */
  refusedUntilMs: number;
}

type AdmissionLimits = Pick<
  HubLimits,
  | 'connectionsMax'
  | 'connectionsPerAddressMax'
  | 'unauthenticatedConnectionsMax'
  | 'authFailuresPerAddressMax'
  | 'authFailureWindowMs'
  | 'authFailureCooldownMs'
  | 'addressesTrackedMax'
>;

/** The admission rules over `limits`, with `nowMs` as the clock; `isShuttingDown` refuses everything (503). */
export function createAdmission(
  limits: AdmissionLimits,
  nowMs: () => number,
  isShuttingDown: () => boolean,
): Admission {
  const perAddress = new Map<string, number>();
  const failures = new LruMap<string, Failures>(limits.addressesTrackedMax);
  let connections = 0;
  let unauthenticated = 0;

  return {
    refusal(address) {
      if (isShuttingDown()) return { status: 503, reason: 'Shutting Down' };
      const failed = failures.get(address);
      const now = nowMs();
      if (failed !== undefined && failed.refusedUntilMs > now) {
        return {
          status: 429,
          reason: 'Too Many Failed Authentications',
          retryAfterS: Math.ceil((failed.refusedUntilMs - now) / 1000),
          coolingDown: true,
        };
      }
      if (connections >= limits.connectionsMax) return { status: 503, reason: 'Too Many Connections' };
      if (unauthenticated >= limits.unauthenticatedConnectionsMax) {
        return { status: 503, reason: 'Too Many Unauthenticated Connections', retryAfterS: 1 };
      }
      if ((perAddress.get(address) ?? 0) >= limits.connectionsPerAddressMax) {
        return { status: 429, reason: 'Too Many Requests' };
      }
      return undefined;
    },
    opened(address) {
      connections++;
      unauthenticated++;
      perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    },
    authenticated() {
      unauthenticated--;
    },
    closed(address, end) {
      connections--;
      if (end !== 'authenticated') unauthenticated--;
      const next = (perAddress.get(address) ?? 1) - 1;
      if (next <= 0) perAddress.delete(address);
      else perAddress.set(address, next);
      if (end === 'failed') fail(address);
    },
    get connections() {
      return connections;
    },
    get unauthenticated() {
      return unauthenticated;
    },
  };

  /** Counts one failed authentication of `address`; over the budget, refuses it for the cool-down. */
  function fail(address: string): void {
    const now = nowMs();
    let failed = failures.get(address);
    if (failed === undefined || now - failed.windowStartMs >= limits.authFailureWindowMs) {
      failed = { windowStartMs: now, count: 0, refusedUntilMs: failed?.refusedUntilMs ?? 0 };
      failures.set(address, failed);
    }
    failed.count++;
    if (failed.count >= limits.authFailuresPerAddressMax) {
      failed.refusedUntilMs = now + limits.authFailureCooldownMs;
      // The next window starts after the cool-down: the address earns its way back in.
      failed.windowStartMs = failed.refusedUntilMs;
      failed.count = 0;
    }
  }
}
