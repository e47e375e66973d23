/**
 * Hostile client frames, generated from real ones: grammar-aware mutations of the value
 * tree of every message type (each breaking one rule of the wire's schema or of its
 * canonical encoding, so a conforming decoder must refuse it) and byte-level mutations of
 * the frame (which may or may not still be a valid frame).
 */
import {
  type ClientMessage,
  encodeClientMessage,
  frameBytesMax,
  readCanonical,
  type WireMap,
  type WireValue,
} from '@trickle/protocol';
import { blobAs, floatAs, type HostileValue, intAs, RawBytes, RawMap, uintAs, writeHostile } from '../rawMsgpack.js';
import { type SeededRandom, seededRandom } from '../sim/random.js';

/** One generated frame and what a conforming decoder must do with it. */
export interface HostileFrame {
  readonly bytes: Uint8Array;
  /** `grammar:<mutation>` or `bytes:<mutation>`, and the message type it started from. */
  readonly mutation: string;
  readonly messageType: ClientMessage['type'];
  /**
   * `invalid`: must be refused with {@link HostileFrame.code}. `unknown`: a byte-level
   * mutation that may still be a valid frame; if it decodes, it must encode back to the same
   * bytes (one encoding per message).
   */
  readonly expect: 'invalid' | 'unknown';
  readonly code?: 'MALFORMED_FRAME' | 'FRAME_TOO_LARGE';
}

/**
 * One valid message of every client type, with random keys, ids and signatures (valid as
 * frames; their signatures verify under nothing, so a hub refuses them by its rules).
 *
 * @example
 * ```ts
 * import { sampleClientMessages, seededRandom } from '@trickle/testing';
 * const messages = sampleClientMessages(seededRandom(1)); // auth, open, topUp, pay, close, sync, log
 * ```
 */
export function sampleClientMessages(random: SeededRandom): ClientMessage[] {
  const b = (n: number) => random.bytes(n) as never;
  const key = () => Uint8Array.of(2, ...random.bytes(32)) as never;
  const id = () => random.int(0, 0x7fff_ffff);
  const amount = () => BigInt(random.int(1, 0x7fff_ffff)) * BigInt(random.int(1, 1 << 20));
  const timeMs = () => 1_700_000_000_000 + random.int(0, 0x7fff_ffff);
  const entry = () => ({
    payee: b(32),
    invoiceId: b(16),
    amount: amount(),
    expiresAtMs: timeMs(),
    resource: b(32),
    mac: b(32),
  });
  return [
    { type: 'auth', clientKey: key(), signature: b(64) },
    {
      type: 'open',
      id: id(),
      nonce: b(16),
      asset: { code: 'USD', scale: 6 },
      deposit: amount(),
      expiresAtMs: timeMs(),
      signature: b(64),
    },
    { type: 'topUp', id: id(), channelId: b(32), deposit: amount(), signature: b(64) },
    {
      type: 'pay',
      id: id(),
      channelId: b(32),
      seq: random.int(1, 1_000_000),
      cumulative: amount(),
      logHead: b(32),
      signature: b(64),
      entries: Array.from({ length: random.int(1, 3) }, entry),
    },
    {
      type: 'close',
      id: id(),
      channelId: b(32),
      seq: random.int(0, 1_000_000),
      cumulative: amount(),
      logHead: b(32),
      signature: b(64),
    },
    { type: 'sync', id: id(), channelId: b(32) },
    { type: 'log', id: id(), channelId: b(32), fromSeq: random.int(1, 1000), limit: random.int(1, 256) },
  ] as ClientMessage[];
}

type Path = readonly (string | number)[];
type Mutate = (value: WireValue, path: Path, random: SeededRandom) => HostileValue | undefined;

const isMap = (v: unknown): v is WireMap =>
  typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v);
const isInt = (v: unknown): v is number | bigint =>
  typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));

