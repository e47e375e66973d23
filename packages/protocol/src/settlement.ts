/**
 * How a channel's payments are split at settlement: per payee, the gross sum of its
 * entries, the hub's fee (floor of gross x feePpm / 1,000,000), and the net; the client
 * gets back the deposit minus everything paid. Fees are computed on cumulative per-payee
 * totals, so the total fee is the same however many partial claims happen before close.
 */
import { addAmounts, assertAmount, subAmounts } from './amount.js';
import { toHex } from './bytes.js';
import type { PayeeId } from './ids.js';
import { feePpmMax } from './limits.js';
import type { PaymentEntry } from './log.js';

/** One payee's share of a settlement. */
export interface PayeeShare {
  readonly payee: PayeeId;
  /** Sum of the payee's entries. */
  readonly gross: bigint;
  /** The hub's fee out of `gross`. */
  readonly fee: bigint;
  /** What the payee receives: gross - fee. */
  readonly net: bigint;
}

/** A channel's split. */
export interface Settlement {
  /** Per payee, sorted by payee id (bytewise) so the split is canonical. */
  readonly payees: readonly PayeeShare[];
  /** Sum of all fees. */
  readonly fee: bigint;
  /** Sum of all gross amounts: the channel's cumulative amount. */
  readonly paid: bigint;
  /** deposit - paid, back to the payer. */
  readonly refund: bigint;
}

/**
 * Checks a fee rate in parts per million (0..1,000,000).
 *
 * @example
 * ```ts
 * import { assertFeePpm } from '@trickle/protocol';
 * assertFeePpm(10_000); // 1%
 * ```
 */
export function assertFeePpm(feePpm: unknown): number {
  if (typeof feePpm !== 'number' || !Number.isInteger(feePpm)) throw new TypeError('feePpm: expected an integer');
  if (feePpm < 0 || feePpm > feePpmMax) throw new RangeError(`feePpm: expected 0..${feePpmMax}`);
  return feePpm;
}

/**
 * The hub's fee on a gross amount: floor(gross x feePpm / 1,000,000).
 *
 * @example
 * ```ts
 * import { feeOf } from '@trickle/protocol';
 * feeOf(1_000n, 25_000); // 25n (2.5%)
 * ```
 */
export function feeOf(gross: bigint, feePpm: number): bigint {
  return (assertAmount(gross, 'gross') * BigInt(assertFeePpm(feePpm))) / 1_000_000n;
}

/**
 * Sums entries per payee.
 *
 * @example
 * ```ts
 * import { totalsByPayee } from '@trickle/protocol';
 * totalsByPayee([]).size; // 0
 * ```
 */
export function totalsByPayee(entries: Iterable<PaymentEntry>): Map<string, { payee: PayeeId; gross: bigint }> {
  const totals = new Map<string, { payee: PayeeId; gross: bigint }>();
  for (const entry of entries) {
    const key = toHex(entry.payee);
    const current = totals.get(key);
    if (current === undefined) totals.set(key, { payee: entry.payee, gross: assertAmount(entry.amount) });
    else current.gross = addAmounts(current.gross, entry.amount);
  }
  return totals;
}

/**
 * The full split of a channel from its deposit and its entries (or per-payee totals).
 * Throws `AmountError` when the payments exceed the deposit.
 *
 * @example
 * ```ts
 * import { settle } from '@trickle/protocol';
 * settle(1_000n, [], 0).refund; // 1000n
 * ```
 */
export function settle(
  deposit: bigint,
  entries: Iterable<PaymentEntry> | ReadonlyMap<string, { payee: PayeeId; gross: bigint }>,
  feePpm: number,
): Settlement {
  const totals = entries instanceof Map ? entries : totalsByPayee(entries as Iterable<PaymentEntry>);
  const keys = [...totals.keys()].sort();
  let fee = 0n;
  let paid = 0n;
  const payees: PayeeShare[] = [];
  for (const key of keys) {
    const { payee, gross } = totals.get(key)!;
    const share = feeOf(gross, feePpm);
    payees.push({ payee, gross, fee: share, net: gross - share });
    fee = addAmounts(fee, share);
    paid = addAmounts(paid, gross);
  }
  return { payees, fee, paid, refund: subAmounts(assertAmount(deposit, 'deposit'), paid) };
}

/**
 * What one partial claim moves for a payee whose gross total went from `previousGross`
 * to `gross`: the increase, the fee on it (the difference of the fees on the totals), and
 * the net. Summing claims gives exactly the split of {@link settle}.
 *
 * @example
 * ```ts
 * import { claimDelta } from '@trickle/protocol';
 * claimDelta(0n, 150n, 10_000); // { gross: 150n, fee: 1n, net: 149n }
 * ```
 */
export function claimDelta(
  previousGross: bigint,
  gross: bigint,
  feePpm: number,
): { gross: bigint; fee: bigint; net: bigint } {
  const delta = subAmounts(gross, previousGross);
  const fee = feeOf(gross, feePpm) - feeOf(previousGross, feePpm);
  return { gross: delta, fee, net: delta - fee };
}
