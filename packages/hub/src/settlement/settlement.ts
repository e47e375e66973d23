/**
 * The hub's settlement: it claims what was paid on channels while they stay open, on the
 * operator's policy, in the background and never on the payment path; it finalizes
 * channels that expire and tells their wallets; it records a payer's forced close and
 * answers a stale close with the hub's newer state inside the challenge window (also
 * after a restart, by watching the ledger); it runs payout rules (ADR 0211, 0212).
 *
 * Each run of the scheduler: disputes, expiry, finalization, then (unless paused) policy
 * claims in bounded ledger batches with a yield between them, then payouts. Per channel,
 * settlement work runs one at a time (`settleSerially`), apart from its payments.
 */

import type { PayoutRule, PayoutRuleResult } from '@trickle/ledger';
import {
  assert,
  type ChannelId,
  type ChannelState,
  channelStateOf,
  type ForceCloseRequest,
  type HubChannel,
  type HubMessage,
  type PayeeId,
  type PaymentEntry,
  type PublicKey,
  type RecordedClose,
  toHex,
} from '@trickle/protocol';
import type { Lane, Lanes } from '../lanes.js';
import { laneChannel, pin, settleSerially, unpin } from '../lanes.js';
import type { ChannelLedger, LedgerChannel, SettlementResult } from '../ledgerPort.js';
import type { ClearingObservation } from '../observation.js';
import type { Clock } from '../ports.js';
import type { ChannelStore, ClearedWrite, SettlementQuery, SettlementRow } from '../store/channelStore.js';
import type { SettlementPolicy } from './policy.js';
import { ClearedTally, clearedOfRange, countEntries, readSegment, type Segment } from './segments.js';

/**
 * What one run of the scheduler did.
 *
 * @example
 * ```ts
 * declare const hub: import('@trickle/hub').Hub;
 * const run = await hub.settlement.runOnce();
 * console.log(`${run.claimed.channels} channels claimed, ${run.claimed.entries} entries, in ${run.durationMs} ms`);
 * ```
 */
export interface SettlementRun {
  readonly startedAtMs: number;
  readonly durationMs: number;
  /** Claims made by policy, at expiry and before closes: channels, entries, and amounts per asset (`USD:6`). */
  readonly claimed: {
    readonly channels: number;
    readonly entries: number;
    readonly batches: number;
    readonly amounts: Readonly<Record<string, bigint>>;
  };
  /** Channels the ledger refused in a claim (each left untouched), by error code. */
  readonly refused: Readonly<Record<string, number>>;
  /** Channels finalized: expired ones (at their claimed state) and due ones (window or grace over). */
  readonly finalized: { readonly expired: number; readonly due: number };
  /** Stale closes answered with a newer state, and answers the ledger refused as late. */
  readonly disputes: { readonly answered: number; readonly late: number };
  /** Payout rules run: paid, skipped, failed. */
  readonly payouts: { readonly paid: number; readonly skipped: number; readonly failed: number };
  /** Whether policy claims and payouts were paused. */
  readonly paused: boolean;
  /** Failures of the run (each also told to `onError`). */
  readonly errors: number;
}

/**
 * What is waiting to be settled, as the store held it at the end of the scheduler's last run
 * (or at start), with the closing channels as the hub holds them (ADR 0419).
 *
 * @example
 * ```ts
 * declare const hub: import('@trickle/hub').Hub;
 * const { channels, amounts } = hub.settlement.backlog();
 * console.log(`${channels} channels owe ${amounts['USD:6'] ?? 0n} minor units to merchants`);
 * ```
 */
export interface SettlementBacklog {
  /** Open channels with payments not claimed yet. */
  readonly channels: number;
  /** Entries not claimed yet, in all. */
  readonly entries: number;
  /** Unclaimed amounts per asset (`USD:6`): the hub's unsettled liability. */
  readonly amounts: Readonly<Record<string, bigint>>;
  /** When the oldest unclaimed payment was accepted (Unix ms), if any. */
  readonly oldestUnclaimedAtMs: number | undefined;
  /** Channels with a close under way (recorded on the ledger, or in progress). */
  readonly closing: number;
}

/**
 * The hub's settlement scheduler and operations, as `hub.settlement`.
 *
 * @example
 * ```ts
 * declare const hub: import('@trickle/hub').Hub;
 * hub.settlement.pause(); // maintenance: no policy claims, no payouts
 * hub.settlement.resume();
 * await hub.settlement.claimNow(channelId); // everything paid on one channel, now
 * declare const channelId: import('@trickle/protocol').ChannelId;
 * ```
 */
export interface Settlement {
  /** Runs the scheduler once now (or waits for the run under way and runs again); resolves with its figures. */
  runOnce(): Promise<SettlementRun>;
  /** Stops policy claims and payouts until `resume()`; expiry, disputes and finalization go on (they have deadlines). */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** What waits to be settled. */
  backlog(): SettlementBacklog;
  /** The figures of the last completed run, if any. */
  readonly lastRun: SettlementRun | undefined;
  /**
   * Claims everything accepted on a channel now, in pages, whatever the policy; resolves
   * with the claimed seq. Throws a `LedgerError` the ledger raised.
   */
  claimNow(channelId: ChannelId): Promise<number>;
}

/** What the engine hands the settlement to change a channel on its lane. */
export type UpdateChannel = (
  lane: Lane,
  change: (channel: HubChannel) => HubChannel | undefined,
) => Promise<HubChannel | undefined>;