function paths(value: WireValue, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) out.push(...paths(value[i] as WireValue, [...prefix, i]));
  } else if (isMap(value))
    for (const key of Object.keys(value)) out.push(...paths(value[key] as WireValue, [...prefix, key]));
  return out;
}

function replaceAt(tree: WireValue, path: Path, replacement: HostileValue): HostileValue {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(tree)) {
    return tree.map((item, i) => (i === head ? replaceAt(item as WireValue, rest, replacement) : item)) as HostileValue;
  }
  const map = tree as WireMap;
  const out: Record<string, HostileValue> = {};
  for (const key of Object.keys(map)) {
    out[key] = key === head ? replaceAt(map[key] as WireValue, rest, replacement) : (map[key] as HostileValue);
  }
  return out;
}

function shortestWidth(n: bigint): 0 | 8 | 16 | 32 | 64 {
  return n < 128n ? 0 : n < 0x100n ? 8 : n < 0x1_0000n ? 16 : n < 0x1_0000_0000n ? 32 : 64;
}

const utf8 = new TextEncoder();
const sortedEntries = (map: WireMap) =>
  Object.keys(map)
    .sort()
    .map((k) => [k, map[k] as HostileValue] as const);

/** Every grammar mutation: each returns undefined where it does not apply. */
const grammar: Record<string, Mutate> = {
  // Removes the key at the path: done by grammarFrame, which rebuilds the parent map.
  'drop-key': () => undefined,
  'extra-key': (value, _path, random) =>
    isMap(value)
      ? new RawMap([...sortedEntries(value), [random.pick(['zz', '__proto__', 'constructor', 'T', '']), 1]])
      : undefined,
  nil: (_value, path) => (path.length > 0 ? null : undefined),
  'type-swap': (value, path) => {
    if (path.length === 0) return undefined;
    if (value instanceof Uint8Array) return 'not bytes';
    if (isInt(value)) return Uint8Array.of(1);
    if (typeof value === 'string') return 7;
    if (typeof value === 'boolean') return 0;
    if (Array.isArray(value)) return { a: 1 };
    return [1, 2];
  },
  float: (value, _path, random) =>
    isInt(value) && BigInt(value) < 2n ** 53n
      ? new RawBytes(floatAs(Number(value), random.pick([32, 64] as const)))
      : undefined,
  'negative-zero': (value) => (isInt(value) ? new RawBytes(floatAs(-0, 64)) : undefined),
  'wide-int': (value, _path, random) => {
    if (!isInt(value)) return undefined;
    const n = BigInt(value);
    const wider = ([8, 16, 32, 64] as const).filter((w) => w > shortestWidth(n));
    return wider.length === 0 ? undefined : new RawBytes(uintAs(n, random.pick(wider)));
  },
  'signed-int': (value) =>
    isInt(value) && BigInt(value) < 2n ** 63n ? new RawBytes(intAs(BigInt(value), 64)) : undefined,
  'huge-int': (value) => (isInt(value) ? 2n ** 64n - 1n : undefined),
  'negative-int': (value) => (isInt(value) ? -1 : undefined),
  'bin-length': (value, path, random) => {
    if (!(value instanceof Uint8Array)) return undefined;
    if (path[path.length - 1] === 'sig') return random.chance(0.5) ? new Uint8Array(0) : new Uint8Array(73);
    return random.chance(0.5) ? value.subarray(0, Math.max(0, value.length - 1)) : Uint8Array.of(...value, 0);
  },
  'long-header': (value) => {
    if (value instanceof Uint8Array) return new RawBytes(blobAs('bin', value, value.length < 0x100 ? 16 : 32));
    if (typeof value === 'string') return new RawBytes(blobAs('str', utf8.encode(value), 8));
    return undefined;
  },
  'duplicate-key': (value, _path, random) => {
    if (!isMap(value) || Object.keys(value).length === 0) return undefined;
    const entries = sortedEntries(value);
    const at = random.int(0, entries.length - 1);
    const [key, item] = entries[at] as readonly [string, HostileValue];
    const other = isInt(item) ? BigInt(item) + 1n : item;
    return new RawMap([...entries.slice(0, at + 1), [key, other], ...entries.slice(at + 1)]);
  },
  'unsorted-keys': (value, _path, random) => {
    if (!isMap(value) || Object.keys(value).length < 2) return undefined;
    const entries = [...sortedEntries(value)];
    const at = random.int(0, entries.length - 2);
    [entries[at], entries[at + 1]] = [
      entries[at + 1] as (typeof entries)[number],
      entries[at] as (typeof entries)[number],
    ];
    return new RawMap(entries);
  },
  'wrong-t': (_value, path, random) =>
    path.length === 1 && path[0] === 't'
      ? random.pick(['welcome', 'receipts', 'Pay', 'pay ', '', 'x'.repeat(40)])
      : undefined,
  ext: (_value, path) => (path.length > 0 ? new RawBytes(Uint8Array.of(0xd4, 1, 0)) : undefined),
  'bad-utf8': (value) => (typeof value === 'string' ? new RawBytes(Uint8Array.of(0xa2, 0xc3, 0x28)) : undefined),
  'deep-nesting': (value, path) => {
    if (path.length === 0) return undefined;
    let wrapped: HostileValue = value;
    for (let i = 0; i < 9; i++) wrapped = [wrapped];
    return wrapped;
  },
  'top-array': (value, path) => (path.length === 0 && isMap(value) ? Object.values(value) : undefined),
  'too-many-entries': (value, path) =>
    Array.isArray(value) && path[path.length - 1] === 'entries' && value.length > 0
      ? Array.from({ length: 129 }, () => value[0] as HostileValue)
      : undefined,
};
function dropAt(tree: WireValue, path: Path): HostileValue {
  const parent = path.slice(0, -1);
  const key = path[path.length - 1] as string;
  const container = parent.reduce<WireValue>((node, step) => (node as WireMap)[step as string] as WireValue, tree);
  if (!isMap(container)) return tree;
  const rest: Record<string, HostileValue> = {};
  for (const k of Object.keys(container)) if (k !== key) rest[k] = container[k] as HostileValue;
  return replaceAt(tree, parent, rest);
}

