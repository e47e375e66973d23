/**
 * The hub's metrics in Prometheus' text format (prom-client), read from the hub when they
 * are scraped: nothing is counted twice and nothing grows with history. Names: ADR 0412.
 */
import type { Hub, HubObserver } from '@trickle/hub';
import { type Asset, type HubMessage, toHex } from '@trickle/protocol';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { assetKeyOf, channelTotals } from './channelTotals.js';

/**
 * A registry with the hub's gauges and the process' default metrics.
 *
 * Amounts are per asset (`USD:6`), every asset of `assets` shown, 0 when nothing is held.
 *
 * @example
 * ```ts
 * import { hubMetrics } from '@trickle/cli';
 * declare const hub: import('@trickle/hub').Hub;
 * const registry = hubMetrics(hub);
 * const text = await registry.metrics(); // trickle_open_channels 3 ...
 * ```
 */
export function hubMetrics(hub: Hub, assets: readonly Asset[] = [{ code: 'USD', scale: 6 }]): Registry {
  const assetKeys = assets.map(assetKeyOf);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'trickle_hub_process_' });
  new Gauge({
    name: 'trickle_connected_clients',
    help: 'WebSocket connections open now',
    registers: [registry],
    collect() {
      this.set(hub.connectionCount);
    },
  });
  new Gauge({
    name: 'trickle_escrow_minor_units',
    help: 'Deposits held in channels that are not finalized, per asset (minor units)',
    labelNames: ['asset'],
    registers: [registry],
    async collect() {
      const { escrow } = await channelTotals(hub);
      this.reset();
      for (const asset of assetKeys) this.set({ asset }, 0);
      for (const [asset, amount] of escrow) this.set({ asset }, Number(amount));
    },
  });
  new Gauge({
    name: 'trickle_open_channels',
    help: 'Channels open now (not closing, not expired), every one in the hub store',
    registers: [registry],
    async collect() {
      this.set((await channelTotals(hub)).openCount);
    },
  });
  new Gauge({
    name: 'trickle_unsettled_liability_minor_units',
    help: 'Paid to merchants on open channels and not claimed on the ledger yet, per asset (minor units)',
    labelNames: ['asset'],
    registers: [registry],
    async collect() {
      const { liability } = await channelTotals(hub);
      this.reset();
      for (const asset of assetKeys) this.set({ asset }, 0);
      for (const [asset, amount] of liability) this.set({ asset }, Number(amount));
    },
  });
  new Gauge({
    name: 'trickle_settlement_backlog_channels',
    help: 'Open channels with payments not claimed yet',
    registers: [registry],
    collect() {
      this.set(hub.settlement.backlog().channels);
    },
  });
  new Gauge({
    name: 'trickle_settlement_backlog_entries',
    help: 'Payment entries not claimed yet',
    registers: [registry],
    collect() {
      this.set(hub.settlement.backlog().entries);
    },
  });
  new Gauge({
    name: 'trickle_settlement_oldest_unclaimed_seconds',
    help: 'Age of the oldest payment not claimed yet (0 when none)',
    registers: [registry],
    collect() {
      const oldest = hub.settlement.backlog().oldestUnclaimedAtMs;
      this.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
    },
  });
  new Gauge({
    name: 'trickle_channels_closing',
    help: 'Channels with a close under way',
    registers: [registry],
    collect() {
      this.set(hub.settlement.backlog().closing);
    },
  });
  return registry;
}

/** Buckets of `trickle_verify_seconds`: 50 µs to 1 s. */
const verifySecondsBuckets: number[] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1];
/** Buckets of `trickle_store_commit_seconds`: 100 µs to 5 s. */
const commitSecondsBuckets: number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5,
];
/** Buckets of `trickle_payment_seconds`: 250 µs to 10 s. */
const paymentSecondsBuckets: number[] = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 10];
/** Buckets of `trickle_clearing_seconds`: 1 s to 1 day (the settlement policy's claim ages). */
const clearingSecondsBuckets: number[] = [1, 5, 15, 60, 300, 900, 3_600, 4 * 3_600, 86_400];

/** Rejects remembered for the dashboard, the most recent ones. */
export const recentRejectsMax = 50;

/** A reject the hub sent, as the dashboard shows it (no frame, no key). */
export interface SeenReject {
  readonly atMs: number;
  readonly code: string;
  readonly channelId: string | undefined;
}

/** What {@link hubTraffic} counts, and the observer the hub reports to. */
export interface HubTraffic {
  /** Give it to `createHub({ observer })`. */
  readonly observer: HubObserver;
  /** Payments answered with a receipt (one per entry), since start. */
  payments(): number;
  /** The last {@link recentRejectsMax} rejects, newest first. */
  recentRejects(): SeenReject[];
  /**
   * Adds the counters and histograms to a registry: `trickle_payments_total`,
   * `trickle_rejects_total{code}`, `trickle_verify_seconds`, `trickle_store_commit_seconds`,
   * `trickle_payment_seconds{asset}`, `trickle_payment_outcomes_total{asset,outcome,reason}`,
   * `trickle_clearing_seconds{asset}`, and for peer-to-peer payments
   * `trickle_p2p_payments_total{asset}`, `trickle_p2p_delivery_seconds{asset}`,
   * `trickle_p2p_cleared_total{asset}` and `trickle_p2p_clearing_seconds{asset}`.
   */
  register(registry: Registry): void;
}

/**
 * Counts what the hub answers: payments (receipts) and rejects by code, in this process.
 *
 * @example
 * ```ts
 * import { hubMetrics, hubTraffic } from '@trickle/cli';
 * import { createHub } from '@trickle/hub';
 * const traffic = hubTraffic();
 * const hub = await createHub({ dataDir: './.data/hub', networkId: 1, observer: traffic.observer });
 * const registry = hubMetrics(hub);
 * traffic.register(registry);
 * ```
 */
