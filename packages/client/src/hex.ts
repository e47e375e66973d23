/** Lowercase hex by table lookup: the wallet hexes several fields of every payment, so this is on the hot path. */
const table = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of `bytes` (same output as protocol's toHex). */
export function hex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += table[bytes[i] as number];
  return out;
}
