/**
 * A hub in its own process, for crash and multi-process tests and benchmarks; started by
 * {@link spawnHub}, which passes the config as JSON in `argv[2]`. Prints one JSON line
 * `{ url, port, hubId, publicKey }` once listening; SIGTERM shuts it down gracefully;
 * SIGKILL is what the tests use to crash it; SIGUSR1 prints one JSON line of figures
 * (`HubProcessStats`). The ledger is the hub's default (SQLite in the data folder), or
 * PostgreSQL with `postgres.ledgerSchema`; funding is durable and idempotent across
 * restarts and processes.
 */
import { asAsyncVerifier, createHub, loadOrCreateHubKey, systemRandomBytes } from '@trickle/hub';
import { postgresChannelStore } from '@trickle/hub/postgres';
import { postgresLedger } from '@trickle/ledger/postgres';
import { fromHex, hubIdFromKey, nobleVerifier, type PublicKey, publicKeyOf, toHex } from '@trickle/protocol';
import type { HubProcessConfig } from './spawnHub.js';

const config = JSON.parse(process.argv[2] ?? '{}') as HubProcessConfig;
const pgLedger = config.postgres?.ledgerSchema;
const ledger =
  config.postgres === undefined || pgLedger === undefined
    ? undefined
    : await postgresLedger({
        connectionString: config.postgres.connectionString,
        schema: pgLedger,
        domain: {
          networkId: config.networkId,
          hubId: hubIdFromKey(publicKeyOf(loadOrCreateHubKey(config.dataDir, systemRandomBytes))),
        },
        feePpm: config.feePpm ?? 0,
      });
const amountKnobs = new Set(['unclaimedAmountMax', 'liabilityMax']);
const settlement =
  config.settlement === undefined
    ? undefined
    : Object.fromEntries(
        Object.entries(config.settlement).map(([k, v]) => [k, amountKnobs.has(k) ? BigInt(v as string) : v]),
      );
const hub = await createHub({
  dataDir: config.dataDir,
  networkId: config.networkId,
  port: config.port ?? 0,
  ...(settlement === undefined ? {} : { settlement }),
  ...(config.feePpm === undefined ? {} : { feePpm: config.feePpm }),
  ...(config.limits === undefined ? {} : { limits: config.limits }),
  ...(config.verifier === 'noble' ? { verifier: asAsyncVerifier(nobleVerifier), ledgerVerifier: nobleVerifier } : {}),
  ...(config.postgres === undefined
    ? {}
    : {
        store: await postgresChannelStore({
          connectionString: config.postgres.connectionString,
          schema: config.postgres.schema,
          ...(config.postgres.leaseTtlMs === undefined ? {} : { cluster: { leaseTtlMs: config.postgres.leaseTtlMs } }),
        }),
      }),
  ...(ledger === undefined ? {} : { ledger }),
});
for (const key of config.merchants ?? []) await hub.registerMerchant({ publicKey: key });
for (const { clientKey, amount } of config.fund ?? []) {
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
process.on('SIGUSR1', () => {
  // With --expose-gc (e.g. in NODE_OPTIONS), the heap figures are of live objects only.
  (globalThis as { gc?: () => void }).gc?.();
  const stats = { backlog: hub.settlement.backlog(), lastRun: hub.settlement.lastRun, memory: process.memoryUsage() };
  process.stdout.write(
    `${JSON.stringify({ stats }, (_key, value) => (typeof value === 'bigint' ? value.toString() : value))}\n`,
  );
});
process.on('SIGTERM', () => {
  void (profiler?.() ?? Promise.resolve())
    .then(() => hub.close())
    .then(() => ledger?.close())
    .then(() => process.exit(0));
});
// Ready only once every signal handler is in place: a SIGTERM sent on this line must drain.
process.stdout.write(
  `${JSON.stringify({ url: hub.url, port: hub.port, hubId: toHex(hub.hubId), publicKey: toHex(hub.publicKey) })}\n`,
);

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
