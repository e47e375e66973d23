/** The top-up stage: a larger deposit, signed by the channel key. */
import { type TopUpRequest, topUpSigningBytes } from '../../channelRequests.js';
import { checkSignature } from '../../keys.js';
import { amountMax } from '../../limits.js';
import { channelStatus } from '../status.js';
import { type ChannelContext, type HubChannel, type Rejection, reject, signatureRejects } from './channel.js';

/**
 * Validates a top-up to a new total deposit. A resent top-up to the current deposit is
 * a `duplicate` (answer with the state; move no money). Rejects: CHANNEL_CLOSED,
 * CHANNEL_EXPIRED, SIGNATURE_*, TOPUP_NOT_INCREASING.
 *
 * @example
 * ```ts
 * import { topUpChannel } from '@trickle/protocol';
 * declare const args: Parameters<typeof topUpChannel>;
 * const outcome = topUpChannel(...args);
 * ```
 */
export function topUpChannel(
  channel: HubChannel,
  request: TopUpRequest,
  context: ChannelContext,
): { kind: 'toppedUp'; channel: HubChannel; increase: bigint } | { kind: 'duplicate' } | Rejection {
  const status = channelStatus(channel, context.nowMs);
  if (status !== 'open')
    return reject(status === 'expired' ? 'CHANNEL_EXPIRED' : 'CHANNEL_CLOSED', `channel is ${status}`);
  const check = checkSignature(
    context.verifier,
    request.signature,
    topUpSigningBytes(context.domain, request),
    channel.clientKey,
  );
  if (check !== 'valid') return reject(signatureRejects[check], `top-up signature: ${check}`);
  if (request.deposit === channel.deposit) return { kind: 'duplicate' };
  if (request.deposit < channel.deposit || request.deposit > amountMax) {
    return reject('TOPUP_NOT_INCREASING', `new deposit ${request.deposit} is not above ${channel.deposit}`);
  }
  return {
    kind: 'toppedUp',
    channel: { ...channel, deposit: request.deposit },
    increase: request.deposit - channel.deposit,
  };
}
