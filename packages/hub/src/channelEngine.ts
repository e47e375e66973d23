/**
 * The hub's channel engine: every channel in memory, one serialized lane per channel,
 * and the imperative shell around protocol's pure functions (open, top up, accept
 * vouchers, close). No sockets: a session hands it decoded messages and a reply
 * function. Persist, then promise: every state change is durable (group commit) before
 * the reply that announces it is sent.
 */
import {
  type Asset,
  asError,
  type ChannelId,
  type ChannelState,
  type ClientMessageOf,
  channelIdOf,
  channelStateOf,
  closeSignature,
  type Domain,
  decideClose,
  decideForceClose,
  decideOpen,
  decideTopUp,
  equalBytes,
  forceCloseSignature,
  type HubChannel,
  type HubMessage,
  isSameOpen,
  type LoggedVoucher,
  type OpenPolicy,
  openSignature,
  type PayeeId,
  type PublicKey,
  present,
  type RejectCode,
  receiptMacsFor,
  type SignatureCheck,
  type SignatureToCheck,
  type StageContext,
  textCharsMax,
  topUpSignature,
} from '@trickle/protocol';
import type { GroupCommit } from './groupCommit.js';
import type { PaidInvoices } from './invoices.js';
import { type Lane, type Lanes, laneChannel, type PayMessage, pin, serialize, unpin } from './lanes.js';
import type { ChannelLedger } from './ledgerPort.js';
import type { MerchantRegistry } from './merchants.js';
import { createPayBatches } from './payBatches.js';
import type { Clock } from './ports.js';
import { createRejects, Refusal, type Reply } from './refusal.js';
import { closingAnswer, type HubSettlement } from './settlement/settlement.js';
import type { ChannelStore, ClaimMark, SettlementRow, WriteOutcome } from './store/channelStore.js';
import { type AsyncVerifier, checkSignatureAsync } from './verifier/asyncVerifier.js';

export type { Reply } from './refusal.js';

/** What the engine needs. */
export interface ChannelEngineDeps {
  readonly domain: Domain;
  /** The channels in memory (shared with the settlement). */
  readonly lanes: Lanes;
  /** The settlement: claims before a close, forced closes, unclaimed counts (read at call time). */
  readonly settlement: () => HubSettlement;
  readonly clock: Clock;
  readonly store: ChannelStore;
  readonly commits: GroupCommit;
  readonly ledger: ChannelLedger;
  readonly merchants: MerchantRegistry;
  /** Invoices known to be paid (a bounded cache; the store's unique index decides). */
  readonly invoices: PaidInvoices;
  /** The hub's one verification port: vouchers on the hot path, and open, top-up, close, forced close. */
  readonly verifier: AsyncVerifier;
  readonly openPolicy: OpenPolicy;
  readonly channelQueueFramesMax: number;
  /** Most payment entries processed as one batch (one signature check, one commit). */
  readonly batchEntriesMax: number;
  /** Largest encoded logPage, in bytes (frameBytesMax less a margin). */
  readonly logPageBytesMax: number;
  /** Told about every failure that is answered INTERNAL (store or ledger I/O, bugs). */
  readonly onError: (error: unknown, context: string) => void;
  /** In a hub cluster, the lease gate every lane's work passes first (ADR 0231). */
  readonly enter?: (lane: Lane) => Promise<void>;
  /** Told of the wallet-payees whose inboxes a durable commit added to (ADR 0240). */
  readonly onIncoming?: (payees: readonly PayeeId[], asset: Asset) => void;
}

