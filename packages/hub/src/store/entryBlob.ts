/**
 * A voucher's entries as one blob (SQLite store): 64 bytes per entry, payee (32) ||
 * invoiceId (16) || amount (u64 BE) || expiresAtMs (u64 BE). One row per voucher instead
 * of one per entry: a 128-entry voucher costs one B-tree insert instead of 256 (row and
 * expiry index), measured ~1 µs instead of ~7 µs per entry (ADR 0206).
 */
import { amountMax, asInvoiceId, asPayeeId, timeMsMax } from '@trickle/protocol';
import type { StoredEntry } from './channelStore.js';

/** Bytes per packed entry. */
export const packedEntryBytes = 64;

/**
 * Packs entries, refusing what the old per-entry table's CHECK constraints refused
 * (sizes, amount >= 1) and what a row cannot hold (times outside 0..timeMsMax). Returns
 * the blob and the latest expiry (what the invoice reload filters on).
 */
export function packEntries(entries: readonly StoredEntry[]): { blob: Uint8Array; expiresAtMsMax: number } {
  const blob = new Uint8Array(entries.length * packedEntryBytes);
  const view = new DataView(blob.buffer);
  let expiresAtMsMax = 0;
  entries.forEach((entry, i) => {
    const at = i * packedEntryBytes;
    if (!(entry.payee instanceof Uint8Array) || entry.payee.length !== 32)
      throw new RangeError('entry payee: 32 bytes');
    if (!(entry.invoiceId instanceof Uint8Array) || entry.invoiceId.length !== 16) {
      throw new RangeError('entry invoiceId: 16 bytes');
    }
    if (typeof entry.amount !== 'bigint' || entry.amount < 1n || entry.amount > amountMax) {
      throw new RangeError('entry amount: 1..2^63-1');
    }
    const expiresAtMs = entry.expiresAtMs;
    if (!Number.isSafeInteger(expiresAtMs) || expiresAtMs < 0 || expiresAtMs > timeMsMax) {
      throw new RangeError('entry expiresAtMs: 0..timeMsMax');
    }
    blob.set(entry.payee, at);
    blob.set(entry.invoiceId, at + 32);
    view.setBigUint64(at + 48, entry.amount);
    view.setBigUint64(at + 56, BigInt(expiresAtMs));
    if (expiresAtMs > expiresAtMsMax) expiresAtMsMax = expiresAtMs;
  });
  return { blob, expiresAtMsMax };
}

/** The entries of a blob written by {@link packEntries}; throws `RangeError` on a damaged one. */
export function unpackEntries(stored: Uint8Array): StoredEntry[] {
  if (stored.length % packedEntryBytes !== 0) throw new RangeError('entries blob: not a whole number of entries');
  // A plain view (the driver hands out Buffers), so the slices below are plain Uint8Arrays too.
  const blob = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const entries: StoredEntry[] = [];
  for (let at = 0; at < blob.length; at += packedEntryBytes) {
    entries.push({
      payee: asPayeeId(blob.slice(at, at + 32)),
      invoiceId: asInvoiceId(blob.slice(at + 32, at + 48)),
      amount: view.getBigUint64(at + 48),
      expiresAtMs: Number(view.getBigUint64(at + 56)),
    });
  }
  return entries;
}
