/** What the audit found: counts, per-asset totals, and every mismatch, precisely. */

/**
 * The kinds of mismatch the audit reports, closed list.
 *
 * @example
 * ```ts
 * import { auditMismatchKinds } from '@trickle/ledger';
 * auditMismatchKinds.includes('payee-fee'); // true
 * ```
 */
export const auditMismatchKinds = [
  /** A stored voucher's signature does not verify under the channel's key. */
  'signature',
  /** The stored entries do not hash to a stored voucher's log head. */
  'log-head',
  /** The stored entries do not sum to a stored voucher's cumulative amount. */
  'cumulative',
  /** The channel's claimed (or final) state is not a stored, signed state. */
  'claimed-state',
  /** What a payee was credited (net) differs from its entries minus the fee. */
  'payee-net',
  /** The fee taken on a payee differs from the published rule on its entries. */
  'payee-fee',
  /** A settlement transfer moves money between the wrong accounts. */
  'posting-account',
  /** The deposits into escrow differ from the channel's deposit. */
  'deposit',
  /** The refund differs from deposit minus cumulative (or is missing or premature). */
  'refund',
  /** The escrow account's balance differs from what the channel still holds. */
  'escrow-balance',
  /** The ledger's running per-payee totals differ from the entries. */
  'payee-total',
  /** An account's stored sums differ from the sums of its transfers. */
  'account-balance',
  /** Per asset, the balances differ from money in minus money out. */
  'conservation',
] as const;

/**
 * A kind from {@link auditMismatchKinds}.
 *
 * @example
 * ```ts
 * import type { AuditMismatchKind } from '@trickle/ledger';
 * const kind: AuditMismatchKind = 'log-head';
 * ```
 */
export type AuditMismatchKind = (typeof auditMismatchKinds)[number];

/**
 * One mismatch. `expected` is what the signed evidence (or the transfers) says, `actual`
 * what the ledger holds; amounts are decimal minor units, hashes hex.
 *
 * @example
 * ```ts
 * import type { AuditMismatch } from '@trickle/ledger';
 * declare const m: AuditMismatch;
 * console.log(`${m.kind} channel=${m.channelId} payee=${m.payee}: expected ${m.expected}, got ${m.actual}`);
 * ```
 */
export interface AuditMismatch {
  readonly kind: AuditMismatchKind;
  readonly channelId?: string;
  readonly payee?: string;
  readonly accountId?: string;
  /** `USD:6` */
  readonly asset?: string;
  readonly seq?: number;
  /** For `account-balance`: which sum. */
  readonly field?: string;
  readonly expected: string;
  readonly actual: string;
  readonly message: string;
}

/**
 * Money in, money out and balances of one asset.
 *
 * @example
 * ```ts
 * import type { AuditReport } from '@trickle/ledger';
 * declare const report: AuditReport;
 * for (const t of report.assets) console.log(t.asset, t.moneyIn - t.moneyOut === t.balances);
 * ```
 */
export interface AssetTotals {
  /** `USD:6` */
  readonly asset: string;
  /** Posted from external accounts. */
  readonly moneyIn: bigint;
  /** Posted to external accounts. */
  readonly moneyOut: bigint;
  /** Sum of the balances of every non-external account. */
  readonly balances: bigint;
}

/**
 * The audit's report.
 *
 * @example
 * ```ts
 * import type { AuditReport } from '@trickle/ledger';
 * declare const report: AuditReport;
 * if (!report.ok) for (const m of report.mismatches) console.error(m.message);
 * ```
 */
export interface AuditReport {
  /** True when there is no mismatch. */
  readonly ok: boolean;
  readonly mismatches: readonly AuditMismatch[];
  readonly accounts: number;
  readonly transfers: number;
  /** Channels checked: every one, against its signed evidence when claimed or finalized. */
  readonly channels: number;
  /** Signatures verified. */
  readonly signatures: number;
  readonly assets: readonly AssetTotals[];
}
