/** I/O failures are typed: `UNAVAILABLE`, with the driver's error as `cause`. */

import { domain } from '@trickle/testing/harness';
import { describe, expect, it } from 'vitest';
import { LedgerError } from '../src/index.js';
import { postgresLedger } from '../src/postgres.js';
import { sqliteLedger } from '../src/sqlite.js';

describe('UNAVAILABLE', () => {
  it('PostgreSQL that cannot be reached', async () => {
    const opening = postgresLedger({ domain, feePpm: 0, connectionString: 'postgres://postgres@127.0.0.1:1/test' });
    await expect(opening).rejects.toBeInstanceOf(LedgerError);
    await expect(opening).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const error = await opening.catch((e: LedgerError) => e);
    expect((error as LedgerError).cause).toBeDefined();
  });

  it('a SQLite file that cannot be opened, and a closed ledger', async () => {
    await expect(sqliteLedger({ domain, feePpm: 0, filename: '/nonexistent-dir/ledger.db' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    const ledger = await sqliteLedger({ domain, feePpm: 0, filename: ':memory:' });
    await ledger.close();
    await expect(ledger.balances()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
