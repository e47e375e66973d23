/**
 * Channel stores created by the code from before the one migration runner (ADR 0228) open
 * with it unchanged: built here from the statements that code ran (frozen in preRunner/),
 * with a channel and its vouchers written into them by hand, then opened by today's stores.
 * And a store newer than the code is refused, unchanged.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaVersionError } from '@trickle/migrations';
import { dropSchema, postgresQuery, postgresUrl, uniqueSchema } from '@trickle/testing/harness';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { HubError } from '../src/errors.js';
import type { ChannelStore } from '../src/store/channelStore.js';
import { packEntries } from '../src/store/entryBlob.js';
import { postgresChannelStore } from '../src/store/postgresChannelStore.js';
import { channelColumns, channelValues } from '../src/store/rows.js';
import { sqliteChannelStore } from '../src/store/sqliteChannelStore.js';
import { channelFixture, voucherFixture } from './channelStore.conformance.js';

const preRunner = (name: string) => readFileSync(join(import.meta.dirname, 'preRunner', name), 'utf8');
const channel = channelFixture('before the runner', { seq: 2, cumulative: 6n });
const vouchers = [voucherFixture(1, 3n, 2), voucherFixture(2, 6n, 3)];
const placeholders = (count: number, from = 1) => Array.from({ length: count }, (_, i) => `$${i + from}`).join(', ');

/**
 * The upgrade to the settlement indexes (ADR 0419) counted the channel's entries beyond its
 * claim (none claimed: all of them), gave them a time, and the indexes find the channel.
 */
async function expectUnclaimedCounted(store: ChannelStore): Promise<void> {
  const entries = vouchers.reduce((n, v) => n + v.entries.length, 0);
  const mark = await store.claimMark(channel.channelId);
  expect(mark).toMatchObject({ claimedSeq: 0, unclaimedEntries: entries });
  expect(mark?.unclaimedSinceMs).toBeTypeOf('number');
  expect(await store.settlementChannels({ by: 'unclaimedEntries', bound: 1n, limit: 10 })).toEqual([
    { channelId: channel.channelId, key: BigInt(entries) },
  ]);
}

describe('SQLite channel store from before the runner', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-upgrade-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A file as that code left it at `version` (5 or 6): its statements, user_version, and a channel with its vouchers. */
  function oldStore(path: string, version: 5 | 6): void {
    const db = new Database(path);
    db.exec(preRunner('channelStore.sqlite.sql'));
    if (version === 6) db.exec(preRunner('channelStore.v6.sqlite.sql'));
    db.pragma(`user_version = ${version}`);
    db.prepare(
      `INSERT INTO channels (${channelColumns.join(', ')}) VALUES (${channelColumns.map(() => '?').join(', ')})`,
    ).run(...channelValues(channel));
    for (const v of vouchers) {
      const { blob, expiresAtMsMax } = packEntries(v.entries);
      db.prepare('INSERT INTO vouchers VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        channel.channelId,
        v.seq,
        v.cumulative,
        v.logHead,
        v.signature,
        blob,
        expiresAtMsMax,
      );
    }
    db.close();
  }

  it.each([5, 6] as const)(
    'opens a file of version %i, its channel and vouchers as they were, at version 7 with its unclaimed entries counted',
    async (version) => {
      const path = join(dir, `v${version}.sqlite`);
      oldStore(path, version);
      const store = sqliteChannelStore({ path });
      try {
        expect(await store.channel(channel.channelId)).toEqual(channel);
        expect(await store.vouchers(channel.channelId, 1, 10)).toEqual(vouchers);
        await expectUnclaimedCounted(store);
      } finally {
        await store.close();
      }
      const check = new Database(path, { readonly: true });
      expect(check.pragma('user_version', { simple: true })).toBe(7);
      expect(check.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'inbox_cleared'").pluck().get()).toBe(1);
      check.close();
    },
  );

  it('refuses a file of a newer version, naming both, and leaves it as it was', async () => {
    const path = join(dir, 'v8.sqlite');
    oldStore(path, 6);
    const db = new Database(path);
    db.pragma('user_version = 8');
    db.close();
    let error: unknown;
    try {
      sqliteChannelStore({ path });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HubError);
    expect(error).toMatchObject({ code: 'STORE_FAILED' });
    expect((error as HubError).cause).toBeInstanceOf(SchemaVersionError);
    expect((error as HubError).cause).toMatchObject({ found: 8, known: 7 });
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(8);
    expect(check.prepare('SELECT count(*) FROM vouchers').pluck().get()).toBe(2);
    check.close();
  });
});

describe('PostgreSQL channel store from before the runner', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('opens unchanged, its channel and vouchers as they were, now at version 2 with the lease tables and its unclaimed entries counted', async () => {
    const schema = uniqueSchema('hub_upgrade_test');
    schemas.push(schema);
    // What that code ran at every start (no version kept), then a channel and its vouchers.
    await postgresQuery(preRunner('channelStore.postgres.sql').replaceAll('{schema}', schema));
    const values = channelValues(channel).map((value) =>
      value instanceof Uint8Array ? Buffer.from(value) : typeof value === 'bigint' ? value.toString() : value,
    );
    await postgresQuery(
      `INSERT INTO ${schema}.channels (${channelColumns.join(', ')}) VALUES (${placeholders(channelColumns.length)})`,
      values,
    );
    for (const v of vouchers) {
      await postgresQuery(`INSERT INTO ${schema}.vouchers VALUES ($1, $2, $3, $4, $5)`, [
        Buffer.from(channel.channelId),
        v.seq,
        v.cumulative.toString(),
        Buffer.from(v.logHead),
        Buffer.from(v.signature),
      ]);
      for (const [idx, e] of v.entries.entries()) {
        await postgresQuery(`INSERT INTO ${schema}.entries VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          Buffer.from(channel.channelId),
          v.seq,
          idx,
          Buffer.from(e.payee),
          Buffer.from(e.invoiceId),
          e.amount.toString(),
          e.expiresAtMs,
        ]);
      }
    }
    const store = await postgresChannelStore({ connectionString: postgresUrl, schema });
    try {
      expect(await store.channel(channel.channelId)).toEqual(channel);
      expect(await store.vouchers(channel.channelId, 1, 10)).toEqual(vouchers);
      await expectUnclaimedCounted(store);
    } finally {
      await store.close();
    }
    const { rows } = await postgresQuery(`SELECT version FROM ${schema}.hub_migrations ORDER BY version`);
    expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
    const { rows: leases } = await postgresQuery('SELECT to_regclass($1) IS NOT NULL AS leases', [`${schema}.leases`]);
    expect(leases).toEqual([{ leases: true }]);
    // Opening again changes nothing.
    const again = await postgresChannelStore({ connectionString: postgresUrl, schema });
    expect(await again.vouchers(channel.channelId, 1, 10)).toEqual(vouchers);
    await again.close();
  });
});
