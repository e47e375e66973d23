/**
 * Refusals and the rejects that carry them: what the engine answers when it will not do
 * what a message asks, and INTERNAL (retryable, nothing changed) for everything else.
 */

import type { ChannelId, ChannelState, HubMessage, RejectCode } from '@trickle/protocol';
import { textCharsMax } from '@trickle/protocol';
import type { PayMessage } from './lanes.js';

export type { Reply } from './lanes.js';

/** A refusal to send as a `reject`. */
export class Refusal extends Error {
  constructor(
    readonly code: RejectCode,
    message: string,
    readonly state?: ChannelState,
  ) {
    super(message);
  }
}

/** Turns failures into rejects; anything but a Refusal is reported and answered INTERNAL. */
export function createRejects(onError: (error: unknown, context: string) => void) {
  function asReject(id: number | undefined, error: unknown, channelId?: ChannelId): HubMessage {
    if (error instanceof Refusal) {
      return {
        type: 'reject',
        ...(id === undefined ? {} : { id }),
        ...(channelId === undefined ? {} : { channelId }),
        code: error.code,
        message: error.message.slice(0, textCharsMax),
        ...(error.state === undefined ? {} : { state: error.state }),
      };
    }
    onError(error, channelId === undefined ? 'request' : 'pay');
    return {
      type: 'reject',
      ...(id === undefined ? {} : { id }),
      code: 'INTERNAL',
      message: 'the hub could not complete the request; nothing was changed',
    };
  }

  function payReject(frame: PayMessage, error: unknown, state?: ChannelState): HubMessage {
    const base = asReject(frame.id, error, frame.channelId);
    return {
      ...base,
      channelId: frame.channelId,
      seq: frame.seq,
      ...(state === undefined ? {} : { state }),
    } as HubMessage;
  }

  return { asReject, payReject };
}
