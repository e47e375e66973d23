/**
 * The baseline channels exist to beat: every payment one ledger transaction (payer debited,
 * merchant credited), on whichever ledger the benchmark opened (SQLite for P3, PostgreSQL
 * for P8).
 *
 * @example
 * ```ts
 * const pay = await perPaymentTransfers(ledger);
 * await pay(); // one durable transfer of 3 minor units
 * ```
 */
import type { TrickleLedger } from '@trickle/ledger';

/**
 * Creates a funded payer and a merchant on `ledger` and returns a function that moves 3
 * minor units from one to the other as one transaction, throwing unless it was created.
 */
export async function perPaymentTransfers(ledger: TrickleLedger): Promise<() => Promise<void>> {
  const asset = { code: 'USD', scale: 6 };
  await ledger.createAccounts([
    { id: 'world', asset, kind: 'external', allowNegative: true },
    { id: 'payer', asset, kind: 'payer' },
    { id: 'merchant', asset, kind: 'payee' },
  ]);
  await ledger.createTransfers([{ id: 'fund', debitAccountId: 'world', creditAccountId: 'payer', amount: 10n ** 15n }]);
  let id = 0;
  return async () => {
    const [result] = await ledger.createTransfers([
      { id: `p${id++}`, debitAccountId: 'payer', creditAccountId: 'merchant', amount: 3n },
    ]);
    if (result?.status !== 'created') throw new Error(`ledger transfer: ${JSON.stringify(result)}`);
  };
}
