/**
 * The hub's durable channel store: the port. The hub keeps the channels at work in memory
 * (a bounded cache, ADR 0419), reads the others back through this port, and writes through it; a promise that resolves means durable (fsync included).
 * Adapters: sqliteChannelStore (default) and postgresChannelStore, both run against one
 * conformance suite (test/channelStore.conformance.ts).
 */
import type {
  Asset,
  ChannelId,
  HubChannel,
  InvoiceId,
  LogHead,
  Mac,
  PayeeId,
  PublicKey,
  Signature,
} from '@trickle/protocol';

/** One payment entry as stored: the log entry plus its invoice's expiry (the invoice index keeps it until then). */
export interface StoredEntry {
  readonly payee: PayeeId;
  readonly invoiceId: InvoiceId;
  readonly amount: bigint;
  readonly expiresAtMs: number;
}

/** One accepted voucher with its entries. */
export interface AcceptedVoucher {
  readonly seq: number;
  readonly cumulative: bigint;
  readonly logHead: LogHead;
  readonly signature: Signature;
  readonly entries: readonly StoredEntry[];
}

/** One change to one channel: its new state and the vouchers accepted with it (in seq order). */
export interface ChannelWrite {
  readonly channel: HubChannel;
  readonly vouchers?: readonly AcceptedVoucher[];
  /**
   * When the vouchers were accepted (Unix ms): the store keeps the oldest such time of the
   * payments not yet claimed, for the settlement policy's maximum age after a restart.
   */
  readonly acceptedAtMs?: number;
  /**
   * Entries of these vouchers that pay wallet-payees (ADR 0240): each goes into its payee's
   * inbox, under the payee's next inbox seq, in the same transaction as the vouchers.
   */
  readonly incoming?: readonly IncomingWrite[];
}

/** One payment to a wallet-payee, as a commit puts it in the payee's inbox. */
export interface IncomingWrite {
  readonly payee: PayeeId;
  readonly invoiceId: InvoiceId;
  /** The payer's voucher that carries it. */
  readonly voucherSeq: number;
  readonly amount: bigint;
  /** The receipt MAC (under the payee's key). */
  readonly mac: Mac;
  /** When the hub accepted it (Unix ms). */
  readonly paidAtMs: number;
}

/**
 * A wallet registered as a payee (ADR 0240): its key, and its inbox's two positions, the
 * newest seq given out and the seq the wallet acknowledged holding.
 *
 * @example
 * ```ts
 * import type { WalletPayeeRecord } from '@trickle/hub';
 * declare const payee: WalletPayeeRecord;
 * const undelivered = payee.lastSeq - payee.ackedSeq;
 * ```
 */
export interface WalletPayeeRecord {
  readonly payeeId: PayeeId;
  readonly publicKey: PublicKey;
  readonly registeredAtMs: number;
  readonly lastSeq: number;
  readonly ackedSeq: number;
}

/**
 * An invoice the hub made for a peer payment: what it does not put in the payment request
 * (the memo, who pays when revealed), kept until the payment is delivered.
 *
 * @example
 * ```ts
 * import type { PeerInvoiceRecord } from '@trickle/hub';
 * declare const invoice: PeerInvoiceRecord;
 * console.log(invoice.memo, invoice.from === undefined ? 'anonymous' : 'revealed');
 * ```
 */
export interface PeerInvoiceRecord {
  readonly payee: PayeeId;
  readonly invoiceId: InvoiceId;
  readonly amount: bigint;
  readonly memo: string;
  /** The payer's payee id, when it chose to reveal it. */
  readonly from?: PayeeId;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
}

/**
 * One delivered-or-not payment of a wallet-payee's inbox: its seq, the payer's channel and
 * voucher, the invoice with its memo, the amount, receipt MAC and time.
 *
 * @example
 * ```ts
 * import type { InboxEntry } from '@trickle/hub';
 * declare const entry: InboxEntry;
 * console.log(`#${entry.seq} ${entry.amount} ${entry.asset.code}: ${entry.memo}`);
 * ```
 */
