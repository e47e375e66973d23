/**
 * Backpressure (the hub's `bufferedAmount` handling): a client that stops reading its
 * answers is no longer read from once the hub has sendBufferedBytesHigh queued for it, and
 * is cut off once that passes sendBufferedBytesMax, so the hub never buffers without
 * bound for one connection; a client that reads again gets every answer; and another
 * client pays throughout, unaffected.
 */

import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { createHub, type Hub } from '@trickle/hub';
import { type ChannelId, publicKeyOf, signTopUp } from '@trickle/protocol';
import { type RawClient, rawClient } from '@trickle/testing/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from './fixtures.js';

const sendBufferedBytesHigh = 64 * 1024;

/** Waits for `condition`, polling; fails after `timeoutMs` (a hang is a failure, not a timing claim). */
async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Setup {
  readonly dir: ReturnType<typeof tempDir>;
  readonly hub: Hub;
  readonly merchant: ReturnType<typeof testMerchant>;
  /** Pays on its own connection throughout. */
  readonly honest: Wallet;
  /** The reader's channel, with a long log: every `log` answer is a page of ~40 KB. */
  readonly channelId: ChannelId;
}

async function setUp(sendBufferedBytesMax: number): Promise<Setup> {
  const dir = tempDir();
  const hub = await createHub({
    dataDir: dir.path,
    networkId,
    limits: {
      sendBufferedBytesHigh,
      sendBufferedBytesMax,
      requestsInFlightMax: 5_000,
      messagesPerSecondMax: 1_000_000,
      messagesBurstMax: 1_000_000,
    },
  });
  const merchant = testMerchant('backpressure', hub);
  await hub.registerMerchant({ publicKey: merchant.publicKey });
  await fund(hub, publicKeyOf(testKey('reader')), 1_000_000_000n);
  await fund(hub, publicKeyOf(testKey('bystander')), 1_000_000_000n);
  const reader = await createWallet({ key: testKey('reader'), hub: { url: hub.url, networkId }, store: memoryStore() });
  await reader.openChannel({ deposit: 100_000_000n });
  await Promise.all(Array.from({ length: 128 * 24 }, () => reader.pay(merchant.request(1n))));
  const channelId = reader.balance()?.channelId as ChannelId;
  await reader.stop();
  const honest = await createWallet({
    key: testKey('bystander'),
    hub: { url: hub.url, networkId },
    store: memoryStore(),
  });
  await honest.openChannel({ deposit: 100_000_000n });
  await until(() => hub.connectionCount === 1);
  return { dir, hub, merchant, honest, channelId };
}

async function tearDown(setup: Setup): Promise<void> {
  await setup.honest.stop();
  await setup.hub.close();
  setup.dir.remove();
}

/** Sends `count` log requests (each answered with a page of ~40 KB) without reading the answers. */
function flood(client: RawClient, channelId: ChannelId, count: number): void {
  for (let id = 1; id <= count; id++) client.send({ type: 'log', id, channelId, fromSeq: 1, limit: 256 });
}

describe('backpressure: a client that stops reading, then reads again', () => {
  // A cut-off far above what the kernel's socket buffers absorb on loopback (a few MB
  // here), so the hub's own queue is what fills: the high mark is passed, the cut-off not.
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp(64 * 1024 * 1024);
  });
  afterAll(() => tearDown(setup));

  it('is not read from until it reads again, then gets every answer', async () => {
    const { hub, honest, merchant, channelId } = setup;
    const client = await rawClient(hub.url, testKey('reader'));
    const depositBefore = hub.channel(channelId)?.deposit as bigint;
    client.ws.pause(); // stops reading: its socket buffers fill, then the hub's
    flood(client, channelId, 500); // ~20 MB of answers: past the socket buffers and the high mark, below the cut-off
    // Meanwhile the hub serves everyone else (and has long sent past its high mark for the reader).
    for (let i = 0; i < 50; i++) await honest.pay(merchant.request(1n));
    // A top-up sent now is not read: the hub stopped reading this connection.
    const deposit = depositBefore + 1_000n;
    client.send({
      type: 'topUp',
      id: 500,
      channelId,
      deposit,
      signature: signTopUp(client.domain, { channelId, deposit }, client.signer).signature,
    });
    for (let i = 0; i < 50; i++) await honest.pay(merchant.request(1n));
    expect(hub.connectionCount).toBe(2);
    expect(hub.channel(channelId)?.deposit).toBe(depositBefore);
    // Reading again: every answer arrives, in order of completion, none lost; then the top-up is read and done.
    client.ws.resume();
    const answers = [];
    for (let i = 0; i < 501; i++) answers.push(await client.next());
    const pages = answers.filter((m) => m.type === 'logPage');
    expect(pages.map((m) => m.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(answers.find((m) => m.type === 'state')?.id).toBe(500);
    expect(hub.channel(channelId)?.deposit).toBe(deposit);
    client.close();
    await client.closed;
  });
});

describe('backpressure: a client that never reads', () => {
  // A cut-off well below what the requests read before the hub stopped reading will produce.
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp(4 * 1024 * 1024);
  });
  afterAll(() => tearDown(setup));

  it('is cut off once its queued answers pass sendBufferedBytesMax; another client is unaffected', async () => {
    const { hub, honest, merchant, channelId } = setup;
    let paid = 0;
    let done = false;
    const paying = (async () => {
      while (!done) {
        await honest.pay(merchant.request(1n));
        paid++;
      }
    })();
    const client = await rawClient(hub.url, testKey('reader'));
    client.ws.pause();
    flood(client, channelId, 2_500); // ~100 MB of answers: far beyond what the hub may queue for one connection
    // The hub drops the connection instead of buffering without bound...
    await until(() => hub.connectionCount === 1);
    done = true;
    await paying;
    // ...while the other client kept paying, and still does.
    expect(paid).toBeGreaterThan(0);
    const receipt = await honest.pay(merchant.request(1n));
    expect(receipt.amount).toBe(1n);
    // The cut-off client sees an abnormal close (terminated, no closing handshake) once it reads.
    client.ws.resume();
    const { code } = await client.closed;
    expect(code).toBe(1006);
    // It got fewer answers than it asked for: the rest were never queued.
    expect(client.inbox.length).toBeLessThan(2_500);
  });
});
