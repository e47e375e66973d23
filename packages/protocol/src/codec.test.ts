import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { clientMessage, hubMessage } from '../test/arbitraries.js';
import {
  type ClientMessage,
  decodeClientMessage,
  decodeHubMessage,
  encodeClientMessage,
  encodeHubMessage,
  entriesPerVoucherMax,
  FrameError,
  frameBytesMax,
} from './index.js';

/** A raw msgpack encoder for building hostile frames the typed encoder would refuse. */
const raw = new Packr({ useRecords: false, variableMapSize: true, moreTypes: true, structuredClone: false });
/** Another encoder's plain msgpack: bytes as `bin` (no typed-array extension), small integers small. */
const plain = new Packr({ useRecords: false, variableMapSize: true });

function decodeError(frame: Uint8Array): FrameError {
  try {
    decodeClientMessage(frame);
  } catch (error) {
    if (error instanceof FrameError) return error;
    throw new Error(`decode threw a non-FrameError: ${String(error)}`);
  }
  throw new Error('decoded a frame that should have been refused');
}

const validSync = { t: 'sync', id: 1, ch: new Uint8Array(32) };

describe('codec round trips', () => {
  it('decode(encode(m)) equals m for every client message', () => {
    fc.assert(
      fc.property(clientMessage, (message) => {
        expect(decodeClientMessage(encodeClientMessage(message))).toEqual(message);
      }),
      { numRuns: 500 },
    );
  });

  it('decode(encode(m)) equals m for every hub message', () => {
    fc.assert(
      fc.property(hubMessage, (message) => {
        expect(decodeHubMessage(encodeHubMessage(message))).toEqual(message);
      }),
      { numRuns: 500 },
    );
  });

  it('a pay frame with the most entries fits in a frame', () => {
    const entry = {
      payee: new Uint8Array(32).fill(255),
      invoiceId: new Uint8Array(16).fill(255),
      amount: 2n ** 63n - 1n,
      expiresAtMs: 9_999_999_999_999,
      resource: new Uint8Array(32).fill(255),
      mac: new Uint8Array(32).fill(255),
    };
    const message: ClientMessage = {
      type: 'pay',
      channelId: new Uint8Array(32) as never,
      seq: 2 ** 53 - 1,
      cumulative: 2n ** 63n - 1n,
      logHead: new Uint8Array(32) as never,
      signature: new Uint8Array(64) as never,
      entries: Array.from({ length: entriesPerVoucherMax }, () => entry) as never,
    };
    const frame = encodeClientMessage(message);
    expect(frame.length).toBeLessThanOrEqual(frameBytesMax);
    expect(decodeClientMessage(frame)).toEqual(message);
  });

  it('accepts amounts in any msgpack integer width (other encoders pack small ints small)', () => {
    const frame = plain.pack({ t: 'topUp', id: 1, ch: new Uint8Array(32), dep: 5, sig: new Uint8Array(64) });
    expect(frame.includes(0xd3)).toBe(false); // the deposit is a fixint here, not an int64
    const message = decodeClientMessage(frame);
    expect(message.type === 'topUp' && message.deposit).toBe(5n);
  });

  it('a hub frame is not a client frame and vice versa', () => {
    expect(() => decodeClientMessage(encodeHubMessage({ type: 'welcome', timeMs: 0 }))).toThrow(FrameError);
    expect(() =>
      decodeHubMessage(encodeClientMessage({ type: 'sync', id: 1, channelId: new Uint8Array(32) as never })),
    ).toThrow(FrameError);
  });
});