export interface InboxEntry {
  readonly seq: number;
  readonly channelId: ChannelId;
  readonly voucherSeq: number;
  readonly invoiceId: InvoiceId;
  readonly asset: Asset;
  readonly amount: bigint;
  readonly memo: string;
  readonly from?: PayeeId;
  readonly mac: Mac;
  readonly paidAtMs: number;
}

/**
 * Payments to one wallet-payee from one payer's channel that one ledger operation settled
 * (ADR 0243): those of the payer's vouchers after `afterVoucherSeq` up to `throughVoucherSeq`
 * (a range, so one notice stays small however many payments it covers), how many and how
 * much, and when they cleared. A commit of claims puts it in the payee's inbox under the
 * payee's next inbox seq, after the payments it covers.
 *
 * @example
 * ```ts
 * import type { ClearedWrite } from '@trickle/hub';
 * declare const cleared: ClearedWrite;
 * console.log(`${cleared.payments} payments (${cleared.amount} minor units) cleared at ${cleared.clearedAtMs}`);
 * ```
 */
export interface ClearedWrite {
  readonly payee: PayeeId;
  readonly channelId: ChannelId;
  readonly afterVoucherSeq: number;
  readonly throughVoucherSeq: number;
  readonly asset: Asset;
  /** Payments to the payee in those vouchers (at least 1). */
  readonly payments: number;
  /** Their sum, in minor units. */
  readonly amount: bigint;
  /** When the ledger settled them (Unix ms): a finalize's time, or the hub's clock when the ledger accepted the claim. */
  readonly clearedAtMs: number;
}

/**
 * A clearing notice in a wallet-payee's inbox: a {@link ClearedWrite} under its inbox seq.
 * Payments and clearing notices share the payee's inbox seqs (1, 2, 3, ... without gaps).
 *
 * @example
 * ```ts
 * import type { ClearedEntry } from '@trickle/hub';
 * declare const notice: ClearedEntry;
 * console.log(`#${notice.seq}: vouchers ${notice.afterVoucherSeq + 1}..${notice.throughVoucherSeq} cleared`);
 * ```
 */
export interface ClearedEntry extends Omit<ClearedWrite, 'payee'> {
  readonly seq: number;
}

/**
 * How far a channel is settled on the ledger, as the hub last recorded it: the claimed
 * state, and what is not claimed yet (entries, since when). The ledger is the authority;
 * this is the hub's durable note of it, so that a restart need not ask the ledger about
 * every channel.
 *
 * @example
 * ```ts
 * import type { ClaimMark } from '@trickle/hub';
 * declare const mark: ClaimMark;
 * const old = mark.unclaimedSinceMs !== undefined && Date.now() - mark.unclaimedSinceMs > 3_600_000;
 * ```
 */
export interface ClaimMark {
  readonly channelId: ChannelId;
  readonly claimedSeq: number;
  readonly claimedCumulative: bigint;
  /** Entries of accepted vouchers after the claimed seq. */
  readonly unclaimedEntries: number;
  /** When the oldest payment not claimed yet was accepted; undefined when everything is claimed. */
  readonly unclaimedSinceMs: number | undefined;
}

/**
 * Which index of open channels a {@link SettlementQuery} reads, and so the key of its rows:
 * `expiresAt` (channels not closing, by expiry, soonest first), `unclaimedSince` (by the
 * oldest payment not claimed yet, oldest first), `closingSince` (closing channels, by when
 * their close began, oldest first), `unclaimedEntries` (by entries not claimed yet, most
 * first), `unclaimedAmount` (by the amount not claimed yet, largest first).
 *
 * @example
 * ```ts
 * import type { SettlementIndex } from '@trickle/hub';
 * const oldestFirst: SettlementIndex = 'unclaimedSince';
 * ```
 */
