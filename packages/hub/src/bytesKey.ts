/**
 * Map keys made of bytes for the hub's per-payment lookups (channels, payees, invoices):
 * one character per byte, a one-byte string. Injective, and several times cheaper than
 * hex or a Buffer's latin1 decode. Never shown, never stored.
 */
export function bytesKey(bytes: Uint8Array): string {
  // fromCharCode takes the bytes as its arguments: ids are 16-33 bytes, far below any limit.
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}