/** The engine. */
export interface ChannelEngine {
  load(): Promise<void>;
  open(clientKey: PublicKey, message: ClientMessageOf<'open'>): Promise<HubMessage>;
  topUp(clientKey: PublicKey, message: ClientMessageOf<'topUp'>): Promise<HubMessage>;
  close(clientKey: PublicKey, message: ClientMessageOf<'close'>): Promise<HubMessage>;
  /** A payer's forced (unilateral) close: recorded on the ledger at its state; answered `closing`. */
  forceClose(clientKey: PublicKey, message: ClientMessageOf<'forceClose'>): Promise<HubMessage>;
  /**
   * Changes a channel on its lane (after its queued work, memory caught up with disk): `change`
   * returns the next channel, or undefined for no change; the change is durable when it resolves.
   */
  updateChannel(lane: Lane, change: (channel: HubChannel) => HubChannel | undefined): Promise<HubChannel | undefined>;
  sync(clientKey: PublicKey, message: ClientMessageOf<'sync'>): Promise<HubMessage>;
  log(clientKey: PublicKey, message: ClientMessageOf<'log'>): Promise<HubMessage>;
  /** Queues a pay frame; replies (receipts or reject) come through `reply` once durable. */
  pay(clientKey: PublicKey, frame: PayMessage, reply: Reply): void;
  /**
   * The state of a channel in memory, for operators and tests: every open channel, and a
   * closed one only while it is among the `closedChannelsCachedMax` most recently used.
   */
  state(channelId: ChannelId): ChannelState | undefined;
  /** Resolves when every lane is idle and every write is durable. */
  idle(): Promise<void>;
  /**
   * Channels in memory: those with work, the closing ones, and at most `channelsCachedMax`
   * idle open and `closedChannelsCachedMax` idle closed ones.
   */
  readonly channelCount: number;
  /**
   * The lane of a channel, read back from the store if it is not in memory (ADR 0419);
   * undefined when the store has none. Queue work on it, or pin it, in the turn it resolves.
   */
  lane(channelId: ChannelId): Promise<Lane | undefined>;
}

/** Closing channels read per page at start. */
const loadPageChannels = 1_000;

