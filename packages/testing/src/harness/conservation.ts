/**
 * The invariant checked after every step: per asset, the balances of all non-external
 * accounts sum to the money that came in minus the money that went out (which is what the
 * external accounts' negative balances record), and no account that may not go negative
 * has. The full audit recomputes it all from the transfers as well.
 */
import { AssertionError } from 'node:assert';
import type { TrickleLedger } from '@trickle/ledger';

/** Per asset (`code:scale`): what the accounts hold and what the external accounts record, from one snapshot. */
export type ConservationTotals = Map<string, { held: bigint; external: bigint }>;

/**
 * Per asset, the money held and the external accounts' balance, from one snapshot; throws
 * `AssertionError` if an account that may not go negative has.
 *
 * @example
 * ```ts
 * import { conservationOf } from '@trickle/testing/harness';
 * declare const ledger: import('@trickle/ledger').TrickleLedger;
 * const usd = (await conservationOf(ledger)).get('USD:6'); // { held, external }
 * ```
 */
export async function conservationOf(ledger: TrickleLedger): Promise<ConservationTotals> {
  const accounts = await ledger.balances();
  const byAsset: ConservationTotals = new Map();
  for (const account of accounts) {
    const key = `${account.asset.code}:${account.asset.scale}`;
    const totals = byAsset.get(key) ?? { held: 0n, external: 0n };
    if (account.kind === 'external') totals.external += account.balance;
    else totals.held += account.balance;
    byAsset.set(key, totals);
    if (!account.allowNegative && (account.balance < 0n || account.available < 0n)) {
      throw new AssertionError({
        message: `${account.id}: balance ${account.balance}, available ${account.available}, and it may not go negative`,
      });
    }
  }
  return byAsset;
}

/**
 * Asserts conservation on one snapshot (and, with `audit`, that the full audit finds no
 * mismatch); throws `AssertionError` naming what broke.
 *
 * @example
 * ```ts
 * import { expectConserved } from '@trickle/testing/harness';
 * declare const ledger: import('@trickle/ledger').TrickleLedger;
 * await expectConserved(ledger, { audit: true });
 * ```
 */
export async function expectConserved(ledger: TrickleLedger, options: { audit?: boolean } = {}): Promise<void> {
  for (const [asset, totals] of await conservationOf(ledger)) {
    if (totals.held + totals.external !== 0n) {
      throw new AssertionError({
        message: `conservation of ${asset}: accounts hold ${totals.held}, but outside money is ${-totals.external}`,
      });
    }
  }
  if (options.audit === true) {
    const report = await ledger.audit();
    if (report.mismatches.length > 0) {
      throw new AssertionError({
        message: `audit: ${report.mismatches.length} mismatches`,
        actual: report.mismatches,
        expected: [],
      });
    }
  }
}