type ByteMutate = (bytes: Uint8Array, random: SeededRandom, other: Uint8Array) => Uint8Array;
const interesting = [
  0x00, 0x01, 0x7f, 0x80, 0xc0, 0xc1, 0xc2, 0xca, 0xcb, 0xcf, 0xd3, 0xd4, 0xd9, 0xdc, 0xde, 0xdf, 0xff,
];

const byteLevel: Record<string, ByteMutate> = {
  'flip-bit': (bytes, random) => {
    const out = bytes.slice();
    const at = random.int(0, out.length - 1);
    out[at] = (out[at] as number) ^ (1 << random.int(0, 7));
    return out;
  },
  'set-byte': (bytes, random) => {
    const out = bytes.slice();
    out[random.int(0, out.length - 1)] = random.pick(interesting);
    return out;
  },
  'insert-byte': (bytes, random) => {
    const at = random.int(0, bytes.length);
    return Uint8Array.of(...bytes.subarray(0, at), random.pick(interesting), ...bytes.subarray(at));
  },
  'delete-byte': (bytes, random) => {
    const at = random.int(0, bytes.length - 1);
    return Uint8Array.of(...bytes.subarray(0, at), ...bytes.subarray(at + 1));
  },
  truncate: (bytes, random) => bytes.slice(0, random.int(0, bytes.length - 1)),
  'repeat-slice': (bytes, random) => {
    const from = random.int(0, bytes.length - 1);
    const to = random.int(from, Math.min(bytes.length, from + 16));
    return Uint8Array.of(...bytes.subarray(0, to), ...bytes.subarray(from, to), ...bytes.subarray(to));
  },
  splice: (bytes, random, other) =>
    Uint8Array.of(...bytes.subarray(0, random.int(0, bytes.length)), ...other.subarray(random.int(0, other.length))),
};

