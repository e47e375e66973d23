/**
 * The invariant checked after every step: per asset, the balances of all non-external
 * accounts sum to the money that came in minus the money that went out (which is what the
 * external accounts' negative balances record), and no account that may not go negative
 * has. The full audit recomputes it all from the transfers as well.
 */
import { expect } from 'vitest';
import type { TrickleLedger } from '../../src/index.js';

/** Per asset: money in, money out, sum of balances, from one snapshot. */
export async function conservationOf(ledger: TrickleLedger) {
  const accounts = await ledger.balances();
  const byAsset = new Map<string, { held: bigint; external: bigint }>();
  for (const account of accounts) {
    const key = `${account.asset.code}:${account.asset.scale}`;
    const totals = byAsset.get(key) ?? { held: 0n, external: 0n };
    if (account.kind === 'external') totals.external += account.balance;
    else totals.held += account.balance;
    byAsset.set(key, totals);
    if (!account.allowNegative) {
      expect(account.balance, `${account.id} balance`).toBeGreaterThanOrEqual(0n);
      expect(account.available, `${account.id} available`).toBeGreaterThanOrEqual(0n);
    }
  }
  return byAsset;
}

/** Asserts conservation on one snapshot (and, with `audit`, the full audit). */
export async function expectConserved(ledger: TrickleLedger, options: { audit?: boolean } = {}): Promise<void> {
  for (const [asset, totals] of await conservationOf(ledger)) {
    expect(totals.held + totals.external, `conservation of ${asset}`).toBe(0n);
  }
  if (options.audit === true) {
    const report = await ledger.audit();
    expect(report.mismatches).toEqual([]);
  }
}
