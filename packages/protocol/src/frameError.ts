/** The error a frame that cannot be decoded becomes: it names the reject code to answer with. */
import { TrickleError } from './errors.js';

/**
 * A frame that could not be decoded: too large, not msgpack, or not one of the messages
 * of the protocol. `code` is the reject code to answer with; `path` locates the fault.
 *
 * @example
 * ```ts
 * import { decodeClientMessage, FrameError } from '@trickle/protocol';
 * try { decodeClientMessage(new Uint8Array([0xc1])); } catch (e) { if (e instanceof FrameError) e.code; } // 'MALFORMED_FRAME'
 * ```
 */
export class FrameError extends TrickleError {
  override name = 'FrameError';
  declare readonly code: 'MALFORMED_FRAME' | 'FRAME_TOO_LARGE';
  /** Where in the message the fault is, e.g. `pay.entries[3].amt`. */
  readonly path: string;
  /** What is wrong at `path`. */
  readonly reason: string;
  /** The request id, when the frame was readable enough to find one: lets the reject be correlated. */
  readonly requestId: number | undefined;

  constructor(
    code: 'MALFORMED_FRAME' | 'FRAME_TOO_LARGE',
    path: string,
    reason: string,
    options: { cause?: unknown; requestId?: number | undefined } = {},
  ) {
    super(code, `${path}: ${reason}`, { cause: options.cause });
    this.path = path;
    this.reason = reason;
    this.requestId = options.requestId;
  }
}
