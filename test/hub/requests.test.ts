/** Channel requests over a real socket: idempotent open, top-up and close, refusals, log pages, graceful shutdown. */

import { createWallet, memoryStore } from '@trickle/client';
import { createHub, type Hub } from '@trickle/hub';
import { postgresChannelStore } from '@trickle/hub/postgres';
import {
  type ClientChannel,
  checkReceiptMac,
  type HubMessage,
  preparePayment,
  publicKeyOf,
  signClose,
  signOpenRequest,
  signTopUp,
  signVoucher,
} from '@trickle/protocol';
import { dropSchema, postgresUrl, type RawClient, rawClient, uniqueSchema } from '@trickle/testing/harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, ledgerBalance, networkId, tempDir, testKey, testMerchant, usd } from './fixtures.js';

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

function state(message: HubMessage) {
  if (message.type !== 'state')
    throw new Error(`expected state, got ${message.type} ${message.type === 'reject' ? message.code : ''}`);
  return message.state;
}

describe('channel requests', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let client: RawClient;

  beforeEach(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId });
    await fund(hub, publicKeyOf(testKey('requests')), 5_000n);
    client = await rawClient(hub.url, testKey('requests'));
  });
  afterEach(async () => {
    client.close();
    await hub.close();
    dir.remove();
  });

  it('open, top-up and close are idempotent; refusals carry typed codes', async () => {
    const open = signOpenRequest(
      client.domain,
      { nonce: randomBytes(16), asset: usd, deposit: 1_000n, expiresAtMs: Date.now() + 3_600_000 },
      client.signer,
    );
    const openMessage = {
      type: 'open',
      id: 1,
      nonce: open.nonce,
      asset: usd,
      deposit: 1_000n,
      expiresAtMs: open.expiresAtMs,
      signature: open.signature,
    } as const;
    client.send(openMessage);
    const opened = state(await client.next());
    client.send(openMessage);
    expect(state(await client.next())).toEqual(opened);
    expect(await ledgerBalance(hub, 'payer', client.signer.publicKey)).toBe(4_000n);

    const rich = signOpenRequest(
      client.domain,
      { nonce: randomBytes(16), asset: usd, deposit: 10_000n, expiresAtMs: open.expiresAtMs },
      client.signer,
    );
    client.send({ ...openMessage, id: 2, nonce: rich.nonce, deposit: 10_000n, signature: rich.signature });
    expect(await client.next()).toMatchObject({ type: 'reject', id: 2, code: 'INSUFFICIENT_FUNDS' });
    const shortLived = signOpenRequest(
      client.domain,
      { nonce: randomBytes(16), asset: usd, deposit: 1n, expiresAtMs: Date.now() + 10 },
      client.signer,
    );
    client.send({
      ...openMessage,
      id: 3,
      nonce: shortLived.nonce,
      deposit: 1n,
      expiresAtMs: shortLived.expiresAtMs,
      signature: shortLived.signature,
    });
    expect(await client.next()).toMatchObject({ type: 'reject', id: 3, code: 'BAD_OPEN' });

    const topUp = signTopUp(client.domain, { channelId: opened.channelId, deposit: 3_000n }, client.signer);
    const topUpMessage = {
      type: 'topUp',
      id: 4,
      channelId: opened.channelId,
      deposit: 3_000n,
      signature: topUp.signature,
    } as const;
    client.send(topUpMessage);
    expect(state(await client.next()).deposit).toBe(3_000n);
    client.send(topUpMessage);
    expect(state(await client.next()).deposit).toBe(3_000n);
    expect(await ledgerBalance(hub, 'payer', client.signer.publicKey)).toBe(2_000n);
    const lower = signTopUp(client.domain, { channelId: opened.channelId, deposit: 2_000n }, client.signer);
    client.send({ ...topUpMessage, id: 5, deposit: 2_000n, signature: lower.signature });
    expect(await client.next()).toMatchObject({ type: 'reject', id: 5, code: 'TOPUP_NOT_INCREASING' });

    const stale = signClose(
      client.domain,
      { channelId: opened.channelId, seq: 1, cumulative: 1n, logHead: opened.logHead },
      client.signer,
    );
    client.send({
      type: 'close',
      id: 6,
      channelId: opened.channelId,
      seq: 1,
      cumulative: 1n,
      logHead: opened.logHead,
      signature: stale.signature,
    });
    expect(await client.next()).toMatchObject({ type: 'reject', id: 6, code: 'CLOSE_STATE_MISMATCH' });
    const close = signClose(
      client.domain,
      { channelId: opened.channelId, seq: 0, cumulative: 0n, logHead: opened.logHead },
      client.signer,
    );
    const closeMessage = {
      type: 'close',
      id: 7,
      channelId: opened.channelId,
      seq: 0,
      cumulative: 0n,
      logHead: opened.logHead,
      signature: close.signature,
    } as const;
    client.send(closeMessage);
    const closed = state(await client.next());
    expect(closed.status).toBe('closed');
    client.send(closeMessage);
    expect(state(await client.next()).status).toBe('closed');
    expect(await ledgerBalance(hub, 'payer', client.signer.publicKey)).toBe(5_000n);

    client.send({ type: 'sync', id: 8, channelId: randomBytes(32) as never });
    expect(await client.next()).toMatchObject({ type: 'reject', id: 8, code: 'UNKNOWN_CHANNEL' });
  });

  it('log pages return every voucher with its entries and receipt MACs', async () => {
    const merchant = testMerchant('log', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    const open = signOpenRequest(
      client.domain,
      { nonce: randomBytes(16), asset: usd, deposit: 5_000n, expiresAtMs: Date.now() + 3_600_000 },
      client.signer,
    );
    client.send({
      type: 'open',
      id: 1,
      nonce: open.nonce,
      asset: usd,
      deposit: 5_000n,
      expiresAtMs: open.expiresAtMs,
      signature: open.signature,
    });
    const opened = state(await client.next());
    let channel: ClientChannel = { ...opened };
    for (let i = 0; i < 5; i++) {
      const prepared = preparePayment(
        client.domain,
        channel,
        [merchant.request(10n), merchant.request(1n)],
        Date.now(),
      );
      client.send({
        type: 'pay',
        id: 100 + i,
        ...signVoucher(client.domain, prepared.voucher, client.signer),
        entries: [...prepared.entries],
      });
      channel = prepared.channel;
    }
    for (let i = 0; i < 5; i++) expect((await client.next()).type).toBe('receipts');
    client.send({ type: 'log', id: 2, channelId: opened.channelId, fromSeq: 2, limit: 3 });
    const page = await client.next();
    if (page.type !== 'logPage') throw new Error('no page');
    expect(page.vouchers.map((v) => v.seq)).toEqual([2, 3, 4]);
    expect(page.more).toBe(true);
    const v = page.vouchers[0]!;
    expect(v.cumulative).toBe(22n);
    v.entries.forEach((entry, i) => {
      const receipt = {
        networkId,
        hubId: hub.hubId,
        channelId: opened.channelId,
        seq: v.seq,
        payee: entry.payee,
        invoiceId: entry.invoiceId,
        asset: usd,
        amount: entry.amount,
        mac: v.macs[i]!,
      };
      expect(checkReceiptMac(merchant.macKey, receipt)).toBe(true);
    });
    client.send({ type: 'log', id: 3, channelId: opened.channelId, fromSeq: 5, limit: 10 });
    expect(await client.next()).toMatchObject({ type: 'logPage', more: false });
  });
});