/** What the settlement needs. */
export interface SettlementDeps {
  readonly clock: Clock;
  readonly store: ChannelStore;
  readonly ledger: ChannelLedger;
  readonly lanes: Lanes;
  readonly policy: SettlementPolicy;
  /** Payout rules, when the ledger runs them (`TrickleLedger.runPayoutRules`). */
  readonly payoutRules: readonly PayoutRule[];
  /** Persists a change of a channel (closing, closed) through its lane. */
  readonly updateChannel: UpdateChannel;
  /**
   * The lane of a channel the store's settlement indexes (or the ledger) named, read back from
   * the store when it is not in memory (ADR 0419), pinned (lanes.ts) until the settlement
   * unpins it. Absent: the lanes in memory only.
   */
  readonly laneOf?: ((channelId: ChannelId) => Promise<Lane | undefined>) | undefined;
  /** Sends a message to the connections of a client key. */
  readonly notify: (clientKey: PublicKey, message: HubMessage) => void;
  readonly onError: (error: unknown, context: string) => void;
  /** Told about each claim the ledger accepted (metrics: clearing time). Must not throw. */
  readonly onCleared?: ((clearing: ClearingObservation) => void) | undefined;
  /**
   * Whether a payee of settled entries is told of their clearing (ADR 0243): true for
   * wallet-payees (and payees this process does not know: the store keeps notices for
   * wallet-payees only). Absent: no clearing notices.
   */
  readonly notifiesPayee?: ((payee: PayeeId) => boolean) | undefined;
  /**
   * Clearing notices for these payees are durable (each as many times as it got one): push
   * them; and, for metrics, each notice's asset, payments and seconds from the oldest
   * payment its claim covers to the settlement. Must not throw.
   */
  readonly onNotices?:
    | ((
        notices: readonly {
          readonly payee: PayeeId;
          readonly asset: ClearedWrite['asset'];
          readonly payments: number;
          readonly seconds: number;
        }[],
      ) => void)
    | undefined;
}

/** A range of a channel the ledger settled, whose clearing notices are to be written with its claim mark. */
interface SettledRange {
  readonly lane: Lane;
  readonly afterSeq: number;
  readonly throughSeq: number;
  readonly clearedAtMs: number;
  /** The range's entries, when in memory (a claimed segment); else they are read from the store. */
  readonly entries?: readonly PaymentEntry[];
  /** When the oldest payment the range covers was accepted, if known (metrics). */
  readonly sinceMs: number | undefined;
}

/** The settlement with the hooks the engine and createHub use. */
export interface HubSettlement extends Settlement {
  /** Reads the backlog at start (after the engine loaded the lanes it keeps, with their claim marks). */
  load(): Promise<void>;
  /** Starts the timer. */
  start(): void;
  /** Starts a run now unless one is under way (work became due: backpressure). */
  kick(): void;
  /** Stops the timer and waits for the run under way and the work started in the background (idempotent). */
  stop(): Promise<void>;
  /** Vouchers were accepted on the lane (after their commit): counts them as unclaimed. */
  accepted(lane: Lane, entries: number, nowMs: number): void;
  /** False when the lane's unclaimed entries reached `unclaimedEntriesMax`: its payments wait for a claim. */
  admits(lane: Lane): boolean;
  /** The ledger side of a cooperative close at the channel's latest state: claims pages, then closes the rest. */
  closeCooperative(lane: Lane, channel: HubChannel): Promise<SettlementResult>;
  /** Records a payer's forced close on the ledger at its state; the hub's answer follows in the background. */
  forceClose(lane: Lane, request: ForceCloseRequest): Promise<RecordedClose>;
  /** The close recorded on the ledger for a closing channel (from memory, or read from the ledger). */
  recordedClose(lane: Lane): Promise<RecordedClose | undefined>;
}

const assetKey = (channel: { readonly asset: { readonly code: string; readonly scale: number } }) =>
  `${channel.asset.code}:${channel.asset.scale}`;

/** Ledger error codes that mean the hub's note of the claimed state is behind the ledger's. */
const staleMarkCodes = new Set(['INVALID_STATE', 'STALE_STATE']);

/** Rows of a settlement index read per page (a yield to the event loop between pages). */
const scanPageChannels = 500;

/** Pages of one settlement index read per run at most: a run's cost is bounded whatever the store holds. */
const scanPagesMax = 20;

/** Closing-channel pages read from the ledger per run. */
const closingPagesPerRunMax = 10;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'ERROR';
}

/** The recorded close of a ledger channel, as the wire carries it. */
export function recordedCloseOf(channel: LedgerChannel): RecordedClose | undefined {
  const close = channel.close;
  if (close === undefined) return undefined;
  return {
    by: close.kind,
    seq: close.state.seq,
    cumulative: close.state.cumulative,
    logHead: close.state.logHead,
    endsAtMs: close.challengeEndsAtMs,
  };
}

/** A mutable run report. */
function newRun(startedAtMs: number, paused: boolean) {
  return {
    startedAtMs,
    durationMs: 0,
    claimed: { channels: 0, entries: 0, batches: 0, amounts: {} as Record<string, bigint> },
    refused: {} as Record<string, number>,
    finalized: { expired: 0, due: 0 },
    disputes: { answered: 0, late: 0 },
    payouts: { paid: 0, skipped: 0, failed: 0 },
    paused,
    errors: 0,
  };
}
type Run = ReturnType<typeof newRun>;

