import { canonical, cat, rawArray, rawMap, token, twice, withPairs, withValue } from '@trickle/testing/harness';
import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
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
  frameDepthMax,
  type HubMessage,
  memoCharsMax,
  readCanonical,
  type WireValue,
  writeCanonical,
} from './index.js';

/** Another library's msgpack, for frames other encoders write: extensions, Maps, Sets, floats. */
const raw = new Packr({ useRecords: false, variableMapSize: true, moreTypes: true, structuredClone: false });

function decodeError(frame: Uint8Array, side: 'client' | 'hub' = 'client'): FrameError {
  try {
    if (side === 'client') decodeClientMessage(frame);
    else decodeHubMessage(frame);
  } catch (error) {
    if (error instanceof FrameError) return error;
    throw new Error(`decode threw a non-FrameError: ${String(error)}`);
  }
  throw new Error('decoded a frame that should have been refused');
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes32 = new Uint8Array(32).fill(7);
const validSync = { t: 'sync', id: 1, ch: new Uint8Array(32) };
const validInvoice = {
  t: 'invoice',
  id: 1,
  payee: new Uint8Array(32),
  asset: { code: 'USD', scale: 6 },
  amt: 5,
  memo: 'rent',
  reveal: false,
};

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
      id: 0xffff_ffff,
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
          // If it still decodes, it is a valid message in its one encoding: it re-encodes to the same bytes.
          expect(encodeClientMessage(decoded)).toEqual(new Uint8Array(bytes));
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
    /** The value in its canonical form when it has one (so the schema is what refuses it), else as msgpackr writes it. */
    const rawOf = (value: unknown) => {
      try {
        return canonical(value as WireValue);
      } catch {
        return raw.pack(value);
      }
    };
    fc.assert(
      fc.property(clientMessage, fc.nat(), junk, (message, which, value) => {
        const frame = encodeClientMessage(message);
        const keys = Object.keys(readCanonical(frame, 'test') as object);
        const key = keys[which % keys.length] as string;
        try {
          decodeClientMessage(withValue(frame, [key], rawOf(value)));
        } catch (error) {
          expect(error).toBeInstanceOf(FrameError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  // Each frame is canonical except for the one fault named, so the schema is what refuses it.
  it.each([
    ['an array', canonical([1, 2, 3])],
    ['a string', canonical('sync')],
    ['unknown type', canonical({ t: 'steal', id: 1 })],
    ['type not a string', canonical({ t: 1, id: 1 })],
    ['missing key', canonical({ t: 'sync', id: 1 })],
    ['extra key', canonical({ ...validSync, extra: 1 })],
    ['short channel id', canonical({ ...validSync, ch: new Uint8Array(31) })],
    ['channel id as string', canonical({ ...validSync, ch: 'a'.repeat(32) })],
    ['id above u32', canonical({ ...validSync, id: 2 ** 32 })],
    [
      'amount above 2^63-1',
      canonical({ t: 'topUp', id: 1, ch: new Uint8Array(32), dep: 2n ** 63n, sig: new Uint8Array(64) }),
    ],
    ['amount as string', canonical({ t: 'topUp', id: 1, ch: new Uint8Array(32), dep: '5', sig: new Uint8Array(64) })],
    [
      'signature of 73 bytes',
      canonical({ t: 'topUp', id: 1, ch: new Uint8Array(32), dep: 1, sig: new Uint8Array(73) }),
    ],
    ['seq above 2^53-1', canonical({ t: 'log', id: 1, ch: new Uint8Array(32), from: 2n ** 53n, limit: 1 })],
    ['log limit 0', canonical({ t: 'log', id: 1, ch: new Uint8Array(32), from: 1, limit: 0 })],
    // Peer-to-peer frames (ADR 0240).
    ['memo over memoCharsMax', canonical({ ...validInvoice, memo: 'm'.repeat(memoCharsMax + 1) })],
    ['reveal as an integer', canonical({ ...validInvoice, reveal: 1 })],
    ['invoice amount 0', canonical({ ...validInvoice, amt: 0 })],
    ['invoice payee of 31 bytes', canonical({ ...validInvoice, payee: new Uint8Array(31) })],
    ['ack of seq 0', canonical({ t: 'ack', seq: 0 })],
    ['ack with an id', canonical({ t: 'ack', id: 1, seq: 1 })],
    ['receive without its cursor', canonical({ t: 'receive', id: 1 })],
    ['receive cursor above 2^53-1', canonical({ t: 'receive', id: 1, after: 2n ** 53n })],
    // What other encoders write and the protocol has no room for.
    ['msgpack nil', new Uint8Array([0xc0])],
    ['never-used byte 0xc1', new Uint8Array([0xc1])],
    ['trailing bytes', cat(canonical(validSync), [0x00])],
    ['truncated map', canonical(validSync).subarray(0, 5)],
    ['str32 claiming 4 GiB', new Uint8Array([0x81, 0xa1, 0x74, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x61])],
    ['timestamp extension', new Uint8Array([0x81, 0xa1, 0x74, 0xd6, 0xff, 0, 0, 0, 1])],
    ['record extension', new Uint8Array([0xd4, 0x72, 0x00])],
    ['unknown extension', new Uint8Array([0xc7, 0x01, 0x01, 0xff])],
    ['deeply nested arrays', new Uint8Array([...new Array(60_000).fill(0x91), 0xc0])],
    ['__proto__ key', rawMap([[canonical('__proto__'), canonical({ x: 1 })]])],
    ['a Map (msgpackr)', raw.pack(new Map([['t', 'sync']]))],
    ['a Set (msgpackr)', raw.pack(new Set(['t']))],
    ['typed-array extension for bytes (msgpackr)', raw.pack(validSync)],
    ['bundled-strings extension (msgpackr)', new Packr({ useRecords: false, bundleStrings: true }).pack(validSync)],
  ])('refuses %s as MALFORMED_FRAME', (_name, frame) => {
    expect(decodeError(frame).code).toBe('MALFORMED_FRAME');
  });

  it('refuses hostile peer-to-peer frames from a hub (ADR 0240) as MALFORMED_FRAME', () => {
    const incoming = {
      t: 'incoming',
      seq: 1,
      ch: new Uint8Array(32),
      vseq: 1,
      inv: new Uint8Array(16),
      asset: { code: 'USD', scale: 6 },
      amt: 5,
      memo: '',
      mac: new Uint8Array(32),
      time: 2 ** 40,
    };
    expect(decodeHubMessage(canonical(incoming))).toMatchObject({ type: 'incoming', seq: 1, amount: 5n });
    for (const bad of [
      { ...incoming, seq: 0 },
      { ...incoming, amt: 0 },
      { ...incoming, from: new Uint8Array(31) },
      { ...incoming, memo: 'x'.repeat(memoCharsMax + 1) },
      { ...incoming, mac: new Uint8Array(31) },
      { t: 'receiving', id: 1, payee: new Uint8Array(32) },
      {
        t: 'invoiced',
        id: 1,
        payee: new Uint8Array(32),
        inv: new Uint8Array(16),
        asset: { code: 'USD', scale: 6 },
        amt: 1,
        exp: 1,
        res: new Uint8Array(32),
      },
    ]) {
      expect(decodeError(canonical(bad), 'hub').code).toBe('MALFORMED_FRAME');
    }
  });

  it('reads a clearing notice (ADR 0243) and refuses hostile ones from a hub as MALFORMED_FRAME', () => {
    const cleared = {
      t: 'cleared',
      seq: 4,
      ch: new Uint8Array(32),
      after: 0,
      vseq: 3,
      asset: { code: 'USD', scale: 6 },
      n: 3,
      amt: 15,
      time: 2 ** 40,
    };
    expect(decodeHubMessage(canonical(cleared))).toEqual({
      type: 'cleared',
      seq: 4,
      channelId: new Uint8Array(32),
      afterVoucherSeq: 0,
      throughVoucherSeq: 3,
      asset: { code: 'USD', scale: 6 },
      payments: 3,
      amount: 15n,
      timeMs: 2 ** 40,
    });
    const { n: _, ...withoutCount } = cleared;
    for (const bad of [
      { ...cleared, seq: 0 },
      { ...cleared, vseq: 0 },
      { ...cleared, n: 0 },
      { ...cleared, amt: 0 },
      { ...cleared, after: new Uint8Array(1) },
      { ...cleared, ch: new Uint8Array(31) },
      { ...cleared, time: 10_000_000_000_000 },
      { ...cleared, memo: '' },
      withoutCount,
    ]) {
      expect(decodeError(canonical(bad), 'hub').code).toBe('MALFORMED_FRAME');
    }
    // A client never sends it.
    expect(decodeError(canonical(cleared)).code).toBe('MALFORMED_FRAME');
  });

  it('refuses a frame over frameBytesMax as FRAME_TOO_LARGE before decoding it', () => {
    const error = decodeError(new Uint8Array(frameBytesMax + 1));
    expect(error.code).toBe('FRAME_TOO_LARGE');
  });

  it('refuses to encode a message that breaks its own schema', () => {
    expect(() => encodeClientMessage({ type: 'nope' } as never)).toThrow(TypeError);
    expect(() => encodeClientMessage({ type: 'sync', id: 1 } as never)).toThrow(TypeError);
  });
});

// ---------------------------------------------------------------------------------------------
// The canonical form (protocol.md, section 7.1)
// ---------------------------------------------------------------------------------------------

const nowMs = 1_700_000_000_000;
const entry = {
  payee: bytes32 as never,
  invoiceId: new Uint8Array(16).fill(1) as never,
  amount: 500n,
  expiresAtMs: nowMs + 60_000,
  resource: bytes32,
  mac: bytes32 as never,
};
const pay = encodeClientMessage({
  type: 'pay',
  id: 9,
  channelId: bytes32 as never,
  seq: 3,
  cumulative: 501n,
  logHead: bytes32 as never,
  signature: new Uint8Array(64) as never,
  entries: [entry],
});
const sync = encodeClientMessage({ type: 'sync', id: 4, channelId: bytes32 as never });
const topUp = encodeClientMessage({
  type: 'topUp',
  id: 2,
  channelId: bytes32 as never,
  deposit: 2_000_000n,
  signature: new Uint8Array(64) as never,
});
const open = encodeClientMessage({
  type: 'open',
  id: 1,
  nonce: new Uint8Array(16) as never,
  asset: { code: 'USD', scale: 6 },
  deposit: 1_000_000n,
  expiresAtMs: nowMs + 3_600_000,
  signature: new Uint8Array(64) as never,
});
const state = {
  channelId: bytes32 as never,
  clientKey: new Uint8Array(33).fill(2) as never,
  asset: { code: 'USD', scale: 6 },
  deposit: 1_000_000n,
  expiresAtMs: nowMs + 3_600_000,
  seq: 0,
  cumulative: 0n,
  logHead: bytes32 as never,
  status: 'open' as const,
};
const welcome = encodeHubMessage({ type: 'welcome', timeMs: nowMs });
const stateFrame = encodeHubMessage({ type: 'state', id: 5, state });
const rejectFrame = encodeHubMessage({
  type: 'reject',
  id: 9,
  channelId: bytes32 as never,
  seq: 2 ** 40,
  code: 'SEQ_GAP',
  message: 'expected seq 4',
  state,
});
const payWire = readCanonical(pay, 'test') as { entries: WireValue[] };
/** The pay frame's seq (3) plus `n`, canonical. */
const seqPlus = (n: number) => canonical(3 + n);

describe('canonical form: what the encoder writes', () => {
  it.each([
    [0, '00'],
    [127, '7f'],
    [128, 'cc80'],
    [255, 'ccff'],
    [256, 'cd0100'],
    [65_535, 'cdffff'],
    [65_536, 'ce00010000'],
    [2 ** 32 - 1, 'ceffffffff'],
    [2 ** 32, 'cf0000000100000000'],
    [nowMs, 'cf0000018bcfe56800'],
    [2 ** 53 - 1, 'cf001fffffffffffff'],
    [2n ** 53n, 'cf0020000000000000'],
    [2n ** 63n - 1n, 'cf7fffffffffffffff'],
    [5n, '05'],
  ])('the integer %s in its shortest unsigned form: %s', (value, expected) => {
    expect(hex(writeCanonical(value))).toBe(expected);
  });

  it('integers of 2^32 and up go out as uint 64 in every message that has them, never as a float', () => {
    expect(hex(welcome)).toBe(`82a174a777656c636f6d65a474696d65cf0000018bcfe56800`);
    // welcome.time, state.exp, open.exp, entry exp, a reject's seq: all uint 64 (0xcf), no float 64 (0xcb) token.
    const uint64s = (frame: Uint8Array, path: (string | number)[]) => {
      let value = readCanonical(frame, 'test') as unknown;
      for (const step of path) value = (value as Record<string | number, unknown>)[step];
      return value;
    };
    expect(uint64s(stateFrame, ['state', 'exp'])).toBe(nowMs + 3_600_000);
    expect(uint64s(open, ['exp'])).toBe(nowMs + 3_600_000);
    expect(uint64s(pay, ['entries', 0, 'exp'])).toBe(nowMs + 60_000);
    expect(uint64s(rejectFrame, ['seq'])).toBe(2 ** 40);
    for (const [frame, value] of [
      [stateFrame, nowMs + 3_600_000],
      [open, nowMs + 3_600_000],
      [pay, nowMs + 60_000],
      [rejectFrame, 2 ** 40],
    ] as const) {
      expect(hex(frame)).toContain(hex(token.u64(value)));
      expect(hex(frame)).not.toContain(hex(token.f64(value)));
    }
  });

  it('amounts go out in their shortest form, not as int 64', () => {
    expect(hex(topUp)).toContain(`a3646570${hex(token.u32(2_000_000))}`);
  });

  it('keys go out sorted by their bytes, the type key among them', () => {
    expect(Object.keys(readCanonical(pay, 'test') as object)).toEqual([
      'ch',
      'cum',
      'entries',
      'head',
      'id',
      'seq',
      'sig',
      't',
    ]);
    expect(Object.keys((readCanonical(pay, 'test') as { entries: object[] }).entries[0] as object)).toEqual([
      'amt',
      'exp',
      'inv',
      'mac',
      'payee',
      'res',
    ]);
    expect(Object.keys(readCanonical(rejectFrame, 'test') as object)).toEqual([
      'ch',
      'code',
      'id',
      'msg',
      'seq',
      'state',
      't',
    ]);
    // A map given out of order is written sorted; a proper prefix sorts first.
    expect(writeCanonical({ time: 1, t: 'x', b: 2 })).toEqual(writeCanonical({ b: 2, t: 'x', time: 1 }));
    expect(Object.keys(readCanonical(writeCanonical({ hubKey: 1, hub: 2, Z: 3 }), 'test') as object)).toEqual([
      'Z',
      'hub',
      'hubKey',
    ]);
  });

  it('str, bin, array and map headers go out in their shortest form', () => {
    const head = (value: WireValue, length: number) => hex(writeCanonical(value).subarray(0, length));
    expect(head('a'.repeat(31), 1)).toBe('bf');
    expect(head('a'.repeat(32), 2)).toBe('d920');
    expect(head('a'.repeat(256), 3)).toBe('da0100');
    expect(head(new Uint8Array(255), 2)).toBe('c4ff');
    expect(head(new Uint8Array(256), 3)).toBe('c50100');
    expect(head(new Array(15).fill(0), 1)).toBe('9f');
    expect(head(new Array(16).fill(0), 3)).toBe('dc0010');
    const map16 = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${String(i).padStart(2, '0')}`, i]));
    expect(head(map16, 3)).toBe('de0010');
    expect(readCanonical(writeCanonical('héllo ✓ 𝄞'), 'test')).toBe('héllo ✓ 𝄞');
  });

  it('refuses values with no wire form', () => {
    for (const value of [1.5, -1, -0.5, Number.NaN, 2 ** 53, null, undefined, new Date(0), new Map()]) {
      expect(() => writeCanonical(value as never), String(value)).toThrow(TypeError);
    }
    expect(() => writeCanonical(-1n)).toThrow(RangeError);
    expect(() => writeCanonical(2n ** 64n)).toThrow(RangeError);
    expect(() => writeCanonical(new Uint8Array(frameBytesMax))).toThrow(RangeError);
  });

  it('every frame of every message decodes and re-encodes to the same bytes (property)', () => {
    fc.assert(
      fc.property(clientMessage, hubMessage, (client: ClientMessage, hub: HubMessage) => {
        const clientFrame = encodeClientMessage(client);
        expect(encodeClientMessage(decodeClientMessage(clientFrame))).toEqual(clientFrame);
        const hubFrame = encodeHubMessage(hub);
        expect(encodeHubMessage(decodeHubMessage(hubFrame))).toEqual(hubFrame);
      }),
      { numRuns: 300 },
    );
  });

  it('another decoder (msgpackr) reads every frame as the strict reader does (property)', () => {
    const other = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });
    /** Integers as bigint and bytes as hex, so the two readers' representations compare. */
    const plain = (value: unknown): unknown => {
      if (typeof value === 'number' || typeof value === 'bigint') return BigInt(value);
      if (value instanceof Uint8Array) return hex(value);
      if (Array.isArray(value)) return value.map(plain);
      if (typeof value === 'object' && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
      }
      return value;
    };
    fc.assert(
      fc.property(clientMessage, hubMessage, (client: ClientMessage, hub: HubMessage) => {
        for (const frame of [encodeClientMessage(client), encodeHubMessage(hub)]) {
          expect(plain(other.unpack(frame))).toEqual(plain(readCanonical(frame, 'test')));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('canonical form: the decoder refuses every other encoding with MALFORMED_FRAME', () => {
  it.each([
    // Integer-valued floats, float 32 and -0.0, for every integer field the issue names, and the request id.
    ['client', 'pay seq as float 64', withValue(pay, ['seq'], token.f64(3)), /a float/],
    ['client', 'pay seq as float 32', withValue(pay, ['seq'], token.f32(3)), /a float/],
    ['client', 'pay seq as -0.0', withValue(pay, ['seq'], token.f64(-0)), /a float/],
    ['client', 'pay cum as float 64', withValue(pay, ['cum'], token.f64(501)), /a float/],
    ['client', 'pay cum as float 32', withValue(pay, ['cum'], token.f32(501)), /a float/],
    ['client', 'entry amt as float 64', withValue(pay, ['entries', 0, 'amt'], token.f64(500)), /a float/],
    ['client', 'entry exp as float 64', withValue(pay, ['entries', 0, 'exp'], token.f64(nowMs + 60_000)), /a float/],
    ['client', 'open dep as float 64', withValue(open, ['dep'], token.f64(1_000_000)), /a float/],
    ['client', 'open dep as float 32', withValue(open, ['dep'], token.f32(1_000_000)), /a float/],
    ['client', 'open exp as float 64', withValue(open, ['exp'], token.f64(nowMs + 3_600_000)), /a float/],
    ['client', 'asset scale as float 64', withValue(open, ['asset', 'scale'], token.f64(6)), /a float/],
    ['client', 'request id as float 64', withValue(sync, ['id'], token.f64(4)), /a float/],
    ['hub', 'welcome time as float 64 (the old encoder)', withValue(welcome, ['time'], token.f64(nowMs)), /a float/],
    ['hub', 'state exp as float 64', withValue(stateFrame, ['state', 'exp'], token.f64(nowMs + 3_600_000)), /a float/],
    ['hub', 'reject seq as float 64', withValue(rejectFrame, ['seq'], token.f64(2 ** 40)), /a float/],
    // Signed integer types, even for values that fit.
    [
      'client',
      'amount as int 64 (the old encoder)',
      withValue(topUp, ['dep'], token.i64(2_000_000)),
      /a signed integer/,
    ],
    ['client', 'seq as int 8', withValue(pay, ['seq'], token.i8(3)), /a signed integer/],
    ['client', 'a negative fixint', withValue(sync, ['id'], token.negativeFixint(-1)), /a signed integer/],
    // Integers not in their shortest form.
    ['client', '4 as uint 8', withValue(sync, ['id'], token.u8(4)), /shortest form/],
    ['client', '200 as uint 16', withValue(sync, ['id'], token.u16(200)), /shortest form/],
    ['client', '501 as uint 32', withValue(pay, ['cum'], token.u32(501)), /shortest form/],
    ['client', '2^32-1 as uint 64', withValue(sync, ['id'], token.u64(2 ** 32 - 1)), /shortest form/],
    ['client', '3 as uint 64', withValue(pay, ['seq'], token.u64(3)), /shortest form/],
    // Headers not in their shortest form.
    [
      'client',
      'a key as str 8',
      withPairs(sync, [], ([ch, id, t]) => [ch!, [token.str8('id'), id![1]], t!]),
      /shortest form/,
    ],
    ['client', 'the type as str 8', withValue(sync, ['t'], token.str8('sync')), /shortest form/],
    ['client', '32 bytes as bin 16', withValue(sync, ['ch'], token.bin16(bytes32)), /shortest form/],
    [
      'client',
      '3 entries as map 16',
      rawMap(
        Object.entries(readCanonical(sync, 'test') as object).map(([k, v]) => [canonical(k), canonical(v)]),
        new Uint8Array([0xde, 0, 3]),
      ),
      /shortest form/,
    ],
    [
      'client',
      '1 entry as array 16',
      withValue(pay, ['entries'], rawArray([canonical(payWire.entries[0] as WireValue)], new Uint8Array([0xdc, 0, 1]))),
      /shortest form/,
    ],
    // Keys: twice, out of order, not a string.
    [
      'client',
      'seq twice (S+6 then S+1: last would win)',
      withPairs(pay, [], twice('seq', seqPlus(6))),
      /a duplicate key/,
    ],
    ['client', 'seq twice with the same value', withPairs(pay, [], twice('seq', seqPlus(0))), /a duplicate key/],
    ['client', 'an entry key twice', withPairs(pay, ['entries', 0], twice('amt', canonical(1n))), /a duplicate key/],
    ['hub', 'a state key twice', withPairs(stateFrame, ['state'], twice('dep', canonical(5n))), /a duplicate key/],
    [
      'client',
      'keys out of order (t first)',
      withPairs(sync, [], ([ch, id, t]) => [t!, ch!, id!]),
      /keys out of order/,
    ],
    [
      'client',
      'nested keys out of order',
      withPairs(open, ['asset'], ([code, scale]) => [scale!, code!]),
      /keys out of order/,
    ],
    ['client', 'a map key that is not a string', rawMap([[canonical(1), canonical(2)]]), /not a string/],
    // nil, strings, depth.
    [
      'hub',
      'nil for an absent optional key',
      withPairs(stateFrame, ['state'], (pairs) => [
        ...pairs.slice(0, -1),
        [canonical('sig'), token.nil()],
        pairs.at(-1)!,
      ]),
      /nil/,
    ],
    ['hub', 'a string that is not UTF-8', withValue(rejectFrame, ['msg'], token.strBytes([0x61, 0xff])), /UTF-8/],
    ['hub', 'an overlong UTF-8 form', withValue(rejectFrame, ['msg'], token.strBytes([0xc0, 0xaf])), /UTF-8/],
    ['hub', 'a UTF-8 surrogate', withValue(rejectFrame, ['msg'], token.strBytes([0xed, 0xa0, 0x80])), /UTF-8/],
    ['hub', 'a truncated UTF-8 sequence', withValue(rejectFrame, ['msg'], token.strBytes([0x61, 0xe2, 0x82])), /UTF-8/],
    [
      'client',
      `maps nested deeper than frameDepthMax (${frameDepthMax})`,
      cat(...new Array(frameDepthMax).fill([0x81, 0xa1, 0x61]), [0x80]),
      /deeper than frameDepthMax/,
    ],
  ] as const)('%s: %s', (side, _name, frame, reason) => {
    const error = decodeError(frame, side);
    expect(error.code, error.message).toBe('MALFORMED_FRAME');
    expect(error.reason).toMatch(reason);
  });

  it('the untouched frames decode: each case above differs from a valid frame only by its fault', () => {
    for (const frame of [pay, sync, topUp, open]) expect(() => decodeClientMessage(frame)).not.toThrow();
    for (const frame of [welcome, stateFrame, rejectFrame]) expect(() => decodeHubMessage(frame)).not.toThrow();
    // frameDepthMax levels are fine; one more is not.
    expect(readCanonical(cat(...new Array(frameDepthMax - 1).fill([0x81, 0xa1, 0x61]), [0x80]), 'test')).toBeTruthy();
  });

  it('names the byte where the fault is', () => {
    const error = decodeError(withValue(sync, ['id'], token.f64(4)));
    expect(error.path).toMatch(/^client@\d+$/);
    expect(error.reason).toMatch(/float/);
  });
});

describe('the request id of a refused frame (protocol.md, section 7.3)', () => {
  it('is kept when the schema refuses the frame', () => {
    expect(decodeError(canonical({ t: 'sync', id: 42, ch: new Uint8Array(3) })).requestId).toBe(42);
    expect(decodeError(canonical({ t: 'sync', id: 'x', ch: new Uint8Array(3) })).requestId).toBeUndefined();
  });

  it('is read from a pay frame the canonical reader refuses, so a client with vouchers in flight can match it', () => {
    expect(decodeError(withValue(pay, ['seq'], token.f64(3))).requestId).toBe(9);
    expect(decodeError(withValue(pay, ['entries', 0, 'amt'], token.f64(500))).requestId).toBe(9);
    expect(decodeError(withPairs(pay, [], twice('seq', seqPlus(6)))).requestId).toBe(9);
    // Any unsigned width is read here, even a non-canonical one.
    expect(decodeError(withValue(pay, ['id'], token.u64(9))).requestId).toBe(9);
  });

  it('is not read when it is not one unsigned integer of 0..2^32-1 in one complete map', () => {
    expect(decodeError(withPairs(pay, [], twice('id', canonical(8)))).requestId).toBeUndefined();
    expect(decodeError(withValue(pay, ['id'], token.f64(9))).requestId).toBeUndefined();
    expect(decodeError(withValue(pay, ['id'], token.u64(2 ** 32))).requestId).toBeUndefined();
    expect(decodeError(pay.subarray(0, pay.length - 1)).requestId).toBeUndefined();
    expect(decodeError(cat(pay, [0])).requestId).toBeUndefined();
    expect(decodeError(new Uint8Array(frameBytesMax + 1)).requestId).toBeUndefined();
  });
});
