/**
 * The wallet's state: plain immutable data (the two collections that grow with the number
 * of payments are persistent structures), read and replaced only by the step function.
 * Statuses are derived from it (walletView.ts), never stored as flags.
 */
import type { Asset } from '../amount.js';
import { fromHex, toHex } from '../bytes.js';
import type { ClientChannel } from '../channel/client.js';
import type { Domain } from '../domain.js';
import { assert } from '../errors.js';
import { asChannelId, asHubId, type ChannelId, type InvoiceId, type PayeeId, type Signature } from '../ids.js';
import type { ChannelState, ClientMessage, PayEntry } from '../messages.js';
import type { PaymentRequest } from '../paymentRequest.js';
import { PersistentMap } from './persistentMap.js';
import { PersistentQueue } from './persistentQueue.js';
import {
  type ChannelRecord,
  type ChannelRecordStatus,
  type Point,
  pointFromRecord,
  pointToRecord,
  type StatePoint,
  type StoredWallet,
  voucherFromRecord,
  type WalletRecord,
} from './records.js';
import { WalletError } from './walletErrors.js';
import type { WalletConfig } from './walletTypes.js';

/** One pay() call, from admission to its receipt or failure. */
export interface Payment {
  /** The caller's call id. */
  readonly id: number;
  readonly request: PaymentRequest;
  /** Hex of the payee: the spending counters' key. */
  readonly payeeId: string;
  /** Payee and invoice, one character per byte: the key of the invoices being paid. */
  readonly invoiceKey: string;
  /**
   * Times signed into a voucher. A payment never signed is in the queue, or in the group
   * being signed (derived: no flag says which).
   */
  readonly attempts: number;
  /** Must be signed in a voucher of its own (its coalesced voucher was refused without naming the entry). */
  readonly solo: boolean;
  /** When the call was made (a peer payment: before its invoice was asked for): its payment time starts here. */
  readonly startedAtMs: number;
}

/** The payments between pay() and their answer. */
export interface PaymentBook {
  readonly byId: PersistentMap<number, Payment>;
  /**
   * Ids waiting to be signed, in order. An id is in the queue at most once; one no longer in
   * `byId` (an aborted payment) is a hole the pump skips.
   */
  readonly queue: PersistentQueue<number>;
  /** Payments really queued (the queue's length without its holes). */
  readonly queuedCount: number;
  /** Sum of the queued payments. */
  readonly queuedTotal: bigint;
  /** Sums of the queued payments per payee (kept only when the policy caps payees). */
  readonly queuedByPayee: PersistentMap<string, bigint>;
  /** Invoices being paid (queued, signed or being recovered): invoice key to payment id. */
  readonly invoices: PersistentMap<string, number>;
}

/** A signed voucher the hub has not acknowledged. */
export interface LiveVoucher extends Point {
  /** Unique per signing: tells a voucher from an earlier one at the same seq. */
  readonly serial: number;
  readonly signature: Signature;
  readonly entries: readonly PayEntry[];
  /** The payment of each entry (undefined after a restart: nobody waits). */
  readonly payments: readonly (number | undefined)[];
  /** Durable in the store: only then may it be sent. */
  readonly written: boolean;
}

/** A `pay` frame sent: its id and the voucher's serial. */
export interface SentFrame {
  readonly id: number;
  readonly serial: number;
}

/** The wallet's channel as it runs. */
export interface WalletChannel {
  readonly channelId: ChannelId;
  /** Hex of the channel id (as stored). */
  readonly idHex: string;
  /** Hex of the open request's nonce. */
  readonly nonce: string;
  readonly asset: Asset;
  readonly deposit: bigint;
  readonly expiresAtMs: number;
  readonly status: ChannelRecordStatus;
  /** Hex of the open request's signature. */
  readonly openSignature: string;
  /** The latest state the hub acknowledged. */
  readonly acked: Point;
  /** Signed vouchers not yet acknowledged, in seq order. The signed state is the last one's (or `acked`). */
  readonly pending: readonly LiveVoucher[];
  /**
   * The vouchers sent on this connection and not answered, by seq, in send order, with
   * their frame ids: a reply names the seq (receipts) or the frame id (a reject of a frame
   * the hub could not read names only that).
   */
  readonly sent: ReadonlyMap<number, readonly SentFrame[]>;
  /** The seq of each unanswered frame id. */
  readonly sentSeqById: ReadonlyMap<number, number>;
  /** Serials of vouchers the hub asked to be resent. */
  readonly resend: ReadonlySet<number>;
  readonly topUp?: { readonly deposit: string; readonly signature: string };
  readonly close?: StatePoint & { readonly signature: string };
  readonly refund?: string;
}

