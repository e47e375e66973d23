/**
 * What the attack benchmarks run against: a hub in its own process (so its memory can be
 * read and it shares no event loop with the attacks), one merchant, and an honest wallet
 * with a funded, open channel that pays through it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { createMerchant, type Merchant } from '@trickle/merchant';
import { createSecretKey, fromHex, publicKeyOf, type SecretKey, toHex } from '@trickle/protocol';
import { type HubProcess, type HubProcessConfig, spawnHub } from '@trickle/testing/harness';
import { rssMiB } from './processFigures.js';

/** The hub process, the merchant and the wallet. */
export interface PayingHub {
  readonly hub: HubProcess;
  readonly merchant: Merchant;
  /** The merchant's secret key (to make its payment requests by hand). */
  readonly merchantKey: SecretKey;
  readonly wallet: Wallet;
  /** One payment of 1 minor unit for a fresh invoice; resolves with its receipt. */
  pay(): Promise<void>;
  /** The hub process's resident memory, in MiB. */
  rssMiB(): number;
  /** Stops the wallet and the hub, removes the data. */
  close(): Promise<void>;
}

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/** More of the hub process's set-up: its settlement policy, and other payers to fund with `deposit * 2`. */
export interface PayingHubOptions {
  readonly settlement?: HubProcessConfig['settlement'];
  /** Overrides of the hub's limits. */
  readonly limits?: HubProcessConfig['limits'];
  readonly payers?: readonly SecretKey[];
}

/** Starts it all; the wallet's channel holds `deposit` minor units. */
export async function startPayingHub(deposit: bigint, options: PayingHubOptions = {}): Promise<PayingHub> {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-bench-'));
  const merchantKey = createSecretKey(random);
  const payer = createSecretKey(random);
  const amount = (deposit * 2n).toString();
  const hub = await spawnHub({
    dataDir: dir,
    networkId: 5,
    port: 0,
    merchants: [toHex(publicKeyOf(merchantKey))],
    fund: [payer, ...(options.payers ?? [])].map((key) => ({ clientKey: toHex(publicKeyOf(key)), amount })),
    ...(options.settlement === undefined ? {} : { settlement: options.settlement }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
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
    merchantKey,
    wallet,
    async pay() {
      await wallet.pay(merchant.createOffer({ resource: `GET /bench/${invoices++}`, amount: 1n }).request);
    },
    rssMiB: () => rssMiB(hub.child.pid as number),
    async close() {
      await wallet.stop();
      hub.child.kill('SIGTERM');
      await hub.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
