/** Row mapping shared by the SQL adapters: bytes as Uint8Array, amounts as bigint, times as number. */
import type { Asset, HubChannel } from '@trickle/protocol';
import { asChannelId, asInvoiceId, asLogHead, asMac, asPayeeId, asPublicKey, asSignature } from '@trickle/protocol';
import type {
  ClaimMark,
  ClearedEntry,
  InboxEntry,
  MerchantRecord,
  OpenTotal,
  SettlementIndex,
  SettlementQuery,
  SettlementRow,
  UnclaimedTotal,
  WalletPayeeRecord,
} from './channelStore.js';

/** A channel row as both SQL adapters name its columns. */
export interface ChannelRow {
  channel_id: Uint8Array;
  client_key: Uint8Array;
  asset_code: string;
  asset_scale: number | bigint | string;
  deposit: number | bigint | string;
  expires_at_ms: number | bigint | string;
  seq: number | bigint | string;
  cumulative: number | bigint | string;
  log_head: Uint8Array;
  signature: Uint8Array | null;
  closing_since_ms: number | bigint | string | null;
  closed_at_ms: number | bigint | string | null;
}

/** A plain Uint8Array view of a Buffer (no Buffer leaks into protocol values). */
export function bytesOf(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
}

/** A safe integer from a database integer (bigint, string or number). */
export function numberOf(value: number | bigint | string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`store: ${String(value)} is not a safe integer`);
  return n;
}

/** The channel a row holds. */
export function channelFromRow(row: ChannelRow): HubChannel {
  const asset: Asset = { code: row.asset_code, scale: numberOf(row.asset_scale) };
  return {
    channelId: asChannelId(bytesOf(row.channel_id)),
    clientKey: asPublicKey(bytesOf(row.client_key)),
    asset,
    deposit: BigInt(row.deposit),
    expiresAtMs: numberOf(row.expires_at_ms),
    seq: numberOf(row.seq),
    cumulative: BigInt(row.cumulative),
    logHead: asLogHead(bytesOf(row.log_head)),
    ...(row.signature === null ? {} : { signature: asSignature(bytesOf(row.signature)) }),
    ...(row.closing_since_ms === null ? {} : { closingSinceMs: numberOf(row.closing_since_ms) }),
    ...(row.closed_at_ms === null ? {} : { closedAtMs: numberOf(row.closed_at_ms) }),
  };
}

/** Column values of a channel, in the order of {@link channelColumns}. */
export function channelValues(channel: HubChannel): unknown[] {
  return [
    channel.channelId,
    channel.clientKey,
    channel.asset.code,
    channel.asset.scale,
    channel.deposit,
    channel.expiresAtMs,
    channel.seq,
    channel.cumulative,
    channel.logHead,
    channel.signature ?? null,
    channel.closingSinceMs ?? null,
    channel.closedAtMs ?? null,
  ];
}

/** The channel columns, in the order of {@link channelValues}. */
export const channelColumns = [
  'channel_id',
  'client_key',
  'asset_code',
  'asset_scale',
  'deposit',
  'expires_at_ms',
  'seq',
  'cumulative',
  'log_head',
  'signature',
  'closing_since_ms',
  'closed_at_ms',
] as const;

/** A merchants row as both SQL adapters name its columns. */
export interface MerchantRow {
  payee_id: Uint8Array;
  public_key: Uint8Array;
  assets: string;
  name: string;
  registered_at_ms: number | bigint | string;
}

/** The merchant a row holds. */
export function merchantFromRow(row: MerchantRow): MerchantRecord {
  return {
    payeeId: asPayeeId(bytesOf(row.payee_id)),
    publicKey: asPublicKey(bytesOf(row.public_key)),
    assets: JSON.parse(row.assets) as Asset[],
    name: row.name,
    registeredAtMs: numberOf(row.registered_at_ms),
  };
}

/** A claim mark as both SQL adapters select it. */
export interface ClaimMarkRow {
  channel_id: Uint8Array;
  claimed_seq: number | bigint | string;
  claimed_cumulative: number | bigint | string;
  unclaimed_since_ms: number | bigint | string | null;
  unclaimed_entries: number | bigint | string;
}

/** The claim mark a row holds. */
export function claimMarkFromRow(row: ClaimMarkRow): ClaimMark {
  return {
    channelId: asChannelId(bytesOf(row.channel_id)),
    claimedSeq: numberOf(row.claimed_seq),
    claimedCumulative: BigInt(row.claimed_cumulative),
    unclaimedEntries: numberOf(row.unclaimed_entries),
    unclaimedSinceMs: row.unclaimed_since_ms === null ? undefined : numberOf(row.unclaimed_since_ms),
  };
}

/** A wallet-payee as both SQL adapters select it. */
export interface WalletPayeeRow {
  payee_id: Uint8Array;
  public_key: Uint8Array;
  registered_at_ms: number | bigint | string;
  last_seq: number | bigint | string;
  acked_seq: number | bigint | string;
}

