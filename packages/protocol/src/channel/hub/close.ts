/** The cooperative close stage: the channel marked closing at its latest accepted state. */
import { equalBytes } from '../../bytes.js';
import { type CloseRequest, closeSigningBytes } from '../../channelRequests.js';
import type { Domain } from '../../domain.js';
import type { SignatureCheck } from '../../keys.js';
import {
  type ChannelContext,
  checkNow,
  type HubChannel,
  type Rejection,
  reject,
  type SignatureToCheck,
  type StageContext,
  signatureRejection,
  toCheck,
} from './channel.js';

/** What a close stage decides. */
export type CloseOutcome = { kind: 'closing'; channel: HubChannel } | { kind: 'duplicate' } | Rejection;

/**
 * The close stage's first step: the request's signature under the channel key (kind
 * `close`) is to be checked.
 *
 * @example
 * ```ts
 * import { closeSignature } from '@trickle/protocol';
 * declare const args: Parameters<typeof closeSignature>;
 * closeSignature(...args).kind; // 'verify'
 * ```
 */
export function closeSignature(
  channel: HubChannel,
  request: CloseRequest,
  context: { readonly domain: Domain },
): SignatureToCheck {
  return toCheck(request.signature, closeSigningBytes(context.domain, request), channel.clientKey);
}

/**
 * The close stage's second step: given the signature's check, the close must name exactly
 * the latest accepted state (CLOSE_STATE_MISMATCH). Returns the channel marked closing; a
 * close of an already closing or closed channel at the same state is a `duplicate`.
 *
 * @example
 * ```ts
 * import { decideClose } from '@trickle/protocol';
 * declare const channel: Parameters<typeof decideClose>[0], request: Parameters<typeof decideClose>[1];
 * const outcome = decideClose(channel, request, 'valid', { nowMs: Date.now() });
 * ```
 */
export function decideClose(
  channel: HubChannel,
  request: CloseRequest,
  check: SignatureCheck,
  context: Pick<StageContext, 'nowMs'>,
): CloseOutcome {
  const refused = signatureRejection(check, 'close');
  if (refused !== undefined) return refused;
  const sameState =
    request.seq === channel.seq &&
    request.cumulative === channel.cumulative &&
    equalBytes(request.logHead, channel.logHead);
  if (!sameState) return reject('CLOSE_STATE_MISMATCH', `the latest accepted state is seq ${channel.seq}`);
  if (channel.closingSinceMs !== undefined || channel.closedAtMs !== undefined) return { kind: 'duplicate' };
  return { kind: 'closing', channel: { ...channel, closingSinceMs: context.nowMs } };
}

/**
 * Validates a cooperative close (both steps of the stage with `context.verifier`): signed
 * by the channel key under kind `close`, naming exactly the latest accepted state. Returns
 * the channel marked closing; the shell finalizes it on the ledger, then marks it closed.
 *
 * @example
 * ```ts
 * import { closeChannel } from '@trickle/protocol';
 * declare const args: Parameters<typeof closeChannel>;
 * const outcome = closeChannel(...args);
 * ```
 */
export function closeChannel(channel: HubChannel, request: CloseRequest, context: ChannelContext): CloseOutcome {
  return decideClose(channel, request, checkNow(context.verifier, closeSignature(channel, request, context)), context);
}
