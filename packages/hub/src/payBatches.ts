/**
 * The hot path: pay frames of one channel, queued and processed strictly in order, every
 * queued frame one batch. A batch is checked by protocol's rules (all but the signature),
 * the newest candidate's signature is verified (it commits to the earlier ones through the
 * log head; if it fails, the others one by one), the accepted vouchers are committed
 * (group commit, durable), and only then are receipts sent. The channel's state in memory
 * advances only after the commit, so a failed commit leaves memory equal to disk.
 *
 * Invoices are single-use by the store's unique index (ADR 0210): a commit that would pay
 * an invoice again is left out by the store, which names the entry; the batch is then
 * decided again knowing that invoice is paid (its voucher refused INVOICE_ALREADY_PAID at
 * that entry, the vouchers before it accepted), at most {@link invoiceRetriesMax} times.
 */
import {
  type Asset,
  assert,
  type ChannelState,
  candidateSigningBytes,
  channelStateOf,
  checkVouchers,
  type Domain,
  type HubChannel,
  type HubMessage,
  invoiceTaken,
  logGenesis,
  type Mac,
  type PayeeId,
  present,
  type ReserveInvoices,
  receiptMacsFor,
  settleVouchers,
  textCharsMax,
  type VoucherCheck,
  type VoucherOutcome,
  type VoucherRulesContext,
  voucherSigningBytes,
} from '@trickle/protocol';
import type { GroupCommit } from './groupCommit.js';
import { invoiceKeyOf, type PaidInvoices } from './invoices.js';
import { type Lane, laneChannel, type PayMessage, type QueuedFrame, serialize } from './lanes.js';
import { resentVouchersRangeMax } from './limits.js';
import type { MerchantRegistry } from './merchants.js';
import type { Clock } from './ports.js';
import { Refusal, type Reply } from './refusal.js';
import type { AcceptedVoucher, ChannelStore, IncomingWrite, WriteOutcome } from './store/channelStore.js';
import { type AsyncVerifier, checkSignatureAsync } from './verifier/asyncVerifier.js';

/** What the pay pipeline needs. */
export interface PayBatchesDeps {
  readonly domain: Domain;
  readonly clock: Clock;
  readonly store: ChannelStore;
  readonly commits: GroupCommit;
  readonly merchants: MerchantRegistry;
  /** Invoices known to be paid (a bounded cache: the store's unique index decides). */
  readonly invoices: PaidInvoices;
  /** The hub's one verification port. */
  readonly verifier: AsyncVerifier;
  readonly channelQueueFramesMax: number;
  readonly batchEntriesMax: number;
  readonly payReject: (frame: PayMessage, error: unknown, state?: ChannelState) => HubMessage;
  /** Told of the entries accepted on a lane once they are durable (the settlement counts them as unclaimed). */
  readonly onAccepted: (lane: Lane, entries: number, nowMs: number) => void;
  /** Told of the wallet-payees whose inboxes a durable commit added to (ADR 0240). */
  readonly onIncoming?: (payees: readonly PayeeId[], asset: Asset) => void;
  /**
   * In a hub cluster, takes (or confirms) the lane's lease before its work (ADR 0231): it
   * marks the lane to be read again when another process may have changed the channel, and
   * throws a Refusal (CHANNEL_BUSY) when the lease stays with another process too long.
   */
  readonly enter?: (lane: Lane) => Promise<void>;
}

/** The pay pipeline of the engine. */
export interface PayBatches {
  /** Queues a frame on its lane; its answer goes to `reply` once decided (receipts once durable). */
  enqueue(lane: Lane, frame: PayMessage, reply: Reply): void;
  /**
   * Before a lane's work (call inside serialize): in a cluster, takes the lane's lease; after
   * a failed commit or a takeover, reads the lane's channel back from the store.
   */
  readBack(lane: Lane): Promise<void>;
}

const noEarlierVouchers: ReadonlyMap<number, AcceptedVoucher> = new Map();

/**
 * Times a batch is decided again after the store found one of its invoices paid already
 * (each time one more paid invoice is known, so a handful suffices; then the batch is
 * answered INTERNAL, retryable).
 */
export const invoiceRetriesMax = 8;