export function hubTraffic(): HubTraffic {
  let payments = 0;
  const rejects = new Map<string, number>();
  const recent: SeenReject[] = [];
  const paymentsCounter = new Counter({
    name: 'trickle_payments_total',
    help: 'Payments answered with a receipt (one per entry)',
    registers: [],
  });
  const rejectsCounter = new Counter({
    name: 'trickle_rejects_total',
    help: 'Rejects sent to clients, by code',
    labelNames: ['code'],
    registers: [],
  });
  const verifySeconds = new Histogram({
    name: 'trickle_verify_seconds',
    help: 'Signature checks of the verification port, queueing included (seconds)',
    buckets: verifySecondsBuckets,
    registers: [],
  });
  const commitSeconds = new Histogram({
    name: 'trickle_store_commit_seconds',
    help: 'Transactions of the channel store (one group commit, many payments), until durable or failed (seconds)',
    labelNames: ['result'],
    buckets: commitSecondsBuckets,
    registers: [],
  });
  const paymentSeconds = new Histogram({
    name: 'trickle_payment_seconds',
    help: 'Pay frames, from read by the hub to its answer (receipt or reject), per asset (seconds)',
    labelNames: ['asset'],
    buckets: paymentSecondsBuckets,
    registers: [],
  });
  const paymentOutcomes = new Counter({
    name: 'trickle_payment_outcomes_total',
    help: 'Pay frames answered, by asset, outcome (paid, rejected) and reason (the reject code; "" when paid)',
    labelNames: ['asset', 'outcome', 'reason'],
    registers: [],
  });
  const clearingSeconds = new Histogram({
    name: 'trickle_clearing_seconds',
    help: 'Claims on the ledger: from the oldest payment a claim covers to the claim, per asset (seconds)',
    labelNames: ['asset'],
    buckets: clearingSecondsBuckets,
    registers: [],
  });
  const peerPayments = new Counter({
    name: 'trickle_p2p_payments_total',
    help: 'Payments to wallet-payees made durable (peer-to-peer, ADR 0240), per asset',
    labelNames: ['asset'],
    registers: [],
  });
  const deliverySeconds = new Histogram({
    name: 'trickle_p2p_delivery_seconds',
    help: 'Incoming payments pushed to their payee: from the hub accepting the payment to the push, per asset (seconds); a payee offline meanwhile waits longer, and a replay counts again',
    labelNames: ['asset'],
    buckets: clearingSecondsBuckets,
    registers: [],
  });
  const peerCleared = new Counter({
    name: 'trickle_p2p_cleared_total',
    help: 'Payments to wallet-payees settled on the ledger and their payee told (peer-to-peer clearing, ADR 0243), per asset',
    labelNames: ['asset'],
    registers: [],
  });
  const peerClearingSeconds = new Histogram({
    name: 'trickle_p2p_clearing_seconds',
    help: 'Clearing notices to wallet-payees: from the oldest payment the claim covers to the settlement, per asset (seconds)',
    labelNames: ['asset'],
    buckets: clearingSecondsBuckets,
    registers: [],
  });
  return {
    observer: {
      peerCleared({ asset, payments, seconds }) {
        peerCleared.inc({ asset: assetKeyOf(asset) }, payments);
        peerClearingSeconds.observe({ asset: assetKeyOf(asset) }, seconds);
      },
      peerPaid: ({ asset, payments }) => peerPayments.inc({ asset: `${asset.code}:${asset.scale}` }, payments),
      delivered: ({ asset, seconds }) => deliverySeconds.observe({ asset: `${asset.code}:${asset.scale}` }, seconds),
      verified: (seconds) => verifySeconds.observe(seconds),
      committed: (seconds, _writes, ok) => commitSeconds.observe({ result: ok ? 'durable' : 'failed' }, seconds),
      paid({ asset, seconds, outcome }) {
        const key = asset === undefined ? 'unknown' : assetKeyOf(asset);
        paymentSeconds.observe({ asset: key }, seconds);
        const paid = outcome === 'paid';
        paymentOutcomes.inc({ asset: key, outcome: paid ? 'paid' : 'rejected', reason: paid ? '' : outcome });
      },
      cleared: ({ asset, seconds }) => clearingSeconds.observe({ asset: assetKeyOf(asset) }, seconds),
      sent(message: HubMessage) {
        if (message.type === 'receipts') {
          payments += message.macs.length;
          paymentsCounter.inc(message.macs.length);
        } else if (message.type === 'reject') {
          rejects.set(message.code, (rejects.get(message.code) ?? 0) + 1);
          rejectsCounter.inc({ code: message.code });
          recent.unshift({
            atMs: Date.now(),
            code: message.code,
            channelId: message.channelId === undefined ? undefined : toHex(message.channelId),
          });
          if (recent.length > recentRejectsMax) recent.pop();
        }
      },
    },
    payments: () => payments,
    recentRejects: () => [...recent],
    register(registry) {
      registry.registerMetric(paymentsCounter);
      registry.registerMetric(rejectsCounter);
      registry.registerMetric(verifySeconds);
      registry.registerMetric(commitSeconds);
      registry.registerMetric(paymentSeconds);
      registry.registerMetric(paymentOutcomes);
      registry.registerMetric(clearingSeconds);
      registry.registerMetric(peerPayments);
      registry.registerMetric(deliverySeconds);
      registry.registerMetric(peerCleared);
      registry.registerMetric(peerClearingSeconds);
    },
  };
}
