/**
 * A commit whose reply is lost: PostgreSQL commits the group, then the connection dies
 * before the hub reads the answer. The hub cannot know the vouchers are durable, so it
 * answers INTERNAL (nothing acknowledged before it is known durable), and the wallet
 * resends. The resend must then be recognised for what it is - a voucher the hub holds -
 * and get its receipts; memory must not stay behind disk (which made every later commit
 * of the channel fail on the stored voucher's key, and every group commit it joined).
 */

import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { createHub, type Hub } from '@trickle/hub';
import { postgresChannelStore } from '@trickle/hub/postgres';
import { publicKeyOf, signClose } from '@trickle/protocol';
import { commitReplyEater, dropSchema, postgresUrl, rawClient, uniqueSchema } from '@trickle/testing/harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, ledgerBalance, networkId, tempDir, testKey, testMerchant } from './fixtures.js';
import { advance, frameFor, openRaw, syncState } from './rawChannel.js';

describe('a group commit whose reply is lost (PostgreSQL store)', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let wallet: Wallet | undefined;
  let proxy: ReturnType<typeof commitReplyEater>;
  const schema = uniqueSchema('trickle_hub_lost_commit');
  const key = testKey('lost commit reply');

  beforeEach(async () => {
    dir = tempDir();
    proxy = commitReplyEater(new URL(postgresUrl));
    const connectionString = await proxy.listen();
    hub = await createHub({
      dataDir: dir.path,
      networkId,
      store: await postgresChannelStore({ connectionString, schema }),
      onError: () => {},
    });
    await fund(hub, publicKeyOf(key), 1_000_000n);
  });
  afterEach(async () => {
    await wallet?.stop();
    await hub.close();
    await proxy.close();
    await dropSchema(schema);
    dir.remove();
  });

  it('answers the resend with the receipts of the voucher it holds, and goes on accepting', async () => {
    const merchant = testMerchant('lost commit reply', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    wallet = await createWallet({ key, hub: { url: hub.url, networkId }, store: memoryStore() });
    await wallet.openChannel({ deposit: 100_000n });
    await wallet.pay(merchant.request(5n));
    const channelId = wallet.balance()!.channelId;

    proxy.arm();
    const receipt = await wallet.pay(merchant.request(7n));
    expect(proxy.eaten).toBe(1); // the commit of this voucher was applied, its reply lost
    expect(receipt.seq).toBe(2);
    expect(checkAgreement()).toBe(12n);

    const after = await wallet.pay(merchant.request(11n));
    expect(after.seq).toBe(3);
    expect(checkAgreement()).toBe(23n);

    function checkAgreement(): bigint {
      const hubState = hub.channel(channelId)!;
      expect(wallet!.balance()?.acknowledged).toBe(hubState.cumulative);
      return hubState.cumulative;
    }
  }, 20_000);

  it('a sync, then a close, right after the lost reply see the state on disk, not the one in memory', async () => {
    const merchant = testMerchant('lost commit reply', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    const client = await rawClient(hub.url, key);
    try {
      let channel = await openRaw(client, 100_000n);
      const first = frameFor(client.domain, channel, [merchant.request(5n)], client.signer);
      client.send(first);
      expect((await client.next()).type).toBe('receipts');
      channel = advance(channel, first);

      proxy.arm();
      const second = frameFor(client.domain, channel, [merchant.request(7n)], client.signer);
      client.send(second);
      const lost = await client.next();
      expect(proxy.eaten).toBe(1); // applied on disk, its reply lost: the hub answers INTERNAL
      expect(lost.type === 'reject' && lost.code).toBe('INTERNAL');
      channel = advance(channel, second);

      // No pay frame comes first to trigger a read-back: the request itself must catch up with disk.
      const synced = await syncState(client, channel);
      expect(synced.seq).toBe(2);
      expect(synced.cumulative).toBe(12n);

      const { channelId, seq, cumulative, logHead } = channel;
      client.send({
        type: 'close',
        id: 5,
        ...signClose(client.domain, { channelId, seq, cumulative, logHead }, client.signer),
      });
      const closed = await client.next();
      expect(closed.type === 'state' && closed.state.status).toBe('closed');
      expect(closed.type === 'state' && closed.state.cumulative).toBe(12n);
      // Both payments settled: 12 paid, the rest of the deposit back with the payer.
      expect(await ledgerBalance(hub, 'payer', publicKeyOf(key))).toBe(1_000_000n - 12n);
    } finally {
      client.close();
    }
  }, 20_000);
});
