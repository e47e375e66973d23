/**
 * What the x402 interop tests share: a real hub (in this process, its default SQLite ledger
 * in a temporary folder), a merchant registered with it, the Trickle scheme registered on an
 * unmodified `@x402/core` resource server, and funded wallets with open channels whose
 * payments go to that hub over WebSocket.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { createHub, type Hub } from '@trickle/hub';
import { createMerchant, type Merchant } from '@trickle/merchant';
import { createSecretKey, publicKeyOf, toHex } from '@trickle/protocol';
import { TrickleClientScheme, TrickleFacilitatorClient, TrickleServerScheme } from '@trickle/x402';
import { x402Client } from '@x402/core/client';
import { type RoutesConfig, x402ResourceServer } from '@x402/core/server';
import type { Network } from '@x402/core/types';
import { fund, ledgerBalance, networkId, tempDir, testKey, usd } from '../hub/fixtures.js';

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/** The network id of the test hub, as x402 names it. */
export const trickleNetwork = `trickle:${networkId}` as Network;

/** One paid route, `GET /weather`, at `price` (decimal USD), for both frameworks' tests. */
export function weatherRoutes(merchant: Merchant, price: string): RoutesConfig {
  return {
    'GET /weather': {
      accepts: { scheme: 'trickle', network: trickleNetwork, price, payTo: toHex(merchant.payee) },
      description: 'The weather, per call',
      mimeType: 'application/json',
    },
  };
}

export interface TrickleHub {
  readonly hub: Hub;
  /** A merchant registered with the hub, and x402's resource server with the Trickle scheme on it. */
  merchant(): Promise<{ merchant: Merchant; server: x402ResourceServer }>;
  /** A wallet with a funded, open channel of `deposit`, and an x402 client that pays through it. */
  wallet(label: string, deposit: bigint): Promise<{ wallet: Wallet; client: x402Client }>;
  /** What the ledger credits the merchant with (after its channels settled). */
  earnings(merchant: Merchant): Promise<bigint>;
  close(): Promise<void>;
}

/** Starts the hub. */
export async function startTrickleHub(): Promise<TrickleHub> {
  const dir = tempDir('trickle-x402-');
  const hub = await createHub({ dataDir: dir.path, networkId });
  const wallets: Wallet[] = [];
  return {
    hub,
    async merchant() {
      const merchant = createMerchant({
        secretKey: createSecretKey(randomBytes),
        hub: { publicKey: hub.publicKey, url: hub.url, networkId },
        asset: usd,
      });
      await hub.registerMerchant({ publicKey: merchant.publicKey });
      const server = new x402ResourceServer(new TrickleFacilitatorClient(merchant)).register(
        trickleNetwork,
        new TrickleServerScheme(merchant),
      );
      return { merchant, server };
    },
    async wallet(label, deposit) {
      const key = testKey(`x402 ${label}`);
      await fund(hub, publicKeyOf(key), deposit);
      const wallet = await createWallet({
        key,
        hub: { url: hub.url, networkId },
        store: memoryStore(),
        transport: wsTransport(),
      });
      await wallet.openChannel({ deposit });
      wallets.push(wallet);
      const client = new x402Client().register(trickleNetwork, new TrickleClientScheme(wallet, { networkId }));
      return { wallet, client };
    },
    earnings: (merchant) => ledgerBalance(hub, 'payee', merchant.payee),
    async close() {
      for (const wallet of wallets) await wallet.stop();
      await hub.close();
      dir.remove();
    },
  };
}

/** A listening HTTP server: its base URL and how to stop it. */
export interface RunningServer {
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** Waits for `server` to listen, then gives its base URL. */
export async function listening(server: Server): Promise<RunningServer> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
