/**
 * The deployment the example attacks: a hub (SQLite ledger in a temporary folder), the
 * merchant's own server, and an honest wallet with a funded, open channel. Replace it with
 * your staging hub, your server and a funded wallet of yours.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWallet, memoryStore } from '@trickle/client';
import { createHub } from '@trickle/hub';
import { createMerchant } from '@trickle/merchant';
import { createSecretKey, publicKeyOf } from '@trickle/protocol';
import type { Deployment } from './attack.js';
import { startArticleServer } from './server.js';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/** Where the deployment listens; 0 (the default) lets the system pick a free port. */
export interface DeploymentPorts {
  readonly hubPort?: number;
  readonly sitePort?: number;
}

/** Starts the hub, the server and the wallet; `stop` ends them and removes the data. */
export async function startDeployment(
  networkId = 1,
  ports: DeploymentPorts = {},
): Promise<Deployment & { stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-attack-'));
  // attackHub sends a share of its frames before authenticating, from one address: a hub
  // refuses an address after `authFailuresPerAddressMax` such connections (ADR 0226), so a
  // deployment under this attack raises it for the run.
  const hub = await createHub({
    dataDir: dir,
    networkId,
    port: ports.hubPort ?? 0,
    limits: { authFailuresPerAddressMax: 1_000_000 },
  });
  const merchantKey = createSecretKey(random);
  await hub.registerMerchant({ publicKey: publicKeyOf(merchantKey), name: 'articles' });
  const merchant = createMerchant({
    secretKey: merchantKey,
    hub: { publicKey: hub.publicKey, url: hub.url, networkId },
    asset: { code: 'USD', scale: 6 },
  });
  const { server, baseUrl } = await startArticleServer(merchant, ports.sitePort ?? 0).catch(async (error: unknown) => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const payer = createSecretKey(random);
  await hub.ledger.fundPayer({
    clientKey: publicKeyOf(payer),
    asset: { code: 'USD', scale: 6 },
    amount: 10_000_000n,
    reference: 'attack-example',
  });
  const wallet = await createWallet({ key: payer, hub: { url: hub.url, networkId }, store: memoryStore() });
  await wallet.openChannel({ deposit: 5_000_000n });
  return {
    hubUrl: hub.url,
    articleUrl: (id) => `${baseUrl}/articles/${id}`,
    wallet,
    async stop() {
      await wallet.stop();
      server.close();
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