/** Creates the pipeline. Internal to the engine. */
export function createPayBatches(deps: PayBatchesDeps): PayBatches {
  const { domain, clock } = deps;
  const payeeKey: VoucherRulesContext['payeeKey'] = (payee) => deps.merchants.keyOf(payee);

  function enqueue(lane: Lane, frame: PayMessage, reply: Reply): void {
    if (lane.queue.length >= deps.channelQueueFramesMax) {
      reply(deps.payReject(frame, new Refusal('OVERLOADED', 'too many vouchers queued for this channel')));
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
      entries += present(queue[count], 'a queued frame below the queue length').frame.entries.length;
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
        const state = channelStateOf(laneChannel(lane), clock.nowMs());
        for (const item of items) item.reply(deps.payReject(item.frame, error, state));
      }
    });
  }

  /** Accepts a batch of pay frames of one channel: check, verify the newest, persist, then answer. */
  async function processBatch(lane: Lane, items: readonly QueuedFrame[]): Promise<void> {
    const frames = items.map((item) => item.frame);
    let earlier = noEarlierVouchers;
    try {
      await readBack(lane);
      earlier = await earlierVouchers(laneChannel(lane), frames);
    } catch (error) {
      const state = channelStateOf(laneChannel(lane), clock.nowMs());
      for (const item of items) item.reply(deps.payReject(item.frame, error, state));
      return;
    }
    // Invoices the store found paid while this batch was decided: known to the next try.
    const taken = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const decided = await decideBatch(lane, items, frames, earlier, taken);
      if (decided === 'done') return;
      if (attempt + 1 >= invoiceRetriesMax) {
        const state = channelStateOf(laneChannel(lane), clock.nowMs());
        const error = new Error('invoices kept being paid elsewhere while this batch was decided');
        for (const item of items) item.reply(deps.payReject(item.frame, error, state));
        return;
      }
    }
  }

  /**
   * One try at a batch: check, verify, commit, answer. Returns 'retry' when the store left
   * the write out because an invoice was paid already (now in `taken`); nothing was answered.
   */
  async function decideBatch(
    lane: Lane,
    items: readonly QueuedFrame[],
    frames: readonly PayMessage[],
    earlier: ReadonlyMap<number, AcceptedVoucher>,
    taken: Set<string>,
  ): Promise<'done' | 'retry'> {
    const before = laneChannel(lane);
    const voucherContext: VoucherRulesContext = {
      domain,
      nowMs: clock.nowMs(),
      payeeKey,
      isInvoicePaid: (payee, invoiceId) =>
        deps.invoices.has(payee, invoiceId) || (taken.size > 0 && taken.has(invoiceKeyOf(payee, invoiceId))),
      acceptedAt: (seq) => earlier.get(seq),
    };
    const check = checkVouchers(before, frames, voucherContext);
    let newestValid: boolean | undefined;
    // Only while the group commit is idle: a payment waiting alone (P1) gains the overlap;
    // under load (P3) commits are shared and the check is no longer what a payment waits on.
    if (
      check.candidates.length > 0 &&
      deps.commits.idle &&
      deps.verifier.verifyAside !== undefined &&
      deps.store.revertVouchers !== undefined
    ) {
      const ahead = await commitAhead(lane, items, frames, earlier, taken, voucherContext, check);
      if (ahead !== 'invalid') return ahead;
      newestValid = false; // undone durably: decided again below, the newest known bad
    }
    const verified = await verifyCandidates(before, check, newestValid);
    const decided = await commitAndAnswer(lane, items, frames, earlier, taken, voucherContext, check, (i) =>
      Boolean(verified[i]),
    );
    return decided === 'retry' ? 'retry' : 'done';
  }

  /**
   * The newest candidate's signature checked while the batch, assumed valid, is committed
   * (ADR 0415): the check runs off the event loop during the fsync. Nothing is answered or
   * counted before both are done. When the signature fails, the durable write is reverted
   * (the store's revertVouchers) before this returns 'invalid', and the batch is decided
   * again as usual. A batch that pays a wallet-payee is not committed ahead (its inbox
   * entries would be readable before the check): it waits for the verdict first.
   */
  async function commitAhead(
    lane: Lane,
    items: readonly QueuedFrame[],
    frames: readonly PayMessage[],
    earlier: ReadonlyMap<number, AcceptedVoucher>,
    taken: Set<string>,
    voucherContext: VoucherRulesContext,
    check: VoucherCheck,
  ): Promise<'done' | 'retry' | 'invalid'> {
    const before = laneChannel(lane);
    const newest = present(check.candidates.at(-1), 'a newest candidate');
    const verdict = checkSignatureAsync(
      { name: deps.verifier.name, verify: deps.verifier.verifyAside ?? deps.verifier.verify },
      newest.frame.signature,
      candidateSigningBytes(domain, newest),
      before.clientKey,
    ).then(
      (result) => result === 'valid',
      () => false,
    );
    let undo: readonly AcceptedVoucher[] | undefined;
    const answered = await commitAndAnswer(lane, items, frames, earlier, taken, voucherContext, check, () => true, {
      verdict,
      undo: (vouchers) => {
        undo = vouchers;
      },
    });
    if (undo === undefined) return answered;
    try {
      await deps.store.revertVouchers?.(before, undo);
      return 'invalid';
    } catch (error) {
      // The store may still hold the write: the lane reads the channel back and checks its
      // newest signature before anything else (readBack), so it is never built on.
      lane.unsure = [];
      lane.headUnchecked = true;
      const state = channelStateOf(before, clock.nowMs());
      for (const item of items) item.reply(deps.payReject(item.frame, error, state));
      return 'done';
    }
  }

  /**
   * Settles a checked batch given which candidates verify, commits what is accepted, then
   * answers every frame. With `ahead`, the commit runs before `verified` is known for sure:
   * the write is made assuming the newest candidate valid, `ahead.verdict` is awaited after
   * it, and when it says invalid nothing is answered or counted: the durable vouchers are
   * handed to `ahead.undo` and this returns 'done' (the caller reverts them).
   */
  async function commitAndAnswer(
    lane: Lane,
    items: readonly QueuedFrame[],
    frames: readonly PayMessage[],
    earlier: ReadonlyMap<number, AcceptedVoucher>,
    taken: Set<string>,
    voucherContext: VoucherRulesContext,
    check: VoucherCheck,
    verified: (candidate: number) => boolean,
    ahead?: { readonly verdict: Promise<boolean>; readonly undo: (vouchers: readonly AcceptedVoucher[]) => void },
  ): Promise<'done' | 'retry' | 'invalid'> {
    const before = laneChannel(lane);
    const settled = settleVouchers(before, frames.length, check, verified, voucherContext);
    const { channel: after, outcomes, effects } = settled;
    const accepted: AcceptedVoucher[] = [];
    const incoming: IncomingWrite[] = [];
    for (let index = 0; index < outcomes.length; index++) {
      const outcome = present(outcomes[index], 'one outcome per frame');
      if (outcome.kind !== 'accepted') continue;
      const frame = present(frames[index], 'one frame per outcome');
      frame.entries.forEach((entry, i) => {
        if (!deps.merchants.isWallet(entry.payee)) return;
        const mac = outcome.macs[i];
        assert(mac !== undefined, 'an accepted voucher has a receipt per entry');
        incoming.push({
          payee: entry.payee,
          invoiceId: entry.invoiceId,
          voucherSeq: outcome.seq,
          amount: entry.amount,
          mac,
          paidAtMs: voucherContext.nowMs,
        });
      });
      // A pay entry carries every field a stored entry has (payee, invoice, amount, expiry).
      accepted.push({
        seq: outcome.seq,
        cumulative: outcome.channel.cumulative,
        logHead: outcome.channel.logHead,
        signature: frame.signature,
        entries: frame.entries,
      });
    }
    if (ahead !== undefined && (incoming.length > 0 || accepted.length === 0)) {
      if (!(await ahead.verdict)) return 'invalid';
      ahead = undefined; // the newest verifies, so every candidate does: a plain commit
    }
    if (accepted.length > 0) {
      let written: WriteOutcome;
      try {
        written = await deps.commits.write({
          channel: after,
          vouchers: accepted,
          acceptedAtMs: voucherContext.nowMs,
          ...(incoming.length === 0 ? {} : { incoming }),
        });
      } catch (error) {
        // Not acknowledged: it is not known to be durable. But a failed commit may have been
        // applied all the same (its reply lost with the connection): then memory would be
        // behind disk, and every later commit of the channel would collide with the stored
        // vouchers. So the channel is read back first thing before its next batch or request.
        lane.unsure = accepted;
        // Written ahead of its check, what the store may hold is checked once read back.
        if (ahead !== undefined) lane.headUnchecked = true;
        const state = channelStateOf(before, clock.nowMs());
        for (const item of items) item.reply(deps.payReject(item.frame, error, state));
        return 'done';
      }
      if (!written.applied && written.paidInvoice === undefined) {
        // Another process of the cluster serves the channel now (ADR 0231): nothing was
        // written; the channel is read again when this process takes its lease back.
        lane.unsure = [];
        const state = channelStateOf(before, clock.nowMs());
        const refusal = new Refusal('CHANNEL_BUSY', 'the channel is served by another hub process now; retry');
        for (const item of items) item.reply(deps.payReject(item.frame, refusal, state));
        return 'done';
      }
      if (!written.applied) {
        const effect = invoiceTaken(outcomes, written.paidInvoice);
        assert(effect !== undefined, 'the store names an entry of this write');
        reserve(effect, taken);
        return 'retry';
      }
      if (ahead !== undefined && !(await ahead.verdict)) {
        // Durable but not valid: never answered nor counted; the caller reverts it.
        ahead.undo(accepted);
        return 'done';
      }
      lane.channel = after;
      let entries = 0;
      for (const effect of effects) entries += reserve(effect);
      deps.onAccepted(lane, entries, voucherContext.nowMs);
      if (incoming.length > 0)
        deps.onIncoming?.(
          incoming.map((p) => p.payee),
          after.asset,
        );
    }
    // The state is only built when a reject carries it.
    let state: ChannelState | undefined;
    const stateNow = () => {
      state ??= channelStateOf(laneChannel(lane), clock.nowMs());
      return state;
    };
    for (let index = 0; index < items.length; index++) {
      const item = present(items[index], 'one queued item per outcome');
      item.reply(
        answer(
          lane,
          outcomes,
          present(outcomes[index], 'one outcome per queued item'),
          item.frame,
          earlier,
          stateNow,
          voucherContext,
        ),
      );
    }
    return 'done';
  }

  /**
   * Carries out a stage's invoice effect (the only place the shell takes invoices): into the
   * cache of paid invoices, and into `taken` (the batch being decided again) when given.
   * Returns the number of entries.
   */
  function reserve(effect: ReserveInvoices, taken?: Set<string>): number {
    for (const e of effect.entries) {
      deps.invoices.add(e.payee, e.invoiceId);
      taken?.add(invoiceKeyOf(e.payee, e.invoiceId));
    }
    return effect.entries.length;
  }

  function answer(
    lane: Lane,
    outcomes: readonly VoucherOutcome[],
    outcome: VoucherOutcome,
    frame: PayMessage,
    earlier: ReadonlyMap<number, AcceptedVoucher>,
    state: () => ChannelState,
    voucherContext: VoucherRulesContext,
  ): HubMessage {
    if (outcome.kind === 'rejected') {
      return {
        type: 'reject',
        id: frame.id,
        channelId: frame.channelId,
        seq: frame.seq,
        code: outcome.code,
        message: outcome.message.slice(0, textCharsMax),
        state: state(),
        ...(outcome.entry === undefined ? {} : { entry: outcome.entry }),
      };
    }
    if (outcome.kind === 'accepted') {
      return { type: 'receipts', channelId: frame.channelId, seq: outcome.seq, macs: outcome.macs as Mac[] };
    }
    // A duplicate: its original receipts again, recomputed from the stored entries.
    const stored = earlier.get(outcome.seq);
    if (stored === undefined) {
      // A resend of a voucher accepted in this same batch (settleVouchers turns a duplicate of
      // anything not accepted into SEQ_GAP): the receipts its first copy gets, now durable too.
      const original = outcomes.find((o) => o.kind === 'accepted' && o.seq === outcome.seq);
      if (original?.kind === 'accepted') {
        return { type: 'receipts', channelId: frame.channelId, seq: outcome.seq, macs: original.macs as Mac[] };
      }
    }
    if (stored === undefined || stored.entries.length === 0) {
      return {
        type: 'reject',
        id: frame.id,
        channelId: frame.channelId,
        seq: frame.seq,
        code: 'INTERNAL',
        message: 'the accepted voucher could not be read back',
        state: state(),
      };
    }
    const macs = receiptMacsFor(laneChannel(lane), outcome.seq, stored.entries, voucherContext);
    return { type: 'receipts', channelId: frame.channelId, seq: outcome.seq, macs };
  }

  /**
   * After a failed commit (vouchers, top-up or close): reads the channel back from the store,
   * so memory follows disk whether or not the write was applied. (Invoices need nothing: the
   * store's index holds them exactly when their vouchers were written.) Runs before every
   * piece of work on the lane (batch or request).
   */
  async function readBack(lane: Lane): Promise<void> {
    if (deps.enter !== undefined) await deps.enter(lane);
    if (lane.unsure !== undefined) {
      const current = laneChannel(lane);
      const stored = await deps.store.channel(current.channelId);
      if (stored !== undefined) lane.channel = stored;
      lane.unsure = undefined;
    }
    if (lane.headUnchecked) await checkStoredHead(lane);
  }

  /**
   * The stored channel's newest voucher may have been committed ahead of a signature check
   * that failed, the process stopping before its revert (ADR 0415): its signature is checked,
   * and while it fails that voucher is reverted, the channel going back to the one before.
   * Once per channel read from such a store (at start, after a failure).
   */
  async function checkStoredHead(lane: Lane): Promise<void> {
    let channel = laneChannel(lane);
    while (channel.seq > 0 && deps.store.revertVouchers !== undefined) {
      const { signature, seq, channelId } = channel;
      const check =
        signature === undefined
          ? 'malformed'
          : await checkSignatureAsync(
              deps.verifier,
              signature,
              voucherSigningBytes(domain, channel),
              channel.clientKey,
            );
      if (check === 'valid') break;
      const [head] = await deps.store.vouchers(channelId, seq, 1);
      const [previous] = seq > 1 ? await deps.store.vouchers(channelId, seq - 1, 1) : [];
      if (seq > 1 && previous?.seq !== seq - 1) throw new Error(`voucher ${seq - 1} of a stored channel is missing`);
      const { signature: _bad, ...rest } = channel;
      const back: HubChannel =
        previous === undefined
          ? { ...rest, seq: 0, cumulative: 0n, logHead: logGenesis(domain, channelId) }
          : {
              ...rest,
              seq: previous.seq,
              cumulative: previous.cumulative,
              logHead: previous.logHead,
              signature: previous.signature,
            };
      await deps.store.revertVouchers(back, head?.seq === seq ? [head] : []);
      lane.channel = back;
      channel = back;
    }
    lane.headUnchecked = false;
  }

  /** The stored vouchers a batch may repeat (seq at or below the current), for duplicates and their receipts. */
  async function earlierVouchers(
    channel: HubChannel,
    frames: readonly PayMessage[],
  ): Promise<ReadonlyMap<number, AcceptedVoucher>> {
    let from = Number.POSITIVE_INFINITY;
    let to = 0;
    for (const frame of frames) {
      if (frame.seq < 1 || frame.seq > channel.seq) continue;
      if (frame.seq < from) from = frame.seq;
      if (frame.seq > to) to = frame.seq;
    }
    if (to === 0) return noEarlierVouchers;
    const found = new Map<number, AcceptedVoucher>();
    // Bounded read: a resend spans at most the client's in-flight window; older seqs are looked up one by one.
    if (to - from < resentVouchersRangeMax) {
      for (const v of await deps.store.vouchers(channel.channelId, from, to - from + 1)) found.set(v.seq, v);
    } else {
      const seqs = new Set(frames.map((f) => f.seq).filter((seq) => seq >= 1 && seq <= channel.seq));
      for (const seq of seqs) {
        for (const v of await deps.store.vouchers(channel.channelId, seq, 1)) found.set(v.seq, v);
      }
    }
    return found;
  }

  /**
   * Verifies the newest candidate (unless its verdict is known already); only if it fails,
   * the others from the oldest until one fails.
   */
  async function verifyCandidates(channel: HubChannel, check: VoucherCheck, newestValid?: boolean): Promise<boolean[]> {
    const { candidates } = check;
    const results: boolean[] = new Array(candidates.length);
    if (candidates.length === 0) return results;
    const verifyOne = async (i: number) => {
      const candidate = candidates[i] as (typeof candidates)[number];
      const ok =
        (await checkSignatureAsync(
          deps.verifier,
          candidate.frame.signature,
          candidateSigningBytes(domain, candidate),
          channel.clientKey,
        )) === 'valid';
      results[i] = ok;
      return ok;
    };
    const last = candidates.length - 1;
    if (newestValid === false) results[last] = false;
    else if (await verifyOne(last)) return results;
    for (let i = 0; i < last; i++) if (!(await verifyOne(i))) break;
    return results;
  }

  return { enqueue, readBack };
}