export type SettlementIndex = 'expiresAt' | 'unclaimedSince' | 'closingSince' | 'unclaimedEntries' | 'unclaimedAmount';

/**
 * One page of open channels from one index (ADR 0419): what the settlement scheduler reads
 * instead of walking every channel. The time indexes give rows whose key is at most
 * `bound`, in ascending order; the count and amount indexes rows whose key is at least
 * `bound`, in descending order; ties by channel id. `after` is the last row of the page
 * before (keyset paging: a page costs its rows, never the store's size or history).
 *
 * @example
 * ```ts
 * import type { ChannelStore, SettlementQuery } from '@trickle/hub';
 * declare const store: ChannelStore;
 * const query: SettlementQuery = { by: 'unclaimedSince', bound: BigInt(Date.now() - 60_000), limit: 500 };
 * const page = await store.settlementChannels(query);
 * const next = await store.settlementChannels({ ...query, after: page[page.length - 1] });
 * ```
 */
export interface SettlementQuery {
  readonly by: SettlementIndex;
  readonly bound: bigint;
  readonly after?: SettlementRow | undefined;
  /** Rows at most, at least 1. */
  readonly limit: number;
}

/**
 * A row of a {@link SettlementQuery}: a channel and its key in the index read.
 *
 * @example
 * ```ts
 * import type { SettlementRow } from '@trickle/hub';
 * declare const row: SettlementRow;
 * console.log(row.channelId, row.key);
 * ```
 */
export interface SettlementRow {
  readonly channelId: ChannelId;
  readonly key: bigint;
}

/**
 * What open channels that are not closing owe in one asset, as the store holds it: channels
 * with an amount not claimed yet, their entries and amount not claimed, the oldest such payment.
 *
 * @example
 * ```ts
 * import type { UnclaimedTotal } from '@trickle/hub';
 * declare const total: UnclaimedTotal;
 * console.log(`${total.asset.code}: ${total.amount} minor units on ${total.channels} channels`);
 * ```
 */
export interface UnclaimedTotal {
  readonly asset: Asset;
  readonly channels: number;
  readonly entries: number;
  readonly amount: bigint;
  readonly oldestSinceMs: number | undefined;
}

/**
 * Channels not closed, per asset, as the store holds them (every process's, every channel
 * whether in memory or not): what the operator's escrow and open-channel figures read.
 *
 * @example
 * ```ts
 * import type { OpenTotal } from '@trickle/hub';
 * declare const total: OpenTotal;
 * console.log(`${total.asset.code}: ${total.escrow} in escrow on ${total.channels} channels, ${total.open} open`);
 * ```
 */
export interface OpenTotal {
  readonly asset: Asset;
  /** Channels open now: not closing, not past their expiry. */
  readonly open: number;
  /** Channels not closed (open, closing or expired but not finalized). */
  readonly channels: number;
  /** Deposits of the channels not closed, in minor units. */
  readonly escrow: bigint;
  /** Paid on those channels and not claimed on the ledger yet (the hub's unsettled liability), in minor units. */
  readonly unclaimed: bigint;
}

/** A registered merchant (payee). Only public facts: the MAC key is derived again at load. */
export interface MerchantRecord {
  readonly payeeId: PayeeId;
  readonly publicKey: PublicKey;
  /** Assets the merchant is paid in (its ledger accounts). */
  readonly assets: readonly Asset[];
  /** A label for operators; never used for routing. */
  readonly name: string;
  readonly registeredAtMs: number;
}

/**
 * What became of one write of a commit. A write whose vouchers pay an invoice that is
 * paid already (on another channel, or by another hub process sharing the store) is not
 * applied, and names the first such entry; the other writes of the commit are applied.
 *
 * @example
 * ```ts
 * import type { WriteOutcome } from '@trickle/hub';
 * declare const outcome: WriteOutcome;
 * if (!outcome.applied && outcome.paidInvoice !== undefined) console.log(`voucher ${outcome.paidInvoice.seq}: paid already`);
 * ```
 *
 * In a hub cluster (ADR 0231) a write of a channel whose lease this process no longer
 * holds, at the epoch it was taken with, is not applied either: `leaseLost`.
 */