/** Where the connection to the hub stands. */
export type LinkPhase = 'idle' | 'connecting' | 'authenticating' | 'resuming' | 'ready';

/** The request types a wallet sends (everything but `auth` and `pay`). */
export type RequestType = 'open' | 'topUp' | 'close' | 'forceClose' | 'sync' | 'log' | 'receive' | 'invoice' | 'spend';

/** A request as it goes on the wire. */
export type RequestMessage = Extract<ClientMessage, { type: RequestType }>;

/** The connection and session. */
export interface Link {
  readonly phase: LinkPhase;
  /** Connections made so far: results meant for an earlier one are ignored. */
  readonly generation: number;
  /** The current connection opened (the transport reported it). */
  readonly opened: boolean;
  /** Failed attempts in a row. */
  readonly attempts: number;
  /** The session was ready once: a later ready is a reconnect. */
  readonly wasReady: boolean;
  readonly reconnectArmed: boolean;
  /** While resuming: the requests that were outstanding at the welcome, and what resume waits for. */
  readonly resume?: { readonly outstanding: ReadonlySet<RequestType>; readonly awaiting: 'sync' | 'recovery' };
}

/** A request waiting for its answer (resent after every reconnect until answered). */
export interface HubRequest {
  readonly message: RequestMessage;
  /** The hub asked to retry it: resent when the retry timer fires. */
  readonly retry: boolean;
}

/** The outstanding requests. */
export interface RequestBook {
  readonly nextId: number;
  readonly byId: ReadonlyMap<number, HubRequest>;
  readonly retryArmed: boolean;
}

/** A call waiting for the session to be ready. */
export type WaitingCall =
  | {
      readonly type: 'openChannel';
      readonly call: number;
      readonly deposit: bigint;
      readonly asset: Asset;
      readonly lifetimeMs: number;
      readonly nonce: Uint8Array;
    }
  | { readonly type: 'topUp'; readonly call: number; readonly amount: bigint }
  | { readonly type: 'close'; readonly call: number }
  | { readonly type: 'forceClose'; readonly call: number }
  | PeerPaymentCall
  | SpendReceivedCall;

/** Spend what was received: move `amount` into the payer account (`ref` names the move at the hub), then top the channel up with it. */
export interface SpendReceivedCall {
  readonly type: 'spendReceived';
  readonly call: number;
  readonly amount: bigint;
  /** 16 random bytes drawn by the shell. */
  readonly ref: Uint8Array;
}

/** A payment to a wallet-payee by its payee id: the hub makes the invoice, then it is paid as any. */
export interface PeerPaymentCall {
  readonly type: 'payPeer';
  readonly call: number;
  readonly payee: PayeeId;
  readonly amount: bigint;
  readonly memo: string;
  /** Tell the payee this wallet's payee id. */
  readonly reveal: boolean;
  /** Paying a money request: its id, so that the request is paid once. */
  readonly request?: InvoiceId;
}

/** An open in progress: its call (absent when resumed after a reconnect or restart) and stage. */
export interface OpenRun {
  readonly call: number | undefined;
  readonly stage: 'signing' | 'writing' | 'requesting' | 'confirming';
}

/** A top-up's turn: top-ups run one at a time, each from the deposit the one before left. */
export type TopUpTurn =
  | { readonly kind: 'call'; readonly call: number; readonly amount: bigint; readonly stage: TopUpStage }
  /** A top-up signed by an earlier run: sent again unless done meanwhile. */
  | { readonly kind: 'resumed'; readonly signature: string; readonly stage: TopUpStage };

/** Where a top-up's turn stands. */
export type TopUpStage = 'waiting' | 'signing' | 'writing' | 'requesting' | 'confirming';

/** A close in progress: the calls waiting on it, and its stage. */
export interface CloseRun {
  readonly calls: readonly number[];
  readonly stage: 'draining' | 'signing' | 'writing' | 'requesting';
}

/** A forced close in progress: the calls waiting on it, its stage, and the acknowledged state it closes at. */
export interface ForceCloseRun {
  readonly calls: readonly number[];
  readonly stage: 'draining' | 'signing' | 'writing' | 'requesting';
  readonly point?: Point;
  readonly signature?: Signature;
}

/** The user calls in progress. */
export interface Calls {
  readonly waitingReady: readonly WaitingCall[];
  readonly open: OpenRun | undefined;
  readonly topUps: readonly TopUpTurn[];
  readonly close: CloseRun | undefined;
  readonly forceClose: ForceCloseRun | undefined;
}

