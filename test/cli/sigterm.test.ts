/**
 * `trickle hub start` under SIGTERM with payments in flight: it drains (queued payments are
 * made durable and answered), exits 0, and a restart on the same folder holds every
 * payment the wallet got a receipt for, and none it did not sign.
 */
import { join } from 'node:path';
import { createWallet, memoryStore } from '@trickle/client';
import { asHubId, asPublicKey, fromHex, publicKeyOf, toHex } from '@trickle/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';
import { type HubChild, killHubs, startHub, trickle } from './run.js';

describe('trickle hub start and SIGTERM', () => {
  const dir = tempDir('trickle-sigterm-');
  const dataDir = join(dir.path, 'hub');
  const children: HubChild[] = [];
  afterAll(async () => {
    await killHubs(children);
    dir.remove();
  });

  it('drains payments in flight, exits 0, and loses no acknowledged payment', async () => {
    const hub = await startHub(dataDir, ['--network-id', String(networkId)]);
    children.push(hub);
    const payerKey = testKey('sigterm payer');
    const cli = (args: string[]) => trickle([...args, '--data-dir', dataDir]);
    expect(
      (await cli(['ledger', 'fund', '--client', toHex(publicKeyOf(payerKey)), '--amount', '10', '--reference', 'c1']))
        .code,
    ).toBe(0);
    const shop = testMerchant('sigterm shop', {
      publicKey: asPublicKey(fromHex(hub.info.publicKey)),
      hubId: asHubId(fromHex(hub.info.hubId)),
    });
    expect((await cli(['merchant', 'add', '--public-key', toHex(shop.publicKey)])).code).toBe(0);

    const wallet = await createWallet({ key: payerKey, hub: { url: hub.info.url, networkId }, store: memoryStore() });
    const opened = await wallet.openChannel({ deposit: 5_000_000n });
    let acked = 0n;
    let signalled = false;
    const payers = Array.from({ length: 8 }, async () => {
      for (;;) {
        try {
          acked += (await wallet.pay(shop.request(100n))).amount;
        } catch {
          if (signalled) return;
        }
        if (acked >= 20_000n && !signalled) {
          signalled = true;
          hub.child.kill('SIGTERM');
        }
        if (signalled && hub.child.exitCode !== null) return;
      }
    });
    expect(await hub.exited, hub.stderr()).toBe(0);
    await wallet.stop();
    await Promise.all(payers);
    expect(acked).toBeGreaterThanOrEqual(20_000n);
    const signed = wallet.balance()?.spent ?? 0n;

    const restarted = await startHub(dataDir, ['--network-id', String(networkId)]);
    children.push(restarted);
    const show = await cli(['channel', 'show', toHex(opened.channelId), '--json']);
    expect(show.code, show.stderr).toBe(0);
    const state = JSON.parse(show.stdout) as { hub: { cumulative: string } };
    const cumulative = BigInt(state.hub.cumulative);
    expect(cumulative).toBeGreaterThanOrEqual(acked);
    expect(cumulative).toBeLessThanOrEqual(signed);
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);
  }, 120_000);
});
