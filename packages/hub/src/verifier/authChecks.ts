/**
 * Auth signatures go to the hub's verification port at a lower priority than payments
 * (ADR 0226): at most `authChecksInFlightMax` of them are with the verifier at once, so the
 * vouchers of authenticated channels never queue behind a flood of auth checks; the rest
 * wait in a queue of at most `authChecksQueuedMax`, and a check beyond it is refused at
 * once (`'overloaded'`), before any work. A queued check whose connection is gone is
 * dropped unchecked.
 */
import type { PublicKey, SignatureCheck } from '@trickle/protocol';
import type { HubLimits } from '../limits.js';
import { type AsyncVerifier, checkSignatureAsync } from './asyncVerifier.js';

/** What an auth check resolves with: the signature's check, or why it was not checked. */
export type AuthCheck = SignatureCheck | 'overloaded' | 'unavailable' | 'abandoned';

/** The auth-check queue of one hub process. */
export interface AuthChecks {
  /**
   * Checks `signature` over `message` under `publicKey`, when a slot is free; `wanted` is
   * asked when a queued check's turn comes (false: dropped unchecked, `'abandoned'`).
   */
  check(signature: Uint8Array, message: Uint8Array, publicKey: PublicKey, wanted: () => boolean): Promise<AuthCheck>;
  /** Checks with the verifier now. */
  readonly inFlight: number;
  /** Checks waiting for a slot. */
  readonly queued: number;
}

interface Waiting {
  readonly run: () => void;
  readonly wanted: () => boolean;
  readonly abandon: () => void;
}

/** The auth-check queue in front of `verifier`, bounded by `limits`. */
export function createAuthChecks(
  verifier: AsyncVerifier,
  limits: Pick<HubLimits, 'authChecksInFlightMax' | 'authChecksQueuedMax'>,
): AuthChecks {
  let inFlight = 0;
  const waiting: Waiting[] = [];

  function next(): void {
    while (inFlight < limits.authChecksInFlightMax) {
      const job = waiting.shift();
      if (job === undefined) return;
      if (job.wanted()) job.run();
      else job.abandon();
    }
  }

  return {
    check(signature, message, publicKey, wanted) {
      if (inFlight >= limits.authChecksInFlightMax && waiting.length >= limits.authChecksQueuedMax) {
        return Promise.resolve('overloaded');
      }
      return new Promise<AuthCheck>((resolve) => {
        const run = () => {
          inFlight++;
          checkSignatureAsync(verifier, signature, message, publicKey)
            .then(resolve, () => resolve('unavailable'))
            .finally(() => {
              inFlight--;
              next();
            });
        };
        if (inFlight < limits.authChecksInFlightMax) run();
        else waiting.push({ run, wanted, abandon: () => resolve('abandoned') });
      });
    },
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return waiting.length;
    },
  };
}
