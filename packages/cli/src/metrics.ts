/**
 * The hub's metrics in Prometheus' text format (prom-client), read from the hub when they
 * are scraped: nothing is counted twice and nothing grows with history. Names: ADR 0412.
 */
import type { Hub } from '@trickle/hub';
import { channelsPageMax } from '@trickle/hub';
import { toHex } from '@trickle/protocol';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * A registry with the hub's gauges and the process' default metrics.
 *
 * @example
 * ```ts
 * import { hubMetrics } from '@trickle/cli';
 * declare const hub: import('@trickle/hub').Hub;
 * const registry = hubMetrics(hub);
 * const text = await registry.metrics(); // trickle_open_channels 3 ...
 * ```
 */
export function hubMetrics(hub: Hub): Registry {
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
  const escrow = new Gauge({
    name: 'trickle_escrow_minor_units',
    help: 'Deposits held in channels that are not finalized, per asset (minor units)',
    labelNames: ['asset'],
    registers: [registry],
  });
  const open = new Gauge({
    name: 'trickle_open_channels',
    help: 'Channels open now (held in memory by the hub)',
    registers: [registry],
    collect() {
      let count = 0;
      const deposits = new Map<string, bigint>();
      let after: string | undefined;
      for (;;) {
        const page = hub.channels(after === undefined ? {} : { after });
        for (const state of page) {
          if (state.status === 'closed') continue;
          if (state.status === 'open') count++;
          const key = `${state.asset.code}:${state.asset.scale}`;
          deposits.set(key, (deposits.get(key) ?? 0n) + state.deposit);
        }
        if (page.length < channelsPageMax) break;
        after = toHex((page.at(-1) as (typeof page)[number]).channelId);
      }
      this.set(count);
      escrow.reset();
      for (const [asset, amount] of deposits) escrow.set({ asset }, Number(amount));
    },
  });
  void open;
  new Gauge({
    name: 'trickle_unsettled_liability_minor_units',
    help: 'Paid to merchants on open channels and not claimed on the ledger yet, per asset (minor units)',
    labelNames: ['asset'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [asset, amount] of Object.entries(hub.settlement.backlog().amounts))
        this.set({ asset }, Number(amount));
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
