/**
 * Alerts (ADR 0413) through the service `trickle hub start` runs, to a real HTTP receiver:
 * liability, a merchant's balance and escrow each cross their threshold and are told once
 * per crossing (and once when liability falls back under the hysteresis), with a body
 * signed by HMAC-SHA256 under the configured secret; the receiver's first answer is a 503,
 * so the first alert arrives by a retry, with the same event id.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import {
  type AlertEvent,
  alertSignature,
  alertSignatureHeader,
  CliError,
  crossed,
  type HubService,
  resolveHubConfig,
  startHubService,
} from '@trickle/cli';
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { publicKeyOf, toHex } from '@trickle/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';

const silent = { error() {}, warn() {}, info() {} };
const secret = 'alerts-test-secret-0123456789';

describe('alert webhooks', () => {
  const dir = tempDir('trickle-alerts-');
  let receiver: Server | undefined;
  let service: HubService | undefined;
  let wallet: Wallet | undefined;
  afterAll(async () => {
    await wallet?.stop();
    await service?.stop('test over');
    receiver?.close();
    dir.remove();
  });

  it('tells each crossing once, signed, retried until the receiver takes it', async () => {
    const deliveries: { id: string; status: number; verified: boolean; event: AlertEvent }[] = [];
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const expected = Buffer.from(alertSignature(secret, body));
        const given = Buffer.from(String(request.headers[alertSignatureHeader] ?? ''));
        const verified = expected.length === given.length && timingSafeEqual(expected, given);
        const event = JSON.parse(body.toString('utf8')) as AlertEvent;
        const status = deliveries.length === 0 ? 503 : 204;
        deliveries.push({ id: String(request.headers['trickle-event-id']), status, verified, event });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/hooks`;

    const config = resolveHubConfig(
      {
        dataDir: join(dir.path, 'hub'),
        port: 0,
        adminPort: 0,
        networkId,
        alertWebhook: url,
        alertLiabilityMax: '30000',
        alertMerchantBalanceMax: '40000',
        alertEscrowMax: '150000',
        alertIntervalMs: '100',
      },
      { TRICKLE_ALERT_SECRET: secret },
    );
    service = await startHubService(config, silent);
    const { hub } = service;
    const payerKey = testKey('alerts payer');
    await fund(hub, publicKeyOf(payerKey), 5_000_000n);
    const shop = testMerchant('alerts shop', hub);
    await hub.registerMerchant({ publicKey: shop.publicKey, name: 'Alerts Daily' });
    wallet = await createWallet({ key: payerKey, hub: { url: service.info.url, networkId }, store: memoryStore() });
    const opened = await wallet.openChannel({ deposit: 100_000n });
    const told = () => [...new Map(deliveries.filter((d) => d.status < 300).map((d) => [d.id, d.event])).values()];

    for (let i = 0; i < 4; i++) await wallet.pay(shop.request(10_000n)); // liability 40,000: above 30,000
    await expect.poll(told, { timeout: 10_000 }).toHaveLength(1);
    expect(told()[0]).toMatchObject({ kind: 'liability', state: 'above', asset: 'USD:6', value: '40000' });
    // The first attempt was answered 503 and retried with the same id and a valid signature.
    expect(deliveries[0]?.status).toBe(503);
    expect(deliveries[1]?.id).toBe(deliveries[0]?.id);
    expect(deliveries.every((d) => d.verified)).toBe(true);
    expect(told()[0]?.hubId).toBe(toHex(hub.hubId));

    await wallet.pay(shop.request(10_000n)); // 50,000: still above, not told again
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(told()).toHaveLength(1);

    await hub.settlement.claimNow(opened.channelId); // liability 0; the merchant holds 50,000
    await expect.poll(told, { timeout: 10_000 }).toHaveLength(3);
    const shopId = toHex(shop.payee);
    expect(told().slice(1)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'liability', state: 'below', value: '0', rearmBelow: '27000' }),
        expect.objectContaining({ kind: 'merchantBalance', state: 'above', payeeId: shopId, value: '50000' }),
      ]),
    );

    await wallet.topUp({ amount: 100_000n }); // escrow 200,000
    await expect.poll(told, { timeout: 10_000 }).toHaveLength(4);
    expect(told()[3]).toMatchObject({ kind: 'escrow', state: 'above', value: '200000', threshold: '150000' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(told()).toHaveLength(4);
    expect(deliveries.every((d) => d.verified)).toBe(true);
  }, 60_000);

  it('hysteresis: above at the threshold, below again only under it by the margin', () => {
    expect(crossed(false, 99n, 100n, 10)).toBe(false);
    expect(crossed(false, 100n, 100n, 10)).toBe(true);
    expect(crossed(true, 90n, 100n, 10)).toBe(true);
    expect(crossed(true, 89n, 100n, 10)).toBe(false);
  });

  it('refuses a configuration that cannot alert, naming the fix', () => {
    const bad = (flags: Record<string, string>, env: NodeJS.ProcessEnv = {}) => {
      try {
        resolveHubConfig(flags, env);
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(CliError);
        return (error as Error).message;
      }
    };
    expect(bad({ alertWebhook: 'http://127.0.0.1:1/x', alertLiabilityMax: '1' })).toMatch(/TRICKLE_ALERT_SECRET/);
    expect(bad({ alertLiabilityMax: '1' })).toMatch(/need --alert-webhook/);
    expect(bad({ alertWebhook: 'http://127.0.0.1:1/x' }, { TRICKLE_ALERT_SECRET: secret })).toMatch(/threshold/);
    expect(
      bad({ alertWebhook: 'http://127.0.0.1:1/x', alertLiabilityMax: '1.5' }, { TRICKLE_ALERT_SECRET: secret }),
    ).toMatch(/minor units/);
    expect(bad({ alertWebhook: 'ftp://x', alertLiabilityMax: '1' }, { TRICKLE_ALERT_SECRET: secret })).toMatch(
      /http\(s\)/,
    );
  });
});
