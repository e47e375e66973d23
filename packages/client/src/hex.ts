/**
 * Lowercase hex: the wallet hexes several fields of every payment for its store records,
 * so this is on the hot path. The digits are written into one scratch buffer and decoded
 * once: a string built by `+=` per byte allocated ~1 KB of intermediate strings per
 * 32-byte id (ADR 0206).
 */
const digits = Array.from({ length: 16 }, (_, i) => '0123456789abcdef'.charCodeAt(i));
const decoder = new TextDecoder();
let scratch = new Uint8Array(256);
/** Views of the scratch buffer by length, made once: a view per call would be garbage too. */
let views: Uint8Array[] = [];

/** Lowercase hex of `bytes` (same output as protocol's toHex). */
export function hex(bytes: Uint8Array): string {
  const length = 2 * bytes.length;
  if (scratch.length < length) {
    scratch = new Uint8Array(length);
    views = [];
  }
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    scratch[2 * i] = digits[b >> 4] as number;
    scratch[2 * i + 1] = digits[b & 15] as number;
  }
  let view = views[length];
  if (view === undefined) {
    view = scratch.subarray(0, length);
    views[length] = view;
  }
  return decoder.decode(view);
}
