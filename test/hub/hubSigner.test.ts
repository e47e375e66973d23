/**
 * The hub's key held by another process (ADR 0414): a child process keeps the secp256k1
 * key and answers ECDH requests over IPC; the hub, given that signer, never writes or
 * reads hub.key, and merchants (who derive their MAC key from the hub's public key) are
 * paid through it, before and after a restart. The signer is asked once per merchant per
 * start, never per payment.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWallet, memoryStore } from '@trickle/client';
import { createHub, type HubSigner } from '@trickle/hub';
import { asPublicKey, fromHex, publicKeyOf, toHex } from '@trickle/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from './fixtures.js';

/** The key holder: a plain Node process with node:crypto's ECDH; the key never leaves it. */
const keyHolder = `
const { createECDH } = require('node:crypto');
const ecdh = createECDH('secp256k1');
ecdh.generateKeys();
process.send({ publicKey: ecdh.getPublicKey('hex', 'compressed') });
process.on('message', ({ id, peer }) => {
  try {
    process.send({ id, shared: ecdh.computeSecret(Buffer.from(peer, 'hex')).toString('hex') });
  } catch (error) {
    process.send({ id, error: String(error) });
  }
});
`;

/** A HubSigner that asks the child process. */
async function childSigner(child: ChildProcess): Promise<HubSigner & { calls: number }> {
  const first = await new Promise<{ publicKey: string }>((resolve) => child.once('message', resolve as never));
  const waiting = new Map<number, (reply: { shared?: string; error?: string }) => void>();
  child.on('message', (reply: { id?: number; shared?: string; error?: string }) => {
    if (reply.id !== undefined) waiting.get(reply.id)?.(reply);
    if (reply.id !== undefined) waiting.delete(reply.id);
  });
  let next = 0;
  const signer = {
    calls: 0,
    publicKey: asPublicKey(fromHex(first.publicKey, 33)),
    sharedSecret(peerKey: Uint8Array) {
      signer.calls++;
      const id = next++;
      return new Promise<Uint8Array>((resolve, reject) => {
        waiting.set(id, (reply) =>
          reply.shared === undefined ? reject(new Error(reply.error)) : resolve(fromHex(reply.shared, 32)),
        );
        child.send({ id, peer: toHex(peerKey) });
      });
    },
  };
  return signer;
}

describe('a hub whose key is held by another process', () => {
  const dir = tempDir('trickle-signer-');
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill();
    dir.remove();
  });

  it('pays merchants through the signer and never touches hub.key', async () => {
    const script = join(dir.path, 'keyHolder.cjs');
    writeFileSync(script, keyHolder);
    child = fork(script, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const signer = await childSigner(child);
    const dataDir = join(dir.path, 'hub');
    const payerKey = testKey('signer payer');

    let hub = await createHub({ dataDir, networkId, signer });
    expect(toHex(hub.publicKey)).toBe(toHex(signer.publicKey));
    const shop = testMerchant('signer shop', hub);
    await hub.registerMerchant({ publicKey: shop.publicKey, name: 'shop' });
    await fund(hub, publicKeyOf(payerKey), 1_000_000n);
    const store = memoryStore();
    let wallet = await createWallet({ key: payerKey, hub: { url: hub.url, networkId }, store });
    await wallet.openChannel({ deposit: 100_000n });
    // The hub checks each request's MAC with the key it derived through the signer.
    for (let i = 0; i < 5; i++) expect((await wallet.pay(shop.request(1_000n))).amount).toBe(1_000n);
    expect(signer.calls).toBe(1);
    await wallet.stop();
    await hub.close();
    expect(existsSync(join(dataDir, 'hub.key'))).toBe(false);

    // Restarted: the merchant's key is derived again through the signer, once.
    hub = await createHub({ dataDir, networkId, signer });
    expect(signer.calls).toBe(2);
    wallet = await createWallet({ key: payerKey, hub: { url: hub.url, networkId }, store });
    expect((await wallet.pay(shop.request(2_000n))).amount).toBe(2_000n);
    expect(hub.channel(wallet.balance()!.channelId)?.cumulative).toBe(7_000n);
    await wallet.stop();
    await hub.close();
    expect(existsSync(join(dataDir, 'hub.key'))).toBe(false);
  }, 60_000);
});
