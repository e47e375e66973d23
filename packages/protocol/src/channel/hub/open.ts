/**
 * The open stage: a new channel from a signed open request, and the test for a resent open.
 */
import { type Asset, sameAsset } from '../../amount.js';
import { equalBytes } from '../../bytes.js';
import { type OpenRequest, openSigningBytes } from '../../channelRequests.js';
import type { Domain } from '../../domain.js';
import { asError } from '../../errors.js';
import { channelIdOf, type PublicKey } from '../../ids.js';
import type { SignatureCheck, Verifier } from '../../keys.js';
import { logGenesis } from '../../log.js';
import {
  checkNow,
  type HubChannel,
  type Rejection,
  reject,
  type SignatureToCheck,
  type StageContext,
  signatureRejection,
  toCheck,
} from './channel.js';

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
export interface OpenContext extends OpenDecisionContext {
  readonly verifier: Verifier;
  /** The key the session authenticated with; the channel's key must be it. */
  readonly sessionKey: PublicKey;
}

/** What {@link decideOpen} needs besides the request and its signature check. */
export interface OpenDecisionContext extends StageContext {
  readonly policy: OpenPolicy;
}

/**
 * The open stage's first step: the request must be for the session's key (AUTH_FAILED)
 * and well formed (BAD_OPEN); then its signature is to be checked.
 *
 * @example
 * ```ts
 * import { openSignature } from '@trickle/protocol';
 * declare const args: Parameters<typeof openSignature>;
 * const step = openSignature(...args);
 * if (step.kind === 'verify') console.log(step.message.length);
 * ```
 */
export function openSignature(
  request: OpenRequest,
  context: { readonly domain: Domain; readonly sessionKey: PublicKey },
): SignatureToCheck | Rejection {
  if (!equalBytes(request.clientKey, context.sessionKey))
    return reject('AUTH_FAILED', 'the channel key must be the session key');
  let message: Uint8Array;
  try {
    message = openSigningBytes(context.domain, request);
  } catch (error) {
    return reject('BAD_OPEN', asError(error).message);
  }
  return toCheck(request.signature, message, request.clientKey);
}

/**
 * The open stage's second step: given the signature's check, applies the policy (asset,
 * deposit, lifetime) and returns the new channel (seq 0, nothing paid). The shell then
 * moves the deposit into escrow on the ledger and persists the channel before it answers.
 *
 * @example
 * ```ts
 * import { decideOpen } from '@trickle/protocol';
 * declare const request: Parameters<typeof decideOpen>[0], context: Parameters<typeof decideOpen>[2];
 * const outcome = decideOpen(request, 'valid', context);
 * ```
 */
export function decideOpen(
  request: OpenRequest,
  check: SignatureCheck,
  context: OpenDecisionContext,
): { kind: 'opened'; channel: HubChannel } | Rejection {
  const { domain, nowMs, policy } = context;
  const refused = signatureRejection(check, 'open request');
  if (refused !== undefined) return refused;
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
 * Validates an open request and returns the new channel (seq 0, nothing paid): both steps
 * of the stage with `context.verifier`. Rejects: SIGNATURE_*, AUTH_FAILED (another key
 * than the session's), BAD_OPEN.
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
  const signed = openSignature(request, context);
  if (signed.kind === 'rejected') return signed;
  return decideOpen(request, checkNow(context.verifier, signed), context);
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
