/**
 * Vouchers on the wire and the hub's answers to them. Replies are matched to vouchers by
 * seq in send order, per connection. Receipts settle a voucher's payments; a retryable
 * refusal resends it after a pause; a final one kills it and every voucher chained on it,
 * and their payments are signed again or fail (ADR 0204).
 */
import {
  type ChannelId,
  type ChannelState,
  type ClientChannel,
  type Domain,
  equalBytes,
  type HubMessageOf,
  type PaymentRequest,
  type Receipt,
  type RejectCode,
  RejectError,
  rejectCodes,
} from '@trickle/protocol';
import type { Emitter } from './emitter.js';
import { hex as toHex } from './hex.js';
import type { PaymentQueue } from './paymentQueue.js';
import { type HistoryRecord, historyRecordsMax } from './store/walletStore.js';
import { resendDelayMs, type WalletEvents } from './wallet.js';
import { currentRecord, type Job, type LiveVoucher, unspend, type WalletState } from './walletState.js';
import type { WalletWrites } from './walletWrites.js';

const entryCodes = new Set<RejectCode>([
  'INVOICE_EXPIRED',
  'INVOICE_ALREADY_PAID',
  'UNKNOWN_PAYEE',
  'REQUEST_INVALID',
  'EMPTY_VOUCHER',
]);
const divergenceCodes = new Set<RejectCode>([
  'STALE_VOUCHER',
  'LOG_HEAD_MISMATCH',
  'CUMULATIVE_MISMATCH',
  'EXCEEDS_DEPOSIT',
]);

/** History kept in memory beyond the bound before it is trimmed (trimming is a copy: do it rarely). */
const historySlack = 2_048;

/** What the replies need. */
export interface VoucherRepliesDeps {
  readonly state: WalletState;
  readonly writes: WalletWrites;
  readonly events: Emitter<WalletEvents>;
  readonly queue: PaymentQueue;
  readonly clock: { nowMs(): number };
  readonly balanceLowAt: bigint | undefined;
  /** True while authenticated (vouchers may go out). */
  readonly authenticated: () => boolean;
  /** True once resumed (retries may go out). */
  readonly ready: () => boolean;
  /** A fresh id for a pay frame (shared with requests: a reject names one or the other). */
  readonly nextId: () => number;
  readonly sendFrame: (message: {
    type: 'pay';
    id: number;
    channelId: ChannelId;
    seq: number;
    cumulative: bigint;
    logHead: LiveVoucher['logHead'];
    signature: LiveVoucher['signature'];
    entries: LiveVoucher['entries'][number][];
  }) => void;
  /** Drops the connection (the hub broke the protocol). */
  readonly drop: (reason: string) => void;
  /** Adopts the hub's state after a divergence, if this wallet signed it (resume.ts). */
  readonly resyncWith: (state: ChannelState, resend: boolean, orphans: Job[], failRest?: Error) => Promise<boolean>;
}

/** Sending vouchers and handling their answers. */
export interface VoucherReplies {
  send(voucher: LiveVoucher): void;
  /** Forgets what was sent (the connection is gone: replies to it will never come). */
  clearSent(): void;
  onReceipts(message: HubMessageOf<'receipts'>): void;
  onPayReject(message: HubMessageOf<'reject'>): Promise<void>;
  /** The receipt of one entry of the channel. */
  receiptOf(
    channelId: ChannelId,
    seq: number,
    payee: PaymentRequest['payee'],
    invoiceId: PaymentRequest['invoiceId'],
    amount: bigint,
    mac: Receipt['mac'],
  ): Receipt;
  /** The history, oldest first, at most historyRecordsMax. */
  history(): readonly HistoryRecord[];
  /** After a top-up: `balanceLow` may fire again once the balance falls below the threshold again. */
  rearmBalanceLow(): void;
  /** Stops resends. */
  stop(): void;
}

