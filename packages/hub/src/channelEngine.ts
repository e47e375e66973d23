/**
 * The hub's channel engine: every channel in memory, one serialized lane per channel,
 * and the imperative shell around protocol's pure functions (open, top up, accept
 * vouchers, close). No sockets: a session hands it decoded messages and a reply
 * function. Persist, then promise: every state change is durable (group commit) before
 * the reply that announces it is sent.
 */
import {
  type ChannelId,
  type ChannelState,
  type ClientMessageOf,
  candidateSigningBytes,
  channelIdOf,
  channelStateOf,
  checkSignature,
  checkVouchers,
  closeChannel,
  type Domain,
  equalBytes,
  type HubChannel,
  type HubMessage,
  isSameOpen,
  type LoggedVoucher,
  type Mac,
  type OpenPolicy,
  openChannel,
  openSigningBytes,
  type PayFrame,
  type PaymentEntry,
  type PublicKey,
  type RejectCode,
  receiptMacsFor,
  settleVouchers,
  toHex,
  topUpChannel,
  type Verifier,
  type VoucherContext,
  type VoucherOutcome,
} from '@trickle/protocol';
import type { GroupCommit } from './groupCommit.js';
import type { InvoiceSet } from './invoices.js';
import type { ChannelLedger } from './ledgerPort.js';
import type { MerchantRegistry } from './merchants.js';
import type { Clock } from './ports.js';
import type { AcceptedVoucher, ChannelStore, StoredEntry } from './store/channelStore.js';
import { type AsyncVerifier, checkSignatureAsync } from './verifier/asyncVerifier.js';

/** Where the engine sends what it has to say about a message. */
export type Reply = (message: HubMessage) => void;

/** What the engine needs. */
export interface ChannelEngineDeps {
  readonly domain: Domain;
  readonly clock: Clock;
  readonly store: ChannelStore;
  readonly commits: GroupCommit;
  readonly ledger: ChannelLedger;
  readonly merchants: MerchantRegistry;
  readonly invoices: InvoiceSet;
  /** For the hot path (vouchers), off the event loop. */
  readonly asyncVerifier: AsyncVerifier;
  /** For the rare inline checks (open, top-up, close). */
  readonly verifier: Verifier;
  readonly openPolicy: OpenPolicy;
  readonly channelQueueFramesMax: number;
  /** Most payment entries processed as one batch (one signature check, one commit). */
  readonly batchEntriesMax: number;
  /** Largest encoded logPage, in bytes (frameBytesMax less a margin). */
  readonly logPageBytesMax: number;
  /** Told about every failure that is answered INTERNAL (store or ledger I/O, bugs). */
  readonly onError: (error: unknown, context: string) => void;
}

interface QueuedFrame {
  readonly frame: PayFrame;
  readonly reply: Reply;
}

interface Lane {
  /** The durable state; undefined while the channel is being opened. */
  channel: HubChannel | undefined;
  readonly queue: QueuedFrame[];
  /** Tail of the lane's serialized work. */
  tail: Promise<void>;
  batchScheduled: boolean;
}

/** A refusal to send as a `reject`. */
class Refusal extends Error {
  constructor(
    readonly code: RejectCode,
    message: string,
    readonly state?: ChannelState,
  ) {
    super(message);
  }
}

/** The engine. */
export interface ChannelEngine {
  load(): Promise<void>;
  open(clientKey: PublicKey, message: ClientMessageOf<'open'>): Promise<HubMessage>;
  topUp(clientKey: PublicKey, message: ClientMessageOf<'topUp'>): Promise<HubMessage>;
  close(clientKey: PublicKey, message: ClientMessageOf<'close'>): Promise<HubMessage>;
  sync(clientKey: PublicKey, message: ClientMessageOf<'sync'>): Promise<HubMessage>;
  log(clientKey: PublicKey, message: ClientMessageOf<'log'>): Promise<HubMessage>;
  /** Queues a pay frame; replies (receipts or reject) come through `reply` once durable. */
  pay(clientKey: PublicKey, frame: PayFrame, reply: Reply): void;
  /** The state of a channel, for operators and tests. */
  state(channelId: ChannelId): ChannelState | undefined;
  /** Resolves when every lane is idle and every write is durable. */
  idle(): Promise<void>;
  readonly channelCount: number;
}

