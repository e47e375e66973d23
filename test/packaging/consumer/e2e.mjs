// A plain Node ESM program, as a user writes one after `npm install`: no TypeScript, no
// loader, only the published packages. A hub on PostgreSQL (ledger and channel store from
// the /postgres subpaths, so no native SQLite module is loaded), a merchant's node:http
// server behind the paywall, a funded payer who opens a channel, pays through
// wallet.fetch and closes. Prints what happened as JSON on its last line.
//
//   TRICKLE_PG_URL=postgres://postgres@127.0.0.1:5432/test node e2e.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWallet } from '@trickle/client';
import { fileStore, wsTransport } from '@trickle/client/node';
import { createHub, loadOrCreateHubKey, systemRandomBytes } from '@trickle/hub';
import { postgresChannelStore } from '@trickle/hub/postgres';
import { postgresLedger } from '@trickle/ledger/postgres';
import { createMerchant } from '@trickle/merchant';
import { nodeHttpPaywall } from '@trickle/merchant/node-http';
import { asset, createSecretKey, hubIdFromKey, publicKeyOf, toHex } from '@trickle/protocol';
import pg from 'pg';

const connectionString = process.env.TRICKLE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const usd = asset('USD', 6);
const networkId = 7;
const suffix = toHex(systemRandomBytes(6));
const schemas = { ledger: `consumer_ledger_${suffix}`, hub: `consumer_hub_${suffix}` };
const dataDir = mkdtempSync(join(tmpdir(), 'trickle-consumer-'));

const hubSecret = loadOrCreateHubKey(dataDir, systemRandomBytes);
const domain = { networkId, hubId: hubIdFromKey(publicKeyOf(hubSecret)) };
const ledger = await postgresLedger({ connectionString, schema: schemas.ledger, domain, feePpm: 10_000 });
const store = await postgresChannelStore({ connectionString, schema: schemas.hub });
const hub = await createHub({ dataDir, networkId, ledger, store, port: 0, assets: [usd], feePpm: 10_000 });
const merchant = createMerchant({
  secretKey: createSecretKey(systemRandomBytes),
  hub: { publicKey: hub.publicKey, url: hub.url, networkId },
  asset: usd,
});
await hub.registerMerchant({ publicKey: merchant.publicKey, name: 'Consumer site' });
const paywall = nodeHttpPaywall(merchant, { price: '0.002' });
const server = createServer(async (req, res) => {
  if (!(await paywall(req, res))) return;
  res.writeHead(200, { 'content-type': 'text/plain' }).end('a paid article');
});
await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
const site = `http://127.0.0.1:${server.address().port}`;

const key = createSecretKey(systemRandomBytes);
await ledger.fundPayer({
  clientKey: publicKeyOf(key),
  asset: usd,
  amount: 1_000_000n,
  reference: `consumer-${suffix}`,
});
const wallet = await createWallet({
  key,
  hub: { url: hub.url, networkId },
  store: fileStore({ path: join(dataDir, 'wallet.journal') }),
  transport: wsTransport(),
  policy: { paymentMax: 10_000n, totalMax: 1_000_000n },
});
await wallet.openChannel({ deposit: 100_000n, signal: AbortSignal.timeout(30_000) });
const response = await wallet.fetch(`${site}/articles/1`);
const body = await response.text();
const closed = await wallet.close();
const audit = await ledger.audit();
await wallet.stop();
await new Promise((done) => server.close(done));
await hub.close();
await ledger.close();
await store.close();

const client = new pg.Client({ connectionString });
await client.connect();
for (const schema of Object.values(schemas)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await client.end();
rmSync(dataDir, { recursive: true, force: true });
console.log(JSON.stringify({ status: response.status, body, refund: String(closed.refund), auditOk: audit.ok }));