/** The wallet-payee a row holds. */
export function walletPayeeFromRow(row: WalletPayeeRow): WalletPayeeRecord {
  return {
    payeeId: asPayeeId(bytesOf(row.payee_id)),
    publicKey: asPublicKey(bytesOf(row.public_key)),
    registeredAtMs: numberOf(row.registered_at_ms),
    lastSeq: numberOf(row.last_seq),
    ackedSeq: numberOf(row.acked_seq),
  };
}

/** An inbox entry (joined with its peer invoice) as both SQL adapters select it. */
export interface InboxRow {
  seq: number | bigint | string;
  channel_id: Uint8Array;
  voucher_seq: number | bigint | string;
  invoice_id: Uint8Array;
  asset_code: string;
  asset_scale: number | bigint | string;
  amount: number | bigint | string;
  mac: Uint8Array;
  paid_at_ms: number | bigint | string;
  memo: string | null;
  payer: Uint8Array | null;
}

/** The inbox entry a row holds (an invoice swept meanwhile leaves an empty memo). */
export function inboxEntryFromRow(row: InboxRow): InboxEntry {
  return {
    seq: numberOf(row.seq),
    channelId: asChannelId(bytesOf(row.channel_id)),
    voucherSeq: numberOf(row.voucher_seq),
    invoiceId: asInvoiceId(bytesOf(row.invoice_id)),
    asset: { code: row.asset_code, scale: numberOf(row.asset_scale) },
    amount: BigInt(row.amount),
    memo: row.memo ?? '',
    ...(row.payer === null ? {} : { from: asPayeeId(bytesOf(row.payer)) }),
    mac: asMac(bytesOf(row.mac)),
    paidAtMs: numberOf(row.paid_at_ms),
  };
}

/** A clearing notice as both SQL adapters select it (ADR 0243). */
export interface ClearedRow {
  seq: number | bigint | string;
  channel_id: Uint8Array;
  after_voucher_seq: number | bigint | string;
  through_voucher_seq: number | bigint | string;
  asset_code: string;
  asset_scale: number | bigint | string;
  payments: number | bigint | string;
  amount: number | bigint | string;
  cleared_at_ms: number | bigint | string;
}

/** The clearing notice a row holds. */
export function clearedEntryFromRow(row: ClearedRow): ClearedEntry {
  return {
    seq: numberOf(row.seq),
    channelId: asChannelId(bytesOf(row.channel_id)),
    afterVoucherSeq: numberOf(row.after_voucher_seq),
    throughVoucherSeq: numberOf(row.through_voucher_seq),
    asset: { code: row.asset_code, scale: numberOf(row.asset_scale) },
    payments: numberOf(row.payments),
    amount: BigInt(row.amount),
    clearedAtMs: numberOf(row.cleared_at_ms),
  };
}

/** Each settlement index (ADR 0419): the rows it holds (its partial index's predicate), its key, its order. */
export const settlementIndexes: Record<
  SettlementIndex,
  { readonly where: string; readonly key: string; readonly descending: boolean }
> = {
  expiresAt: { where: 'closed_at_ms IS NULL AND closing_since_ms IS NULL', key: 'expires_at_ms', descending: false },
  unclaimedSince: {
    where: 'closed_at_ms IS NULL AND unclaimed_since_ms IS NOT NULL',
    key: 'unclaimed_since_ms',
    descending: false,
  },
  closingSince: {
    where: 'closed_at_ms IS NULL AND closing_since_ms IS NOT NULL',
    key: 'closing_since_ms',
    descending: false,
  },
  unclaimedEntries: {
    where: 'closed_at_ms IS NULL AND unclaimed_entries > 0',
    key: 'unclaimed_entries',
    descending: true,
  },
  unclaimedAmount: {
    where: 'closed_at_ms IS NULL AND cumulative > claimed_cumulative',
    key: '(cumulative - claimed_cumulative)',
    descending: true,
  },
};

/**
 * The indexes of the settlement queries, for a migration (`{t}` is the channels table's
 * qualified name, `{p}` the prefix of index names): partial, so each holds only the open
 * channels it can answer about, and keyed by (key, channel_id) for keyset paging.
 */
export const settlementIndexSql = (
  Object.entries(settlementIndexes) as [SettlementIndex, (typeof settlementIndexes)[SettlementIndex]][]
).map(
  ([name, index]) =>
    `CREATE INDEX IF NOT EXISTS {p}channels_${name} ON {t} (${index.key}, channel_id) WHERE ${index.where}`,
);

/**
 * The SQL of one page of a settlement query, with `$1`-style (PostgreSQL) or `?` (SQLite)
 * placeholders (numbered in the order of the values), and its values: the bound, then (with
 * a cursor) the cursor's key and channel id, then the limit. `indexedBy` (SQLite) names the
 * index: without statistics SQLite prefers the index of all open channels (`channels_open`)
 * and reads every open channel; the partial index reads only the rows in range.
 */