/** Creates the engine. Internal to createHub. */
export function createChannelEngine(deps: ChannelEngineDeps): ChannelEngine {
  const { domain, clock, lanes } = deps;
  const { asReject, payReject } = createRejects(deps.onError);
  const batches = createPayBatches({
    ...deps,
    payReject,
    onAccepted: (lane, entries, nowMs) => deps.settlement().accepted(lane, entries, nowMs),
  });

  /**
   * Store reads that bring a channel into memory, each settled once the work it leads to is
   * queued on its lane: until then that work is on no lane, so idle() waits for these too
   * (else hub.close() would shut the connection and the store under it, its answer lost).
   */
  const reads = new Set<Promise<void>>();

  /**
   * Hands `use` the lane of a channel owned by `clientKey`, else refuses UNKNOWN_CHANNEL. A
   * channel not in memory is finalized (every open one is): it is read back from the store.
   * `use` runs in the same turn the lane is found and must queue its work on it there
   * (serialize), so an idle closed lane cannot be evicted between the two.
   */
  async function withOwnedLane<T>(clientKey: PublicKey, channelId: ChannelId, use: (lane: Lane) => T): Promise<T> {
    const lane = lanes.get(channelId);
    if (lane?.channel !== undefined) return useOwned(lane, clientKey, use);
    let settled!: () => void;
    const read = new Promise<void>((resolve) => {
      settled = resolve;
    });
    reads.add(read);
    try {
      // Only its owner brings a channel back into memory: probes with other keys must not.
      const found = await readBack(channelId, (stored) => equalBytes(stored.clientKey, clientKey));
      // `use` queues its work before the read stops counting for idle(): no gap between them.
      return useOwned(found, clientKey, use);
    } finally {
      reads.delete(read);
      settled();
    }
  }

  /** A store that can revert may hold a voucher written ahead of a check that failed (ADR 0415). */
  const revertible = deps.store.revertVouchers !== undefined;

  /**
   * The lane of a channel, read back from the store when it is not in memory (ADR 0419): an
   * evicted open channel, a finalized one, or one the store's settlement indexes named. The
   * channel, and for one not finalized its claim mark (the settlement fields: claimed state,
   * entries not claimed and since when) and, on a store that can revert, its head to check
   * before the next work (ADR 0415) as at a start. What a lane holds besides is rebuilt on
   * use: a recorded close is read from the ledger, a lease is taken again (leaseGate). A
   * channel `accept` refuses (another key's) is not brought in: the lane as it is now.
   * The lane's work must be queued (or the lane pinned) in the turn it is returned.
   */
  async function readBack(
    channelId: ChannelId,
    accept?: (stored: HubChannel) => boolean,
    pinned = false,
  ): Promise<Lane | undefined> {
    const held = (lane: Lane | undefined) => (pinned && lane !== undefined ? pin(lane) : lane);
    const inMemory = lanes.get(channelId);
    if (inMemory?.channel !== undefined) return held(inMemory);
    const stored = await deps.store.channel(channelId);
    if (stored === undefined || (accept !== undefined && !accept(stored))) return held(lanes.get(channelId));
    const mark = stored.closedAtMs === undefined ? await deps.store.claimMark(channelId) : undefined;
    const lane = lanes.of(channelId);
    // Read back by another request meanwhile (or opened since): the lane in memory is newer.
    if (lane.channel === undefined) adoptStored(lane, stored, mark);
    return held(lane);
  }

  /** Fills an empty lane with a channel and claim mark read from the store. */
  function adoptStored(lane: Lane, stored: HubChannel, mark: ClaimMark | undefined): void {
    lane.channel = stored;
    lane.headUnchecked = revertible && stored.seq > 0 && stored.closedAtMs === undefined;
    if (mark === undefined) return;
    const settle = lane.settle;
    settle.claimedSeq = mark.claimedSeq;
    settle.claimedCumulative = mark.claimedCumulative;
    settle.unclaimedEntries = mark.unclaimedEntries;
    // A store of an older version does not know since when: now is the safe guess (claims no later than the policy says).
    settle.unclaimedSinceMs = mark.unclaimedEntries === 0 ? undefined : (mark.unclaimedSinceMs ?? clock.nowMs());
  }

  function useOwned<T>(lane: Lane | undefined, clientKey: PublicKey, use: (lane: Lane) => T): T {
    if (lane?.channel === undefined || !equalBytes(lane.channel.clientKey, clientKey)) {
      throw new Refusal('UNKNOWN_CHANNEL', 'no channel with this id belongs to this key');
    }
    return use(lane);
  }

  /**
   * Runs a request's work in the lane's turn, after memory has caught up with disk: a failed
   * commit before it (vouchers, top-up, close) may have been applied all the same.
   */
  function inLane<T>(lane: Lane, work: () => Promise<T>): Promise<T> {
    return serialize(lane, async () => {
      await batches.readBack(lane);
      return work();
    });
  }

  /** Persists a channel state, then adopts it; a failed write may have applied, so it is read back next. */
  async function writeChannel(lane: Lane, channel: HubChannel): Promise<void> {
    let written: WriteOutcome;
    try {
      written = await deps.commits.write({ channel });
    } catch (error) {
      lane.unsure ??= []; // no vouchers of its own: the channel is read back
      throw error;
    }
    if (!written.applied) throw leaseLost(lane);
    lane.channel = channel;
  }

  /** A write left out because another process of the cluster took the channel (ADR 0231). */
  function leaseLost(lane: Lane): Refusal {
    if (lane.channel !== undefined) lane.unsure ??= [];
    const state = lane.channel === undefined ? undefined : stateOf(lane.channel);
    return new Refusal('CHANNEL_BUSY', 'the channel is served by another hub process now; retry', state);
  }

  const stateOf = (channel: HubChannel) => channelStateOf(channel, clock.nowMs());
  const stage = (): StageContext => ({ domain, nowMs: clock.nowMs() });
  /** Checks the signature a stage asks for with the hub's one verification port. */
  const verify = (signed: SignatureToCheck): Promise<SignatureCheck> =>
    checkSignatureAsync(deps.verifier, signed.signature, signed.message, signed.publicKey);

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
    return new Refusal(mapped, `ledger: ${asError(error).message}`.slice(0, textCharsMax), state);
  }

  const engine: ChannelEngine = {
    async load() {
      // Closing channels only (they stay in memory until final); every other channel is read
      // back when its wallet speaks or the settlement's store queries name it (ADR 0419).
      let after: SettlementRow | undefined;
      for (;;) {
        const rows = await deps.store.settlementChannels({
          by: 'closingSince',
          bound: BigInt(Number.MAX_SAFE_INTEGER),
          after,
          limit: loadPageChannels,
        });
        // Pinned and let go: a closing lane stays (lanes.ts); the idle list learns of it.
        for (const row of rows) {
          const lane = await readBack(row.channelId, undefined, true);
          if (lane !== undefined) unpin(lane);
        }
        if (rows.length < loadPageChannels) return;
        after = rows[rows.length - 1];
      }
    },

    lane: (channelId) => readBack(channelId, undefined, true),

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
        // A refused open leaves no lane behind once idle (lanes.ts): refused opens must not grow memory.
        const lane = lanes.of(channelId);
        return inLane(lane, async (): Promise<HubMessage> => {
          if (lane.channel === undefined) {
            // An open sent again for a channel not in memory: read back with its claim mark (ADR 0419).
            const stored = await deps.store.channel(channelId);
            const mark = stored === undefined ? undefined : await deps.store.claimMark(channelId);
            if (stored !== undefined && lane.channel === undefined) adoptStored(lane, stored, mark);
          }
          const existing = lane.channel;
          const signed = openSignature(openRequest, { domain, sessionKey: clientKey });
          if (signed.kind === 'rejected') throw new Refusal(signed.code, signed.message);
          const check = await verify(signed);
          if (existing !== undefined) {
            if (check !== 'valid') throw new Refusal('SIGNATURE_INVALID', `open request signature: ${check}`);
            if (!isSameOpen(domain, existing, openRequest)) {
              throw new Refusal('CHANNEL_EXISTS', 'a channel with this id exists with other terms', stateOf(existing));
            }
            return { type: 'state', id: message.id, state: stateOf(existing) };
          }
          const outcome = decideOpen(openRequest, check, { ...stage(), policy: deps.openPolicy });
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
          if (!(await deps.commits.write({ channel })).applied) throw leaseLost(lane);
          lane.channel = channel;
          return { type: 'state', id: message.id, state: stateOf(channel) };
        });
      });
    },

    topUp(clientKey, message) {
      return request(message.id, async () => {
        return withOwnedLane(clientKey, message.channelId, (lane) =>
          inLane(lane, async (): Promise<HubMessage> => {
            const channel = laneChannel(lane);
            const signed = topUpSignature(channel, message, stage());
            if (signed.kind === 'rejected') throw new Refusal(signed.code, signed.message, stateOf(channel));
            const outcome = decideTopUp(channel, message, await verify(signed));
            if (outcome.kind === 'rejected') throw new Refusal(outcome.code, outcome.message, stateOf(channel));
            if (outcome.kind === 'toppedUp') {
              try {
                await deps.ledger.topUpChannel({ channelId: channel.channelId, deposit: outcome.channel.deposit });
              } catch (error) {
                throw ledgerRefusal(error, stateOf(channel));
              }
              await writeChannel(lane, outcome.channel);
            }
            return { type: 'state', id: message.id, state: stateOf(laneChannel(lane)) };
          }),
        );
      });
    },

    close(clientKey, message) {
      return request(message.id, async () => {
        return withOwnedLane(clientKey, message.channelId, (lane) =>
          inLane(lane, async (): Promise<HubMessage> => {
            let channel = laneChannel(lane);
            const check = await verify(closeSignature(channel, message, { domain }));
            const outcome = decideClose(channel, message, check, stage());
            if (outcome.kind === 'rejected') throw new Refusal(outcome.code, outcome.message, stateOf(channel));
            if (channel.closedAtMs !== undefined) return { type: 'state', id: message.id, state: stateOf(channel) };
            if (outcome.kind === 'closing') {
              await writeChannel(lane, outcome.channel);
              channel = outcome.channel;
            }
            try {
              await deps.settlement().closeCooperative(lane, channel);
            } catch (error) {
              throw ledgerRefusal(error, stateOf(channel));
            }
            const closed: HubChannel = { ...channel, closedAtMs: clock.nowMs() };
            await writeChannel(lane, closed);
            return { type: 'state', id: message.id, state: stateOf(closed) };
          }),
        );
      });
    },

    forceClose(clientKey, message) {
      return request(message.id, async () => {
        return withOwnedLane(clientKey, message.channelId, (lane) =>
          inLane(lane, async (): Promise<HubMessage> => {
            const channel = laneChannel(lane);
            const { type: _type, id: _id, ...request } = message;
            let accepted: { cumulative: bigint; logHead: HubChannel['logHead'] } | undefined;
            if (request.seq > 0 && request.seq < channel.seq) {
              const [stored] = await deps.store.vouchers(channel.channelId, request.seq, 1);
              accepted = stored?.seq === request.seq ? stored : undefined;
            }
            const now = stage();
            const signed = forceCloseSignature(channel, request, now);
            if (signed.kind === 'rejected') throw new Refusal(signed.code, signed.message, stateOf(channel));
            const check = signed.kind === 'none' ? 'valid' : await verify(signed);
            const outcome = decideForceClose(channel, request, check, { ...now, acceptedAt: () => accepted });
            if (outcome.kind === 'rejected') throw new Refusal(outcome.code, outcome.message, stateOf(channel));
            if (outcome.kind === 'closing') await writeChannel(lane, outcome.channel);
            const current = laneChannel(lane);
            const settlement = deps.settlement();
            let close = outcome.kind === 'duplicate' ? await settlement.recordedClose(lane) : undefined;
            if (close === undefined) {
              try {
                close = await settlement.forceClose(lane, request);
              } catch (error) {
                throw ledgerRefusal(error, stateOf(current));
              }
            }
            return closingAnswer(message.id, laneChannel(lane), close, clock.nowMs());
          }),
        );
      });
    },

    updateChannel(lane, change) {
      return inLane(lane, async () => {
        const channel = lane.channel;
        if (channel === undefined) return undefined;
        const next = change(channel);
        if (next === undefined) return undefined;
        await writeChannel(lane, next);
        return next;
      });
    },

    sync(clientKey, message) {
      return request(message.id, async () => {
        // Behind the lane's queued work, so the state reflects every frame received before the sync.
        return withOwnedLane(clientKey, message.channelId, (lane) =>
          inLane(
            lane,
            async (): Promise<HubMessage> => ({
              type: 'state',
              id: message.id,
              state: stateOf(laneChannel(lane)),
            }),
          ),
        );
      });
    },

    log(clientKey, message) {
      return request(message.id, async () => {
        return withOwnedLane(clientKey, message.channelId, (lane) =>
          inLane(lane, async () => logPage(laneChannel(lane), message)),
        );
      });
    },

    pay(clientKey, frame, reply) {
      const lane = lanes.get(frame.channelId);
      if (lane !== undefined && !deps.settlement().admits(lane)) {
        // Backpressure: what is not claimed yet must fit one ledger operation (a close, a dispute's answer).
        reply(payReject(frame, new Refusal('OVERLOADED', 'too much unclaimed on this channel; retry shortly')));
        deps.settlement().kick();
        return;
      }
      if (lane?.channel === undefined || !equalBytes(lane.channel.clientKey, clientKey)) {
        // Not in memory: an evicted or finalized channel (read back), or none of this key's.
        void withOwnedLane(clientKey, frame.channelId, (owned) => {
          if (!deps.settlement().admits(owned)) {
            deps.settlement().kick();
            owned.onIdle(); // read back for nothing: the lane cache decides whether it stays
            throw new Refusal('OVERLOADED', 'too much unclaimed on this channel; retry shortly');
          }
          batches.enqueue(owned, frame, reply);
        }).then(undefined, (error) => reply(payReject(frame, error)));
        return;
      }
      batches.enqueue(lane, frame, reply);
    },

    state(channelId) {
      const channel = lanes.get(channelId)?.channel;
      return channel === undefined ? undefined : stateOf(channel);
    },

    async idle() {
      for (;;) {
        const tails = [...lanes.all()].map((lane) => lane.tail);
        await Promise.all([...tails, ...reads]);
        await deps.commits.flush();
        const busy = (lane: Lane) => lane.pending > 0 || lane.queue.length > 0 || lane.batchScheduled;
        if (reads.size === 0 && ![...lanes.all()].some(busy)) return;
      }
    },

    get channelCount() {
      return lanes.size;
    },
  };

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
    const lastSeq =
      vouchers.length === 0 ? message.fromSeq - 1 : present(vouchers.at(-1), 'a last voucher of a non-empty page').seq;
    return { type: 'logPage', id: message.id, channelId: channel.channelId, vouchers, more: lastSeq < channel.seq };
  }

  return engine;
}
