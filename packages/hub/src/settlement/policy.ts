/**
 * The operator's settlement policy: when the hub claims what was paid on a channel while
 * it stays open, and how much work one run of the scheduler may do.
 */
import { assertAmount } from '@trickle/protocol';

/**
 * When the hub claims, and at what pace. Every field has a default
 * ({@link defaultSettlementPolicy}); pass only what you change.
 *
 * @example
 * ```ts
 * import { createHub } from '@trickle/hub';
 * const hub = await createHub({
 *   dataDir: './.data/hub',
 *   networkId: 1,
 *   settlement: { unclaimedAmountMax: 5_000_000n, unclaimedAgeMsMax: 15 * 60_000, liabilityMax: 1_000_000_000n },
 * });
 * ```
 */
export interface SettlementPolicy {
  /** Claim a channel once this much is unclaimed on it, in minor units of its asset. */
  readonly unclaimedAmountMax: bigint;
  /** Claim a channel once its oldest unclaimed payment is this old, in ms. */
  readonly unclaimedAgeMsMax: number;
  /** Claim everything on a channel once it is this close to its expiry, in ms. */
  readonly expiryMarginMs: number;
  /**
   * Claim the channels with the most unclaimed, largest first, while the hub's unclaimed
   * total in one asset is above this (minor units). Undefined: no cap.
   */
  readonly liabilityMax: bigint | undefined;
  /** Claim a channel once this many entries are unclaimed on it; also the most one claim carries. */
  readonly claimEntriesMax: number;
  /** How often the scheduler runs, in ms. */
  readonly intervalMs: number;
  /** Channels per ledger batch (one transaction). */
  readonly batchChannelsMax: number;
  /** Entries per ledger batch, all its channels together: bounds one transaction's work. */
  readonly batchEntriesMax: number;
  /** Ledger batches one run may make before it yields to the next run. */
  readonly batchesPerRunMax: number;
  /** How often payout rules run, in ms (the rules are the ledger's `PayoutRule`s, `payoutRules` of createHub). */
  readonly payoutIntervalMs: number;
  /** Start paused: policy claims and payouts wait for `resume()`; expiry, disputes and finalization go on. */
  readonly paused: boolean;
}

/**
 * The defaults: 1,000,000 minor units (1 USD at scale 6), 1 hour, 10 minutes before expiry,
 * no liability cap, 10,000 entries, a run per second, 256 channels and 20,000 entries per
 * batch, 16 batches per run, payouts every minute, not paused.
 *
 * @example
 * ```ts
 * import { defaultSettlementPolicy } from '@trickle/hub';
 * defaultSettlementPolicy.unclaimedAgeMsMax; // 3_600_000
 * ```
 */
export const defaultSettlementPolicy: SettlementPolicy = Object.freeze({
  unclaimedAmountMax: 1_000_000n,
  unclaimedAgeMsMax: 3_600_000,
  expiryMarginMs: 600_000,
  liabilityMax: undefined,
  claimEntriesMax: 10_000,
  intervalMs: 1_000,
  batchChannelsMax: 256,
  batchEntriesMax: 20_000,
  batchesPerRunMax: 16,
  payoutIntervalMs: 60_000,
  paused: false,
});

/** Most channels per ledger batch (the ledger's `claimBatchChannelsMax`). */
const batchChannelsLimit = 1_024;
/** Most entries per claim and per batch (the ledger's `entriesPerSettlementMax`). */
const entriesLimit = 100_000;

function positive(value: unknown, max: number, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new RangeError(`settlement.${name}: expected an integer in 1..${max}, got ${String(value)}`);
  }
  return value;
}

/** The policy with defaults filled in; misuse throws a titled `TypeError`/`RangeError`. */
export function resolveSettlementPolicy(overrides: Partial<SettlementPolicy> = {}): SettlementPolicy {
  if (typeof overrides !== 'object' || overrides === null) throw new TypeError('settlement: expected an object');
  const policy = { ...defaultSettlementPolicy, ...overrides };
  const unclaimedAmountMax = assertAmount(policy.unclaimedAmountMax, 'settlement.unclaimedAmountMax');
  if (unclaimedAmountMax < 1n) throw new RangeError('settlement.unclaimedAmountMax: must be at least 1');
  const liabilityMax =
    policy.liabilityMax === undefined ? undefined : assertAmount(policy.liabilityMax, 'settlement.liabilityMax');
  const day = 24 * 3_600_000;
  const claimEntriesMax = positive(policy.claimEntriesMax, entriesLimit, 'claimEntriesMax');
  const batchEntriesMax = positive(policy.batchEntriesMax, entriesLimit, 'batchEntriesMax');
  if (batchEntriesMax < claimEntriesMax) {
    throw new RangeError('settlement.batchEntriesMax: must be at least claimEntriesMax');
  }
  if (typeof policy.paused !== 'boolean') throw new TypeError('settlement.paused: expected a boolean');
  return {
    unclaimedAmountMax,
    unclaimedAgeMsMax: positive(policy.unclaimedAgeMsMax, 365 * day, 'unclaimedAgeMsMax'),
    expiryMarginMs: positive(policy.expiryMarginMs, 365 * day, 'expiryMarginMs'),
    liabilityMax,
    claimEntriesMax,
    intervalMs: positive(policy.intervalMs, day, 'intervalMs'),
    batchChannelsMax: positive(policy.batchChannelsMax, batchChannelsLimit, 'batchChannelsMax'),
    batchEntriesMax,
    batchesPerRunMax: positive(policy.batchesPerRunMax, 10_000, 'batchesPerRunMax'),
    payoutIntervalMs: positive(policy.payoutIntervalMs, 365 * day, 'payoutIntervalMs'),
    paused: policy.paused,
  };
}
