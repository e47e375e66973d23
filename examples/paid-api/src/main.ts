/**
 * Runs the paid API example end to end in one process: a hub with the SQLite ledger in a
 * temporary folder, the API as a merchant, and a client that calls it 1,000 times through
 * `wallet.fetch`, then prints what it paid and how long it took.
 *
 *   pnpm --filter @trickle/example-paid-api start [--calls 1000] [--concurrency 16] [--deposit 0.5]
 *     [--hub-port 0] [--api-port 0]
 *
 * The channel holds at least `--deposit` and always enough for every call and the batch
 * call after them, so any `--calls` works. Ports default to 0 (the system picks free ones).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createWallet, memoryStore } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { createHub, stopOnSignals } from '@trickle/hub';
import { createMerchant } from '@trickle/merchant';
import { asset, createSecretKey, formatAmount, parseAmount, publicKeyOf, TrickleError, toHex } from '@trickle/protocol';
import { batchPlacePrice, callPrice, createApi } from './api.js';

const usd = asset('USD', 6);
const networkId = 2;
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
    deposit: { type: 'string', default: '0.5' },
    'hub-port': { type: 'string', default: '0' },
    'api-port': { type: 'string', default: '0' },
  },
});
const calls = Number(values.calls);
const concurrency = Number(values.concurrency);
const batchPlaces = ['lisbon', 'oslo', 'quito'];
// Every call, then the batch call: the channel must hold all of them, whatever --calls says.
const neededUnits =
  BigInt(calls) * parseAmount(callPrice, usd) + BigInt(batchPlaces.length) * parseAmount(batchPlacePrice, usd);
const requestedUnits = parseAmount(values.deposit ?? '0.5', usd);
const depositUnits = requestedUnits > neededUnits ? requestedUnits : neededUnits;
const show = (units: bigint) => formatAmount(units, usd, { withCode: true });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'trickle-paid-api-'));
  const hub = await createHub({ dataDir, networkId, assets: [usd], feePpm: 10_000, port: Number(values['hub-port']) });
  const merchant = createMerchant({
    secretKey: createSecretKey(randomBytes),
    hub: { publicKey: hub.publicKey, url: hub.url, networkId },
    asset: usd,
  });
  await hub.registerMerchant({ publicKey: merchant.publicKey, name: 'Geocoder API' });
  const api = await createApi(merchant);
  const apiUrl = await api.listen({ host: '127.0.0.1', port: Number(values['api-port']) }).catch((cause: unknown) => {
    const why = (cause as NodeJS.ErrnoException).code === 'EADDRINUSE' ? ': the port is in use' : '';
    throw new TrickleError('LISTEN_FAILED', `cannot listen on 127.0.0.1:${values['api-port']}${why}`, { cause });
  });
  console.log(`hub ${hub.url}   api ${apiUrl}`);

  // The caller: twice the deposit on the ledger, a channel that covers every call.
  const key = createSecretKey(randomBytes);
  await hub.ledger.fundPayer({
    clientKey: publicKeyOf(key),
    asset: usd,
    amount: 2n * depositUnits,
    reference: `paid-api-${toHex(publicKeyOf(key))}`,
  });
  const wallet = await createWallet({
    key,
    hub: { url: hub.url, networkId, hubId: toHex(hub.hubId) },
    store: memoryStore(),
    transport: wsTransport(),
  });
  await wallet.openChannel({ deposit: depositUnits, asset: usd });
  console.log(`channel ${show(depositUnits)} for ${calls.toLocaleString('en')} calls and one batch call`);

  // SIGTERM or Ctrl-C: no new calls; the calls under way finish, the channel closes with
  // its refund, and everything stops in order (exit 0).
  let interrupted: NodeJS.Signals | undefined;
  const unhook = stopOnSignals(
    async () => {
      await stopped;
    },
    {
      exit: false,
      onSignal(signal) {
        interrupted = signal;
        console.log(`${signal}: finishing the calls under way, then closing the channel`);
      },
    },
  );
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => {
    markStopped = resolve;
  });
  const latenciesMs: number[] = [];
  let next = 0;
  /** The batch call after the calls, and the figures of the run. */
  const report = async (elapsedMs: number) => {
    const batch = await wallet.fetch(`${apiUrl}/v1/locate-batch?places=${batchPlaces.join(',')}`);
    if (!batch.ok) throw new Error(`batch call: ${batch.status}`);
    const located = (await batch.json()) as unknown[];

    const balance = wallet.balance()!;
    const vouchers = new Set(wallet.history().map((h) => h.seq)).size;
    latenciesMs.sort((a, b) => a - b);
    console.log(`
${calls.toLocaleString('en')} calls at 0.0001 USD, ${concurrency} at a time
  paid        ${show(balance.spent)} in total (${show(balance.spent / BigInt(calls + 1))} per payment on average)
  took        ${(elapsedMs / 1000).toFixed(2)} s: ${Math.round((calls / elapsedMs) * 1000).toLocaleString('en')} calls/s
  latency     p50 ${percentile(latenciesMs, 50).toFixed(2)} ms, p99 ${percentile(latenciesMs, 99).toFixed(2)} ms (request, 402, payment, paid retry)
  signatures  ${vouchers.toLocaleString('en')} vouchers covered ${(calls + 1).toLocaleString('en')} payments
  batch       ${located.length} places for ${show(BigInt(located.length) * parseAmount(batchPlacePrice, usd))}
  balance     ${show(balance.available)} left in the channel`);
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls && interrupted === undefined) {
        const i = next++;
        const t0 = performance.now();
        const response = await wallet.fetch(`${apiUrl}/v1/locate?place=city-${i}`);
        if (!response.ok) throw new Error(`call ${i}: ${response.status}`);
        await response.json();
        latenciesMs.push(performance.now() - t0);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  if (interrupted !== undefined) {
    const spent = wallet.balance()?.spent ?? 0n;
    console.log(`stopped     after ${latenciesMs.length} calls (${interrupted}): paid ${show(spent)}`);
  } else {
    await report(elapsedMs);
  }
  const closed = await wallet.close();
  console.log(`  closed      refund ${show(closed.refund)} to the caller's ledger account`);
  await wallet.stop();
  await api.close();
  await hub.close();
  rmSync(dataDir, { recursive: true, force: true });
  markStopped();
  unhook();
}

main().catch((error: unknown) => {
  // A port in use (or another expected failure) is one line; a bug keeps its stack.
  const hint = error instanceof TrickleError && error.code === 'LISTEN_FAILED' ? ' (try --hub-port or --api-port)' : '';
  console.error(
    `paid-api failed: ${error instanceof TrickleError ? `${error.shortMessage}${hint}` : error instanceof Error ? error.stack : String(error)}`,
  );
  process.exit(1);
});
