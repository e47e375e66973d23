/**
 * A TypeScript consumer of the published types, type-checked with `strict` (and without
 * skipLibCheck) in the packaging test's scratch project. In the workspace the same file is
 * type-checked against the sources.
 */
import { createWallet, indexedDbStore, memoryStore, type Wallet, WalletError } from '@trickle/client';
import { fileStore, wsTransport } from '@trickle/client/node';
import { createHub, type Hub, HubError } from '@trickle/hub';
import { memoryLedger } from '@trickle/ledger';
import { createMerchant, type Merchant } from '@trickle/merchant';
import { nodeHttpPaywall } from '@trickle/merchant/node-http';
import { type Asset, asset, createSecretKey, formatAmount, parseAmount, publicKeyOf } from '@trickle/protocol';

const usd: Asset = asset('USD', 6);
const price: bigint = parseAmount('0.002', usd);
export const shown: string = formatAmount(price, usd, { withCode: true });
const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

export async function start(dataDir: string): Promise<{ hub: Hub; merchant: Merchant; wallet: Wallet }> {
  const hub = await createHub({ dataDir, networkId: 1, port: 0 });
  const merchant = createMerchant({
    secretKey: createSecretKey(random),
    hub: { publicKey: hub.publicKey, url: hub.url, networkId: 1 },
    asset: usd,
  });
  const paywall = nodeHttpPaywall(merchant, { price: '0.002' });
  void paywall;
  const wallet = await createWallet({
    key: createSecretKey(random),
    hub: { url: hub.url, networkId: 1 },
    store: dataDir === ':memory:' ? memoryStore() : fileStore({ path: `${dataDir}/wallet.journal` }),
    transport: wsTransport(),
  });
  return { hub, merchant, wallet };
}

export function describeError(error: unknown): string {
  if (error instanceof WalletError) return `wallet: ${error.code}`;
  if (error instanceof HubError) return `hub: ${error.code}`;
  return 'other';
}

export const browserStore = indexedDbStore;
export const publicKey = (key: ReturnType<typeof createSecretKey>) => publicKeyOf(key);
export const ledgerFactory: typeof memoryLedger = memoryLedger;
