/**
 * What the attack benchmarks run against: a hub in its own process (so its memory can be
 * read and it shares no event loop with the attacks), one merchant, and an honest wallet
 * with a funded, open channel that pays through it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { createMerchant, type Merchant } from '@trickle/merchant';
import { createSecretKey, fromHex, publicKeyOf, toHex } from '@trickle/protocol';
import { type HubProcess, spawnHub } from '@trickle/testing/harness';

/** The hub process, the merchant and the wallet. */
export interface PayingHub {
  readonly hub: HubProcess;
  readonly merchant: Merchant;
  readonly wallet: Wallet;
  /** One payment of 1 minor unit for a fresh invoice; resolves with its receipt. */
  pay(): Promise<void>;
  /** The hub process's resident memory, in MiB. */
  rssMiB(): number;
  /** Stops the wallet and the hub, removes the data. */
  close(): Promise<void>;
}

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/** Starts it all; the wallet's channel holds `deposit` minor units. */
export async function startPayingHub(deposit: bigint): Promise<PayingHub> {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-bench-'));
  const merchantKey = createSecretKey(random);
  const payer = createSecretKey(random);
  const hub = await spawnHub({
    dataDir: dir,
    networkId: 5,
    port: 0,
    merchants: [toHex(publicKeyOf(merchantKey))],
    fund: [{ clientKey: toHex(publicKeyOf(payer)), amount: (deposit * 2n).toString() }],
  });
  const merchant = createMerchant({
    secretKey: merchantKey,
    hub: { publicKey: fromHex(hub.publicKey, 33) as never, url: hub.url, networkId: 5 },
    asset: { code: 'USD', scale: 6 },
  });
  const wallet = await createWallet({
    key: payer,
    hub: { url: hub.url, networkId: 5 },
    store: memoryStore(),
    transport: wsTransport(),
  });
  await wallet.openChannel({ deposit });
  let invoices = 0;
  return {
    hub,
    merchant,
    wallet,
    async pay() {
      await wallet.pay(merchant.createOffer({ resource: `GET /bench/${invoices++}`, amount: 1n }).request);
    },
    rssMiB: () =>
      Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${hub.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024,
    async close() {
      await wallet.stop();
      hub.child.kill('SIGTERM');
      await hub.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
