/**
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) for the hot path, in plain JavaScript.
 *
 * Every payment costs the hub a log step (sha256 of 88 bytes), a payment-request MAC and
 * a receipt MAC (HMAC of 154 bytes), and the wallet a log step: a few blocks each. At that
 * size the cost is per call, not per byte: noble-hashes allocates a hasher, buffers and
 * DataViews per call (~3.4 µs for 88 bytes, ~14 µs for an HMAC here), node:crypto crosses
 * into C++ (~1.8 µs, ~4.9 µs). This implementation keeps one scratch state and compresses
 * straight from the input (~1.1 µs, ~2 µs with a precomputed key): see ADR 0206.
 * HMAC keys used again and again (a merchant's) are precomputed once: the state after
 * the key's inner and outer pads, so a MAC costs the message blocks plus one.
 *
 * Checked against NIST and RFC 4231 vectors and against noble-hashes on random inputs
 * (sha256.test.ts). No table lookups or branches depend on the data: constant time.
 */

const roundConstants = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const initialState = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Block size in bytes. */
const blockBytes = 64;

// Scratch space, reused by every call (all calls are synchronous and never re-entered).
const schedule = new Int32Array(64);
const state = new Int32Array(8);
const tail = new Uint8Array(2 * blockBytes);

/** Compresses the 64-byte block at `offset` of `bytes` into `h`. */
function compress(h: Int32Array, bytes: Uint8Array, offset: number): void {
  const w = schedule;
  for (let i = 0, o = offset; i < 16; i++, o += 4) {
    w[i] =
      ((bytes[o] as number) << 24) |
      ((bytes[o + 1] as number) << 16) |
      ((bytes[o + 2] as number) << 8) |
      (bytes[o + 3] as number);
  }
  for (let i = 16; i < 64; i++) {
    const w15 = w[i - 15] as number;
    const w2 = w[i - 2] as number;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    w[i] = (s1 + (w[i - 7] as number) + s0 + (w[i - 16] as number)) | 0;
  }
  let a = h[0] as number;
  let b = h[1] as number;
  let c = h[2] as number;
  let d = h[3] as number;
  let e = h[4] as number;
  let f = h[5] as number;
  let g = h[6] as number;
  let hh = h[7] as number;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (hh + s1 + ((e & f) ^ (~e & g)) + (roundConstants[i] as number) + (w[i] as number)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = ((h[0] as number) + a) | 0;
  h[1] = ((h[1] as number) + b) | 0;
  h[2] = ((h[2] as number) + c) | 0;
  h[3] = ((h[3] as number) + d) | 0;
  h[4] = ((h[4] as number) + e) | 0;
  h[5] = ((h[5] as number) + f) | 0;
  h[6] = ((h[6] as number) + g) | 0;
  h[7] = ((h[7] as number) + hh) | 0;
}

/**
 * Compresses `message` from `start` into `h`, with the padding for a total length of
 * `prefixBytes + message.length - start` (prefixBytes: whole blocks compressed before,
 * e.g. a key pad and the message's first block).
 */
function finish(h: Int32Array, message: Uint8Array, prefixBytes: number, start = 0): void {
  let offset = start;
  for (; offset + blockBytes <= message.length; offset += blockBytes) compress(h, message, offset);
  const rest = message.length - offset;
  tail.fill(0);
  for (let i = 0; i < rest; i++) tail[i] = message[offset + i] as number;
  tail[rest] = 0x80;
  const end = rest + 9 > blockBytes ? 2 * blockBytes : blockBytes;
  const totalBytes = prefixBytes + message.length - start;
  // The length in bits as a big-endian u64: high and low 32-bit words.
  const high = Math.floor(totalBytes / 0x2000_0000);
  const low = (totalBytes << 3) >>> 0;
  tail[end - 8] = high >>> 24;
  tail[end - 7] = high >>> 16;
  tail[end - 6] = high >>> 8;
  tail[end - 5] = high;
  tail[end - 4] = low >>> 24;
  tail[end - 3] = low >>> 16;
  tail[end - 2] = low >>> 8;
  tail[end - 1] = low;
  compress(h, tail, 0);
  if (end > blockBytes) compress(h, tail, blockBytes);
}

function digestOf(h: Int32Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const word = h[i] as number;
    out[4 * i] = word >>> 24;
    out[4 * i + 1] = word >>> 16;
    out[4 * i + 2] = word >>> 8;
    out[4 * i + 3] = word;
  }
  return out;
}

