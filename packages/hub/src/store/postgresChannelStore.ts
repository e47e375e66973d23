import { type PostgresConnection, runPostgresMigrations } from '@trickle/migrations';
import { asInvoiceId, asLogHead, asPayeeId, asSignature, present } from '@trickle/protocol';
import pg from 'pg';
import { bytesKey } from '../bytesKey.js';
import { HubError } from '../errors.js';
import type { AcceptedVoucher, ChannelStore, ChannelWrite, StoredEntry, WriteOutcome } from './channelStore.js';
import { leaseSchemaSql, type PostgresLeaseOptions, postgresLeases } from './postgresLeases.js';
import {
  bytesOf,
  type ChannelRow,
  type ClaimMarkRow,
  type ClearedRow,
  channelColumns,
  channelFromRow,
  channelValues,
  checkedQuery,
  claimMarkFromRow,
  clearedEntryFromRow,
  type InboxRow,
  inboxEntryFromRow,
  type MerchantRow,
  merchantFromRow,
  numberOf,
  openTotalOf,
  openTotalsSql,
  settlementIndexSql,
  settlementPageSql,
  settlementRowOf,
  unclaimedTotalOf,
  unclaimedTotalsSql,
  type WalletPayeeRow,
  walletPayeeFromRow,
} from './rows.js';

