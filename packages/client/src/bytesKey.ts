/**
 * Map keys made of bytes for the wallet's per-payment bookkeeping (invoices being paid):
 * one character per byte, injective and cheaper than hex. Never shown, never stored.
 */
export function bytesKey(bytes: Uint8Array): string {
  // fromCharCode takes the bytes as its arguments: ids are 16-32 bytes, far below any limit.
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}