/** SHA-256 of `message`: a fresh 32-byte array. */
export function sha256Digest(message: Uint8Array): Uint8Array<ArrayBuffer> {
  state.set(initialState);
  finish(state, message, 0);
  return digestOf(state);
}

/** A key's HMAC-SHA256 states after its inner and outer pads: what every MAC under it starts from. */
export interface HmacKeyState {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
  /**
   * The first block of the last message MAC'd under this key, and the inner state after
   * it: consecutive MACs of one layout under one key (receipts of one channel, requests of
   * one merchant) start with the same 64 bytes, so that block is compressed once.
   */
  readonly lastBlock: Uint8Array;
  readonly afterLastBlock: Int32Array;
  hasLastBlock: boolean;
}

/** Precomputes the pad states of `key` (any length; longer than a block is hashed first, as RFC 2104 says). */
export function hmacKeyState(key: Uint8Array): HmacKeyState {
  const block = new Uint8Array(blockBytes);
  block.set(key.length > blockBytes ? sha256Digest(key) : key);
  const inner = Int32Array.from(initialState);
  const outer = Int32Array.from(initialState);
  for (let i = 0; i < blockBytes; i++) block[i] = (block[i] as number) ^ 0x36;
  compress(inner, block, 0);
  for (let i = 0; i < blockBytes; i++) block[i] = (block[i] as number) ^ 0x36 ^ 0x5c;
  compress(outer, block, 0);
  block.fill(0);
  return {
    inner,
    outer,
    lastBlock: new Uint8Array(blockBytes),
    afterLastBlock: new Int32Array(8),
    hasLastBlock: false,
  };
}

/** HMAC-SHA256 of `message` under a precomputed key: a fresh 32-byte array. */
export function hmacWithState(key: HmacKeyState, message: Uint8Array): Uint8Array<ArrayBuffer> {
  if (message.length > blockBytes) {
    if (!key.hasLastBlock || !sameBlock(key.lastBlock, message)) {
      key.afterLastBlock.set(key.inner);
      compress(key.afterLastBlock, message, 0);
      for (let i = 0; i < blockBytes; i++) key.lastBlock[i] = message[i] as number;
      key.hasLastBlock = true;
    }
    state.set(key.afterLastBlock);
    finish(state, message, 2 * blockBytes, blockBytes);
  } else {
    state.set(key.inner);
    finish(state, message, blockBytes);
  }
  const innerDigest = digestOf(state);
  state.set(key.outer);
  finish(state, innerDigest, blockBytes);
  return digestOf(state);
}

/** HMAC-SHA256 of `message` under `key`, without precomputation (keys used once, as in RFC 6979). */
export function hmacDigest(key: Uint8Array, message: Uint8Array): Uint8Array<ArrayBuffer> {
  return hmacWithState(hmacKeyState(key), message);
}

interface CachedKey {
  readonly copy: Uint8Array;
  readonly state: HmacKeyState;
}

const keyStates = new WeakMap<Uint8Array, CachedKey>();

/**
 * The precomputed state of a key used again and again (a merchant's MAC key), cached by
 * the key's identity. The cache holds a copy of the key bytes and is only used while the
 * key still holds them, so a caller reusing its array for another key cannot get a stale
 * state.
 */
export function cachedHmacKeyState(key: Uint8Array): HmacKeyState {
  const cached = keyStates.get(key);
  if (cached !== undefined && sameBytes(cached.copy, key)) return cached.state;
  const fresh = { copy: key.slice(), state: hmacKeyState(key) };
  keyStates.set(key, fresh);
  return fresh.state;
}

/** True when `message` starts with the 64 bytes of `block`. */
function sameBlock(block: Uint8Array, message: Uint8Array): boolean {
  for (let i = 0; i < blockBytes; i++) if (block[i] !== message[i]) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