export type WriteOutcome =
  | { readonly applied: true }
  | { readonly applied: false; readonly paidInvoice: { readonly seq: number; readonly entry: number } }
  | { readonly applied: false; readonly paidInvoice?: undefined; readonly leaseLost: true };

/**
 * Channel leases of a hub cluster (ADR 0231): each channel is served by one process at a
 * time, the one holding its lease; a lease carries a fencing epoch that every channel
 * write of the store is checked against, in the write's own transaction. Leases expire
 * unless renewed. Only stores shared by several processes have them (PostgreSQL's, with
 * its `cluster` option).
 *
 * @example
 * ```ts
 * import type { ChannelLeases } from '@trickle/hub';
 * declare const leases: ChannelLeases;
 * declare const channelId: import('@trickle/protocol').ChannelId;
 * const taken = await leases.acquire(channelId);
 * if (taken === undefined) console.log('another process serves it');
 * else if (taken.fresh) console.log(`taken over at epoch ${taken.epoch}: read the channel again`);
 * ```
 */
export interface ChannelLeases {
  /** How long a lease lasts unless renewed, in ms. */
  readonly ttlMs: number;
  /**
   * Takes the channel's lease, or renews it if this process holds it: its epoch, and
   * `fresh` when this process did not hold it at that epoch just before (another process
   * may have changed the channel: read it again). Undefined when another process holds it.
   */
  acquire(channelId: ChannelId): Promise<{ readonly epoch: bigint; readonly fresh: boolean } | undefined>;
  /** True while this process holds the channel's lease and it has not expired by its own clock (with a margin). */
  holds(channelId: ChannelId): boolean;
  /** Channels whose lease this process holds. */
  held(): ChannelId[];
  /** Renews the leases of `channelIds`; those lost (taken over, or unknown) stop being held. */
  renew(channelIds: readonly ChannelId[]): Promise<void>;
  /** Gives leases back (another process may take them at once). */
  release(channelIds: readonly ChannelId[]): Promise<void>;
}

