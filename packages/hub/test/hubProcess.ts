/**
 * A hub in its own process, for crash tests: `node --import tsx hubProcess.ts <config json>`.
 * Prints one JSON line `{ url, port, hubId, publicKey }` once listening; SIGTERM shuts it
 * down gracefully; SIGKILL is what the tests use to crash it.
 * Config: { dataDir, networkId, port, merchants: [hex public key], fund: [{ clientKey, amount }], verifier?: 'noble', limits?, cpuProfile?, postgres? }
 * The hub settles on its default SQLite ledger in the data folder.
 */
import { fromHex, nobleVerifier, type PublicKey, toHex } from '@trickle/protocol';
import { asAsyncVerifier, createHub } from '../src/index.js';
import { postgresChannelStore } from '../src/postgres.js';

interface Config {
  readonly dataDir: string;
  readonly networkId: number;
  readonly port: number;
  readonly merchants: readonly string[];
  readonly fund: readonly { readonly clientKey: string; readonly amount: string }[];
  readonly verifier?: 'noble';
  /** Overrides of the hub's limits (benchmarks open more connections from one address). */
  readonly limits?: Record<string, number>;
  /** Write a CPU profile to this file: from SIGUSR2 (or from listening, without one) to SIGTERM. */
  readonly cpuProfile?: string;
  /** Keep channels in PostgreSQL instead of the default SQLite file. */
  readonly postgres?: { readonly connectionString: string; readonly schema: string };
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
async function start() {
  return createHub({
    dataDir: config.dataDir,
    networkId: config.networkId,
    port: config.port,
    ...(config.limits === undefined ? {} : { limits: config.limits }),
    ...(config.verifier === 'noble' ? { verifier: asAsyncVerifier(nobleVerifier), inlineVerifier: nobleVerifier } : {}),
    ...(config.postgres === undefined ? {} : { store: await postgresChannelStore(config.postgres) }),
  });
}
const hub = await start();
for (const key of config.merchants) await hub.registerMerchant({ publicKey: key });
for (const { clientKey, amount } of config.fund) {
  // Idempotent by reference: a restarted hub funds nothing twice.
  await hub.ledger.fundPayer({
    clientKey: fromHex(clientKey, 33) as PublicKey,
    asset: { code: 'USD', scale: 6 },
    amount: BigInt(amount),
    reference: `test-${clientKey.slice(0, 16)}`,
  });
}
let profiler: (() => Promise<void>) | undefined;
if (config.cpuProfile !== undefined) {
  const path = config.cpuProfile;
  profiler = await startProfiler(path);
  // SIGUSR2 restarts the profile: the workload's measured phase only, without its set-up.
  process.on('SIGUSR2', () => {
    void profiler?.().then(async () => {
      profiler = await startProfiler(path);
    });
  });
}
process.stdout.write(
  `${JSON.stringify({ url: hub.url, port: hub.port, hubId: toHex(hub.hubId), publicKey: toHex(hub.publicKey), ledger: 'sqlite' })}\n`,
);
process.on('SIGTERM', () => {
  void (profiler?.() ?? Promise.resolve()).then(() => hub.close()).then(() => process.exit(0));
});

/** Starts the V8 sampling profiler; the returned function stops it and writes the profile. */
async function startProfiler(path: string): Promise<() => Promise<void>> {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path, JSON.stringify(profile));
    session.disconnect();
  };
}
