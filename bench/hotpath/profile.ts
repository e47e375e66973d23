/**
 * CPU profiles of one hot-path workload, both processes: the hub (from the start of the
 * measured phase to SIGTERM) and the wallet (this process, during the workload only). Prints
 * self and inclusive time per function for each, and writes a flame graph of each
 * (`<workload>-hub.svg`, `<workload>-client.svg`) next to the `.cpuprofile` files (which
 * Chrome DevTools opens).
 *
 * Reproduce: node --import tsx bench/hotpath/profile.ts <sequential|pipelined|presigned|wallets> [count] [outDir]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { createWallet, memoryStore } from '@trickle/client';
import { flameGraph } from './flamegraph.js';
import { payerKeys, presignedLoad, startBenchHub } from './harness.js';
import { type CpuProfile, profileReport } from './readProfile.js';

const [workload = 'sequential', countText, outText] = process.argv.slice(2);
const outDir = resolve(outText ?? '/tmp/trickle-profiles');
mkdirSync(outDir, { recursive: true });
const hubProfile = join(outDir, `${workload}-hub.cpuprofile`);
const clientProfile = join(outDir, `${workload}-client.cpuprofile`);

const channels = workload === 'presigned' ? 1_000 : workload === 'wallets' ? 32 : 1;
const count = Number(countText ?? (workload === 'sequential' ? 2_000 : workload === 'pipelined' ? 100_000 : 20));
const payers = payerKeys(channels);
const hub = await startBenchHub({
  payers,
  cpuProfile: hubProfile,
  limits: { connectionsPerAddressMax: 2_000 },
});
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
/** Starts the hub's profile afresh (SIGUSR2), so it covers the measured phase only. */
async function restartHubProfile(): Promise<void> {
  hub.process.child.kill('SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 300));
}
let payments = 0;
let ms = 0;
try {
  if (workload === 'presigned') {
    const result = await presignedLoad(hub, payers, count, undefined, async () => {
      await restartHubProfile();
      await session.post('Profiler.start');
    });
    payments = result.payments;
    ms = result.ms;
  } else {
    const wallets = await Promise.all(
      payers.map((key) => createWallet({ key, hub: { url: hub.process.url, networkId: 1 }, store: memoryStore() })),
    );
    await Promise.all(wallets.map((w) => w.openChannel({ deposit: 8_000_000_000_000n })));
    for (const w of wallets) for (let i = 0; i < 10; i++) await w.pay(hub.request());
    const requests = wallets.map(() => Array.from({ length: count }, () => hub.request()));
    await restartHubProfile();
    await session.post('Profiler.start');
    const start = performance.now();
    if (workload === 'pipelined') {
      await Promise.all(wallets.map((w, i) => Promise.all((requests[i] ?? []).map((r) => w.pay(r)))));
    } else {
      await Promise.all(
        wallets.map(async (w, i) => {
          for (const r of requests[i] ?? []) await w.pay(r);
        }),
      );
    }
    ms = performance.now() - start;
    payments = count * wallets.length;
    await Promise.all(wallets.map((w) => w.stop()));
  }
} finally {
  const { profile } = await session.post('Profiler.stop').catch(() => ({ profile: undefined }));
  if (profile !== undefined) await writeFile(clientProfile, JSON.stringify(profile));
  await hub.stop();
}
console.log(`${workload}: ${payments} payments in ${ms.toFixed(0)} ms = ${Math.round((payments / ms) * 1000)}/s\n`);
const rate = `${payments.toLocaleString('en-US')} payments, ${Math.round((payments / ms) * 1000).toLocaleString('en-US')}/s`;
for (const [side, file] of [
  ['hub', hubProfile],
  ['wallet', clientProfile],
] as const) {
  const title = `${workload} (${channels} channel${channels === 1 ? '' : 's'}, ${rate}), ${side}`;
  const svg = flameGraph(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, { title });
  writeFileSync(file.replace(/\.cpuprofile$/, '.svg'), svg);
}
console.log(`## hub\n\n${profileReport(hubProfile)}\n\n## client\n\n${profileReport(clientProfile)}`);