export function settlementPageSql(
  table: string,
  query: SettlementQuery,
  placeholder: (n: number) => string,
  indexedBy = false,
): { sql: string; values: unknown[] } {
  const index = settlementIndexes[query.by];
  const cmp = index.descending ? '>=' : '<=';
  const beyond = index.descending ? '<' : '>';
  const order = index.descending ? 'DESC' : 'ASC';
  const values: unknown[] = [query.bound];
  let where = `${index.where} AND ${index.key} ${cmp} ${placeholder(1)}`;
  if (query.after !== undefined) {
    values.push(query.after.key, query.after.channelId);
    where += ` AND (${index.key}, channel_id) ${beyond} (${placeholder(2)}, ${placeholder(3)})`;
  }
  values.push(query.limit);
  return {
    sql: `SELECT channel_id, ${index.key} AS key FROM ${table}${indexedBy ? ` INDEXED BY channels_${query.by}` : ''} WHERE ${where}
      ORDER BY ${index.key} ${order}, channel_id ${order} LIMIT ${placeholder(values.length)}`,
    values,
  };
}

/** A row of a settlement page. */
export function settlementRowOf(row: { channel_id: Uint8Array; key: number | bigint | string }): SettlementRow {
  return { channelId: asChannelId(bytesOf(row.channel_id)), key: BigInt(row.key) };
}

/**
 * The SQL of the unclaimed totals per asset (over the `unclaimedAmount` index's rows, not
 * closing). The key's own condition lets PostgreSQL estimate the rows from the index's
 * statistics (a comparison of two columns is guessed at a third of the table: a full scan).
 */
export function unclaimedTotalsSql(table: string, indexedBy = false): string {
  return `SELECT asset_code, asset_scale, count(*) AS channels, sum(unclaimed_entries) AS entries,
      sum(cumulative - claimed_cumulative) AS amount, min(unclaimed_since_ms) AS oldest
    FROM ${table}${indexedBy ? ' INDEXED BY channels_unclaimedAmount' : ''}
    WHERE ${settlementIndexes.unclaimedAmount.where} AND ${settlementIndexes.unclaimedAmount.key} >= 1 AND closing_since_ms IS NULL
    GROUP BY asset_code, asset_scale`;
}

/**
 * Open channels and escrow per asset over every channel not closed (`$1`/`?`: now, in ms):
 * one pass over the partial index of channels not closed, in the database.
 */
export function openTotalsSql(table: string, now: '?' | '$1'): string {
  return `SELECT asset_code, asset_scale,
      sum(CASE WHEN closing_since_ms IS NULL AND expires_at_ms > ${now} THEN 1 ELSE 0 END) AS open,
      count(*) AS channels, sum(deposit) AS escrow, sum(cumulative - claimed_cumulative) AS unclaimed
    FROM ${table}
    WHERE closed_at_ms IS NULL
    GROUP BY asset_code, asset_scale`;
}

/** A row of the open totals. */
export function openTotalOf(row: {
  asset_code: string;
  asset_scale: number | bigint | string;
  open: number | bigint | string | null;
  channels: number | bigint | string;
  escrow: number | bigint | string | null;
  unclaimed: number | bigint | string | null;
}): OpenTotal {
  return {
    asset: { code: row.asset_code, scale: numberOf(row.asset_scale) },
    open: numberOf(row.open ?? 0),
    channels: numberOf(row.channels),
    escrow: BigInt(row.escrow ?? 0),
    unclaimed: BigInt(row.unclaimed ?? 0),
  };
}

/** A row of the unclaimed totals. */
export function unclaimedTotalOf(row: {
  asset_code: string;
  asset_scale: number | bigint | string;
  channels: number | bigint | string;
  entries: number | bigint | string | null;
  amount: number | bigint | string | null;
  oldest: number | bigint | string | null;
}): UnclaimedTotal {
  return {
    asset: { code: row.asset_code, scale: numberOf(row.asset_scale) },
    channels: numberOf(row.channels),
    entries: numberOf(row.entries ?? 0),
    amount: BigInt(row.amount ?? 0),
    oldestSinceMs: row.oldest === null ? undefined : numberOf(row.oldest),
  };
}

/** A settlement query as given, or a RangeError (a limit that is not a positive integer, an unknown index). */
export function checkedQuery(query: SettlementQuery): SettlementQuery {
  if (!Number.isSafeInteger(query.limit) || query.limit < 1) {
    throw new RangeError('settlementChannels: limit must be a positive integer');
  }
  if (!Object.hasOwn(settlementIndexes, query.by)) throw new RangeError(`settlementChannels: no index ${query.by}`);
  return query;
}
