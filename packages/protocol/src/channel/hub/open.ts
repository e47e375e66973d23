/**
 * The open stage: a new channel from a signed open request, and the test for a resent open.
 */
import { type Asset, sameAsset } from '../../amount.js';
import { equalBytes } from '../../bytes.js';
import { type OpenRequest, openSigningBytes } from '../../channelRequests.js';
import type { Domain } from '../../domain.js';
import { channelIdOf, type PublicKey } from '../../ids.js';
import { checkSignature, type Verifier } from '../../keys.js';
import { logGenesis } from '../../log.js';
import { type HubChannel, type Rejection, reject, signatureRejects } from './channel.js';

/** The hub's rules for new channels. */
export interface OpenPolicy {
  /** Assets this hub accepts. */
  readonly assets: readonly Asset[];
  /** Largest deposit, in minor units. */
  readonly depositMax: bigint;
  /** Shortest allowed lifetime from now, in ms. */
  readonly lifetimeMsMin: number;
  /** Longest allowed lifetime from now, in ms. */
  readonly lifetimeMsMax: number;
}

/** What {@link openChannel} needs besides the request. */
export interface OpenContext {
  readonly domain: Domain;
  readonly nowMs: number;
  readonly verifier: Verifier;
  /** The key the session authenticated with; the channel's key must be it. */
  readonly sessionKey: PublicKey;
  readonly policy: OpenPolicy;
}

/**
 * Validates an open request and returns the new channel (seq 0, nothing paid). The
 * shell then moves the deposit into escrow on the ledger and persists the channel before
 * it answers. Rejects: SIGNATURE_*, AUTH_FAILED (another key than the session's), BAD_OPEN.
 *
 * @example
 * ```ts
 * import { openChannel } from '@trickle/protocol';
 * declare const request: Parameters<typeof openChannel>[0], context: Parameters<typeof openChannel>[1];
 * const outcome = openChannel(request, context);
 * if (outcome.kind === 'opened') console.log(outcome.channel.seq); // 0
 * ```
 */
export function openChannel(
  request: OpenRequest,
  context: OpenContext,
): { kind: 'opened'; channel: HubChannel } | Rejection {
  const { domain, nowMs, policy } = context;
  if (!equalBytes(request.clientKey, context.sessionKey))
    return reject('AUTH_FAILED', 'the channel key must be the session key');
  let message: Uint8Array;
  try {
    message = openSigningBytes(domain, request);
  } catch (error) {
    return reject('BAD_OPEN', (error as Error).message);
  }
  const check = checkSignature(context.verifier, request.signature, message, request.clientKey);
  if (check !== 'valid') return reject(signatureRejects[check], `open request signature: ${check}`);
  if (!policy.assets.some((a) => sameAsset(a, request.asset))) {
    return reject('BAD_OPEN', `asset ${request.asset.code}/${request.asset.scale} is not accepted here`);
  }
  if (request.deposit < 1n || request.deposit > policy.depositMax) {
    return reject('BAD_OPEN', `deposit must be in 1..${policy.depositMax}`);
  }
  const lifetimeMs = request.expiresAtMs - nowMs;
  if (lifetimeMs < policy.lifetimeMsMin || lifetimeMs > policy.lifetimeMsMax) {
    return reject('BAD_OPEN', `lifetime must be ${policy.lifetimeMsMin}..${policy.lifetimeMsMax} ms from now`);
  }
  const channelId = channelIdOf(domain.hubId, request.clientKey, request.nonce);
  return {
    kind: 'opened',
    channel: {
      channelId,
      clientKey: request.clientKey,
      asset: request.asset,
      deposit: request.deposit,
      expiresAtMs: request.expiresAtMs,
      seq: 0,
      cumulative: 0n,
      logHead: logGenesis(domain, channelId),
    },
  };
}

/**
 * True when `request` opens exactly `channel` (a resent open): the shell answers it with
 * the channel's state instead of opening twice.
 *
 * @example
 * ```ts
 * import { isSameOpen } from '@trickle/protocol';
 * declare const args: Parameters<typeof isSameOpen>;
 * if (isSameOpen(...args)) console.log('resent open: answer with the state');
 * ```
 */
export function isSameOpen(domain: Domain, channel: HubChannel, request: OpenRequest): boolean {
  return (
    equalBytes(channelIdOf(domain.hubId, request.clientKey, request.nonce), channel.channelId) &&
    sameAsset(channel.asset, request.asset) &&
    channel.expiresAtMs === request.expiresAtMs
  );
}