/** A batch of vouchers being signed (one signature at a time) and then written. */
export interface Batch {
  readonly nowMs: number;
  /** Signed, not yet written. */
  readonly built: readonly LiveVoucher[];
  /** The position after the last voucher built. */
  readonly local: Point;
  /** The group being signed: its payments and its prepared voucher. */
  readonly signing?: { readonly ids: readonly number[]; readonly next: Point; readonly entries: readonly PayEntry[] };
  /** Built and handed to the store: the serials. */
  readonly writing?: readonly number[];
}

/** The receipts of payments the hub holds, recovered from its log after adopting its state. */
export interface Recovery {
  /** The channel whose log is read: the wallet may have opened another one meanwhile. */
  readonly channelId: ChannelId;
  /** That channel's asset, for its receipts. */
  readonly asset: Asset;
  readonly nextSeq: number;
  /** The adopted seq: the log is read up to it. */
  readonly toSeq: number;
  readonly pages: number;
  /** Invoice key to payment id, for the payments whose receipts are looked for. */
  readonly jobs: ReadonlyMap<string, number>;
  /** The payments not found fail with this; without it they are signed again. */
  readonly failRest?: Error;
  /** The signed seq before the adoption (for the `resynced` event). */
  readonly from: number;
  /** What waits for the recovery: resuming the session, or nothing. */
  readonly after: 'resume' | 'none';
  /** A log request is out. */
  readonly reading: boolean;
}

/** The spending counters (persisted): total and per payee (hex). */
export interface Spent {
  readonly total: bigint;
  readonly byPayee: PersistentMap<string, bigint>;
}

/** Everything the wallet's machine knows. */
export interface WalletState {
  readonly config: WalletConfig;
  /** The hub this wallet signs for, pinned at first contact. */
  readonly domain: Domain | undefined;
  readonly spent: Spent;
  readonly channel: WalletChannel | undefined;
  readonly payments: PaymentBook;
  readonly link: Link;
  readonly requests: RequestBook;
  readonly calls: Calls;
  readonly pump: { readonly scheduled: boolean; readonly batch: Batch | undefined };
  readonly recoveries: readonly Recovery[];
  readonly resendArmed: boolean;
  /** `balanceLow` fired and the balance has not risen above the threshold since. */
  readonly balanceLowFired: boolean;
  /** stop() was called. */
  readonly stopped: boolean;
  /** The failure the wallet cannot recover from (wrong hub, refused authentication). */
  readonly fatal: Error | undefined;
  /** The next voucher serial. */
  readonly nextSerial: number;
  /** When this wallet's closed channels were finalized (channel hex to Unix ms), oldest first. */
  readonly cleared: ReadonlyMap<string, number>;
  /** Receiving: the newest inbox seq taken (held durably once its write lands). */
  readonly inbox: { readonly seq: number };
  /** Spends of received funds waiting for the hub: request id to the call. */
  readonly spendCalls: ReadonlyMap<number, number>;
  /** Peer payments waiting for their invoice: request id to the pay call and when it was made. */
  readonly peerCalls: ReadonlyMap<number, { readonly call: number; readonly startedAtMs: number }>;
}

/**
 * The position this wallet last signed: its newest pending voucher's, or the acknowledged
 * one when that is later (a lost `receipts` frame leaves an older voucher pending, to be
 * answered after the next resend, while newer ones are acknowledged).
 */
export function signedPoint(channel: WalletChannel): Point {
  const pending = channel.pending;
  const newest = pending[pending.length - 1];
  return newest === undefined || newest.seq < channel.acked.seq ? channel.acked : newest;
}

/** The protocol's client channel at the signed state (what vouchers are built on). */
export function clientChannelOf(channel: WalletChannel, at: Point = signedPoint(channel)): ClientChannel {
  return {
    channelId: channel.channelId,
    asset: channel.asset,
    deposit: channel.deposit,
    expiresAtMs: channel.expiresAtMs,
    seq: at.seq,
    cumulative: at.cumulative,
    logHead: at.logHead,
  };
}

/** The channel's record as the store keeps it. */
export function channelRecordOf(channel: WalletChannel): ChannelRecord {
  return {
    channelId: channel.idHex,
    nonce: channel.nonce,
    asset: channel.asset,
    deposit: channel.deposit.toString(),
    expiresAtMs: channel.expiresAtMs,
    status: channel.status,
    openSignature: channel.openSignature,
    signed: pointToRecord(signedPoint(channel)),
    acked: pointToRecord(channel.acked),
    ...(channel.topUp === undefined ? {} : { topUp: channel.topUp }),
    ...(channel.close === undefined ? {} : { close: channel.close }),
    ...(channel.refund === undefined ? {} : { refund: channel.refund }),
  };
}

