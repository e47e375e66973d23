/**
 * The frame codec: the canonical MessagePack of canonicalMsgpack.ts plus the strict schemas
 * of messages.ts. Decoding untrusted bytes either returns a fully checked message or throws
 * a {@link FrameError}; it never returns a partial value. A frame that decodes re-encodes to
 * exactly the same bytes.
 */
import { describe } from './bytes.js';
import { readCanonical, requestIdOf, type WireValue, writeCanonical } from './canonicalMsgpack.js';
import { FrameError } from './frameError.js';
import { frameBytesMax, requestIdMax } from './limits.js';
import { type ClientMessage, clientMessageCodecs, type HubMessage, hubMessageCodecs } from './messages.js';
import { type Codec, isPlainObject, pathNeeded } from './schema.js';

function encodeWith(codecs: Record<string, Codec<unknown>>, message: { type: string }): Uint8Array {
  const codec = codecs[message.type];
  if (codec === undefined) throw new TypeError(`encode: unknown message type "${message.type}"`);
  // The record codec reads its own fields only: `type` is written as the fixed `t` key.
  return writeCanonical(codec.encode(message) as WireValue);
}

/** The decoded fields with the message type added (record decoders return a fresh object). */
function withType<T>(type: string, fields: unknown): T {
  (fields as { type: string }).type = type;
  return fields as T;
}

function decodeWith<T>(codecs: Record<string, Codec<unknown>>, frame: Uint8Array, side: string): T {
  if (!(frame instanceof Uint8Array)) {
    throw new FrameError('MALFORMED_FRAME', side, `expected bytes, got ${describe(frame)}`);
  }
  if (frame.length > frameBytesMax) {
    throw new FrameError('FRAME_TOO_LARGE', side, `${frame.length} bytes is over frameBytesMax ${frameBytesMax}`);
  }
  let value: WireValue;
  try {
    value = readCanonical(frame, side);
  } catch (error) {
    if (!(error instanceof FrameError)) throw error;
    throw new FrameError(error.code, error.path, error.reason, { requestId: requestIdOf(frame) });
  }
  if (!isPlainObject(value)) throw new FrameError('MALFORMED_FRAME', side, `expected map, got ${describe(value)}`);
  const type = value.t;
  const id = value.id;
  const requestId = typeof id === 'number' && id <= requestIdMax ? id : undefined;
  const codec = typeof type === 'string' && Object.hasOwn(codecs, type) ? codecs[type] : undefined;
  if (codec === undefined) throw new FrameError('MALFORMED_FRAME', `${side}.t`, 'unknown message type', { requestId });
  try {
    try {
      // Fast path: no path strings are built; a fault is decoded again with paths to name it.
      return withType(type as string, codec.decode(value, undefined));
    } catch (error) {
      if (error !== pathNeeded) throw error;
    }
    return withType(type as string, codec.decode(value, type as string));
  } catch (error) {
    if (!(error instanceof FrameError)) throw error;
    throw new FrameError(error.code, error.path, error.reason, { cause: error.cause, requestId });
  }
}

/**
 * Encodes a client-to-hub message in the canonical form. Throws `TypeError`/`RangeError` on
 * a message that breaks the schema's shape or exceeds {@link frameBytesMax} (a bug in the
 * caller).
 *
 * @example
 * ```ts
 * import { encodeClientMessage } from '@trickle/protocol';
 * const frame = encodeClientMessage({ type: 'sync', id: 7, channelId: new Uint8Array(32) as never });
 * ```
 */
export function encodeClientMessage(message: ClientMessage): Uint8Array {
  return encodeWith(clientMessageCodecs, message);
}

/**
 * Decodes an untrusted client-to-hub frame: the canonical form (protocol.md, section 7.1),
 * then the message's schema. Throws only {@link FrameError} (`MALFORMED_FRAME` or
 * `FRAME_TOO_LARGE`), with the frame's request id when one can be read (section 7.3).
 *
 * @example
 * ```ts
 * import { decodeClientMessage, encodeClientMessage } from '@trickle/protocol';
 * const message = decodeClientMessage(encodeClientMessage({ type: 'sync', id: 7, channelId: new Uint8Array(32) as never }));
 * message.type; // 'sync'
 * ```
 */
export function decodeClientMessage(frame: Uint8Array): ClientMessage {
  return decodeWith<ClientMessage>(clientMessageCodecs, frame, 'client');
}

/**
 * Encodes a hub-to-client message in the canonical form.
 *
 * @example
 * ```ts
 * import { encodeHubMessage } from '@trickle/protocol';
 * const frame = encodeHubMessage({ type: 'welcome', timeMs: 1_700_000_000_000 });
 * ```
 */
export function encodeHubMessage(message: HubMessage): Uint8Array {
  return encodeWith(hubMessageCodecs, message);
}

/**
 * Decodes an untrusted hub-to-client frame under the same rules as
 * {@link decodeClientMessage}. Throws only {@link FrameError}.
 *
 * @example
 * ```ts
 * import { decodeHubMessage, encodeHubMessage } from '@trickle/protocol';
 * decodeHubMessage(encodeHubMessage({ type: 'welcome', timeMs: 0 })).type; // 'welcome'
 * ```
 */
export function decodeHubMessage(frame: Uint8Array): HubMessage {
  return decodeWith<HubMessage>(hubMessageCodecs, frame, 'hub');
}
