/**
 * The hub on a PostgreSQL channel store loses its database connection in the middle of a
 * group commit (a restart, a failover, a network cut). That commit fails and is answered
 * INTERNAL; the hub process itself must keep running. (pg emits the connection's 'error'
 * on a client checked out of the pool, where nothing listened: an uncaught exception.)
 */

import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { fromHex, type HubId, type PublicKey, publicKeyOf, toHex } from '@trickle/protocol';
import {
  commitReplyEater,
  dropSchema,
  type HubProcess,
  postgresUrl,
  rawClient,
  spawnHub,
  uniqueSchema,
} from '@trickle/testing/harness';
import { afterAll, describe, expect, it } from 'vitest';
import { networkId, tempDir, testKey, testMerchant } from './fixtures.js';

describe('PostgreSQL connection lost during a commit', () => {
  const dir = tempDir();
  const schema = uniqueSchema('trickle_hub_conn_loss');
  const proxy = commitReplyEater(new URL(postgresUrl));
  let hub: HubProcess | undefined;
  let wallet: Wallet | undefined;
  afterAll(async () => {
    await wallet?.stop();
    hub?.child.kill('SIGKILL');
    await proxy.close();
    await dropSchema(schema);
    dir.remove();
  });

  it('answers INTERNAL and keeps the hub running', async () => {
    const payerKey = testKey('pg connection loss payer');
    const merchantKey = publicKeyOf(testKey('merchant pg connection loss'));
    hub = await spawnHub({
      dataDir: dir.path,
      networkId,
      port: 0,
      merchants: [toHex(merchantKey)],
      fund: [{ clientKey: toHex(publicKeyOf(payerKey)), amount: '1000000' }],
      postgres: { connectionString: await proxy.listen(), schema },
    });
    const running = hub;
    let stderr = '';
    const handled = new Promise<'handled'>((resolve) => {
      running.child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/answered INTERNAL/.test(stderr)) resolve('handled');
      });
    });
    const merchant = testMerchant('pg connection loss', {
      publicKey: fromHex(running.publicKey, 33) as PublicKey,
      hubId: fromHex(running.hubId, 32) as HubId,
    });
    wallet = await createWallet({ key: payerKey, hub: { url: running.url, networkId }, store: memoryStore() });
    await wallet.openChannel({ deposit: 100_000n });
    await wallet.pay(merchant.request(5n));

    proxy.arm();
    void wallet.pay(merchant.request(7n)).catch(() => undefined);
    const outcome = await Promise.race([running.exited.then(() => 'exited' as const), handled]);
    expect(proxy.eaten).toBe(1);
    expect(outcome).toBe('handled');

    // Still serving.
    const auditor = await rawClient(running.url, payerKey);
    auditor.send({ type: 'sync', id: 1, channelId: wallet.balance()!.channelId });
    expect((await auditor.next()).type).toBe('state');
    auditor.close();
  }, 30_000);
});