describe('hostile frames: decoding yields a typed FrameError, never anything else', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        try {
          decodeClientMessage(bytes);
          decodeHubMessage(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(FrameError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('byte-level mutations of valid frames: flips, truncations, insertions', () => {
    const mutation = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('flip', 'truncate', 'insert', 'delete'),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(clientMessage, fc.array(mutation, { minLength: 1, maxLength: 4 }), (message, mutations) => {
        let bytes = Array.from(encodeClientMessage(message));
        for (const m of mutations) {
          const at = m.at % Math.max(1, bytes.length);
          if (m.kind === 'flip') bytes[at] = (bytes[at] ?? 0) ^ (m.byte || 1);
          if (m.kind === 'truncate') bytes = bytes.slice(0, at);
          if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
          if (m.kind === 'delete') bytes.splice(at, 1);
        }
        try {
          const decoded = decodeClientMessage(new Uint8Array(bytes));
          // If it still decodes, it is a complete, valid message that re-encodes.
          expect(decodeClientMessage(encodeClientMessage(decoded))).toEqual(decoded);
        } catch (error) {
          expect(error).toBeInstanceOf(FrameError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('grammar-aware mutations: every field replaced by a value of another type', () => {
    const junk = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.double(),
      fc.integer({ min: -5, max: 5 }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
      fc.string({ maxLength: 8 }),
      fc.uint8Array({ maxLength: 80 }),
      fc.constant([]),
      fc.constant({}),
      fc.constant(new Date(0)),
    );
    fc.assert(
      fc.property(clientMessage, fc.nat(), junk, (message, which, value) => {
        const wire = raw.unpack(encodeClientMessage(message)) as Record<string, unknown>;
        const keys = Object.keys(wire);
        const key = keys[which % keys.length] as string;
        wire[key] = value;
        try {
          decodeClientMessage(raw.pack(wire));
        } catch (error) {
          expect(error).toBeInstanceOf(FrameError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['msgpack nil', new Uint8Array([0xc0])],
    ['never-used byte 0xc1', new Uint8Array([0xc1])],
    ['an array', raw.pack([1, 2, 3])],
    ['a string', raw.pack('sync')],
    ['trailing bytes', new Uint8Array([...raw.pack(validSync), 0x00])],
    ['truncated map', raw.pack(validSync).subarray(0, 5)],
    ['str32 claiming 4 GiB', new Uint8Array([0x81, 0xa1, 0x74, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x61])],
    ['timestamp extension', new Uint8Array([0x81, 0xa1, 0x74, 0xd6, 0xff, 0, 0, 0, 1])],
    ['record extension', new Uint8Array([0xd4, 0x72, 0x00])],
    ['unknown extension', new Uint8Array([0xc7, 0x01, 0x01, 0xff])],
    ['deeply nested arrays', new Uint8Array([...new Array(60_000).fill(0x91), 0xc0])],
    ['unknown type', raw.pack({ t: 'steal', id: 1 })],
    ['type not a string', raw.pack({ t: 1, id: 1 })],
    ['missing key', raw.pack({ t: 'sync', id: 1 })],
    ['extra key', raw.pack({ ...validSync, extra: 1 })],
    ['__proto__ key', raw.pack(JSON.parse('{"t":"sync","id":1,"__proto__":{"x":1}}'))],
    ['short channel id', raw.pack({ ...validSync, ch: new Uint8Array(31) })],
    ['channel id as string', raw.pack({ ...validSync, ch: 'a'.repeat(32) })],
    ['negative id', raw.pack({ ...validSync, id: -1 })],
    ['float id', raw.pack({ ...validSync, id: 1.5 })],
    ['id above u32', raw.pack({ ...validSync, id: 2 ** 32 })],
    ['a Map', raw.pack(new Map([['t', 'sync']]))],
    ['a Set', raw.pack(new Set(['t']))],
    ['negative amount', raw.pack({ t: 'topUp', id: 1, ch: new Uint8Array(32), dep: -1n, sig: new Uint8Array(64) })],
    [
      'amount above 2^63-1',
      raw.pack({ t: 'topUp', id: 1, ch: new Uint8Array(32), dep: 2n ** 63n, sig: new Uint8Array(64) }),
    ],
    ['float amount', raw.pack({ t: 'topUp', id: 1, ch: new Uint8Array(32), dep: 0.5, sig: new Uint8Array(64) })],
    // Extensions msgpackr decodes into ordinary values: a typed array, bundled strings.
    ['typed-array extension for bytes', raw.pack(validSync)],
    ['bundled-strings extension', new Packr({ useRecords: false, bundleStrings: true }).pack(validSync)],
    ['amount as string', raw.pack({ t: 'topUp', id: 1, ch: new Uint8Array(32), dep: '5', sig: new Uint8Array(64) })],
    ['signature of 73 bytes', raw.pack({ t: 'topUp', id: 1, ch: new Uint8Array(32), dep: 1, sig: new Uint8Array(73) })],
    ['seq above 2^53-1', raw.pack({ t: 'log', id: 1, ch: new Uint8Array(32), from: 2n ** 53n, limit: 1 })],
    ['log limit 0', raw.pack({ t: 'log', id: 1, ch: new Uint8Array(32), from: 1, limit: 0 })],
  ])('refuses %s as MALFORMED_FRAME', (_name, frame) => {
    expect(decodeError(frame).code).toBe('MALFORMED_FRAME');
  });

  it('refuses a frame over frameBytesMax as FRAME_TOO_LARGE before decoding it', () => {
    const error = decodeError(new Uint8Array(frameBytesMax + 1));
    expect(error.code).toBe('FRAME_TOO_LARGE');
  });

  it('keeps the request id of a malformed request so the reject can be correlated', () => {
    expect(decodeError(raw.pack({ t: 'sync', id: 42, ch: new Uint8Array(3) })).requestId).toBe(42);
    expect(decodeError(raw.pack({ t: 'sync', id: 'x', ch: new Uint8Array(3) })).requestId).toBeUndefined();
  });

  it('refuses to encode a message that breaks its own schema', () => {
    expect(() => encodeClientMessage({ type: 'nope' } as never)).toThrow(TypeError);
    expect(() => encodeClientMessage({ type: 'sync', id: 1 } as never)).toThrow(TypeError);
  });
});
