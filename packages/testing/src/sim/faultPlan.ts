/** How hard a simulation run is on the system: rates and counts, drawn per seed. */
import type { IoFaults } from '../faults/crashable.js';
import type { NetworkFaults } from '../faults/simNetwork.js';
import type { SeededRandom } from './random.js';

/** Every fault a run injects. */
export interface FaultPlan {
  readonly network: NetworkFaults;
  readonly hubStore: IoFaults;
  readonly walletStore: IoFaults;
  readonly ledger: IoFaults;
  /** Hub crashes (each followed by a restart from its store) during the faulty phase. */
  readonly hubCrashes: number;
  /** Wallet crashes (each followed by a restart from its store). */
  readonly walletCrashes: number;
  /** Connections cut by the network. */
  readonly cuts: number;
  /**
   * Share of payments (0..1) that pay a recent invoice again, as a confused or hostile payer
   * would: the hub must refuse all but one (`INVOICE_ALREADY_PAID`). Default 0 (`pnpm sim --replays`: 0.05).
   */
  readonly replayShare: number;
  /** Lifetime of the merchants' invoices, in ms. Default 300,000 (`pnpm sim --short-invoices`: 5,000, so they expire while processes are down). */
  readonly invoiceTtlMs: number;
  /**
   * The hub's settlement policy (`createHub`'s `settlement`). Most runs claim small amounts
   * often, so claims (and their ledger batches) run while stores fail and processes crash.
   */
  readonly settlement: SimSettlementPolicy;
  /** Share of closes (0..1) that are unilateral (`wallet.forceClose()`), answered by the hub's disputes. */
  readonly forceCloseShare: number;
  /** Lifetime of the channels the wallets open, in ms: short in some runs, so channels expire and the hub finalizes them; undefined for the wallet's default. */
  readonly channelLifetimeMs: number | undefined;
}

/** The parts of the hub's settlement policy a run draws. */
export interface SimSettlementPolicy {
  readonly unclaimedAmountMax?: bigint;
  readonly unclaimedAgeMsMax?: number;
  readonly claimEntriesMax?: number;
}

/** Overrides of a plan: any part, any field. */
export interface FaultPlanOverrides {
  readonly network?: Partial<NetworkFaults>;
  readonly hubStore?: Partial<IoFaults>;
  readonly walletStore?: Partial<IoFaults>;
  readonly ledger?: Partial<IoFaults>;
  readonly hubCrashes?: number;
  readonly walletCrashes?: number;
  readonly cuts?: number;
  readonly replayShare?: number;
  readonly invoiceTtlMs?: number;
  readonly settlement?: SimSettlementPolicy;
  readonly forceCloseShare?: number;
  readonly channelLifetimeMs?: number | undefined;
}

/**
 * A plan drawn from `random`: some runs calm, most with a few percent of frames lost,
 * duplicated or reordered, some writes failing, and a few crashes and cuts; in most runs
 * the hub claims often, some closes are unilateral, and in some channels expire.
 *
 * @example
 * ```ts
 * import { drawFaultPlan, seededRandom } from '@trickle/testing';
 * const plan = drawFaultPlan(seededRandom(3), { hubCrashes: 0 });
 * ```
 */
export function drawFaultPlan(random: SeededRandom, overrides: FaultPlanOverrides = {}): FaultPlan {
  const rate = (max: number) => (random.chance(0.25) ? 0 : random.int(0, max * 1000) / 1000);
  return {
    network: {
      dropRate: rate(0.05),
      duplicateRate: rate(0.05),
      reorder: random.chance(0.5),
      latencyMsMin: 0,
      latencyMsMax: random.pick([1, 5, 20]),
      ...overrides.network,
    },
    hubStore: {
      failRate: rate(0.03),
      ambiguousRate: rate(0.03),
      latencyMsMax: random.int(0, 5),
      ...overrides.hubStore,
    },
    walletStore: { failRate: 0, ambiguousRate: 0, latencyMsMax: random.int(0, 5), ...overrides.walletStore },
    ledger: { failRate: rate(0.03), ambiguousRate: rate(0.03), latencyMsMax: random.int(0, 5), ...overrides.ledger },
    hubCrashes: overrides.hubCrashes ?? random.int(0, 2),
    walletCrashes: overrides.walletCrashes ?? random.int(0, 2),
    cuts: overrides.cuts ?? random.int(0, 4),
    replayShare: overrides.replayShare ?? 0,
    invoiceTtlMs: overrides.invoiceTtlMs ?? 300_000,
    // Drawn last, so the draws above stay what they were for a seed.
    settlement:
      overrides.settlement ??
      (random.chance(0.75)
        ? {
            unclaimedAmountMax: BigInt(random.int(1_000, 50_000)),
            unclaimedAgeMsMax: random.int(200, 5_000),
            claimEntriesMax: random.int(1, 64),
          }
        : {}),
    forceCloseShare: overrides.forceCloseShare ?? random.pick([0, 0.3, 0.7]),
    channelLifetimeMs:
      'channelLifetimeMs' in overrides
        ? overrides.channelLifetimeMs
        : random.chance(0.25)
          ? random.int(3_000, 20_000)
          : undefined,
  };
}

/**
 * Turns every fault off (the heal phase), in place: the network and the crashable stores
 * built on this plan's objects read them live.
 *
 * @example
 * ```ts
 * import { drawFaultPlan, healFaults, seededRandom } from '@trickle/testing';
 * const plan = drawFaultPlan(seededRandom(3));
 * healFaults(plan);
 * plan.network.dropRate; // 0
 * ```
 */
export function healFaults(plan: FaultPlan): void {
  Object.assign(plan.network, { dropRate: 0, duplicateRate: 0, reorder: false });
  for (const io of [plan.hubStore, plan.walletStore, plan.ledger])
    Object.assign(io, { failRate: 0, ambiguousRate: 0, lieRate: 0 });
}