describe('graceful shutdown and restart', () => {
  it('drains, flushes, and a restarted hub (PostgreSQL store) carries on where it stopped', async () => {
    const dir = tempDir();
    const key = testKey('graceful');
    const schema = uniqueSchema('trickle_hub_e2e');
    const connectionString = postgresUrl;
    const start = async (port = 0) =>
      createHub({
        dataDir: dir.path,
        networkId,
        port,
        store: await postgresChannelStore({ connectionString, schema }),
      });
    let hub = await start();
    await fund(hub, publicKeyOf(key), 1_000_000n);
    const merchant = testMerchant('graceful', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    const wallet = await createWallet({
      key,
      hub: { url: hub.url, networkId },
      store: memoryStore(),
      reconnectDelayMsMin: 20,
    });
    await wallet.openChannel({ deposit: 500_000n });
    const first = await Promise.all(Array.from({ length: 300 }, () => wallet.pay(merchant.request(2n))));
    const inFlight = Promise.all(Array.from({ length: 300 }, () => wallet.pay(merchant.request(3n))));
    const port = hub.port;
    await hub.close();
    hub = await start(port);
    const second = await inFlight;
    expect(first.length + second.length).toBe(600);
    expect(wallet.balance()?.acknowledged).toBe(1_500n);
    expect(hub.channel(wallet.balance()!.channelId)?.cumulative).toBe(1_500n);
    await wallet.stop();
    await hub.close();
    await dropSchema(schema);
    dir.remove();
  }, 30_000);
});
