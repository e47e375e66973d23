/** The audit as a function, for the CLI and scripts. */
import type { Verifier } from '@trickle/protocol';
import type { TrickleLedger } from '../createChannelLedger.js';
import type { AuditReport } from './auditReport.js';

/**
 * Audits a ledger on one consistent snapshot: for every channel, each stored voucher's
 * signature, the entries' hash chain and sums, the claimed state, per-payee net and fee
 * against the published rule, deposits, refund and escrow balance; then every account's
 * sums against its transfers and, per asset, balances against money in minus money out.
 *
 * @example
 * ```ts
 * import { auditLedger, type TrickleLedger } from '@trickle/ledger';
 * declare const ledger: TrickleLedger;
 * const report = await auditLedger(ledger);
 * if (!report.ok) console.table(report.mismatches);
 * ```
 */
export function auditLedger(
  ledger: TrickleLedger,
  options: { readonly verifier?: Verifier } = {},
): Promise<AuditReport> {
  return ledger.audit(options);
}
