/** A hub in this process with one merchant and an honest wallet paying through it: what the attack tests run against. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { createHub, type Hub, type HubLimits } from '@trickle/hub';
import { createMerchant, type Merchant } from '@trickle/merchant';
import { createSecretKey, publicKeyOf } from '@trickle/protocol';

export interface PayingHub {
  readonly hub: Hub;
  readonly merchant: Merchant;
  readonly wallet: Wallet;
  /** Payments made through `pay`. */
  readonly paid: number;
  /** Pays `times` fresh invoices of 1 minor unit, one after another. */
  pay(times?: number): Promise<void>;
  close(): Promise<void>;
}

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

export async function startPayingHub(networkId: number, limits: Partial<HubLimits> = {}): Promise<PayingHub> {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-paying-hub-'));
  const hub = await createHub({ dataDir: dir, networkId, limits });
  const merchantKey = createSecretKey(random);
  await hub.registerMerchant({ publicKey: publicKeyOf(merchantKey), name: 'shop' });
  const merchant = createMerchant({
    secretKey: merchantKey,
    hub: { publicKey: hub.publicKey, url: hub.url, networkId },
    asset: { code: 'USD', scale: 6 },
  });
  const payer = createSecretKey(random);
  await hub.ledger.fundPayer({
    clientKey: publicKeyOf(payer),
    asset: { code: 'USD', scale: 6 },
    amount: 1_000_000n,
    reference: `paying-hub-${networkId}`,
  });
  const wallet = await createWallet({
    key: payer,
    hub: { url: hub.url, networkId },
    store: memoryStore(),
    transport: wsTransport(),
  });
  await wallet.openChannel({ deposit: 500_000n });
  let paid = 0;
  return {
    hub,
    merchant,
    wallet,
    get paid() {
      return paid;
    },
    async pay(times = 1) {
      for (let i = 0; i < times; i++) {
        await wallet.pay(merchant.createOffer({ resource: `GET /paid/${paid}`, amount: 1n }).request);
        paid++;
      }
    },
    async close() {
      await wallet.stop();
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