/** The durable store of channels, vouchers, entries and merchants. */
export interface ChannelStore {
  /** Adapter name for logs, e.g. `sqlite`. */
  readonly name: string;
  /**
   * Applies the writes as one atomic, durable transaction (one fsync for all: group
   * commit), and says what became of each, by index. Every entry's (payee, invoice) goes
   * into a unique index, so an invoice is paid at most once across every channel and every
   * hub process on the store: a write that pays one again is left out whole (its outcome
   * says which entry), the others are applied. Rejects with `HubError('STORE_FAILED')` and
   * then nothing is written.
   */
  commit(writes: readonly ChannelWrite[]): Promise<readonly WriteOutcome[]>;
  /** One channel, whatever its status. */
  channel(channelId: ChannelId): Promise<HubChannel | undefined>;
  /** Every channel not finalized (closedAtMs unset). Tools and tests; the hub no longer reads them all at start (ADR 0419). */
  openChannels(): Promise<HubChannel[]>;
  /** The claim marks of every channel not finalized. Tools and tests; the hub reads one at a time ({@link ChannelStore.claimMark}). */
  claimMarks(): Promise<ClaimMark[]>;
  /** The claim mark of one channel not finalized (what a read-back of an evicted lane needs), or undefined. */
  claimMark(channelId: ChannelId): Promise<ClaimMark | undefined>;
  /** A page of open channels from one index (ADR 0419). */
  settlementChannels(query: SettlementQuery): Promise<SettlementRow[]>;
  /** Per asset, what open channels that are not closing have not claimed yet (ADR 0419): one row per asset. */
  unclaimedTotals(): Promise<UnclaimedTotal[]>;
  /** Channels not closed per asset at `nowMs` (open count, escrow): one aggregate in the store. */
  openTotals(nowMs: number): Promise<OpenTotal[]>;
  /**
   * Records claims made on the ledger: each channel's claimed state (never moved back), and
   * the oldest unclaimed time left, which applies only if vouchers beyond the claim exist.
   * In the same transaction, first, each of `cleared` goes into its payee's inbox under the
   * payee's next seq (ADR 0243), but only if the payee is a wallet-payee and the stored
   * claimed seq of its channel is below its `throughVoucherSeq`: a claim recorded twice (or
   * by two processes) notifies once.
   */
  recordClaims(
    claims: readonly {
      readonly channelId: ChannelId;
      readonly claimedSeq: number;
      readonly claimedCumulative: bigint;
      readonly unclaimedSinceMs: number;
    }[],
    cleared?: readonly ClearedWrite[],
  ): Promise<void>;
  /**
   * Undoes a durable write whose vouchers were committed before their signature was known
   * and turned out not to verify (ADR 0415): the channel goes back to `channel` (its state
   * before the write), `vouchers` (all with seq above `channel.seq`) are deleted with their
   * invoices from the invoice index, and the unclaimed time is cleared when nothing beyond
   * the claim remains. Durable when resolved; ordered after every commit resolved before it.
   * Stores without it never get such a write (the hub verifies first).
   */
  revertVouchers?(channel: HubChannel, vouchers: readonly AcceptedVoucher[]): Promise<void>;
  /** Accepted vouchers of a channel with seq in [fromSeq, fromSeq + limit), in seq order. */
  vouchers(channelId: ChannelId, fromSeq: number, limit: number): Promise<AcceptedVoucher[]>;
  /** Channel leases, when the store is shared by the processes of a hub cluster (ADR 0231). */
  readonly leases?: ChannelLeases;
  /**
   * Forgets up to `limit` paid invoices that expired before `expiredBeforeMs` (the expiry
   * check refuses them anyway), so the invoice index stays as large as the invoices still
   * live, not the history. Returns how many it forgot.
   */
  sweepInvoices(expiredBeforeMs: number, limit: number): Promise<number>;
  /** Inserts or replaces a merchant. Durable when resolved. */
  putMerchant(merchant: MerchantRecord): Promise<void>;
  /** Every registered merchant. */
  merchants(): Promise<MerchantRecord[]>;
  /** Registers a wallet as a payee (ADR 0240); a second registration changes nothing. Durable when resolved. */
  putWalletPayee(payee: {
    readonly payeeId: PayeeId;
    readonly publicKey: PublicKey;
    readonly registeredAtMs: number;
  }): Promise<void>;
  /** A wallet-payee with its inbox positions, or undefined. */
  walletPayee(payeeId: PayeeId): Promise<WalletPayeeRecord | undefined>;
  /** Every wallet-payee (what the hub loads at start, as it does merchants). */
  walletPayees(): Promise<WalletPayeeRecord[]>;
  /** Keeps a peer invoice's memo and payer until its payment is delivered; one made again (same payee and id) keeps its first record. Durable when resolved. */
  putPeerInvoice(invoice: PeerInvoiceRecord): Promise<void>;
  /** The payments of a wallet-payee's inbox after seq `afterSeq`, at most `limit` entries, in seq order. */
  inbox(payeeId: PayeeId, afterSeq: number, limit: number): Promise<InboxEntry[]>;
  /** The clearing notices of a wallet-payee's inbox after seq `afterSeq`, at most `limit`, in seq order (ADR 0243). */
  inboxCleared(payeeId: PayeeId, afterSeq: number, limit: number): Promise<ClearedEntry[]>;
  /** Moves the payee's acknowledged cursor up to `seq` (never back, never past the newest). Durable when resolved. */
  ackInbox(payeeId: PayeeId, seq: number): Promise<void>;
  /** Closes the database. */
  close(): Promise<void>;
}