/** The grammar mutations by name, and the byte-level ones. */
export const hostileMutations = {
  grammar: [...Object.keys(grammar), 'trailing-byte', 'oversize'],
  bytes: Object.keys(byteLevel),
} as const;

/** Options of {@link hostileFrames}. */
export interface HostileFramesOptions {
  readonly seed: number;
  /** Frames to generate. */
  readonly count: number;
  /** Valid frames to start from (e.g. captured from your wallet). Default: {@link sampleClientMessages}. */
  readonly from?: readonly Uint8Array[];
  /** Share of byte-level mutations, 0..1. Default 0.5. */
  readonly byteShare?: number;
}

/**
 * Generates `count` hostile frames: grammar mutations (every one a frame a conforming
 * decoder must refuse) and byte-level mutations, each from a random valid frame.
 *
 * @example
 * ```ts
 * import { hostileFrames } from '@trickle/testing';
 * import { decodeClientMessage, FrameError } from '@trickle/protocol';
 * for (const frame of hostileFrames({ seed: 1, count: 1_000 })) {
 *   try { decodeClientMessage(frame.bytes); } catch (error) { if (!(error instanceof FrameError)) throw error; }
 * }
 * ```
 */
export function* hostileFrames(options: HostileFramesOptions): Generator<HostileFrame> {
  const random = seededRandom(options.seed);
  const sources = (options.from ?? sampleClientMessages(random).map(encodeClientMessage)).map((bytes) => ({
    bytes,
    tree: readCanonical(bytes, 'client'),
  }));
  const byteShare = options.byteShare ?? 0.5;
  const grammarNames = hostileMutations.grammar;
  let made = 0;
  while (made < options.count) {
    const source = random.pick(sources);
    const messageType = (source.tree as WireMap).t as ClientMessage['type'];
    if (random.chance(byteShare)) {
      const name = random.pick(hostileMutations.bytes);
      const other = random.pick(sources).bytes;
      const mutate = byteLevel[name] as ByteMutate;
      made++;
      yield { bytes: mutate(source.bytes, random, other), mutation: `bytes:${name}`, messageType, expect: 'unknown' };
      continue;
    }
    const name = random.pick(grammarNames);
    const frame = grammarFrame(name, source.bytes, source.tree, random);
    if (frame === undefined) continue;
    made++;
    yield { ...frame, mutation: `grammar:${name}`, messageType, expect: 'invalid' };
  }
}

function grammarFrame(
  name: string,
  bytes: Uint8Array,
  tree: WireValue,
  random: SeededRandom,
): { bytes: Uint8Array; code: 'MALFORMED_FRAME' | 'FRAME_TOO_LARGE' } | undefined {
  if (name === 'trailing-byte')
    return { bytes: Uint8Array.of(...bytes, random.pick(interesting)), code: 'MALFORMED_FRAME' };
  if (name === 'oversize') {
    const padded = new Uint8Array(frameBytesMax + random.int(1, 1024));
    padded.set(bytes);
    return { bytes: padded, code: 'FRAME_TOO_LARGE' };
  }
  const candidates = paths(tree);
  for (let tries = 0; tries < 8; tries++) {
    const path = random.pick(candidates);
    const value = path.reduce<WireValue>(
      (node, step) => (Array.isArray(node) ? node[step as number] : (node as WireMap)[step as string]) as WireValue,
      tree,
    );
    if (name === 'drop-key') {
      if (path.length === 0 || typeof path[path.length - 1] !== 'string') continue;
      return { bytes: writeHostile(dropAt(tree, path)), code: 'MALFORMED_FRAME' };
    }
    const replacement = (grammar[name] as Mutate)(value, path, random);
    if (replacement === undefined) continue;
    return { bytes: writeHostile(replaceAt(tree, path, replacement)), code: 'MALFORMED_FRAME' };
  }
  return undefined;
}
