/**
 * Conservation, recomputed from scratch: every account's four sums from its transfers,
 * and per asset, the balances against money in minus money out. Pure: fed rows, returns
 * mismatches.
 */
import type { AccountRow, TransferRow } from '../store/rows.js';
import type { AssetTotals, AuditMismatch } from './auditReport.js';

type Sums = { debitsPending: bigint; debitsPosted: bigint; creditsPending: bigint; creditsPosted: bigint };
const sumFields = ['debitsPending', 'debitsPosted', 'creditsPending', 'creditsPosted'] as const;

/** Accumulates transfers, then compares with the accounts. */
export class ConservationCheck {
  private readonly sums = new Map<string, Sums>();
  private readonly flows = new Map<string, { moneyIn: bigint; moneyOut: bigint }>();
  transfers = 0;

  constructor(private readonly accounts: ReadonlyMap<string, AccountRow>) {}

  private sumsOf(id: string): Sums {
    let sums = this.sums.get(id);
    if (sums === undefined) {
      sums = { debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n };
      this.sums.set(id, sums);
    }
    return sums;
  }

  private flowOf(account: AccountRow | undefined) {
    const key = account === undefined ? '?' : `${account.assetCode}:${account.assetScale}`;
    let flow = this.flows.get(key);
    if (flow === undefined) {
      flow = { moneyIn: 0n, moneyOut: 0n };
      this.flows.set(key, flow);
    }
    return flow;
  }

  /** Adds one transfer. */
  add(row: TransferRow): void {
    this.transfers++;
    const debit = this.sumsOf(row.debitAccountId);
    const credit = this.sumsOf(row.creditAccountId);
    if (row.kind === 'pending') {
      if (row.pendingStatus === 'pending') {
        debit.debitsPending += row.amount;
        credit.creditsPending += row.amount;
      }
      return;
    }
    if (row.kind === 'void') return;
    debit.debitsPosted += row.amount;
    credit.creditsPosted += row.amount;
    const from = this.accounts.get(row.debitAccountId);
    const to = this.accounts.get(row.creditAccountId);
    if (from?.kind === 'external') this.flowOf(from).moneyIn += row.amount;
    if (to?.kind === 'external') this.flowOf(to).moneyOut += row.amount;
  }

  /** The mismatches and the per-asset totals. */
  finish(): { mismatches: AuditMismatch[]; assets: AssetTotals[] } {
    const mismatches: AuditMismatch[] = [];
    const balances = new Map<string, bigint>();
    for (const account of this.accounts.values()) {
      const asset = `${account.assetCode}:${account.assetScale}`;
      const sums = this.sumsOf(account.id);
      for (const field of sumFields) {
        if (sums[field] !== account[field]) {
          mismatches.push({
            kind: 'account-balance',
            accountId: account.id,
            asset,
            field,
            expected: sums[field].toString(),
            actual: account[field].toString(),
            message: `account ${account.id}: ${field} is ${account[field]}, its transfers sum to ${sums[field]}`,
          });
        }
      }
      if (account.kind !== 'external') {
        balances.set(asset, (balances.get(asset) ?? 0n) + account.creditsPosted - account.debitsPosted);
      }
      this.flowOf(account);
    }
    const assets = [...this.flows.keys()].sort().map((asset): AssetTotals => {
      const flow = this.flows.get(asset) as { moneyIn: bigint; moneyOut: bigint };
      return { asset, ...flow, balances: balances.get(asset) ?? 0n };
    });
    for (const totals of assets) {
      const expected = totals.moneyIn - totals.moneyOut;
      if (expected !== totals.balances) {
        mismatches.push({
          kind: 'conservation',
          asset: totals.asset,
          expected: expected.toString(),
          actual: totals.balances.toString(),
          message: `${totals.asset}: balances sum to ${totals.balances}, money in - out is ${expected}`,
        });
      }
    }
    return { mismatches, assets };
  }
}