/** The wallet's record as the store keeps it. */
export function walletRecordOf(state: WalletState): WalletRecord {
  const domain = state.domain;
  assert(domain !== undefined, 'a record is written only once the hub is pinned');
  const byPayee: Record<string, string> = {};
  state.spent.byPayee.forEach((amount, payee) => {
    // A payee spent nothing is the same as one never paid: one form, so records compare equal.
    if (amount === 0n) return;
    byPayee[payee] = amount.toString();
  });
  return {
    version: 1,
    networkId: domain.networkId,
    hubId: toHex(domain.hubId),
    spent: { total: state.spent.total.toString(), byPayee },
    ...(state.channel === undefined ? {} : { channel: channelRecordOf(state.channel) }),
    ...(state.inbox.seq === 0 ? {} : { inbox: { seq: state.inbox.seq } }),
    ...(state.cleared.size === 0 ? {} : { cleared: Object.fromEntries(state.cleared) }),
  };
}

/** A channel as a stored record describes it. */
export function channelOfRecord(record: ChannelRecord, pending: readonly LiveVoucher[]): WalletChannel {
  return {
    channelId: asChannelId(fromHex(record.channelId, 32)),
    idHex: record.channelId,
    nonce: record.nonce,
    asset: record.asset,
    deposit: BigInt(record.deposit),
    expiresAtMs: record.expiresAtMs,
    status: record.status,
    openSignature: record.openSignature,
    acked: pointFromRecord(record.acked),
    pending,
    sent: new Map(),
    sentSeqById: new Map(),
    resend: new Set(),
    ...(record.topUp === undefined ? {} : { topUp: record.topUp }),
    ...(record.close === undefined ? {} : { close: record.close }),
    ...(record.refund === undefined ? {} : { refund: record.refund }),
  };
}

/** A channel's state in the store's terms: the hub's reported state, as adopted. */
export function pointOfState(state: ChannelState): Point {
  return { seq: state.seq, cumulative: state.cumulative, logHead: state.logHead };
}

/**
 * The state a wallet starts from: empty, or what its store holds. Throws
 * `WalletError('HUB_MISMATCH')` when the store belongs to another network or hub.
 *
 * @example
 * ```ts
 * import { initialWalletState, nobleVerifier, type PublicKey } from '@trickle/protocol';
 * declare const clientKey: PublicKey;
 * const state = initialWalletState(
 *   { networkId: 1, clientKey, verifier: nobleVerifier, policy: {}, inFlightVouchersMax: 64,
 *     queuedPaymentsMax: 100_000, reconnectDelayMsMin: 100, reconnectDelayMsMax: 10_000 },
 *   undefined,
 * );
 * state.link.phase; // 'idle'
 * ```
 */
export function initialWalletState(config: WalletConfig, stored: StoredWallet | undefined): WalletState {
  const record = stored?.record;
  if (record !== undefined) {
    if (record.networkId !== config.networkId) {
      throw new WalletError('HUB_MISMATCH', 'the store belongs to another network');
    }
    if (config.hubId !== undefined && record.hubId !== toHex(config.hubId)) {
      throw new WalletError('HUB_MISMATCH', 'the store belongs to another hub');
    }
  }
  let serial = 1;
  const pending: LiveVoucher[] = (stored?.pending ?? []).map((p) => {
    const voucher = voucherFromRecord(p);
    return { ...voucher, serial: serial++, payments: voucher.entries.map(() => undefined), written: true };
  });
  return {
    config,
    domain:
      record === undefined ? undefined : { networkId: record.networkId, hubId: asHubId(fromHex(record.hubId, 32)) },
    spent: {
      total: BigInt(record?.spent.total ?? '0'),
      byPayee: PersistentMap.of(Object.entries(record?.spent.byPayee ?? {}).map(([k, v]) => [k, BigInt(v)] as const)),
    },
    channel: record?.channel === undefined ? undefined : channelOfRecord(record.channel, pending),
    payments: {
      byId: PersistentMap.empty(),
      queue: PersistentQueue.empty(),
      queuedCount: 0,
      queuedTotal: 0n,
      queuedByPayee: PersistentMap.empty(),
      invoices: PersistentMap.empty(),
    },
    link: { phase: 'idle', generation: 0, opened: false, attempts: 0, wasReady: false, reconnectArmed: false },
    requests: { nextId: 1, byId: new Map(), retryArmed: false },
    calls: { waitingReady: [], open: undefined, topUps: [], close: undefined, forceClose: undefined },
    pump: { scheduled: false, batch: undefined },
    recoveries: [],
    resendArmed: false,
    balanceLowFired: false,
    stopped: false,
    fatal: undefined,
    nextSerial: serial,
    inbox: { seq: record?.inbox?.seq ?? 0 },
    cleared: new Map(Object.entries(record?.cleared ?? {})),
    peerCalls: new Map(),
    spendCalls: new Map(),
  };
}
