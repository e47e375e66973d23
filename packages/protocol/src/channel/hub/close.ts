/** The cooperative close stage: the channel marked closing at its latest accepted state. */
import { equalBytes } from '../../bytes.js';
import { type CloseRequest, closeSigningBytes } from '../../channelRequests.js';
import { checkSignature } from '../../keys.js';
import { type ChannelContext, type HubChannel, type Rejection, reject, signatureRejects } from './channel.js';

/**
 * Validates a cooperative close: signed by the channel key under kind `close`, naming
 * exactly the latest accepted state. Returns the channel marked closing; the shell
 * finalizes it on the ledger, then marks it closed. A close of an already closing or
 * closed channel at the same state is a `duplicate`.
 *
 * @example
 * ```ts
 * import { closeChannel } from '@trickle/protocol';
 * declare const args: Parameters<typeof closeChannel>;
 * const outcome = closeChannel(...args);
 * ```
 */
export function closeChannel(
  channel: HubChannel,
  request: CloseRequest,
  context: ChannelContext,
): { kind: 'closing'; channel: HubChannel } | { kind: 'duplicate' } | Rejection {
  const check = checkSignature(
    context.verifier,
    request.signature,
    closeSigningBytes(context.domain, request),
    channel.clientKey,
  );
  if (check !== 'valid') return reject(signatureRejects[check], `close signature: ${check}`);
  const sameState =
    request.seq === channel.seq &&
    request.cumulative === channel.cumulative &&
    equalBytes(request.logHead, channel.logHead);
  if (!sameState) return reject('CLOSE_STATE_MISMATCH', `the latest accepted state is seq ${channel.seq}`);
  if (channel.closingSinceMs !== undefined || channel.closedAtMs !== undefined) return { kind: 'duplicate' };
  return { kind: 'closing', channel: { ...channel, closingSinceMs: context.nowMs } };
}
