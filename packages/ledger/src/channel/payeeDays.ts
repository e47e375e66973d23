/**
 * Per payee account and UTC day, the sums statements are made of (ADR 0109). They are
 * written by the transactions that move the money (a settlement's net and fee lines, a
 * payout), so a statement of a period reads one row per day of it, never the transfers.
 */
import type { PayeeDayRow } from '../store/rows.js';

/** Milliseconds in a UTC day. */
export const dayMs = 86_400_000;

/** The UTC day (days since 1970-01-01) of a Unix time in ms. */
export function dayOf(ms: number): number {
  return Math.floor(ms / dayMs);
}

/** Rows to add, one per (account, day): a batch names each key once (PostgreSQL's upsert requires it). */
export function mergedDays(rows: readonly PayeeDayRow[]): PayeeDayRow[] {
  const byKey = new Map<string, PayeeDayRow>();
  for (const row of rows) {
    const key = `${row.accountId}/${row.day}`;
    const seen = byKey.get(key);
    byKey.set(
      key,
      seen === undefined
        ? row
        : {
            ...seen,
            gross: seen.gross + row.gross,
            fee: seen.fee + row.fee,
            net: seen.net + row.net,
            paidOut: seen.paidOut + row.paidOut,
          },
    );
  }
  return [...byKey.values()];
}