/** Creates the engine. Internal to createHub. */
export function createChannelEngine(deps: ChannelEngineDeps): ChannelEngine {
  const lanes = new Map<string, Lane>();
  const { domain, clock } = deps;

  function laneOf(channelId: ChannelId): Lane {
    const id = toHex(channelId);
    let lane = lanes.get(id);
    if (lane === undefined) {
      lane = { channel: undefined, queue: [], tail: Promise.resolve(), batchScheduled: false };
      lanes.set(id, lane);
    }
    return lane;
  }

  /** Runs `work` after everything queued on the lane before it. */
  function serialize<T>(lane: Lane, work: () => Promise<T>): Promise<T> {
    const run = lane.tail.then(work);
    lane.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The lane of a channel owned by `clientKey`, loading a finalized one from the store; else UNKNOWN_CHANNEL. */
  async function ownedLane(clientKey: PublicKey, channelId: ChannelId): Promise<Lane> {
    let lane = lanes.get(toHex(channelId));
    if (lane?.channel === undefined) {
      const stored = await deps.store.channel(channelId);
      if (stored !== undefined) {
        lane = laneOf(channelId);
        lane.channel ??= stored;
      }
    }
    if (lane?.channel === undefined || !equalBytes(lane.channel.clientKey, clientKey)) {
      throw new Refusal('UNKNOWN_CHANNEL', 'no channel with this id belongs to this key');
    }
    return lane;
  }

  const stateOf = (channel: HubChannel) => channelStateOf(channel, clock.nowMs());
  const context = () => ({ domain, nowMs: clock.nowMs(), verifier: deps.verifier });

  function asReject(id: number | undefined, error: unknown, channelId?: ChannelId): HubMessage {
    if (error instanceof Refusal) {
      return {
        type: 'reject',
        ...(id === undefined ? {} : { id }),
        ...(channelId === undefined ? {} : { channelId }),
        code: error.code,
        message: error.message.slice(0, 512),
        ...(error.state === undefined ? {} : { state: error.state }),
      };
    }
    deps.onError(error, id === undefined ? 'pay' : 'request');
    return {
      type: 'reject',
      ...(id === undefined ? {} : { id }),
      code: 'INTERNAL',
      message: 'the hub could not complete the request; nothing was changed',
    };
  }

  async function request(id: number, work: () => Promise<HubMessage>): Promise<HubMessage> {
    try {
      return await work();
    } catch (error) {
      return asReject(id, error);
    }
  }

  /** Maps a ledger failure to a reject code; anything unknown is INTERNAL. */
  function ledgerRefusal(error: unknown, state?: ChannelState): Refusal {
    const code = (error as { code?: unknown }).code;
    const map: Record<string, RejectCode> = {
      INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
      EXISTS_WITH_DIFFERENT_FIELDS: 'CHANNEL_EXISTS',
      CHANNEL_NOT_OPEN: 'CHANNEL_CLOSED',
    };
    const mapped = typeof code === 'string' ? map[code] : undefined;
    if (mapped === undefined) throw error;
    return new Refusal(mapped, `ledger: ${(error as Error).message}`.slice(0, 500), state);
  }

  const engine: ChannelEngine = {
    async load() {
      const nowMs = clock.nowMs();
      for (const channel of await deps.store.openChannels()) laneOf(channel.channelId).channel = channel;
      for (const invoice of await deps.store.unexpiredInvoices(nowMs)) {
        deps.invoices.add(invoice.payee, invoice.invoiceId, invoice.expiresAtMs);
      }
    },

    open(clientKey, message) {
      return request(message.id, async () => {
        const openRequest = {
          clientKey,
          nonce: message.nonce,
          asset: message.asset,
          deposit: message.deposit,
          expiresAtMs: message.expiresAtMs,
          signature: message.signature,
        };
        const channelId = channelIdOf(domain.hubId, clientKey, message.nonce);
        const lane = laneOf(channelId);
        // A refused open leaves no lane behind: refused opens must not grow memory.
        const forget = () => {
          if (lane.channel === undefined && lane.queue.length === 0) lanes.delete(toHex(channelId));
        };
        return serialize(lane, async (): Promise<HubMessage> => {
          lane.channel ??= await deps.store.channel(channelId);
          const existing = lane.channel;
          if (existing !== undefined) {
            const check = checkSignature(
              deps.verifier,
              message.signature,
              openSigningBytes(domain, openRequest),
              clientKey,
            );
            if (check !== 'valid') throw new Refusal('SIGNATURE_INVALID', `open request signature: ${check}`);
            if (!isSameOpen(domain, existing, openRequest)) {
              throw new Refusal('CHANNEL_EXISTS', 'a channel with this id exists with other terms', stateOf(existing));
            }
            return { type: 'state', id: message.id, state: stateOf(existing) };
          }
          const outcome = openChannel(openRequest, { ...context(), sessionKey: clientKey, policy: deps.openPolicy });
          if (outcome.kind === 'rejected') throw new Refusal(outcome.code, outcome.message);
          const { channel } = outcome;
          try {
            await deps.ledger.openChannel({
              channelId,
              clientKey,
              asset: channel.asset,
              deposit: channel.deposit,
              expiresAtMs: channel.expiresAtMs,
            });
          } catch (error) {
            throw ledgerRefusal(error);
          }
          await deps.commits.write({ channel });
          lane.channel = channel;
          return { type: 'state', id: message.id, state: stateOf(channel) };
        }).finally(forget);
      });
    },

    topUp(clientKey, message) {
      return request(message.id, async () => {
        const lane = await ownedLane(clientKey, message.channelId);
        return serialize(lane, async () => {
          const channel = lane.channel as HubChannel;
          const outcome = topUpChannel(channel, message, context());
          if (outcome.kind === 'rejected') throw new Refusal(outcome.code, outcome.message, stateOf(channel));
          if (outcome.kind === 'toppedUp') {
            try {
              await deps.ledger.topUpChannel({ channelId: channel.channelId, deposit: outcome.channel.deposit });
            } catch (error) {
              throw ledgerRefusal(error, stateOf(channel));
            }
            await deps.commits.write({ channel: outcome.channel });
            lane.channel = outcome.channel;
          }
          return { type: 'state', id: message.id, state: stateOf(lane.channel as HubChannel) };
        });
      });
    },

    close(clientKey, message) {
      return request(message.id, async () => {
        const lane = await ownedLane(clientKey, message.channelId);
        return serialize(lane, async () => {
          let channel = lane.channel as HubChannel;
          const outcome = closeChannel(channel, message, context());
          if (outcome.kind === 'rejected') throw new Refusal(outcome.code, outcome.message, stateOf(channel));
          if (channel.closedAtMs !== undefined) return { type: 'state', id: message.id, state: stateOf(channel) };
          if (outcome.kind === 'closing') {
            await deps.commits.write({ channel: outcome.channel });
            lane.channel = channel = outcome.channel;
          }
          await finalizeCooperative(channel);
          const closed: HubChannel = { ...channel, closedAtMs: clock.nowMs() };
          await deps.commits.write({ channel: closed });
          lane.channel = closed;
          return { type: 'state', id: message.id, state: stateOf(closed) };
        });
      });
    },

    sync(clientKey, message) {
      return request(message.id, async () => {
        const lane = await ownedLane(clientKey, message.channelId);
        // Behind the lane's queued work, so the state reflects every frame received before the sync.
        return serialize(lane, async () => ({
          type: 'state',
          id: message.id,
          state: stateOf(lane.channel as HubChannel),
        }));
      });
    },

    log(clientKey, message) {
      return request(message.id, async () => {
        const lane = await ownedLane(clientKey, message.channelId);
        return serialize(lane, async () => logPage(lane.channel as HubChannel, message));
      });
    },

    pay(clientKey, frame, reply) {
      const lane = lanes.get(toHex(frame.channelId));
      if (lane?.channel === undefined || !equalBytes(lane.channel.clientKey, clientKey)) {
        // Not in memory: a finalized channel (answer with its state) or none of this key's.
        void ownedLane(clientKey, frame.channelId).then(
          (owned) => enqueue(owned, frame, reply),
          (error) => reply(payReject(frame, error)),
        );
        return;
      }
      enqueue(lane, frame, reply);
    },

    state(channelId) {
      const channel = lanes.get(toHex(channelId))?.channel;
      return channel === undefined ? undefined : stateOf(channel);
    },

    async idle() {
      for (;;) {
        const tails = [...lanes.values()].map((lane) => lane.tail);
        await Promise.all(tails);
        await deps.commits.flush();
        if ([...lanes.values()].every((lane) => lane.queue.length === 0 && !lane.batchScheduled)) return;
      }
    },

    get channelCount() {
      return lanes.size;
    },
  };

  function enqueue(lane: Lane, frame: PayFrame, reply: Reply): void {
    if (lane.queue.length >= deps.channelQueueFramesMax) {
      reply(payReject(frame, new Refusal('OVERLOADED', 'too many vouchers queued for this channel')));
      return;
    }
    lane.queue.push({ frame, reply });
    scheduleBatch(lane);
  }

  /** Takes frames from the front of the queue up to batchEntriesMax entries (at least one frame). */
  function takeBatch(queue: QueuedFrame[]): QueuedFrame[] {
    let count = 0;
    let entries = 0;
    while (count < queue.length) {
      entries += (queue[count] as QueuedFrame).frame.entries.length;
      if (count > 0 && entries > deps.batchEntriesMax) break;
      count++;
    }
    return queue.splice(0, count);
  }

  function scheduleBatch(lane: Lane): void {
    if (lane.batchScheduled) return;
    lane.batchScheduled = true;
    void serialize(lane, async () => {
      lane.batchScheduled = false;
      const items = takeBatch(lane.queue);
      // Frames beyond this batch get their own: the client sees receipts while the hub works.
      if (lane.queue.length > 0) scheduleBatch(lane);
      try {
        await processBatch(lane, items);
      } catch (error) {
        // A bug or an unexpected failure: answer every frame so no client waits forever.
        for (const item of items) item.reply(payReject(item.frame, error, stateOf(lane.channel as HubChannel)));
      }
    });
  }

  function payReject(frame: PayFrame, error: unknown, state?: ChannelState): HubMessage {
    const base = asReject(undefined, error, frame.channelId);
    return {
      ...base,
      channelId: frame.channelId,
      seq: frame.seq,
      ...(state === undefined ? {} : { state }),
    } as HubMessage;
  }

  /** Accepts a batch of pay frames of one channel: check, verify the newest, persist, then answer. */
  async function processBatch(lane: Lane, items: QueuedFrame[]): Promise<void> {
    const before = lane.channel as HubChannel;
    const frames = items.map((item) => item.frame);
    let earlier: Map<number, AcceptedVoucher>;
    try {
      earlier = await earlierVouchers(before, frames);
    } catch (error) {
      for (const item of items) item.reply(payReject(item.frame, error, stateOf(before)));
      return;
    }
    const voucherContext: VoucherContext = {
      ...context(),
      payeeKey: (payee) => deps.merchants.keyOf(payee),
      isInvoicePaid: (payee, invoiceId) => deps.invoices.has(payee, invoiceId),
      acceptedAt: (seq) => earlier.get(seq),
    };
    const check = checkVouchers(before, frames, voucherContext);
    // Reserve the candidates' invoices now: another channel's batch may run while we verify.
    for (const candidate of check.candidates) {
      for (const e of candidate.frame.entries) deps.invoices.add(e.payee, e.invoiceId, e.expiresAtMs);
    }
    const verified = await verifyCandidates(before, check);
    const { channel: after, outcomes } = settleVouchers(
      before,
      frames.length,
      check,
      (i) => verified.get(i) ?? false,
      voucherContext,
    );
    const accepted: AcceptedVoucher[] = [];
    const macsBySeq = new Map<number, readonly Mac[]>();
    outcomes.forEach((outcome, index) => {
      if (outcome.kind !== 'accepted') return;
      const frame = frames[index] as PayFrame;
      accepted.push({
        seq: outcome.seq,
        cumulative: outcome.channel.cumulative,
        logHead: outcome.channel.logHead,
        signature: frame.signature,
        entries: frame.entries.map(
          (e): StoredEntry => ({
            payee: e.payee,
            invoiceId: e.invoiceId,
            amount: e.amount,
            expiresAtMs: e.expiresAtMs,
          }),
        ),
      });
      macsBySeq.set(outcome.seq, outcome.macs);
    });
    const acceptedSeqs = new Set(accepted.map((v) => v.seq));
    for (const candidate of check.candidates) {
      if (acceptedSeqs.has(candidate.frame.seq)) continue;
      for (const e of candidate.frame.entries) deps.invoices.remove(e.payee, e.invoiceId);
    }
    if (accepted.length > 0) {
      try {
        await deps.commits.write({ channel: after, vouchers: accepted });
      } catch (error) {
        for (const v of accepted) for (const e of v.entries) deps.invoices.remove(e.payee, e.invoiceId);
        for (const item of items) item.reply(payReject(item.frame, error, stateOf(before)));
        return;
      }
      lane.channel = after;
    }
    const state = stateOf(lane.channel as HubChannel);
    outcomes.forEach((outcome, index) => {
      const item = items[index] as QueuedFrame;
      item.reply(answer(outcome, item.frame, macsBySeq, earlier, state, voucherContext));
    });
  }

  function answer(
    outcome: VoucherOutcome,
    frame: PayFrame,
    macsBySeq: Map<number, readonly Mac[]>,
    earlier: Map<number, AcceptedVoucher>,
    state: ChannelState,
    voucherContext: VoucherContext,
  ): HubMessage {
    if (outcome.kind === 'rejected') {
      return {
        type: 'reject',
        channelId: frame.channelId,
        seq: frame.seq,
        code: outcome.code,
        message: outcome.message.slice(0, 512),
        state,
      };
    }
    let macs = macsBySeq.get(outcome.seq);
    if (macs === undefined) {
      const stored = earlier.get(outcome.seq);
      if (stored === undefined || stored.entries.length === 0) {
        return {
          type: 'reject',
          channelId: frame.channelId,
          seq: frame.seq,
          code: 'INTERNAL',
          message: 'the accepted voucher could not be read back',
          state,
        };
      }
      const channel = lanes.get(toHex(frame.channelId))?.channel as HubChannel;
      macs = receiptMacsFor(channel, outcome.seq, stored.entries, voucherContext);
    }
    return { type: 'receipts', channelId: frame.channelId, seq: outcome.seq, macs: [...macs] };
  }

  /** The stored vouchers a batch may repeat (seq at or below the current), for duplicates and their receipts. */
  async function earlierVouchers(
    channel: HubChannel,
    frames: readonly PayFrame[],
  ): Promise<Map<number, AcceptedVoucher>> {
    const seqs = frames.map((f) => f.seq).filter((seq) => seq >= 1 && seq <= channel.seq);
    const found = new Map<number, AcceptedVoucher>();
    if (seqs.length === 0) return found;
    const from = Math.min(...seqs);
    const to = Math.max(...seqs);
    // Bounded read: a resend spans at most the client's in-flight window; older seqs are looked up one by one.
    if (to - from < 1024) {
      for (const v of await deps.store.vouchers(channel.channelId, from, to - from + 1)) found.set(v.seq, v);
    } else {
      for (const seq of new Set(seqs)) {
        for (const v of await deps.store.vouchers(channel.channelId, seq, 1)) found.set(v.seq, v);
      }
    }
    return found;
  }

  /** Verifies the newest candidate; only if it fails, the others from the oldest until one fails. */
  async function verifyCandidates(
    channel: HubChannel,
    check: ReturnType<typeof checkVouchers>,
  ): Promise<Map<number, boolean>> {
    const results = new Map<number, boolean>();
    const { candidates } = check;
    if (candidates.length === 0) return results;
    const verifyOne = async (i: number) => {
      const candidate = candidates[i] as (typeof candidates)[number];
      const ok =
        (await checkSignatureAsync(
          deps.asyncVerifier,
          candidate.frame.signature,
          candidateSigningBytes(domain, candidate),
          channel.clientKey,
        )) === 'valid';
      results.set(i, ok);
      return ok;
    };
    const last = candidates.length - 1;
    if (await verifyOne(last)) return results;
    for (let i = 0; i < last; i++) if (!(await verifyOne(i))) break;
    return results;
  }

  /** Settles the channel on the ledger at its latest state: entries since the ledger's last claim. */
  async function finalizeCooperative(channel: HubChannel): Promise<void> {
    const ledgerChannel = await deps.ledger.channel(channel.channelId);
    const claimedSeq = ledgerChannel?.claimed.seq ?? 0;
    const entries: PaymentEntry[] = [];
    for (let from = claimedSeq + 1; from <= channel.seq; from += 1024) {
      for (const v of await deps.store.vouchers(channel.channelId, from, 1024)) {
        for (const e of v.entries) entries.push({ payee: e.payee, invoiceId: e.invoiceId, amount: e.amount });
      }
    }
    const voucher =
      channel.seq === 0 || channel.signature === undefined
        ? undefined
        : {
            channelId: channel.channelId,
            seq: channel.seq,
            cumulative: channel.cumulative,
            logHead: channel.logHead,
            signature: channel.signature,
          };
    try {
      await deps.ledger.closeCooperative({ channelId: channel.channelId, voucher, entries });
    } catch (error) {
      throw ledgerRefusal(error, stateOf(channel));
    }
  }

  async function logPage(channel: HubChannel, message: ClientMessageOf<'log'>): Promise<HubMessage> {
    const stored = await deps.store.vouchers(channel.channelId, message.fromSeq, message.limit);
    const vouchers: LoggedVoucher[] = [];
    let bytes = 128;
    for (const v of stored) {
      // ~90 bytes per entry and mac on the wire, ~140 per voucher: stop before the frame limit.
      const size = 140 + v.entries.length * 150;
      if (bytes + size > deps.logPageBytesMax || v.entries.length === 0) break;
      bytes += size;
      const entries = v.entries.map((e) => ({ payee: e.payee, invoiceId: e.invoiceId, amount: e.amount }));
      const macs = receiptMacsFor(channel, v.seq, entries, {
        domain,
        payeeKey: (payee) => deps.merchants.keyOf(payee),
      });
      vouchers.push({ seq: v.seq, cumulative: v.cumulative, logHead: v.logHead, entries, macs });
    }
    const lastSeq = vouchers.length === 0 ? message.fromSeq - 1 : (vouchers[vouchers.length - 1] as LoggedVoucher).seq;
    return { type: 'logPage', id: message.id, channelId: channel.channelId, vouchers, more: lastSeq < channel.seq };
  }

  return engine;
}