/** Creates the replies. Internal to createWallet. */
export function createVoucherReplies(deps: VoucherRepliesDeps): VoucherReplies {
  const { state, writes, events, queue } = deps;
  /** Vouchers sent on this connection and not answered yet, by seq, in send order, with their frame ids. */
  const sent = new Map<number, { id: number; voucher: LiveVoucher }[]>();
  /** The seq of each unanswered frame id: a reject of a frame the hub could not read names only its id. */
  const sentSeqById = new Map<number, number>();
  let resendTimer: ReturnType<typeof setTimeout> | undefined;
  let balanceLowFired = false;
  // The hex of the last payee seen: most entries pay the same few merchants.
  let lastPayee: Uint8Array | undefined;
  let lastPayeeHex = '';

  function payeeHex(payee: Uint8Array): string {
    if (lastPayee === undefined || !equalBytes(lastPayee, payee)) {
      lastPayee = payee;
      lastPayeeHex = toHex(payee);
    }
    return lastPayeeHex;
  }

  function send(v: LiveVoucher): void {
    if (!deps.authenticated()) return;
    const id = deps.nextId();
    deps.sendFrame({
      type: 'pay',
      id,
      channelId: (state.channel as ClientChannel).channelId,
      seq: v.seq,
      cumulative: v.cumulative,
      logHead: v.logHead,
      signature: v.signature,
      entries: v.entries as LiveVoucher['entries'][number][],
    });
    const list = sent.get(v.seq);
    if (list === undefined) sent.set(v.seq, [{ id, voucher: v }]);
    else list.push({ id, voucher: v });
    sentSeqById.set(id, v.seq);
  }

  /**
   * The voucher a reply for `seq` answers: the frame with `id` when the reply names one,
   * else the first sent (replies come in the order frames were sent).
   */
  function takeSent(seq: number, id?: number): LiveVoucher | undefined {
    const list = sent.get(seq);
    if (list === undefined) return undefined;
    const named = id === undefined ? -1 : list.findIndex((s) => s.id === id);
    const [taken] = list.splice(named === -1 ? 0 : named, 1);
    if (list.length === 0) sent.delete(seq);
    if (taken !== undefined) sentSeqById.delete(taken.id);
    return taken?.voucher;
  }

  function receiptOf(
    channelId: ChannelId,
    seq: number,
    payee: PaymentRequest['payee'],
    invoiceId: PaymentRequest['invoiceId'],
    amount: bigint,
    mac: Receipt['mac'],
  ): Receipt {
    const d = state.domain as Domain;
    return {
      networkId: d.networkId,
      hubId: d.hubId,
      channelId,
      seq,
      payee,
      invoiceId,
      asset: (state.channel as ClientChannel).asset,
      amount,
      mac,
    };
  }

  function onReceipts(message: HubMessageOf<'receipts'>): void {
    const v = takeSent(message.seq);
    // A voucher sent twice (resent while its first copy was in flight) is answered twice: settle it once.
    if (v === undefined || v.dead) return;
    const at = state.pending.indexOf(v);
    if (at === -1) return;
    const { channel } = state;
    if (channel === undefined || !equalBytes(message.channelId, channel.channelId)) return;
    if (message.macs.length !== v.entries.length) {
      deps.drop('receipt count mismatch');
      return;
    }
    if (at === 0) state.pending.shift();
    else state.pending.splice(at, 1);
    if (state.acked === undefined || v.seq > state.acked.seq) {
      state.acked = { seq: v.seq, cumulative: v.cumulative, logHead: v.logHead };
    }
    const nowMs = deps.clock.nowMs();
    const channelHex = toHex(channel.channelId);
    const records: HistoryRecord[] = new Array(v.entries.length);
    const receipts: Receipt[] = new Array(v.entries.length);
    for (let i = 0; i < v.entries.length; i++) {
      const entry = v.entries[i] as LiveVoucher['entries'][number];
      const mac = message.macs[i] as Receipt['mac'];
      receipts[i] = receiptOf(channel.channelId, v.seq, entry.payee, entry.invoiceId, entry.amount, mac);
      records[i] = {
        channelId: channelHex,
        seq: v.seq,
        payee: payeeHex(entry.payee),
        invoiceId: toHex(entry.invoiceId),
        amount: entry.amount.toString(),
        mac: toHex(mac),
        atMs: nowMs,
      };
    }
    const { history } = state;
    for (const record of records) history.push(record);
    if (history.length > historyRecordsMax + historySlack) history.splice(0, history.length - historyRecordsMax);
    writes.stage({ record: currentRecord(state), removePending: [v.seq], addHistory: records });
    for (let i = 0; i < receipts.length; i++) {
      const receipt = receipts[i] as Receipt;
      const job = v.jobs[i];
      if (job !== undefined) queue.settle(job, receipt);
      events.emit('receipt', receipt);
    }
    checkBalanceLow();
    queue.schedulePump();
    queue.checkDrained();
  }

  async function onPayReject(message: HubMessageOf<'reject'>): Promise<void> {
    const seq = message.seq ?? (message.id === undefined ? undefined : sentSeqById.get(message.id));
    if (seq === undefined) return;
    const v = takeSent(seq, message.id);
    if (v === undefined || v.dead || !state.pending.includes(v)) return;
    if (rejectCodes[message.code].retry) {
      v.needsResend = true;
      scheduleResend();
      return;
    }
    await killFrom(v, message.code, message.message, message.state, message.entry);
  }

  function scheduleResend(): void {
    if (resendTimer !== undefined) return;
    resendTimer = setTimeout(() => {
      resendTimer = undefined;
      if (!deps.ready()) return;
      for (const v of state.pending) {
        if (!v.needsResend) continue;
        v.needsResend = false;
        send(v);
      }
    }, resendDelayMs);
  }

  /** A voucher was refused for good: it and every voucher chained on it are dead; their payments go back or fail. */
  async function killFrom(
    v: LiveVoucher,
    code: RejectCode,
    text: string,
    hubState: ChannelState | undefined,
    entry?: number,
  ): Promise<void> {
    const dead = state.pending.filter((p) => p.seq >= v.seq);
    state.pending = state.pending.filter((p) => p.seq < v.seq);
    for (const d of dead) d.dead = true;
    unspend(state, dead);
    const before = state.pending[state.pending.length - 1] ?? state.acked;
    const from = state.channel?.seq ?? 0;
    if (state.channel !== undefined && before !== undefined) {
      state.channel = { ...state.channel, seq: before.seq, cumulative: before.cumulative, logHead: before.logHead };
    }
    const error = new RejectError(code, text);
    const heldByHub =
      (code === 'CHANNEL_CLOSED' || code === 'CHANNEL_EXPIRED') && hubState !== undefined && hubState.seq >= v.seq;
    const [first, ...rest] = dead;
    const firstJobs = (first?.jobs ?? []).filter((j): j is Job => j !== undefined);
    const restJobs = rest.flatMap((d) => d.jobs.filter((j): j is Job => j !== undefined));
    let again: Job[] = restJobs;
    const badJob = entry === undefined ? undefined : first?.jobs[entry];
    if (entryCodes.has(code) && badJob !== undefined) {
      // The hub named the entry: fail that payment alone, sign the others again.
      queue.fail(badJob, error);
      again = [...firstJobs.filter((job) => job !== badJob), ...restJobs];
    } else if (entryCodes.has(code)) {
      // Without an index (an older hub, or a payment nobody waits on): find it by paying one by one.
      if (firstJobs.length === 1) queue.fail(firstJobs[0] as Job, error);
      else {
        for (const job of firstJobs) job.solo = true;
        again = [...firstJobs, ...restJobs];
      }
    } else if (divergenceCodes.has(code)) {
      again = [...firstJobs, ...restJobs];
    } else if (heldByHub) {
      // The hub refuses by the channel's status before it looks for a duplicate (protocol 10.2),
      // yet its state shows it holds this seq: a voucher it accepted before its receipts were lost.
      // Never roll back below that state: adopt it and take the receipts from the log (below).
      again = [...firstJobs, ...restJobs];
      queue.failQueued(error);
    } else {
      for (const job of [...firstJobs, ...restJobs]) queue.fail(job, error);
      again = [];
      if (code === 'CHANNEL_CLOSED' || code === 'CHANNEL_EXPIRED' || code === 'UNKNOWN_CHANNEL') {
        queue.failQueued(error);
      }
    }
    await writes
      .persist({ record: currentRecord(state), removePending: dead.map((d) => d.seq) })
      .catch((e) => events.emit('error', e as Error));
    if (heldByHub) {
      // Payments the hub's log holds get their receipts; the others cannot be paid any more.
      const orphans = again;
      again = [];
      if (!(await deps.resyncWith(hubState as ChannelState, false, orphans, error))) {
        for (const job of orphans) queue.fail(job, error);
      }
    } else if (divergenceCodes.has(code) && hubState !== undefined) {
      // Our view of the hub was wrong: adopt its state if we signed it, recover receipts, sign the rest again.
      if (await deps.resyncWith(hubState, false, again)) again = [];
    } else if (dead.length > 0) {
      events.emit('resynced', { from, to: state.channel?.seq ?? 0 });
    }
    queue.requeue(again);
    queue.checkDrained();
  }

  function checkBalanceLow(): void {
    const threshold = deps.balanceLowAt;
    const { channel } = state;
    if (threshold === undefined || state.record?.channel === undefined || channel === undefined) return;
    const available = channel.deposit - channel.cumulative;
    if (available < threshold && !balanceLowFired) {
      balanceLowFired = true;
      events.emit('balanceLow', { available, threshold });
    } else if (available >= threshold) balanceLowFired = false;
  }

  return {
    send,
    clearSent: () => {
      sent.clear();
      sentSeqById.clear();
    },
    onReceipts,
    onPayReject,
    receiptOf,
    history: () => (state.history.length > historyRecordsMax ? state.history.slice(-historyRecordsMax) : state.history),
    rearmBalanceLow() {
      const { channel } = state;
      if (deps.balanceLowAt === undefined || state.record?.channel === undefined || channel === undefined) return;
      if (channel.deposit - channel.cumulative >= deps.balanceLowAt) balanceLowFired = false;
    },
    stop() {
      clearTimeout(resendTimer);
    },
  };
}
