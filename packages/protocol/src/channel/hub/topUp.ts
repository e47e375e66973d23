/** The top-up stage: a larger deposit, signed by the channel key. */
import { type TopUpRequest, topUpSigningBytes } from '../../channelRequests.js';
import type { SignatureCheck } from '../../keys.js';
import { amountMax } from '../../limits.js';
import { channelStatus } from '../status.js';
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

/** What a top-up stage decides. */
export type TopUpOutcome =
  | { kind: 'toppedUp'; channel: HubChannel; increase: bigint }
  | { kind: 'duplicate' }
  | Rejection;

/**
 * The top-up stage's first step: only an open channel takes a top-up (CHANNEL_CLOSED,
 * CHANNEL_EXPIRED); then the request's signature under the channel key is to be checked.
 *
 * @example
 * ```ts
 * import { topUpSignature } from '@trickle/protocol';
 * declare const args: Parameters<typeof topUpSignature>;
 * const step = topUpSignature(...args);
 * if (step.kind === 'verify') console.log(step.publicKey.length); // 33
 * ```
 */
export function topUpSignature(
  channel: HubChannel,
  request: TopUpRequest,
  context: StageContext,
): SignatureToCheck | Rejection {
  const status = channelStatus(channel, context.nowMs);
  if (status !== 'open')
    return reject(status === 'expired' ? 'CHANNEL_EXPIRED' : 'CHANNEL_CLOSED', `channel is ${status}`);
  return toCheck(request.signature, topUpSigningBytes(context.domain, request), channel.clientKey);
}

/**
 * The top-up stage's second step: given the signature's check, the new total deposit. A
 * resent top-up to the current deposit is a `duplicate` (answer with the state; move no
 * money). Rejects: SIGNATURE_*, TOPUP_NOT_INCREASING.
 *
 * @example
 * ```ts
 * import { decideTopUp } from '@trickle/protocol';
 * declare const channel: Parameters<typeof decideTopUp>[0], request: Parameters<typeof decideTopUp>[1];
 * const outcome = decideTopUp(channel, request, 'valid');
 * if (outcome.kind === 'toppedUp') console.log(outcome.increase);
 * ```
 */
export function decideTopUp(channel: HubChannel, request: TopUpRequest, check: SignatureCheck): TopUpOutcome {
  const refused = signatureRejection(check, 'top-up');
  if (refused !== undefined) return refused;
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

/**
 * Validates a top-up to a new total deposit: both steps of the stage with
 * `context.verifier`. A resent top-up to the current deposit is a `duplicate`. Rejects:
 * CHANNEL_CLOSED, CHANNEL_EXPIRED, SIGNATURE_*, TOPUP_NOT_INCREASING.
 *
 * @example
 * ```ts
 * import { topUpChannel } from '@trickle/protocol';
 * declare const args: Parameters<typeof topUpChannel>;
 * const outcome = topUpChannel(...args);
 * ```
 */
export function topUpChannel(channel: HubChannel, request: TopUpRequest, context: ChannelContext): TopUpOutcome {
  const signed = topUpSignature(channel, request, context);
  if (signed.kind === 'rejected') return signed;
  return decideTopUp(channel, request, checkNow(context.verifier, signed));
}
