/**
 * The {@link LedgerDriver} over a pg pool. A write runs as one SERIALIZABLE transaction;
 * when PostgreSQL reports a serialization failure (40001), a deadlock (40P01), a unique
 * violation from a concurrent insert (23505), or a compare-and-set misses, the whole
 * script is re-run from the start on a fresh snapshot, at most
 * {@link pgTransactionAttemptsMax} times. A read runs as REPEATABLE READ READ ONLY: one
 * consistent snapshot.
 */
import type pg from 'pg';
import { LedgerError } from '../ledgerError.js';
import { pgRetryBackoffMsMax, pgTransactionAttemptsMax } from '../limits.js';
import type { LedgerDriver, StepHook, Txn } from '../store/txn.js';
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
  if (typeof code !== 'string') return /Connection terminated|connect/i.test((error as Error)?.message ?? '');
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

/** The driver; `hook` sees every step (fault injection in tests). */
export function pgDriver(pool: pg.Pool, hook?: StepHook): LedgerDriver {
  let closed = false;
  const stats = { transactions: 0, conflicts: 0 };
  const attempt = async <T>(operation: string, txn: () => Txn<T>, begin: string): Promise<T> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      const counter = { step: 0 };
      await client.query(begin);
      try {
        const result = await runScript(new PgStore(client), operation, txn(), hook, counter);
        hook?.({ operation, step: ++counter.step, label: 'commit' });
        await client.query('COMMIT');
        hook?.({ operation, step: ++counter.step, label: 'committed' });
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      }
    } catch (error) {
      if (isUnavailable(error)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  };
  const run = async <T>(operation: string, txn: () => Txn<T>, begin: string): Promise<T> => {
    if (closed) throw new LedgerError('UNAVAILABLE', 'PostgreSQL: the ledger is closed');
    for (let attempts = 1; ; attempts++) {
      try {
        stats.transactions++;
        return await attempt(operation, txn, begin);
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
          throw new LedgerError('UNAVAILABLE', `PostgreSQL: ${(error as Error).message}`, { cause: error });
        }
        throw error;
      }
    }
  };
  return {
    name: 'postgres',
    stats: () => ({ ...stats }),
    write: (operation, txn) => run(operation, txn, 'BEGIN ISOLATION LEVEL SERIALIZABLE'),
    read: (operation, txn) => run(operation, txn, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
