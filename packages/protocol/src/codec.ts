/**
 * The frame codec: msgpack (msgpackr, every option explicit) plus the strict schemas of
 * messages.ts. Decoding untrusted bytes either returns a fully checked message or throws
 * a {@link FrameError}; it never throws anything else and never returns a partial value.
 */
import { Packr } from 'msgpackr';
import { describe } from './bytes.js';
import { frameBytesMax } from './limits.js';
import { type ClientMessage, clientMessageCodecs, type HubMessage, hubMessageCodecs } from './messages.js';
import { forbiddenToken } from './msgpackScan.js';
import { type Codec, FrameError, isPlainObject, pathNeeded } from './schema.js';

/**
 * msgpackr options, all set so that a library default changing cannot change the wire:
 * plain maps (no records or structures from the peer), no structured clone or extra
 * types, 64-bit integers as bigint, never a float for a big integer, buffers copied so a
 * decoded message never pins a frame's memory.
 */
const packr = new Packr({
  useRecords: false,
  structures: [],
  moreTypes: false,
  structuredClone: false,
  mapsAsObjects: true,
  variableMapSize: true,
  int64AsType: 'bigint',
  largeBigIntToFloat: false,
  largeBigIntToString: false,
  useBigIntExtension: false,
  useFloat32: 0,
  useTimestamp32: false,
  encodeUndefinedAsNil: false,
  bundleStrings: false,
  copyBuffers: true,
  sequential: false,
  useToJSON: false,
  mapAsEmptyObject: false,
  setAsEmptyObject: false,
  allowArraysInMapKeys: false,
  coercibleKeyAsNumber: false,
});

function encodeWith(codecs: Record<string, Codec<unknown>>, message: { type: string }): Uint8Array {
  const codec = codecs[message.type];
  if (codec === undefined) throw new TypeError(`encode: unknown message type "${message.type}"`);
  // The record codec reads its own fields only: `type` is written as the fixed `t` key.
  const packed: Uint8Array = packr.pack(codec.encode(message));
  // A plain Uint8Array view (msgpackr returns a Node Buffer in Node): same type everywhere.
  const frame = new Uint8Array(packed.buffer, packed.byteOffset, packed.length);
  if (frame.length > frameBytesMax) {
    throw new RangeError(`encode: ${message.type} frame is ${frame.length} bytes, over frameBytesMax ${frameBytesMax}`);
  }
  return frame;
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
  let value: unknown;
  try {
    value = packr.unpack(frame);
  } catch (cause) {
    throw new FrameError('MALFORMED_FRAME', side, 'not a single valid msgpack value', { cause });
  }
  if (!isPlainObject(value)) throw new FrameError('MALFORMED_FRAME', side, `expected map, got ${describe(value)}`);
  const type = value.t;
  const codec = typeof type === 'string' && Object.hasOwn(codecs, type) ? codecs[type] : undefined;
  if (codec === undefined) throw new FrameError('MALFORMED_FRAME', `${side}.t`, 'unknown message type');
  const id = value.id;
  try {
    // msgpackr reads some extensions (typed arrays, bundled strings) as plain values: refuse them.
    const forbidden = forbiddenToken(frame);
    if (forbidden !== undefined) throw new FrameError('MALFORMED_FRAME', side, `holds ${forbidden}`);
    try {
      // Fast path: no path strings are built; a fault is decoded again with paths to name it.
      return withType(type as string, codec.decode(value, undefined));
    } catch (error) {
      if (error !== pathNeeded) throw error;
    }
    return withType(type as string, codec.decode(value, type as string));
  } catch (error) {
    if (!(error instanceof FrameError)) {
      throw new FrameError('MALFORMED_FRAME', side, 'schema check failed', { cause: error });
    }
    const requestId = typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= 0xffff_ffff ? id : undefined;
    throw new FrameError(error.code, error.path, error.reason, {
      cause: error.cause,
      requestId,
    });
  }
}

/**
 * Encodes a client-to-hub message. Throws `TypeError`/`RangeError` on a message that
 * breaks the schema's shape or exceeds {@link frameBytesMax} (a bug in the caller).
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
 * Decodes an untrusted client-to-hub frame. Throws only {@link FrameError}
 * (`MALFORMED_FRAME` or `FRAME_TOO_LARGE`).
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
 * Encodes a hub-to-client message.
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
 * Decodes an untrusted hub-to-client frame. Throws only {@link FrameError}.
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
