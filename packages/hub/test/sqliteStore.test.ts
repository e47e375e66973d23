/** The SQLite store's own machinery: the writer thread's batch format and the migration from the first layout. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packSqlBatch, type SqlGroup, type SqlValue, sqlBatchSource } from '../src/store/sqlBatch.js';
import { sqliteChannelStore } from '../src/store/sqliteChannelStore.js';
import { channelFixture, voucherFixture } from './channelStore.conformance.js';

const unpackSqlBatch = new Function(`${sqlBatchSource}; return unpackSqlBatch;`)() as (
  buffer: ArrayBuffer,
) => { claims: unknown[][]; statements: [number, unknown[]][] }[];

describe('the writer thread batch format', () => {
  it('unpacks exactly what was packed (property)', () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.uint8Array({ maxLength: 300 }),
      fc.string({ maxLength: 40 }),
    );
    const values = fc.array(value, { maxLength: 12 });
    const decodedValues = (list: SqlValue[]) =>
      list.map((v) => (v instanceof Uint8Array ? Buffer.from(v) : Object.is(v, -0) ? -0 : v));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            claims: fc.array(values, { maxLength: 4 }),
            statements: fc.array(fc.record({ statement: fc.integer({ min: 0, max: 255 }), values }), { maxLength: 8 }),
          }),
          { maxLength: 6 },
        ),
        (groups) => {
          const decoded = unpackSqlBatch(packSqlBatch(groups as SqlGroup[]));
          expect(decoded).toEqual(
            groups.map(({ claims, statements }) => ({
              claims: claims.map((c) => decodedValues(c as SqlValue[])),
              statements: statements.map(({ statement, values: v }) => [statement, decodedValues(v as SqlValue[])]),
            })),
          );
        },
      ),
    );
  });

  it('refuses what it cannot carry', () => {
    expect(() => packSqlBatch([{ claims: [], statements: [{ statement: 256, values: [] }] }])).toThrow(RangeError);
    const bad = [{ claims: [], statements: [{ statement: 0, values: [true as unknown as SqlValue] }] }];
    expect(() => packSqlBatch(bad)).toThrow(TypeError);
  });
});

describe('sqliteChannelStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trickle-sqlite-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates a store of the first layout (one row per entry) and reads it back exactly', async () => {
    const path = join(dir, 'channels.sqlite');
    const channel = channelFixture('legacy', { seq: 2, cumulative: 6n });
    const v1 = voucherFixture(1, 3n, 2, 1_000);
    const v2 = voucherFixture(2, 6n, 3, 4_000_000_000_000);
    const legacy = new Database(path);
    legacy.exec(`
      CREATE TABLE channels (channel_id BLOB PRIMARY KEY, client_key BLOB NOT NULL, asset_code TEXT NOT NULL,
        asset_scale INTEGER NOT NULL, deposit INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL, seq INTEGER NOT NULL,
        cumulative INTEGER NOT NULL, log_head BLOB NOT NULL, signature BLOB, closing_since_ms INTEGER, closed_at_ms INTEGER) STRICT;
      CREATE TABLE vouchers (channel_id BLOB NOT NULL, seq INTEGER NOT NULL CHECK (seq >= 1), cumulative INTEGER NOT NULL,
        log_head BLOB NOT NULL, signature BLOB NOT NULL, PRIMARY KEY (channel_id, seq)) STRICT, WITHOUT ROWID;
      CREATE TABLE entries (channel_id BLOB NOT NULL, seq INTEGER NOT NULL, idx INTEGER NOT NULL, payee BLOB NOT NULL,
        invoice_id BLOB NOT NULL, amount INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL,
        PRIMARY KEY (channel_id, seq, idx)) STRICT, WITHOUT ROWID;
      CREATE INDEX entries_expiry ON entries (expires_at_ms);
      CREATE TABLE merchants (payee_id BLOB PRIMARY KEY, public_key BLOB NOT NULL, assets TEXT NOT NULL, name TEXT NOT NULL,
        registered_at_ms INTEGER NOT NULL) STRICT;`);
    legacy
      .prepare('INSERT INTO channels VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        channel.channelId,
        channel.clientKey,
        'USD',
        6,
        channel.deposit,
        channel.expiresAtMs,
        2,
        6n,
        channel.logHead,
        null,
        null,
        null,
      );
    for (const v of [v1, v2]) {
      legacy
        .prepare('INSERT INTO vouchers VALUES (?, ?, ?, ?, ?)')
        .run(channel.channelId, v.seq, v.cumulative, v.logHead, v.signature);
      v.entries.forEach((e, idx) => {
        legacy
          .prepare('INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(channel.channelId, v.seq, idx, e.payee, e.invoiceId, e.amount, e.expiresAtMs);
      });
    }
    legacy.close();

    const store = sqliteChannelStore({ path });
    try {
      expect(await store.channel(channel.channelId)).toEqual(channel);
      expect(await store.vouchers(channel.channelId, 1, 10)).toEqual([v1, v2]);
      // Nothing was claimed before claim marks existed: every entry counts as unclaimed, since
      // the upgrade (ADR 0419: the time a start used to guess is now written once).
      const upgradedAtMs = Date.now();
      const marks = await store.claimMarks();
      expect(marks).toEqual([
        {
          channelId: channel.channelId,
          claimedSeq: 0,
          claimedCumulative: 0n,
          unclaimedEntries: 5,
          unclaimedSinceMs: expect.any(Number),
        },
      ]);
      expect(marks[0]?.unclaimedSinceMs).toBeLessThanOrEqual(upgradedAtMs);
      expect(marks[0]?.unclaimedSinceMs).toBeGreaterThan(upgradedAtMs - 60_000);
      // The invoice index is filled with the invoices still live at the upgrade (v2's; v1's expired long ago).
      const replay = { ...voucherFixture(3, 9n, 1), entries: [v2.entries[0] as (typeof v2.entries)[number]] };
      expect(await store.commit([{ channel: { ...channel, seq: 3, cumulative: 9n }, vouchers: [replay] }])).toEqual([
        { applied: false, paidInvoice: { seq: 3, entry: 0 } },
      ]);
      const v3 = voucherFixture(3, 9n, 1);
      await store.commit([{ channel: { ...channel, seq: 3, cumulative: 9n }, vouchers: [v3] }]);
      expect(await store.vouchers(channel.channelId, 3, 1)).toEqual([v3]);
    } finally {
      await store.close();
    }
    const check = new Database(path, { readonly: true });
    const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    expect(tables.map((t) => t.name).sort()).toEqual([
      'channels',
      'inbox',
      'inbox_cleared',
      'invoices',
      'merchants',
      'peer_invoices',
      'vouchers',
      'wallet_payees',
    ]);
    expect(check.pragma('user_version', { simple: true })).toBe(7);
    check.close();
    // Opening again is a no-op.
    const again = sqliteChannelStore({ path });
    expect(await again.vouchers(channel.channelId, 1, 10)).toHaveLength(3);
    await again.close();
  });

  it('a commit on the writer thread is visible to reads as soon as it resolves', async () => {
    const store = sqliteChannelStore({ path: join(dir, 'channels.sqlite'), writer: 'thread' });
    try {
      for (let seq = 1; seq <= 20; seq++) {
        const channel = channelFixture('visible', { seq, cumulative: BigInt(seq) });
        await store.commit([{ channel, vouchers: [voucherFixture(seq, BigInt(seq), 1)] }]);
        expect((await store.channel(channel.channelId))?.seq).toBe(seq);
      }
    } finally {
      await store.close();
    }
  });
});
