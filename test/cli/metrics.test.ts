/**
 * The payment figures of /metrics (ADR 0412) after real payments and a real claim on the
 * ledger, through the service `trickle hub start` runs: verify and store-commit latency,
 * payment time and outcomes per asset (one refused), clearing time per asset.
 */
import { join } from 'node:path';
import { type HubService, resolveHubConfig, startHubService } from '@trickle/cli';
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { publicKeyOf } from '@trickle/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';

const silent = { error() {}, warn() {}, info() {} };

/** The value of one series of a scrape (undefined when the series is missing). */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('/metrics after payments and a claim', () => {
  const dir = tempDir('trickle-metrics-');
  let service: HubService | undefined;
  let wallet: Wallet | undefined;
  afterAll(async () => {
    await wallet?.stop();
    await service?.stop('test over');
    dir.remove();
  });

  it('has verify, commit, payment, outcome and clearing series with the counts of what happened', async () => {
    const config = resolveHubConfig(
      { dataDir: join(dir.path, 'hub'), port: 0, adminPort: 0, networkId, logLevel: 'silent' },
      {},
    );
    service = await startHubService(config, silent);
    const { hub } = service;
    const scrape = () => fetch(`${service?.info.adminUrl}/metrics`).then((r) => r.text());

    const before = await scrape();
    expect(series(before, 'trickle_verify_seconds_count')).toBe(0);
    expect(series(before, 'trickle_store_commit_seconds_count{result="durable"}')).toBeUndefined();

    const payerKey = testKey('metrics payer');
    await fund(hub, publicKeyOf(payerKey), 5_000_000n);
    const shop = testMerchant('metrics shop', hub);
    await hub.registerMerchant({ publicKey: shop.publicKey, name: 'Metrics Daily' });
    wallet = await createWallet({ key: payerKey, hub: { url: service.info.url, networkId }, store: memoryStore() });
    const opened = await wallet.openChannel({ deposit: 1_000_000n });
    for (let i = 0; i < 4; i++) await wallet.pay(shop.request(10_000n));
    // A merchant the hub does not know: refused with a code.
    const stranger = testMerchant('metrics stranger', hub);
    const refused = await wallet.pay(stranger.request(1_000n)).then(
      () => undefined,
      (error: { code?: string }) => error.code,
    );
    expect(refused).toMatch(/^[A-Z_]+$/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await hub.settlement.claimNow(opened.channelId);

    const text = await scrape();
    // auth, open and four vouchers at least; the refused one may stop before its signature.
    expect(series(text, 'trickle_verify_seconds_count')).toBeGreaterThanOrEqual(6);
    expect(series(text, 'trickle_verify_seconds_sum')).toBeGreaterThan(0);
    // open and four payments at least, each durable before its answer.
    expect(series(text, 'trickle_store_commit_seconds_count{result="durable"}')).toBeGreaterThanOrEqual(5);
    expect(series(text, 'trickle_store_commit_seconds_count{result="failed"}')).toBeUndefined();
    expect(series(text, 'trickle_payment_seconds_count{asset="USD:6"}')).toBe(5);
    expect(series(text, 'trickle_payment_seconds_bucket{le="+Inf",asset="USD:6"}')).toBe(5);
    expect(series(text, 'trickle_payment_outcomes_total{asset="USD:6",outcome="paid",reason=""}')).toBe(4);
    expect(series(text, `trickle_payment_outcomes_total{asset="USD:6",outcome="rejected",reason="${refused}"}`)).toBe(
      1,
    );
    expect(series(text, 'trickle_clearing_seconds_count{asset="USD:6"}')).toBe(1);
    const cleared = series(text, 'trickle_clearing_seconds_sum{asset="USD:6"}') as number;
    // From the first payment to the claim: more than the 20 ms waited, well under a minute.
    expect(cleared).toBeGreaterThan(0.02);
    expect(cleared).toBeLessThan(60);
    // The counters the dashboard reads agree: four receipts (one entry each).
    expect(series(text, 'trickle_payments_total')).toBe(4);
  }, 60_000);
});

describe('/metrics escrow and open channels after a restart (ADR 0419: no open channel in memory)', () => {
  const dir = tempDir('trickle-metrics-restart-');
  let service: HubService | undefined;
  let wallet: Wallet | undefined;
  afterAll(async () => {
    await wallet?.stop();
    await service?.stop('test over');
    dir.remove();
  });

  it('counts every channel the store holds, not only those in memory', async () => {
    const config = resolveHubConfig(
      { dataDir: join(dir.path, 'hub'), port: 0, adminPort: 0, networkId, logLevel: 'silent' },
      {},
    );
    service = await startHubService(config, silent);
    const payerKey = testKey('metrics restart payer');
    await fund(service.hub, publicKeyOf(payerKey), 5_000_000n);
    wallet = await createWallet({ key: payerKey, hub: { url: service.info.url, networkId }, store: memoryStore() });
    const opened = await wallet.openChannel({ deposit: 750_000n });
    await wallet.stop();
    wallet = undefined;
    await service.stop('restart');
    service = await startHubService(config, silent);
    expect(service.hub.channel(opened.channelId)).toBeUndefined(); // not in memory after the start
    const text = await fetch(`${service.info.adminUrl}/metrics`).then((r) => r.text());
    expect(series(text, 'trickle_open_channels')).toBe(1);
    expect(series(text, 'trickle_escrow_minor_units{asset="USD:6"}')).toBe(750_000);
  });
});
