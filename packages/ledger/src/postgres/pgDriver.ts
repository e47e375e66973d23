/**
 * The {@link LedgerDriver} over a pg pool. A write runs as one SERIALIZABLE transaction;
 * when PostgreSQL reports a serialization failure (40001), a deadlock (40P01), a unique
 * violation from a concurrent insert (23505), or a compare-and-set misses, the whole
 * script is re-run from the start on a fresh snapshot, at most
 * {@link pgTransactionAttemptsMax} times. A read runs as REPEATABLE READ READ ONLY: one
 * consistent snapshot.
 *
 * Hot rows (the external and fee accounts, a popular payee) make SERIALIZABLE writers
 * conflict: a `FOR UPDATE` that waits for another writer fails with 40001 once that writer
 * commits, because the waiting transaction's snapshot is older. So when the caller names
 * the accounts a write will update, the driver first takes session advisory locks on them
 * (in key order, just before BEGIN, so the snapshot is taken after the wait) and releases
 * them after COMMIT: writers of the same accounts queue instead of failing. The locks are
 * an optimisation only; correctness still rests on SERIALIZABLE, row locks and
 * compare-and-set.
 */
import { asError, sha256 } from '@trickle/protocol';
import type pg from 'pg';
import { LedgerError } from '../ledgerError.js';
import { pgAdvisoryLocksMax, pgRetryBackoffMsMax, pgTransactionAttemptsMax } from '../limits.js';
import type { LedgerDriver, StepHook, Txn, WriteHints } from '../store/txn.js';
import { PgStore, WriteConflict } from './pgStore.js';

const retryableCodes = new Set(['40001', '40P01', '23505']);

function isRetryable(error: unknown): boolean {
  if (error instanceof WriteConflict) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && retryableCodes.has(code);
}

/** True for errors that mean the server or the connection failed, not the logic. */
function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return /Connection terminated|connect/i.test(asError(error).message);
  return /^(08|53|57|58|XX)/.test(code) || /^E[A-Z]+$/.test(code);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runScript<T>(
  store: PgStore,
  operation: string,
  txn: Txn<T>,
  hook: StepHook | undefined,
  counter: { step: number },
): Promise<T> {
  let reply: unknown;
  for (;;) {
    const next = txn.next(reply);
    if (next.done === true) return next.value;
    hook?.({ operation, step: ++counter.step, label: next.value.kind });
    reply = await store.handle(next.value);
  }
}

/** Advisory lock keys (signed int8 literals) for accounts in a namespace, sorted, at most the limit. */
export function advisoryKeys(namespace: string, accounts: readonly string[]): string[] {
  const encoder = new TextEncoder();
  const keys = new Set<bigint>();
  for (const account of new Set(accounts)) {
    const digest = sha256(encoder.encode(`trickle-ledger:${namespace}:${account}`));
    let key = 0n;
    for (let i = 0; i < 8; i++) key = (key << 8n) | BigInt(digest[i] as number);
    keys.add(BigInt.asIntN(64, key));
  }
  return [...keys]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, pgAdvisoryLocksMax)
    .map((key) => key.toString());
}

/** The driver; `namespace` scopes advisory locks (the schema); `hook` sees every step. */
export function pgDriver(pool: pg.Pool, namespace: string, hook?: StepHook): LedgerDriver {
  let closed = false;
  const stats = { transactions: 0, conflicts: 0 };
  const attempt = async <T>(operation: string, txn: () => Txn<T>, begin: string, keys: string[]): Promise<T> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    let locked = false;
    try {
      // Its own round trip, outside the transaction: the wait must end before the snapshot is taken.
      if (keys.length > 0) {
        locked = true;
        await client.query(`SELECT ${keys.map((key) => `pg_advisory_lock(${key})`).join(', ')}`);
      }
      const counter = { step: 0 };
      await client.query(begin);
      try {
        const result = await runScript(new PgStore(client), operation, txn(), hook, counter);
        hook?.({ operation, step: ++counter.step, label: 'commit' });
        await client.query(locked ? 'COMMIT; SELECT pg_advisory_unlock_all()' : 'COMMIT');
        locked = false;
        hook?.({ operation, step: ++counter.step, label: 'committed' });
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      }
    } catch (error) {
      if (isUnavailable(error)) broken = asError(error);
      throw error;
    } finally {
      // Never hand a connection holding advisory locks back to the pool.
      if (locked && broken === undefined) {
        await client.query('SELECT pg_advisory_unlock_all()').catch((unlockError: Error) => {
          broken = unlockError;
        });
      }
      client.release(broken);
    }
  };
  const run = async <T>(operation: string, txn: () => Txn<T>, begin: string, keys: string[] = []): Promise<T> => {
    if (closed) throw new LedgerError('UNAVAILABLE', 'PostgreSQL: the ledger is closed');
    for (let attempts = 1; ; attempts++) {
      try {
        stats.transactions++;
        return await attempt(operation, txn, begin, keys);
      } catch (error) {
        if (error instanceof LedgerError) throw error;
        if (isRetryable(error)) {
          if (attempts >= pgTransactionAttemptsMax) {
            throw new LedgerError('UNAVAILABLE', `PostgreSQL: ${operation} kept conflicting; nothing was changed`, {
              details: `${attempts} attempts`,
              cause: error,
            });
          }
          stats.conflicts++;
          await sleep(Math.random() * Math.min(pgRetryBackoffMsMax, 2 ** attempts));
          continue;
        }
        if (isUnavailable(error)) {
          throw new LedgerError('UNAVAILABLE', `PostgreSQL: ${asError(error).message}`, { cause: error });
        }
        throw error;
      }
    }
  };
  return {
    name: 'postgres',
    stats: () => ({ ...stats }),
    write: (operation, txn, hints?: WriteHints) =>
      run(operation, txn, 'BEGIN ISOLATION LEVEL SERIALIZABLE', advisoryKeys(namespace, hints?.accounts ?? [])),
    read: (operation, txn) => run(operation, txn, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