/** Creates the settlement. Internal to createHub. */
export function createSettlement(deps: SettlementDeps, unclaimedEntriesMax: number): HubSettlement {
  const { clock, store, ledger, lanes, policy } = deps;
  /** The lane of a channel the store or the ledger named, in memory or read back (ADR 0419), pinned: unpin it. */
  const laneOf =
    deps.laneOf ??
    ((channelId: ChannelId) => {
      const lane = lanes.get(channelId);
      return Promise.resolve(lane === undefined ? undefined : pin(lane));
    });
  /** Lanes the run under way holds (pinned), unpinned when it ends. */
  const pinned: Lane[] = [];
  /** What waits to be settled, as the store and the closing lanes said at the end of the last run (or at start). */
  let lastBacklog: SettlementBacklog = {
    channels: 0,
    entries: 0,
    amounts: {},
    oldestUnclaimedAtMs: undefined,
    closing: 0,
  };

  /**
   * The backlog from the store's unclaimed totals (open channels not closing) and the
   * closing lanes, which are all in memory (lanes.ts): never a walk over every channel.
   */
  async function readBacklog(): Promise<SettlementBacklog> {
    let channels = 0;
    let entries = 0;
    let closing = 0;
    let oldest: number | undefined;
    const amounts: Record<string, bigint> = {};
    const older = (since: number | undefined) => {
      if (since !== undefined && (oldest === undefined || since < oldest)) oldest = since;
    };
    for (const total of await store.unclaimedTotals()) {
      channels += total.channels;
      entries += total.entries;
      amounts[assetKey(total)] = (amounts[assetKey(total)] ?? 0n) + total.amount;
      older(total.oldestSinceMs);
    }
    for (const lane of lanes.all()) {
      const channel = lane.channel;
      if (channel === undefined || channel.closedAtMs !== undefined || channel.closingSinceMs === undefined) continue;
      closing++;
      const settle = lane.settle;
      if (settle.unclaimedEntries === 0) continue;
      channels++;
      entries += settle.unclaimedEntries;
      amounts[assetKey(channel)] = (amounts[assetKey(channel)] ?? 0n) + (channel.cumulative - settle.claimedCumulative);
      older(settle.unclaimedSinceMs);
    }
    return { channels, entries, amounts, oldestUnclaimedAtMs: oldest, closing };
  }
  let paused = policy.paused;
  let lastRun: SettlementRun | undefined;
  let running: Promise<SettlementRun> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let payoutsAtMs = Number.NEGATIVE_INFINITY;
  /** Work started off a request (the answer to a forced close): awaited by stop(). */
  const background = new Set<Promise<unknown>>();
  /**
   * Channels whose claim was made on the ledger but whose record (with its clearing notices)
   * failed: the claimed seq the store still holds, so the next record's notices start there.
   * A cache of the store's mark (a restart reads the mark and catches up in refreshMark).
   */
  const recordBehind = new Map<string, number>();

  /** The clearing notices of settled ranges (ADR 0243), with the metrics figures of each. */
  async function noticesOf(ranges: readonly SettledRange[]) {
    const notifies = deps.notifiesPayee;
    const out: { notice: ClearedWrite; seconds: number }[] = [];
    if (notifies === undefined) return out;
    for (const range of ranges) {
      const channel = laneChannel(range.lane);
      const afterSeq = Math.min(range.afterSeq, recordBehind.get(toHex(channel.channelId)) ?? range.afterSeq);
      let notices: ClearedWrite[];
      if (range.entries !== undefined && afterSeq === range.afterSeq) {
        const tally = new ClearedTally(notifies);
        tally.add(range.entries);
        notices = tally.notices(channel, afterSeq, range.throughSeq, range.clearedAtMs);
      } else {
        notices = await clearedOfRange(store, channel, afterSeq, range.throughSeq, range.clearedAtMs, notifies);
      }
      const seconds = Math.max(0, range.clearedAtMs - (range.sinceMs ?? range.clearedAtMs)) / 1000;
      for (const notice of notices) out.push({ notice, seconds });
    }
    return out;
  }

  /**
   * Records claim marks with the clearing notices of the ranges they settled, in one store
   * transaction, then pushes the notices (persist, then push). On a failure the ranges'
   * channels are remembered as behind, and the error is thrown.
   */
  async function recordSettled(
    marks: Parameters<ChannelStore['recordClaims']>[0],
    ranges: readonly SettledRange[],
  ): Promise<void> {
    const drafted = await noticesOf(ranges);
    try {
      await store.recordClaims(
        marks,
        drafted.map((d) => d.notice),
      );
    } catch (error) {
      for (const range of ranges) {
        const key = toHex(laneChannel(range.lane).channelId);
        recordBehind.set(key, Math.min(recordBehind.get(key) ?? range.afterSeq, range.afterSeq));
      }
      throw error;
    }
    for (const range of ranges) recordBehind.delete(toHex(laneChannel(range.lane).channelId));
    if (drafted.length > 0) {
      deps.onNotices?.(
        drafted.map(({ notice, seconds }) => ({
          payee: notice.payee,
          asset: notice.asset,
          payments: notice.payments,
          seconds,
        })),
      );
    }
  }

  const stateOf = (channel: HubChannel) => channelStateOf(channel, clock.nowMs());
  const report = (run: Run | undefined, error: unknown, context: string) => {
    if (run !== undefined) run.errors++;
    deps.onError(error, context);
  };

  // ---- claims -------------------------------------------------------------------------

  /** Adopts what the ledger says was claimed, after a claim of `segment` (read when the channel was at `snapshotSeq`). */
  function adoptClaim(
    lane: Lane,
    claimed: LedgerChannel['claimed'],
    segment: Segment,
    snapshot: { seq: number; atMs: number },
  ) {
    const settle = lane.settle;
    if (claimed.seq <= settle.claimedSeq) return;
    const channel = laneChannel(lane);
    settle.unclaimedEntries =
      claimed.seq === segment.seq ? Math.max(0, settle.unclaimedEntries - segment.entryCount) : settle.unclaimedEntries;
    settle.claimedSeq = claimed.seq;
    settle.claimedCumulative = claimed.cumulative;
    if (claimed.seq >= channel.seq) {
      settle.unclaimedEntries = 0;
      settle.unclaimedSinceMs = undefined;
    } else if (segment.seq >= snapshot.seq) {
      // Everything known when the segment was read is claimed: what is left came after.
      settle.unclaimedSinceMs = snapshot.atMs;
    }
  }

  /** Re-reads a channel's claimed state from the ledger (after a refusal that says the hub's note is behind). */
  async function refreshMark(lane: Lane): Promise<LedgerChannel | undefined> {
    const channel = laneChannel(lane);
    const held = await ledger.channel(channel.channelId);
    if (held === undefined) return undefined;
    const settle = lane.settle;
    if (held.claimed.seq !== settle.claimedSeq) {
      // Claimed on the ledger beyond the hub's note (a record lost, or another process): its notices too.
      const settled: SettledRange = {
        lane,
        afterSeq: settle.claimedSeq,
        throughSeq: held.claimed.seq,
        clearedAtMs: held.finalizedAtMs ?? clock.nowMs(),
        sinceMs: settle.unclaimedSinceMs,
      };
      settle.claimedSeq = held.claimed.seq;
      settle.claimedCumulative = held.claimed.cumulative;
      settle.unclaimedEntries = await countEntries(store, channel.channelId, held.claimed.seq, channel.seq);
      if (settle.unclaimedEntries === 0) settle.unclaimedSinceMs = undefined;
      else settle.unclaimedSinceMs ??= clock.nowMs();
      await recordSettled(
        [
          {
            channelId: channel.channelId,
            claimedSeq: held.claimed.seq,
            claimedCumulative: held.claimed.cumulative,
            unclaimedSinceMs: settle.unclaimedSinceMs ?? clock.nowMs(),
          },
        ],
        settled.throughSeq > settled.afterSeq ? [settled] : [],
      );
    }
    const close = recordedCloseOf(held);
    if (close !== undefined) settle.ledgerClose = close;
    return held;
  }

  /**
   * Claims one page on each of the first lanes of `batch` that fit one ledger batch
   * (`batchEntriesMax` entries in all); adopts and records what was claimed. Returns how many
   * lanes it took, and those whose claim was refused, with the error.
   */
  async function claimPages(
    batch: readonly Lane[],
    run: Run | undefined,
  ): Promise<{ taken: number; refused: { lane: Lane; error: unknown }[] }> {
    const pages: { lane: Lane; segment: Segment; snapshot: { seq: number; atMs: number } }[] = [];
    let entries = 0;
    let taken = 0;
    for (const lane of batch) {
      const channel = laneChannel(lane);
      const snapshot = { seq: channel.seq, atMs: clock.nowMs() };
      const room = Math.min(policy.claimEntriesMax, policy.batchEntriesMax - entries);
      if (room < 1) break;
      // A page smaller than the policy's (the batch is nearly full) only if it fits whole: else next batch.
      const segment = await readSegment(store, channel.channelId, lane.settle.claimedSeq, snapshot.seq, room);
      if (segment !== undefined && pages.length > 0 && entries + segment.entryCount > policy.batchEntriesMax) break;
      taken++;
      if (segment === undefined) continue;
      entries += segment.entryCount;
      pages.push({ lane, segment, snapshot });
    }
    if (pages.length === 0) return { taken, refused: [] };
    const outcomes = await ledger.claimBatch(pages.map((p) => p.segment.state));
    const refused: { lane: Lane; error: unknown }[] = [];
    const marks: Parameters<ChannelStore['recordClaims']>[0][number][] = [];
    const settled: SettledRange[] = [];
    const claimedAtMs = clock.nowMs();
    pages.forEach(({ lane, segment, snapshot }, i) => {
      const outcome = outcomes[i];
      assert(outcome !== undefined, 'the ledger answers every claim of a batch');
      if (!outcome.ok) {
        refused.push({ lane, error: outcome.error });
        if (run !== undefined) run.refused[outcome.error.code] = (run.refused[outcome.error.code] ?? 0) + 1;
        return;
      }
      const before = lane.settle.claimedCumulative;
      const beforeSeq = lane.settle.claimedSeq;
      const unclaimedSinceMs = lane.settle.unclaimedSinceMs;
      adoptClaim(lane, outcome.result.channel.claimed, segment, snapshot);
      const channel = laneChannel(lane);
      if (outcome.result.channel.claimed.seq === segment.seq && beforeSeq < segment.seq) {
        settled.push({
          lane,
          afterSeq: beforeSeq,
          throughSeq: segment.seq,
          clearedAtMs: claimedAtMs,
          entries: segment.state.entries,
          sinceMs: unclaimedSinceMs,
        });
      }
      if (unclaimedSinceMs !== undefined)
        deps.onCleared?.({
          asset: channel.asset,
          seconds: Math.max(0, clock.nowMs() - unclaimedSinceMs) / 1000,
          entries: segment.entryCount,
        });
      marks.push({
        channelId: channel.channelId,
        claimedSeq: lane.settle.claimedSeq,
        claimedCumulative: lane.settle.claimedCumulative,
        unclaimedSinceMs: lane.settle.unclaimedSinceMs ?? snapshot.atMs,
      });
      if (run !== undefined) {
        run.claimed.channels++;
        run.claimed.entries += segment.entryCount;
        const key = assetKey(channel);
        run.claimed.amounts[key] = (run.claimed.amounts[key] ?? 0n) + (lane.settle.claimedCumulative - before);
      }
    });
    if (run !== undefined) run.claimed.batches++;
    try {
      await recordSettled(marks, settled);
    } catch (error) {
      // The ledger holds the claims; a note that lags is caught up on the next refusal (refreshMark).
      report(run, error, 'recording claims');
    }
    return { taken, refused };
  }

  /** Handles a lane whose claim the ledger refused: catch up with the ledger, learn a close. */
  async function afterRefusal(lane: Lane, error: unknown, run: Run | undefined): Promise<void> {
    const code = codeOf(error);
    if (staleMarkCodes.has(code) || code === 'CHANNEL_NOT_OPEN') {
      const held = await refreshMark(lane);
      if (held !== undefined && (held.close !== undefined || held.finalizedAtMs !== undefined))
        await learnClose(lane, held);
      return;
    }
    if (code !== 'UNAVAILABLE') report(run, error, 'claiming a channel');
  }

  /**
   * Claims a lane page after page (at most `claimEntriesMax` entries each), inside its
   * settlement turn, while `more()` says so. A refusal that says the hub's note of the
   * claimed state is behind the ledger's (a claim the ledger applied though its answer was
   * lost) catches up with the ledger once, then goes on; a second one in a row throws.
   */
  async function claimPagesWhile(lane: Lane, run: Run | undefined, more: () => boolean): Promise<void> {
    let caughtUp = false;
    while (lane.settle.claimedSeq < laneChannel(lane).seq && more()) {
      const before = lane.settle.claimedSeq;
      const [refused] = (await claimPages([lane], run)).refused;
      if (refused !== undefined) {
        if (caughtUp || !staleMarkCodes.has(codeOf(refused.error))) throw refused.error;
        await refreshMark(lane);
        caughtUp = true;
      } else if (lane.settle.claimedSeq === before) {
        return;
      } else {
        caughtUp = false;
      }
    }
  }

  /** Claims a lane entirely (see {@link claimPagesWhile}). */
  function claimAll(lane: Lane, run: Run | undefined): Promise<void> {
    return claimPagesWhile(lane, run, () => true);
  }

  // ---- the policy ---------------------------------------------------------------------

  /** Why a lane is due for a claim now, or undefined; lower numbers first. */
  function claimReason(lane: Lane, nowMs: number): number | undefined {
    const channel = lane.channel;
    const settle = lane.settle;
    if (channel === undefined || settle.unclaimedEntries === 0 || channel.closingSinceMs !== undefined)
      return undefined;
    if (channel.closedAtMs !== undefined || settle.busy > 0) return undefined;
    if (channel.expiresAtMs - nowMs <= policy.expiryMarginMs) return 0;
    if (settle.unclaimedEntries >= policy.claimEntriesMax) return 1;
    if (channel.cumulative - settle.claimedCumulative >= policy.unclaimedAmountMax) return 2;
    if (settle.unclaimedSinceMs !== undefined && nowMs - settle.unclaimedSinceMs >= policy.unclaimedAgeMsMax) return 3;
    return undefined;
  }

  /**
   * Pages through one settlement index of the store (ADR 0419) and hands each open channel's
   * lane to `take`, until `take` has taken `wanted` or the index has no more rows in range,
   * at most `scanPagesMax` pages a run. The store's indexes only find candidates: what the
   * lane holds (the note the hub keeps in step with each commit and claim) decides.
   */
  async function pageIndex(
    by: SettlementQuery['by'],
    bound: bigint,
    wanted: number,
    take: (lane: Lane, key: bigint) => boolean,
  ): Promise<void> {
    let taken = 0;
    let after: SettlementRow | undefined;
    for (let page = 0; page < scanPagesMax && taken < wanted; page++) {
      const rows = await store.settlementChannels({ by, bound, after, limit: scanPageChannels });
      for (const row of rows) {
        const lane = await laneOf(row.channelId);
        if (lane === undefined) continue;
        const channel = lane.channel;
        // Held across the run's awaits: pinned until the run ends (one not taken may go at once).
        const took = channel !== undefined && channel.closedAtMs === undefined && take(lane, row.key);
        if (took) pinned.push(lane);
        else unpin(lane);
        if (took && ++taken >= wanted) return;
      }
      if (rows.length < scanPageChannels) return;
      after = rows[rows.length - 1];
      await yieldToLoop();
    }
  }

  /**
   * What this run has to do, from the store's settlement indexes (ADR 0419), never a walk over
   * every channel: channels expired (and, within the expiry margin, due), those whose
   * recorded close has ended, and those the policy says to claim now (oldest unclaimed,
   * most entries, largest amounts), most urgent first; the liability cap adds the largest
   * ones of an asset whose unclaimed total is over it. Each list is at most what a run can
   * work through; the rest waits for the next run.
   */
  async function scan(nowMs: number): Promise<{ expired: Lane[]; ended: Lane[]; due: Lane[] }> {
    const perRun = policy.batchChannelsMax * policy.batchesPerRunMax;
    const expired: Lane[] = [];
    const ended: Lane[] = [];
    const due: { lane: Lane; reason: number }[] = [];
    const seen = new Set<Lane>();
    const consider = (lane: Lane) => {
      if (seen.has(lane)) return false;
      const reason = claimReason(lane, nowMs);
      if (reason === undefined) return false;
      seen.add(lane);
      due.push({ lane, reason });
      return true;
    };
    await pageIndex('expiresAt', BigInt(nowMs + policy.expiryMarginMs), perRun, (lane) => {
      const open = laneChannel(lane);
      if (open.closingSinceMs === undefined && nowMs >= open.expiresAtMs && lane.settle.busy === 0) {
        seen.add(lane);
        expired.push(lane);
        return true;
      }
      return consider(lane);
    });
    await pageIndex('closingSince', BigInt(nowMs), perRun, (lane) => {
      const close = lane.settle.ledgerClose;
      if (close === undefined || close.endsAtMs > nowMs) return false;
      ended.push(lane);
      return true;
    });
    if (!paused) {
      await pageIndex('unclaimedSince', BigInt(nowMs - policy.unclaimedAgeMsMax), perRun, consider);
      await pageIndex('unclaimedEntries', BigInt(policy.claimEntriesMax), perRun, consider);
      await pageIndex('unclaimedAmount', policy.unclaimedAmountMax, perRun, consider);
      if (policy.liabilityMax !== undefined) await overLiability(policy.liabilityMax, perRun, due, seen);
    }
    return { expired, ended, due: due.sort((a, b) => a.reason - b.reason).map((d) => d.lane) };
  }

  /**
   * The liability cap: per asset whose unclaimed total (the store's) is over `cap`, the largest
   * unclaimed channels of that asset not due already are added, until what is left is within it.
   * What is due already is counted as unclaimed (its claim may not come this run).
   */
  async function overLiability(
    cap: bigint,
    perRun: number,
    due: { lane: Lane; reason: number }[],
    seen: Set<Lane>,
  ): Promise<void> {
    const over = new Map<string, bigint>();
    for (const total of await store.unclaimedTotals()) {
      if (total.amount > cap) over.set(assetKey(total), total.amount);
    }
    if (over.size === 0) return;
    await pageIndex('unclaimedAmount', 1n, perRun, (lane) => {
      const channel = laneChannel(lane);
      const key = assetKey(channel);
      const total = over.get(key);
      if (total === undefined || total <= cap || seen.has(lane)) return false;
      if (lane.settle.unclaimedEntries === 0 || channel.closingSinceMs !== undefined || lane.settle.busy > 0)
        return false;
      seen.add(lane);
      due.push({ lane, reason: 4 });
      over.set(key, total - (channel.cumulative - lane.settle.claimedCumulative));
      return true;
    });
  }

  /** Claims what the policy says is due, in ledger batches, yielding between them. */
  async function claimByPolicy(run: Run, due: readonly Lane[]): Promise<void> {
    let queue = due;
    while (queue.length > 0 && run.claimed.batches < policy.batchesPerRunMax) {
      // Lanes busy with other settlement work (a close, an answer) are left for a later run.
      const batch = queue.slice(0, policy.batchChannelsMax).filter((lane) => lane.settle.busy === 0);
      const rest = queue.slice(policy.batchChannelsMax);
      if (batch.length === 0) {
        queue = rest;
        continue;
      }
      for (const lane of batch) lane.settle.busy++;
      let refused: { lane: Lane; error: unknown }[] = [];
      let taken = batch.length;
      try {
        ({ taken, refused } = await claimPages(batch, run));
      } catch (error) {
        report(run, error, 'claiming a batch');
      } finally {
        for (const lane of batch) {
          lane.settle.busy--;
          if (lane.settle.busy === 0) lane.onIdle();
        }
      }
      for (const { lane, error } of refused) {
        await settleSerially(lane, () => afterRefusal(lane, error, run)).catch((e) =>
          report(run, e, 'after a refusal'),
        );
      }
      // The lanes the batch had no room for come first in the next one.
      queue = [...batch.slice(Math.max(1, taken)), ...rest];
      await yieldToLoop();
    }
  }

  // ---- closes, disputes, expiry -------------------------------------------------------

  /**
   * What the ledger holds of a channel's close, adopted: the hub's channel marked closing
   * (persisted) or closed; the owner told when that is news or when `always`.
   */
  async function learnClose(lane: Lane, held: LedgerChannel, always = false): Promise<void> {
    const close = recordedCloseOf(held);
    if (close !== undefined) lane.settle.ledgerClose = close;
    if (held.finalizedAtMs !== undefined) {
      await markClosed(lane, held, undefined);
      return;
    }
    if (close === undefined) return;
    const changed = await deps.updateChannel(lane, (channel) =>
      channel.closingSinceMs === undefined && channel.closedAtMs === undefined
        ? { ...channel, closingSinceMs: held.close?.startedAtMs ?? clock.nowMs() }
        : undefined,
    );
    if (changed !== undefined || always) notifyClosing(lane, close);
  }

  function notifyClosing(lane: Lane, close: RecordedClose): void {
    const channel = laneChannel(lane);
    deps.notify(channel.clientKey, { type: 'closing', channelId: channel.channelId, state: stateOf(channel), close });
  }

  /** The lane's channel marked closed (persisted) after the ledger finalized it; its owner told. */
  async function markClosed(lane: Lane, held: LedgerChannel, result: SettlementResult | undefined): Promise<void> {
    const nowMs = clock.nowMs();
    const settle = lane.settle;
    if (held.claimed.seq > settle.claimedSeq) {
      // The finalization settled what the close named beyond the claims: its notices, with the mark.
      const channel = laneChannel(lane);
      await recordSettled(
        [
          {
            channelId: channel.channelId,
            claimedSeq: held.claimed.seq,
            claimedCumulative: held.claimed.cumulative,
            unclaimedSinceMs: nowMs,
          },
        ],
        [
          {
            lane,
            afterSeq: settle.claimedSeq,
            throughSeq: held.claimed.seq,
            clearedAtMs: held.finalizedAtMs ?? nowMs,
            sinceMs: settle.unclaimedSinceMs,
          },
        ],
      );
      settle.claimedSeq = held.claimed.seq;
      settle.claimedCumulative = held.claimed.cumulative;
    }
    const changed = await deps.updateChannel(lane, (channel) =>
      channel.closedAtMs !== undefined
        ? undefined
        : { ...channel, closingSinceMs: channel.closingSinceMs ?? nowMs, closedAtMs: nowMs },
    );
    lane.settle.unclaimedEntries = 0;
    lane.settle.unclaimedSinceMs = undefined;
    if (changed === undefined) return;
    const refund = result?.refund ?? held.deposit - held.claimed.cumulative;
    deps.notify(changed.clientKey, {
      type: 'closed',
      channelId: changed.channelId,
      state: stateOf(changed),
      seq: held.claimed.seq,
      cumulative: held.claimed.cumulative,
      refund,
    });
  }

  /** The hub's newest state as a signed state from the ledger's claimed state, if it beats the recorded close. */
  async function answerOf(lane: Lane, held: LedgerChannel): Promise<Segment | undefined> {
    const channel = laneChannel(lane);
    const close = held.close;
    if (close === undefined || channel.seq === 0 || channel.seq <= held.claimed.seq) return undefined;
    const same =
      close.state.seq === channel.seq &&
      close.state.cumulative === channel.cumulative &&
      toHex(close.state.logHead) === toHex(channel.logHead);
    if (same) return undefined;
    // Every entry from the claimed state: the hub keeps at most unclaimedEntriesMax of them (backpressure).
    return readSegment(store, channel.channelId, held.claimed.seq, channel.seq, Number.MAX_SAFE_INTEGER);
  }

  /** Answers a recorded close with the hub's newer state, if it has one; inside the lane's settlement turn. */
  async function answer(lane: Lane, run: Run | undefined): Promise<void> {
    const channel = laneChannel(lane);
    const held = await ledger.channel(channel.channelId);
    if (held === undefined || held.finalizedAtMs !== undefined || held.close === undefined) {
      if (held !== undefined) await learnClose(lane, held);
      return;
    }
    const segment = await answerOf(lane, held);
    if (segment === undefined) {
      await learnClose(lane, held);
      return;
    }
    try {
      const answered = await ledger.startClose({ ...segment.state, by: 'hub' });
      if (run !== undefined) run.disputes.answered++;
      await learnClose(lane, answered, true);
    } catch (error) {
      const code = codeOf(error);
      if (code === 'CHANNEL_NOT_OPEN') {
        if (run !== undefined) run.disputes.late++;
        deps.onError(error, `answering the close of channel ${toHex(channel.channelId)}: too late`);
      } else if (code !== 'STALE_STATE') {
        throw error;
      }
      const now = await ledger.channel(channel.channelId);
      if (now !== undefined) await learnClose(lane, now);
    }
  }

  /** Reads the closes recorded on the ledger and answers those of this hub's channels that are stale. */
  async function watchDisputes(run: Run): Promise<void> {
    let after: Awaited<ReturnType<ChannelLedger['closingChannels']>>['next'];
    for (let page = 0; page < closingPagesPerRunMax; page++) {
      const { channels, next } = await ledger.closingChannels(after === undefined ? {} : { after });
      for (const held of channels) {
        // Not in memory (evicted, ADR 0419): read back; a channel of another hub is not in the store.
        const lane = await laneOf(held.channelId);
        if (lane === undefined) continue;
        try {
          const channel = lane.channel;
          if (channel === undefined || channel.closedAtMs !== undefined) continue;
          const known = lane.settle.ledgerClose;
          const close = recordedCloseOf(held);
          const seen =
            known !== undefined &&
            close !== undefined &&
            known.seq === close.seq &&
            known.cumulative === close.cumulative;
          if (seen && channel.closingSinceMs !== undefined && (await answerOf(lane, held)) === undefined) continue;
          await settleSerially(lane, () => answer(lane, run)).catch((error) => report(run, error, 'answering a close'));
        } finally {
          unpin(lane);
        }
      }
      if (next === undefined) return;
      after = next;
    }
  }

  /** Expired channels: claims what is left, then finalizes them at once; their wallets are told. */
  async function finalizeExpired(run: Run, expired: readonly Lane[]): Promise<void> {
    for (let start = 0; start < expired.length; start += policy.batchChannelsMax) {
      const batch = expired.slice(start, start + policy.batchChannelsMax);
      const ready: Lane[] = [];
      for (const lane of batch) {
        try {
          await settleSerially(lane, () => claimAll(lane, run));
          ready.push(lane);
        } catch (error) {
          await settleSerially(lane, () => afterRefusal(lane, error, run)).catch((e) => report(run, e, 'expiry'));
        }
      }
      if (ready.length === 0) continue;
      const outcomes = await ledger.finalizeExpired(ready.map((lane) => laneChannel(lane).channelId));
      for (const [i, lane] of ready.entries()) {
        const outcome = outcomes[i];
        if (outcome?.ok === true) {
          run.finalized.expired++;
          await markClosed(lane, outcome.result.channel, outcome.result).catch((e) => report(run, e, 'expiry'));
        } else if (outcome !== undefined) {
          const held = await ledger.channel(laneChannel(lane).channelId);
          if (held !== undefined) await learnClose(lane, held).catch((e) => report(run, e, 'expiry'));
        }
      }
      await yieldToLoop();
    }
  }

  /** Channels the ledger holds as due (window or grace over): finalized; the hub's record follows. */
  async function finalizeDue(run: Run, ended: readonly Lane[]): Promise<void> {
    const results = await ledger.finalizeDue();
    for (const result of results) {
      const lane = await laneOf(result.channel.channelId);
      if (lane === undefined) continue;
      if (lane.channel === undefined) {
        unpin(lane);
        continue;
      }
      run.finalized.due++;
      await markClosed(lane, result.channel, result)
        .catch((e) => report(run, e, 'finalizing'))
        .finally(() => unpin(lane));
    }
    // Closes whose window ended and that another process finalized: the hub's record catches up.
    for (const lane of ended) {
      const channel = laneChannel(lane);
      if (channel.closedAtMs !== undefined) continue;
      const held = await ledger.channel(channel.channelId);
      if (held?.finalizedAtMs !== undefined)
        await markClosed(lane, held, undefined).catch((e) => report(run, e, 'finalizing'));
    }
  }

  async function runPayouts(run: Run): Promise<void> {
    const nowMs = clock.nowMs();
    const runner = (
      ledger as { runPayoutRules?: (rules: readonly PayoutRule[]) => Promise<readonly PayoutRuleResult[]> }
    ).runPayoutRules;
    if (deps.payoutRules.length === 0 || runner === undefined || nowMs - payoutsAtMs < policy.payoutIntervalMs) return;
    payoutsAtMs = nowMs;
    for (const result of await runner.call(ledger, deps.payoutRules)) {
      if (result.status === 'paid') run.payouts.paid++;
      else if (result.status === 'skipped') run.payouts.skipped++;
      else run.payouts.failed++;
    }
  }

  async function runNow(): Promise<SettlementRun> {
    const run = newRun(clock.nowMs(), paused);
    const started = performance.now();
    let found: Awaited<ReturnType<typeof scan>>;
    try {
      found = await scan(run.startedAtMs);
    } catch (error) {
      for (const lane of pinned.splice(0)) unpin(lane);
      throw error;
    }
    const steps: [string, (run: Run) => Promise<void>][] = [
      ['watching closes', watchDisputes],
      ['finalizing expired channels', (r) => finalizeExpired(r, found.expired)],
      ['finalizing due channels', (r) => finalizeDue(r, found.ended)],
    ];
    if (!paused) {
      steps.push(['claiming by policy', (r) => claimByPolicy(r, found.due)], ['running payout rules', runPayouts]);
    }
    try {
      for (const [context, step] of steps) {
        if (stopped) break;
        try {
          await step(run);
        } catch (error) {
          report(run, error, context);
        }
      }
    } finally {
      for (const lane of pinned.splice(0)) unpin(lane);
    }
    try {
      lastBacklog = await readBacklog();
    } catch (error) {
      report(run, error, 'reading the backlog');
    }
    run.durationMs = Math.round(performance.now() - started);
    lastRun = run;
    return run;
  }

  function runOnce(): Promise<SettlementRun> {
    if (running !== undefined) return running.then(() => runOnce());
    running = runNow().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    runOnce,
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
    },
    get paused() {
      return paused;
    },
    get lastRun() {
      return lastRun;
    },
    backlog() {
      return lastBacklog;
    },
    async claimNow(channelId) {
      const lane = await laneOf(channelId);
      if (lane === undefined) throw new RangeError(`claimNow: channel ${toHex(channelId)} is not open on this hub`);
      try {
        if (lane.channel === undefined)
          throw new RangeError(`claimNow: channel ${toHex(channelId)} is not open on this hub`);
        await settleSerially(lane, () => claimAll(lane, undefined));
        return lane.settle.claimedSeq;
      } finally {
        unpin(lane);
      }
    },
    async load() {
      // The engine read the lanes it holds at start back with their claim marks (ADR 0419): the backlog only.
      lastBacklog = await readBacklog();
    },
    kick() {
      if (running === undefined && !stopped) void runOnce();
    },
    start() {
      if (timer !== undefined || stopped) return;
      timer = setInterval(() => {
        if (running === undefined) void runOnce();
      }, policy.intervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
      while (background.size > 0) await Promise.all([...background]);
    },
    accepted(lane, entries, nowMs) {
      const settle = lane.settle;
      settle.unclaimedEntries += entries;
      settle.unclaimedSinceMs ??= nowMs;
    },
    admits(lane) {
      return lane.settle.unclaimedEntries < unclaimedEntriesMax;
    },
    closeCooperative(lane, channel) {
      return settleSerially(lane, async () => {
        for (let attempt = 0; ; attempt++) {
          // Pages first, until what is left fits one close.
          await claimPagesWhile(lane, undefined, () => lane.settle.unclaimedEntries > policy.claimEntriesMax);
          const segment = await readSegment(
            store,
            channel.channelId,
            lane.settle.claimedSeq,
            channel.seq,
            Number.MAX_SAFE_INTEGER,
          );
          const state =
            segment?.state ??
            (channel.seq === 0 || channel.signature === undefined
              ? { channelId: channel.channelId, voucher: undefined, entries: [] }
              : {
                  channelId: channel.channelId,
                  voucher: {
                    channelId: channel.channelId,
                    seq: channel.seq,
                    cumulative: channel.cumulative,
                    logHead: channel.logHead,
                    signature: channel.signature,
                  },
                  entries: [],
                });
          let result: SettlementResult;
          try {
            result = await ledger.closeCooperative(state);
          } catch (error) {
            if (attempt > 0 || !staleMarkCodes.has(codeOf(error))) throw error;
            await refreshMark(lane);
            continue;
          }
          const settled: SettledRange = {
            lane,
            afterSeq: lane.settle.claimedSeq,
            throughSeq: result.channel.claimed.seq,
            clearedAtMs: result.channel.finalizedAtMs ?? clock.nowMs(),
            entries: segment?.state.entries ?? [],
            sinceMs: lane.settle.unclaimedSinceMs,
          };
          lane.settle.claimedSeq = result.channel.claimed.seq;
          lane.settle.claimedCumulative = result.channel.claimed.cumulative;
          lane.settle.unclaimedEntries = 0;
          lane.settle.unclaimedSinceMs = undefined;
          if (settled.throughSeq > settled.afterSeq) {
            // The ledger closed the channel: a notice that cannot be stored is reported, the close stands.
            const mark = {
              channelId: channel.channelId,
              claimedSeq: result.channel.claimed.seq,
              claimedCumulative: result.channel.claimed.cumulative,
              unclaimedSinceMs: settled.clearedAtMs,
            };
            await recordSettled([mark], [settled]).catch((error) => deps.onError(error, 'recording a close'));
          }
          return result;
        }
      });
    },
    forceClose(lane, request) {
      const channel = laneChannel(lane);
      const recorded = settleSerially(lane, async () => {
        for (let attempt = 0; ; attempt++) {
          const claimedSeq = lane.settle.claimedSeq;
          let state: Segment['state'] | undefined;
          if (request.seq <= claimedSeq) state = { channelId: channel.channelId, voucher: undefined, entries: [] };
          else {
            const segment = await readSegment(
              store,
              channel.channelId,
              claimedSeq,
              request.seq,
              Number.MAX_SAFE_INTEGER,
            );
            const signature = request.signature;
            assert(
              segment !== undefined && segment.seq === request.seq && signature !== undefined,
              'an accepted state',
            );
            state = { ...segment.state, voucher: { ...request, channelId: channel.channelId, signature } };
          }
          try {
            const held = await ledger.startClose({ ...state, by: 'client' });
            const close = recordedCloseOf(held) as RecordedClose;
            lane.settle.ledgerClose = close;
            return close;
          } catch (error) {
            const code = codeOf(error);
            if (code === 'STALE_STATE' || code === 'CHANNEL_NOT_OPEN') {
              // A close is recorded already (or finalized): that one stands.
              const held = await refreshMark(lane);
              const close = held === undefined ? undefined : recordedCloseOf(held);
              if (close !== undefined && held?.finalizedAtMs === undefined) return close;
            }
            if (attempt > 0 || !staleMarkCodes.has(code)) throw error;
            await refreshMark(lane);
          }
        }
      });
      // The hub's own answer, off the request: a newer state replaces a stale one in the window.
      void recorded
        .then(
          () => settleSerially(lane, () => answer(lane, undefined)),
          () => undefined,
        )
        .catch((error) => deps.onError(error, 'answering a forced close'));
      return recorded;
    },
    async recordedClose(lane) {
      if (lane.settle.ledgerClose !== undefined) return lane.settle.ledgerClose;
      const held = await ledger.channel(laneChannel(lane).channelId);
      const close = held === undefined ? undefined : recordedCloseOf(held);
      if (close !== undefined) lane.settle.ledgerClose = close;
      return close;
    },
  };
}

/** The channel state the `closing` answer carries. */
export function closingAnswer(id: number, channel: HubChannel, close: RecordedClose, nowMs: number): HubMessage {
  const state: ChannelState = channelStateOf(channel, nowMs);
  return { type: 'closing', id, channelId: channel.channelId, state, close };
}
