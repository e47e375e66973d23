/**
 * A wallet pointed at a hub that is not there: it says so with an `unreachable` event per
 * failed attempt (and keeps trying), and `openChannel` with a signal stops waiting, typed,
 * with nothing opened; once the hub is there, the same wallet connects and opens.
 */
import { createServer } from 'node:net';
import { createWallet, memoryStore, type Wallet, type WalletEvents } from '@trickle/client';
import { createHub, type Hub } from '@trickle/hub';
import { publicKeyOf } from '@trickle/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey } from '../hub/fixtures.js';

/** A port nothing listens on (taken from the OS, then given back). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

describe('a hub that cannot be reached', () => {
  const wallets: Wallet[] = [];
  let hub: Hub | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(async () => {
    for (const wallet of wallets.splice(0)) await wallet.stop();
    await hub?.close();
    dir?.remove();
  });

  it('reports each failed attempt and lets openChannel give up, typed, with nothing opened', async () => {
    const port = await closedPort();
    const wallet = await createWallet({
      key: testKey('unreachable payer'),
      hub: { url: `ws://127.0.0.1:${port}`, networkId },
      store: memoryStore(),
      reconnectDelayMsMin: 5,
      reconnectDelayMsMax: 20,
    });
    wallets.push(wallet);
    const seen: WalletEvents['unreachable'][] = [];
    const twice = new Promise<void>((resolve) =>
      wallet.on('unreachable', (event) => {
        seen.push(event);
        if (seen.length === 2) resolve();
      }),
    );
    const reason = new Error('no hub after 200 ms');
    const opening = wallet.openChannel({ deposit: 1_000n, signal: AbortSignal.timeout(200) });
    await expect(opening).rejects.toMatchObject({ name: 'WalletError', code: 'ABORTED' });
    await twice;
    expect(seen[0]).toMatchObject({ attempts: 1 });
    expect(seen[1]).toMatchObject({ attempts: 2 });
    expect(seen[1]?.retryInMs).toBeGreaterThan(0);
    expect(wallet.connected).toBe(false);
    expect(wallet.balance()).toBeUndefined();
    await expect(wallet.openChannel({ deposit: 1_000n, signal: AbortSignal.abort(reason) })).rejects.toMatchObject({
      code: 'ABORTED',
      cause: reason,
    });
  });

  it('connects and opens once the hub is up at that address', async () => {
    dir = tempDir();
    const port = await closedPort();
    const key = testKey('late hub payer');
    const wallet = await createWallet({
      key,
      hub: { url: `ws://127.0.0.1:${port}`, networkId },
      store: memoryStore(),
      reconnectDelayMsMin: 5,
      reconnectDelayMsMax: 20,
    });
    wallets.push(wallet);
    await new Promise<void>((resolve) => wallet.on('unreachable', () => resolve()));
    const opening = wallet.openChannel({ deposit: 1_000n, signal: AbortSignal.timeout(15_000) });
    hub = await createHub({ dataDir: dir.path, networkId, port });
    await fund(hub, publicKeyOf(key), 10_000n);
    const balance = await opening;
    expect(balance).toMatchObject({ deposit: 1_000n, status: 'open' });
    expect(wallet.connected).toBe(true);
  });
});