/** Options of {@link postgresChannelStore}. */
export interface PostgresChannelStoreOptions {
  /** A `postgres://` URL. */
  readonly connectionString: string;
  /** Schema of the tables (created if missing). Default `trickle_hub`. */
  readonly schema?: string;
  /** Most pooled connections. Default 4. */
  readonly connectionsMax?: number;
  /**
   * Several hub processes share this store as one hub (ADR 0231): channel leases with
   * fencing epochs (`store.leases`), every channel write checked against its lease in its
   * own transaction.
   */
  readonly cluster?: PostgresLeaseOptions;
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

function schemaSql(schema: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${schema};
CREATE TABLE IF NOT EXISTS ${schema}.channels (
  channel_id BYTEA PRIMARY KEY CHECK (length(channel_id) = 32),
  client_key BYTEA NOT NULL CHECK (length(client_key) = 33),
  asset_code TEXT NOT NULL,
  asset_scale SMALLINT NOT NULL CHECK (asset_scale BETWEEN 0 AND 18),
  deposit BIGINT NOT NULL CHECK (deposit >= 0),
  expires_at_ms BIGINT NOT NULL,
  seq BIGINT NOT NULL CHECK (seq >= 0),
  cumulative BIGINT NOT NULL CHECK (cumulative >= 0 AND cumulative <= deposit),
  log_head BYTEA NOT NULL CHECK (length(log_head) = 32),
  signature BYTEA CHECK (signature IS NULL OR length(signature) = 64),
  closing_since_ms BIGINT,
  closed_at_ms BIGINT
);
ALTER TABLE ${schema}.channels ADD COLUMN IF NOT EXISTS claimed_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ${schema}.channels ADD COLUMN IF NOT EXISTS claimed_cumulative BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ${schema}.channels ADD COLUMN IF NOT EXISTS unclaimed_since_ms BIGINT;
CREATE TABLE IF NOT EXISTS ${schema}.vouchers (
  channel_id BYTEA NOT NULL,
  seq BIGINT NOT NULL CHECK (seq >= 1),
  cumulative BIGINT NOT NULL CHECK (cumulative >= 0),
  log_head BYTEA NOT NULL CHECK (length(log_head) = 32),
  signature BYTEA NOT NULL CHECK (length(signature) = 64),
  PRIMARY KEY (channel_id, seq)
);
CREATE TABLE IF NOT EXISTS ${schema}.entries (
  channel_id BYTEA NOT NULL,
  seq BIGINT NOT NULL,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  payee BYTEA NOT NULL CHECK (length(payee) = 32),
  invoice_id BYTEA NOT NULL CHECK (length(invoice_id) = 16),
  amount BIGINT NOT NULL CHECK (amount >= 1),
  expires_at_ms BIGINT NOT NULL,
  PRIMARY KEY (channel_id, seq, idx)
);
CREATE INDEX IF NOT EXISTS entries_expiry ON ${schema}.entries (expires_at_ms);
CREATE TABLE IF NOT EXISTS ${schema}.invoices (
  payee BYTEA NOT NULL CHECK (length(payee) = 32),
  invoice_id BYTEA NOT NULL CHECK (length(invoice_id) = 16),
  expires_at_ms BIGINT NOT NULL,
  PRIMARY KEY (payee, invoice_id)
);
CREATE INDEX IF NOT EXISTS invoices_expiry ON ${schema}.invoices (expires_at_ms);
CREATE TABLE IF NOT EXISTS ${schema}.merchants (
  payee_id BYTEA PRIMARY KEY CHECK (length(payee_id) = 32),
  public_key BYTEA NOT NULL CHECK (length(public_key) = 33),
  assets TEXT NOT NULL,
  name TEXT NOT NULL,
  registered_at_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS ${schema}.wallet_payees (
  payee_id BYTEA PRIMARY KEY CHECK (length(payee_id) = 32),
  public_key BYTEA NOT NULL CHECK (length(public_key) = 33),
  registered_at_ms BIGINT NOT NULL,
  last_seq BIGINT NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
  acked_seq BIGINT NOT NULL DEFAULT 0 CHECK (acked_seq >= 0 AND acked_seq <= last_seq)
);
CREATE TABLE IF NOT EXISTS ${schema}.peer_invoices (
  payee_id BYTEA NOT NULL CHECK (length(payee_id) = 32),
  invoice_id BYTEA NOT NULL CHECK (length(invoice_id) = 16),
  amount BIGINT NOT NULL CHECK (amount >= 1),
  memo TEXT NOT NULL,
  payer BYTEA CHECK (payer IS NULL OR length(payer) = 32),
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  PRIMARY KEY (payee_id, invoice_id)
);
CREATE TABLE IF NOT EXISTS ${schema}.inbox (
  payee_id BYTEA NOT NULL CHECK (length(payee_id) = 32),
  seq BIGINT NOT NULL CHECK (seq >= 1),
  channel_id BYTEA NOT NULL CHECK (length(channel_id) = 32),
  voucher_seq BIGINT NOT NULL CHECK (voucher_seq >= 1),
  invoice_id BYTEA NOT NULL CHECK (length(invoice_id) = 16),
  asset_code TEXT NOT NULL,
  asset_scale SMALLINT NOT NULL,
  amount BIGINT NOT NULL CHECK (amount >= 1),
  mac BYTEA NOT NULL CHECK (length(mac) = 32),
  paid_at_ms BIGINT NOT NULL,
  PRIMARY KEY (payee_id, seq)
);
CREATE TABLE IF NOT EXISTS ${schema}.inbox_cleared (
  payee_id BYTEA NOT NULL CHECK (length(payee_id) = 32),
  seq BIGINT NOT NULL CHECK (seq >= 1),
  channel_id BYTEA NOT NULL CHECK (length(channel_id) = 32),
  after_voucher_seq BIGINT NOT NULL CHECK (after_voucher_seq >= 0),
  through_voucher_seq BIGINT NOT NULL CHECK (through_voucher_seq > after_voucher_seq),
  asset_code TEXT NOT NULL,
  asset_scale SMALLINT NOT NULL,
  payments BIGINT NOT NULL CHECK (payments >= 1),
  amount BIGINT NOT NULL CHECK (amount >= 1),
  cleared_at_ms BIGINT NOT NULL,
  PRIMARY KEY (payee_id, seq)
);`;
}

/**
 * The baseline (version 1 of the one migration runner, ADR 0228). Stores from before the
 * runner kept no version: they ran the statements of {@link schemaSql}, all of them
 * `IF NOT EXISTS`, at every start. Version 1 runs the same statements once more (so any of
 * those stores is brought to the same tables, its rows untouched), creates the lease tables
 * (ADR 0231) whether or not this process runs in a cluster (a store that becomes a cluster
 * later has them), and fills the invoice index of a store from before it (ADR 0210) with
 * the live invoices of its entries.
 */
async function createVersion1(connection: PostgresConnection, schema: string): Promise<void> {
  // A store from before the invoice index (ADR 0210) has entries and no invoices.
  const { rows: beforeInvoiceIndex } = await connection.query(
    'SELECT 1 WHERE to_regclass($1) IS NOT NULL AND to_regclass($2) IS NULL',
    [`${schema}.entries`, `${schema}.invoices`],
  );
  await connection.query(schemaSql(schema));
  await connection.query(leaseSchemaSql(schema));
  if (beforeInvoiceIndex.length > 0) {
    // The invoice index starts with the invoices of the stored entries that are still live.
    await connection.query(
      `INSERT INTO ${schema}.invoices (payee, invoice_id, expires_at_ms)
       SELECT payee, invoice_id, max(expires_at_ms) FROM ${schema}.entries WHERE expires_at_ms > $1
       GROUP BY payee, invoice_id ON CONFLICT DO NOTHING`,
      [Date.now()],
    );
  }
}

/**
 * Version 2 (ADR 0419): each channel keeps its count of entries not claimed yet (kept by
 * every commit and claim), filled here for the open channels from their entries beyond the
 * claim (a one-time cost of the upgrade); an open channel with unclaimed entries and no time
 * of the oldest gets now (what a start used to guess); and the partial indexes the
 * settlement scheduler pages through instead of holding every open channel in memory.
 */
async function createVersion2(connection: PostgresConnection, schema: string): Promise<void> {
  await connection.query(
    `ALTER TABLE ${schema}.channels ADD COLUMN unclaimed_entries BIGINT NOT NULL DEFAULT 0 CHECK (unclaimed_entries >= 0)`,
  );
  await connection.query(
    `UPDATE ${schema}.channels c SET unclaimed_entries = (SELECT count(*) FROM ${schema}.entries e
       WHERE e.channel_id = c.channel_id AND e.seq > c.claimed_seq)
     WHERE c.closed_at_ms IS NULL`,
  );
  await connection.query(
    `UPDATE ${schema}.channels SET unclaimed_since_ms = $1
     WHERE closed_at_ms IS NULL AND unclaimed_entries > 0 AND unclaimed_since_ms IS NULL`,
    [Date.now()],
  );
  for (const sql of settlementIndexSql) {
    await connection.query(sql.replaceAll('{p}', '').replaceAll('{t}', `${schema}.channels`));
  }
}

/** Buffers for pg parameters (pg sends Buffers as bytea; a bare Uint8Array would be sent as text). */
function param(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** int8 as text: never a float. */
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20) return (value: string) => value;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/**
 * Connects to PostgreSQL and creates the schema if needed.
 *
 * @example
 * ```ts
 * import { postgresChannelStore } from '@trickle/hub/postgres';
 * const store = await postgresChannelStore({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
 * await store.close();
 * ```
 */
export async function postgresChannelStore(options: PostgresChannelStoreOptions): Promise<ChannelStore> {
  const schema = options.schema ?? 'trickle_hub';
  if (!identifier.test(schema))
    throw new RangeError(`postgresChannelStore: schema "${schema}" is not a plain identifier`);
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.connectionsMax ?? 4, types });
  pool.on('error', () => {}); // idle-client errors surface on the next query instead of crashing the process
  const fail = (what: string, cause: unknown) =>
    new HubError('STORE_FAILED', `postgres channel store: ${what} failed`, { cause });
  const query = async <R>(what: string, sql: string, values: unknown[] = []): Promise<R[]> => {
    try {
      return (await pool.query(sql, values.map(param))).rows as R[];
    } catch (cause) {
      throw fail(what, cause);
    }
  };
  const leases =
    options.cluster === undefined
      ? undefined
      : postgresLeases(schema, (what, sql, values) => query(what, sql, values), options.cluster);
  try {
    await runPostgresMigrations(pool, {
      component: 'trickle-hub channel store',
      schema,
      versionTable: 'hub_migrations',
      // The key this store locked before the runner, so an older process starting beside a newer one waits too.
      lockKey: schema,
      migrations: [
        {
          version: 1,
          name: 'every table from before the runner, created when missing, with the invoice index filled on upgrade',
          up: (connection) => createVersion1(connection, schema),
        },
        {
          version: 2,
          name: "settlement indexes of open channels, with each channel's count of unclaimed entries (ADR 0419)",
          up: (connection) => createVersion2(connection, schema),
        },
      ],
    });
  } catch (cause) {
    await pool.end().catch(() => {});
    throw fail('schema creation', cause);
  }
  const t = (name: string) => `${schema}.${name}`;
  const claimInvoices = `INSERT INTO ${t('invoices')} (payee, invoice_id, expires_at_ms)
    SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bigint[]) ON CONFLICT DO NOTHING RETURNING payee, invoice_id`;
  const unclaimInvoices = `DELETE FROM ${t('invoices')}
    WHERE (payee, invoice_id) IN (SELECT * FROM unnest($1::bytea[], $2::bytea[]))`;
  const upsertChannel = `INSERT INTO ${t('channels')} (${channelColumns.join(', ')}, unclaimed_since_ms, unclaimed_entries)
    VALUES (${channelColumns.map((_, i) => `$${i + 1}`).join(', ')}, $${channelColumns.length + 1}, $${channelColumns.length + 2})
    ON CONFLICT (channel_id) DO UPDATE SET ${channelColumns
      .slice(1)
      .map((c) => `${c} = EXCLUDED.${c}`)
      .join(', ')}, unclaimed_since_ms = coalesce(${t('channels')}.unclaimed_since_ms, EXCLUDED.unclaimed_since_ms),
      unclaimed_entries = ${t('channels')}.unclaimed_entries + EXCLUDED.unclaimed_entries`;

  /**
   * Claims the write's invoices in the unique index, then writes it; when an invoice is taken
   * already, gives back what it claimed and writes nothing of it (the transaction goes on).
   */
  async function applyWrite(client: pg.PoolClient, write: ChannelWrite): Promise<WriteOutcome> {
    const vouchers = write.vouchers ?? [];
    const payees: unknown[] = [];
    const invoiceIds: unknown[] = [];
    const expiries: number[] = [];
    const origins: { seq: number; entry: number; key: string }[] = [];
    for (const v of vouchers) {
      v.entries.forEach((e, entry) => {
        origins.push({ seq: v.seq, entry, key: bytesKey(e.payee) + bytesKey(e.invoiceId) });
        payees.push(param(e.payee));
        invoiceIds.push(param(e.invoiceId));
        expiries.push(e.expiresAtMs);
      });
    }
    if (origins.length > 0) {
      const claimed = (await client.query(claimInvoices, [payees, invoiceIds, expiries])).rows as {
        payee: Uint8Array;
        invoice_id: Uint8Array;
      }[];
      if (claimed.length < origins.length) {
        const got = new Set(claimed.map((row) => bytesKey(row.payee) + bytesKey(row.invoice_id)));
        // Each claimed row answers one origin; the first left without one is taken already
        // (fewer rows than origins, so there is one, even when an invoice came twice).
        const taken = present(
          origins.find((origin) => !got.delete(origin.key)),
          'an invoice left unclaimed when fewer rows were claimed than asked',
        );
        if (claimed.length > 0) {
          await client.query(unclaimInvoices, [claimed.map((row) => row.payee), claimed.map((row) => row.invoice_id)]);
        }
        return { applied: false, paidInvoice: { seq: taken.seq, entry: taken.entry } };
      }
    }
    const since = vouchers.length > 0 ? (write.acceptedAtMs ?? null) : null;
    let entries = 0;
    for (const v of vouchers) entries += v.entries.length;
    await client.query(upsertChannel, [...channelValues(write.channel).map(param), since, entries]);
    if (vouchers.length === 0) return { applied: true };
    const id = param(write.channel.channelId);
    const vRows: unknown[] = [];
    const eRows: unknown[] = [];
    for (const v of vouchers) {
      vRows.push(id, param(v.seq), param(v.cumulative), param(v.logHead), param(v.signature));
      v.entries.forEach((e, idx) => {
        eRows.push(id, v.seq, idx, param(e.payee), param(e.invoiceId), param(e.amount), e.expiresAtMs);
      });
    }
    await client.query(
      `INSERT INTO ${t('vouchers')} (channel_id, seq, cumulative, log_head, signature) VALUES ${rowsSql(vouchers.length, 5)}`,
      vRows,
    );
    // 7 parameters per entry; PostgreSQL allows 65,535 per statement.
    for (let start = 0; start < eRows.length; start += 7 * 9_000) {
      const chunk = eRows.slice(start, start + 7 * 9_000);
      await client.query(
        `INSERT INTO ${t('entries')} (channel_id, seq, idx, payee, invoice_id, amount, expires_at_ms) VALUES ${rowsSql(chunk.length / 7, 7)}`,
        chunk,
      );
    }
    // Payments to wallet-payees: each takes its payee's next inbox seq (the row lock orders
    // concurrent commits of several processes) and goes into the inbox (ADR 0240).
    for (const p of write.incoming ?? []) {
      await client.query(
        `WITH next AS (UPDATE ${t('wallet_payees')} SET last_seq = last_seq + 1 WHERE payee_id = $1 RETURNING payee_id, last_seq)
         INSERT INTO ${t('inbox')} (payee_id, seq, channel_id, voucher_seq, invoice_id, asset_code, asset_scale, amount, mac, paid_at_ms)
         SELECT payee_id, last_seq, $2, $3, $4, $5, $6, $7, $8, $9 FROM next`,
        [
          param(p.payee),
          id,
          p.voucherSeq,
          param(p.invoiceId),
          write.channel.asset.code,
          write.channel.asset.scale,
          param(p.amount),
          param(p.mac),
          p.paidAtMs,
        ],
      );
    }
    return { applied: true };
  }

  /**
   * The fence (ADR 0231): which writes' channels this process still holds the lease of, at
   * the epoch it took, in this transaction. The lease rows are locked until COMMIT, so a
   * takeover waits for this commit and then reads the channel as it left it.
   */
  async function fence(client: pg.PoolClient, writes: readonly ChannelWrite[]): Promise<boolean[]> {
    const lease = present(leases, 'leases: the fence runs only in a cluster');
    const ids = writes.map((w) => param(w.channel.channelId));
    const rows = (
      await client.query(
        `SELECT channel_id, epoch FROM ${t('leases')} WHERE channel_id = ANY($1::bytea[]) AND owner = $2 FOR UPDATE`,
        [ids, lease.owner],
      )
    ).rows as { channel_id: Uint8Array; epoch: string }[];
    const inDatabase = new Map(rows.map((row) => [bytesKey(row.channel_id), BigInt(row.epoch)]));
    return writes.map((w) => {
      const epoch = lease.epochOf(w.channel.channelId);
      const held = epoch !== undefined && inDatabase.get(bytesKey(w.channel.channelId)) === epoch;
      if (!held) lease.lost(w.channel.channelId);
      return held;
    });
  }

  const claimMarkSql = `SELECT channel_id, claimed_seq, claimed_cumulative, unclaimed_since_ms, unclaimed_entries
    FROM ${t('channels')} WHERE closed_at_ms IS NULL`;
  const recordClaimsSql = `UPDATE ${t('channels')} AS c SET claimed_seq = v.seq, claimed_cumulative = v.cumulative,
       unclaimed_since_ms = CASE WHEN c.seq > v.seq THEN v.since ELSE NULL END,
       unclaimed_entries = (SELECT count(*) FROM ${t('entries')} e WHERE e.channel_id = c.channel_id AND e.seq > v.seq)
     FROM unnest($1::bytea[], $2::bigint[], $3::bigint[], $4::bigint[]) AS v (channel_id, seq, cumulative, since)
     WHERE c.channel_id = v.channel_id AND c.claimed_seq <= v.seq`;
  const recordClaimsValues = (claims: Parameters<ChannelStore['recordClaims']>[0]) => [
    claims.map((c) => param(c.channelId)),
    claims.map((c) => c.claimedSeq),
    claims.map((c) => c.claimedCumulative.toString()),
    claims.map((c) => c.unclaimedSinceMs),
  ];

  /** Runs `run` in one transaction on one client: committed when it resolves, rolled back when it throws. */
  async function inTransaction<T>(what: string, run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (cause) {
      throw fail('connect', cause);
    }
    // pg emits a lost connection's error on the client; the pool listens only while the
    // client is idle. Unheard while checked out, it would be an uncaught exception that
    // ends the hub: the query below fails with it instead, and the client is discarded.
    let lost: Error | undefined;
    const onLost = (error: Error) => {
      lost = error;
    };
    client.on('error', onLost);
    try {
      await client.query('BEGIN');
      const result = await run(client);
      await client.query('COMMIT');
      return result;
    } catch (cause) {
      if (lost === undefined) await client.query('ROLLBACK').catch(() => {});
      throw fail(what, cause);
    } finally {
      client.removeListener('error', onLost);
      client.release(lost);
    }
  }

  return {
    name: 'postgres',
    ...(leases === undefined ? {} : { leases }),
    async commit(writes) {
      if (writes.length === 0) return [];
      return inTransaction('commit', async (client) => {
        const fenced = leases === undefined ? undefined : await fence(client, writes);
        const outcomes: WriteOutcome[] = [];
        for (const [i, write] of writes.entries()) {
          outcomes.push(fenced?.[i] === false ? { applied: false, leaseLost: true } : await applyWrite(client, write));
        }
        return outcomes;
      });
    },
    async channel(channelId) {
      const rows = await query<ChannelRow>('channel', `SELECT * FROM ${t('channels')} WHERE channel_id = $1`, [
        channelId,
      ]);
      return rows[0] === undefined ? undefined : channelFromRow(rows[0]);
    },
    async openChannels() {
      return (await query<ChannelRow>('openChannels', `SELECT * FROM ${t('channels')} WHERE closed_at_ms IS NULL`)).map(
        channelFromRow,
      );
    },
    async vouchers(channelId, fromSeq, limit) {
      const end = fromSeq + limit;
      const rows = await query<{ seq: string; cumulative: string; log_head: Uint8Array; signature: Uint8Array }>(
        'vouchers',
        `SELECT seq, cumulative, log_head, signature FROM ${t('vouchers')} WHERE channel_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq`,
        [channelId, fromSeq, end],
      );
      const entryRows = await query<{
        seq: string;
        payee: Uint8Array;
        invoice_id: Uint8Array;
        amount: string;
        expires_at_ms: string;
      }>(
        'vouchers',
        `SELECT seq, payee, invoice_id, amount, expires_at_ms FROM ${t('entries')} WHERE channel_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq, idx`,
        [channelId, fromSeq, end],
      );
      const bySeq = new Map<number, StoredEntry[]>();
      for (const row of entryRows) {
        const seq = numberOf(row.seq);
        let list = bySeq.get(seq);
        if (list === undefined) {
          list = [];
          bySeq.set(seq, list);
        }
        list.push({
          payee: asPayeeId(bytesOf(row.payee)),
          invoiceId: asInvoiceId(bytesOf(row.invoice_id)),
          amount: BigInt(row.amount),
          expiresAtMs: numberOf(row.expires_at_ms),
        });
      }
      return rows.map(
        (row): AcceptedVoucher => ({
          seq: numberOf(row.seq),
          cumulative: BigInt(row.cumulative),
          logHead: asLogHead(bytesOf(row.log_head)),
          signature: asSignature(bytesOf(row.signature)),
          entries: bySeq.get(numberOf(row.seq)) ?? [],
        }),
      );
    },
    async claimMarks() {
      const rows = await query<ClaimMarkRow>('claimMarks', claimMarkSql);
      return rows.map(claimMarkFromRow);
    },
    async claimMark(channelId) {
      const rows = await query<ClaimMarkRow>('claimMark', `${claimMarkSql} AND channel_id = $1`, [channelId]);
      return rows[0] === undefined ? undefined : claimMarkFromRow(rows[0]);
    },
    async settlementChannels(settlementQuery) {
      const { sql, values } = settlementPageSql(t('channels'), checkedQuery(settlementQuery), (n) => `$${n}`);
      const rows = await query<{ channel_id: Uint8Array; key: string }>('settlementChannels', sql, values);
      return rows.map(settlementRowOf);
    },
    async unclaimedTotals() {
      const rows = await query<Parameters<typeof unclaimedTotalOf>[0]>(
        'unclaimedTotals',
        unclaimedTotalsSql(t('channels')),
      );
      return rows.map(unclaimedTotalOf);
    },
    async openTotals(nowMs) {
      const rows = await query<Parameters<typeof openTotalOf>[0]>('openTotals', openTotalsSql(t('channels'), '$1'), [
        nowMs,
      ]);
      return rows.map(openTotalOf);
    },
    async recordClaims(claims, cleared = []) {
      if (claims.length === 0 && cleared.length === 0) return;
      if (cleared.length > 0) {
        await inTransaction('recordClaims', async (client) => {
          // The channels' rows locked first (in one order): a claim recorded by two processes at once notifies once.
          const channelIds = [...new Set(cleared.map((c) => Buffer.from(c.channelId).toString('hex')))].sort();
          await client.query(
            `SELECT 1 FROM ${t('channels')} WHERE channel_id = ANY($1::bytea[]) ORDER BY channel_id FOR UPDATE`,
            [channelIds.map((hex) => Buffer.from(hex, 'hex'))],
          );
          // The notices first: their guard reads the claim marks before this transaction moves them (ADR 0243).
          for (const c of cleared) {
            await client.query(
              `WITH next AS (UPDATE ${t('wallet_payees')} SET last_seq = last_seq + 1
                 WHERE payee_id = $1 AND EXISTS (SELECT 1 FROM ${t('channels')} WHERE channel_id = $2 AND claimed_seq < $3)
                 RETURNING payee_id, last_seq)
               INSERT INTO ${t('inbox_cleared')} (payee_id, seq, channel_id, after_voucher_seq, through_voucher_seq,
                 asset_code, asset_scale, payments, amount, cleared_at_ms)
               SELECT payee_id, last_seq, $2, $4, $3, $5, $6, $7, $8, $9 FROM next`,
              [
                c.payee,
                c.channelId,
                c.throughVoucherSeq,
                c.afterVoucherSeq,
                c.asset.code,
                c.asset.scale,
                c.payments,
                c.amount,
                c.clearedAtMs,
              ].map(param),
            );
          }
          if (claims.length > 0) await client.query(recordClaimsSql, recordClaimsValues(claims).map(param));
        });
        return;
      }
      await query('recordClaims', recordClaimsSql, recordClaimsValues(claims));
    },
    async sweepInvoices(expiredBeforeMs, limit) {
      const rows = await query<{ n: string }>(
        'sweepInvoices',
        `WITH gone AS (DELETE FROM ${t('invoices')} WHERE ctid IN (
           SELECT ctid FROM ${t('invoices')} WHERE expires_at_ms < $1 ORDER BY expires_at_ms LIMIT $2) RETURNING 1)
         SELECT count(*) AS n FROM gone`,
        [expiredBeforeMs, limit],
      );
      return numberOf(rows[0]?.n ?? 0);
    },
    async putMerchant(merchant) {
      await query(
        'putMerchant',
        `INSERT INTO ${t('merchants')} (payee_id, public_key, assets, name, registered_at_ms) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (payee_id) DO UPDATE SET public_key = EXCLUDED.public_key, assets = EXCLUDED.assets, name = EXCLUDED.name`,
        [merchant.payeeId, merchant.publicKey, JSON.stringify(merchant.assets), merchant.name, merchant.registeredAtMs],
      );
    },
    async merchants() {
      const rows = await query<MerchantRow>('merchants', `SELECT * FROM ${t('merchants')}`);
      return rows.map(merchantFromRow);
    },
    async putWalletPayee(payee) {
      await query(
        'putWalletPayee',
        `INSERT INTO ${t('wallet_payees')} (payee_id, public_key, registered_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [payee.payeeId, payee.publicKey, payee.registeredAtMs],
      );
    },
    async walletPayee(payeeId) {
      const rows = await query<WalletPayeeRow>(
        'walletPayee',
        `SELECT * FROM ${t('wallet_payees')} WHERE payee_id = $1`,
        [payeeId],
      );
      return rows[0] === undefined ? undefined : walletPayeeFromRow(rows[0]);
    },
    async walletPayees() {
      return (await query<WalletPayeeRow>('walletPayees', `SELECT * FROM ${t('wallet_payees')}`)).map(
        walletPayeeFromRow,
      );
    },
    async putPeerInvoice(invoice) {
      await query(
        'putPeerInvoice',
        `INSERT INTO ${t('peer_invoices')} (payee_id, invoice_id, amount, memo, payer, created_at_ms, expires_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [
          invoice.payee,
          invoice.invoiceId,
          invoice.amount,
          invoice.memo,
          invoice.from ?? null,
          invoice.createdAtMs,
          invoice.expiresAtMs,
        ],
      );
    },
    async inbox(payeeId, afterSeq, limit) {
      const rows = await query<InboxRow>(
        'inbox',
        `SELECT i.*, p.memo, p.payer FROM ${t('inbox')} i
         LEFT JOIN ${t('peer_invoices')} p ON p.payee_id = i.payee_id AND p.invoice_id = i.invoice_id
         WHERE i.payee_id = $1 AND i.seq > $2 ORDER BY i.seq LIMIT $3`,
        [payeeId, afterSeq, limit],
      );
      return rows.map(inboxEntryFromRow);
    },
    async inboxCleared(payeeId, afterSeq, limit) {
      const rows = await query<ClearedRow>(
        'inboxCleared',
        `SELECT * FROM ${t('inbox_cleared')} WHERE payee_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [payeeId, afterSeq, limit],
      );
      return rows.map(clearedEntryFromRow);
    },
    async ackInbox(payeeId, seq) {
      await query(
        'ackInbox',
        `UPDATE ${t('wallet_payees')} SET acked_seq = greatest(acked_seq, least($1, last_seq)) WHERE payee_id = $2`,
        [seq, payeeId],
      );
    },
    async close() {
      // Given back, so the other processes serve these channels at once, not after expiry.
      if (leases !== undefined) await leases.release(leases.held()).catch(() => undefined);
      await pool.end();
    },
  };
}

function rowsSql(rows: number, columns: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < columns; c++) cells.push(`$${r * columns + c + 1}`);
    out.push(`(${cells.join(', ')})`);
  }
  return out.join(', ');
}
