/**
 * `pnpm --filter @trickle/example-attack-your-merchant start`: starts a hub (SQLite ledger in
 * a temporary folder), the merchant's server and an honest wallet, runs the attacks and
 * prints what they found. Point `attackDeployment` at your own staging hub and server to run
 * the same against them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createWallet, memoryStore } from '@trickle/client';
import { createHub } from '@trickle/hub';
import { createMerchant } from '@trickle/merchant';
import { createSecretKey, publicKeyOf } from '@trickle/protocol';
import { attackDeployment } from './attack.js';
import { startArticleServer } from './server.js';

const { values } = parseArgs({
  options: { frames: { type: 'string', default: '5000' }, headers: { type: 'string', default: '2000' } },
});
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const networkId = 1;
const dir = mkdtempSync(join(tmpdir(), 'trickle-attack-'));
const hub = await createHub({ dataDir: dir, networkId });
const merchantKey = createSecretKey(random);
await hub.registerMerchant({ publicKey: publicKeyOf(merchantKey), name: 'articles' });
const merchant = createMerchant({
  secretKey: merchantKey,
  hub: { publicKey: hub.publicKey, url: hub.url, networkId },
  asset: { code: 'USD', scale: 6 },
});
const { server, baseUrl } = await startArticleServer(merchant);
const payer = createSecretKey(random);
await hub.ledger.fundPayer({
  clientKey: publicKeyOf(payer),
  asset: { code: 'USD', scale: 6 },
  amount: 10_000_000n,
  reference: 'attack-example',
});
const wallet = await createWallet({ key: payer, hub: { url: hub.url, networkId }, store: memoryStore() });
await wallet.openChannel({ deposit: 5_000_000n });

const report = await attackDeployment(
  { hubUrl: hub.url, articleUrl: (id) => `${baseUrl}/articles/${id}`, wallet },
  { frames: Number(values.frames), headers: Number(values.headers) },
);
console.log(
  `hub:      ${report.hub.tried} hostile frames, ${report.hub.invalidRejected}/${report.hub.invalid} invalid ones rejected with their code, ${report.hub.connections} connections, faults ${report.hub.faults.length}`,
);
console.log(
  `merchant: ${report.merchant.tried} hostile header sets, ${report.merchant.refused} refused with a 402 and a code, genuine retry served: ${report.merchant.validServed}, faults ${report.merchant.faults.length}`,
);
console.log(`honest:   ${report.honestReads} articles read and paid during the attacks`);
for (const fault of [...report.hub.faults, ...report.merchant.faults].slice(0, 20))
  console.log(`FAULT ${fault.mutation}: ${fault.problem}`);
await wallet.stop();
server.close();
await hub.close();
rmSync(dir, { recursive: true, force: true });
process.exitCode = report.hub.faults.length + report.merchant.faults.length === 0 ? 0 : 1;
