/**
 * P9, a paid HTTP call end to end: `wallet.fetch` against a merchant and a hub, each in its
 * own process on 127.0.0.1 (the wallet runs in this one). Two paths:
 *
 *  - `402`: request, `402`, payment, paid retry (two HTTP requests and one payment a call);
 *  - `ahead`: the price already known (ADR 0425): the wallet pays the invoice the last paid
 *    answer sent ahead and makes one request.
 *
 * Each with 1 and with 16 calls in flight: p50 / p99 of a call, calls/s, and the CPU the
 * merchant and hub processes spent per call (from /proc, less sensitive to the shared
 * machine's load than wall time), hence paid calls/s per merchant CPU-second. The target
 * (issue 17): 16 in flight gives at least 4x the sequential rate of the same run.
 *
 *   node --import tsx bench/http/paidCalls.ts [--quick] [--calls N] [--json <file>]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createPayingFetch, createWallet, memoryStore } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { createSecretKey, publicKeyOf, toHex } from '@trickle/protocol';
import { spawnHub } from '@trickle/testing/harness';
import { type Figure, figuresFile, sample } from '../support/figures.js';
import { machine, revision } from '../support/processFigures.js';

const root = resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    calls: { type: 'string' },
    json: { type: 'string' },
  },
});
const calls = Number(values.calls ?? (values.quick ? 200 : 2_000));
const warmup = values.quick ? 40 : 200;
const networkId = 9;
const pricePerCall = 100n; // 0.0001 USD at scale 6
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/** CPU time a process has used so far (user + system), in ms, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // After the command: state is field 3, utime 14, stime 15 (1-based), in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

interface Run {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly perSecond: number;
  readonly merchantCpuUs: number;
  readonly hubCpuUs: number;
  readonly walletCpuUs: number;
  /** Payments per signed voucher (the wallet coalesces payments admitted together). */
  readonly paymentsPerVoucher: number;
  /** The calls' latencies, sorted (ms). */
  readonly latencies: readonly number[];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-p9-'));
  const merchantSeed = random(48); // handed to the merchant process, which derives the same key
  const merchantKey = createSecretKey(() => merchantSeed);
  const payer = createSecretKey(random);
  const deposit = pricePerCall * BigInt(4 * (calls + 2 * warmup) + 100);
  const hub = await spawnHub({
    dataDir: dir,
    networkId,
    port: 0,
    merchants: [toHex(publicKeyOf(merchantKey))],
    fund: [{ clientKey: toHex(publicKeyOf(payer)), amount: (deposit * 2n).toString() }],
  });
  const merchant = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'merchantProcess.ts'),
      toHex(merchantSeed),
      hub.publicKey,
      hub.url,
      String(networkId),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const merchantPid = merchant.pid as number;
  const hubPid = hub.child.pid as number;
  try {
    const lines = createInterface({ input: merchant.stdout! });
    const { url } = JSON.parse((await lines[Symbol.asyncIterator]().next()).value as string) as { url: string };
    const wallet = await createWallet({
      key: payer,
      hub: { url: hub.url, networkId },
      store: memoryStore(),
      transport: wsTransport(),
    });
    await wallet.openChannel({ deposit });

    const measure = async (offerAhead: boolean, inFlight: number): Promise<Run> => {
      const paying = createPayingFetch(wallet, { networkId, offerAhead });
      const call = async (i: number) => {
        const response = await paying(`${url}/v1/call?i=${i}`);
        if (response.status !== 200) throw new Error(`call ${i}: ${response.status}`);
        await response.arrayBuffer();
      };
      const run = async (count: number, latencies?: number[]) => {
        let next = 0;
        await Promise.all(
          Array.from({ length: inFlight }, async () => {
            while (next < count) {
              const i = next++;
              const t0 = performance.now();
              await call(i);
              latencies?.push(performance.now() - t0);
            }
          }),
        );
      };
      await run(warmup);
      const latencies: number[] = [];
      const seqsBefore = new Set(wallet.history().map((h) => h.seq)).size;
      const [merchant0, hub0, wallet0, t0] = [cpuMs(merchantPid), cpuMs(hubPid), process.cpuUsage(), performance.now()];
      await run(calls, latencies);
      const elapsedMs = performance.now() - t0;
      const [merchant1, hub1, wallet1] = [cpuMs(merchantPid), cpuMs(hubPid), process.cpuUsage(wallet0)];
      latencies.sort((a, b) => a - b);
      return {
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        perSecond: (calls / elapsedMs) * 1000,
        merchantCpuUs: ((merchant1 - merchant0) * 1000) / calls,
        hubCpuUs: ((hub1 - hub0) * 1000) / calls,
        walletCpuUs: (wallet1.user + wallet1.system) / calls,
        latencies,
        paymentsPerVoucher: calls / (new Set(wallet.history().map((h) => h.seq)).size - seqsBefore),
      };
    };

    const runs = {
      seq: await measure(false, 1),
      par16: await measure(false, 16),
      aheadSeq: await measure(true, 1),
      aheadPar16: await measure(true, 16),
    };
    await wallet.stop();

    const out = figuresFile(process.argv);
    const figures: Figure[] = [];
    const round = (value: number, digits: number) => Number(value.toFixed(digits));
    const add = (key: 'seq' | 'par16' | 'aheadSeq' | 'aheadPar16', prefix: string, what: string) => {
      const r = runs[key];
      figures.push({ id: `${prefix}.p50`, label: `${what}: p50`, value: round(r.p50Ms, 2), unit: 'ms' });
      figures.push({ id: `${prefix}.p99`, label: `${what}: p99`, value: round(r.p99Ms, 2), unit: 'ms' });
      const rate: Figure = {
        id: `${prefix}.rate`,
        label: `${what}: paid calls/s`,
        value: round(r.perSecond, 0),
        unit: 'calls/s',
      };
      const sequential = key === 'par16' ? runs.seq : key === 'aheadPar16' ? runs.aheadSeq : undefined;
      const the402 = key === 'aheadSeq' ? runs.seq : undefined;
      figures.push(
        sequential !== undefined
          ? {
              ...rate,
              target: { op: '>=', value: round(4 * sequential.perSecond, 0) },
              baseline: { label: '1 in flight, same run', value: round(sequential.perSecond, 0) },
            }
          : the402 !== undefined
            ? {
                ...rate,
                baseline: { label: 'through the 402, 1 in flight, same run', value: round(the402.perSecond, 0) },
              }
            : rate,
      );
      const plain = (id: string, label: string, value: number, unit: string) =>
        figures.push({ id: `${prefix}.${id}`, label: `${what}: ${label}`, value, unit });
      plain('merchantCpu', 'merchant process CPU per call', round(r.merchantCpuUs, 0), 'µs');
      // CPU is read in 10 ms ticks: a short run may see none.
      if (r.merchantCpuUs > 0) {
        plain('merchantRate', 'paid calls per merchant CPU-second', round(1e6 / r.merchantCpuUs, 0), 'calls/s');
      }
      out.series(`${prefix}.latencyMs`, sample(r.latencies));
      plain('hubCpu', 'hub process CPU per call', round(r.hubCpuUs, 0), 'µs');
      plain('coalesced', 'payments per signed voucher', round(r.paymentsPerVoucher, 2), '');
      plain('walletCpu', 'wallet process CPU per call', round(r.walletCpuUs, 0), 'µs');
    };
    add('seq', 'P9.seq', 'through the 402, 1 in flight');
    add('par16', 'P9.par16', 'through the 402, 16 in flight');
    add('aheadSeq', 'P9.ahead.seq', 'price known ahead, 1 in flight');
    add('aheadPar16', 'P9.ahead.par16', 'price known ahead, 16 in flight');

    out.add(...figures);
    out.write('paid-http');
    const command = `node --import tsx bench/http/paidCalls.ts${values.quick ? ' --quick' : ''}${values.calls === undefined ? '' : ` --calls ${calls}`}`;
    console.log(`P9 paid HTTP calls: ${calls.toLocaleString('en')} calls per row after ${warmup} warm-up calls`);
    console.log(`${machine()}; revision ${revision(root)}`);
    console.log('');
    console.log('| figure | value | target | baseline |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const f of figures) {
      const target = f.target === undefined ? '' : `${f.target.op} ${f.target.value.toLocaleString('en')}`;
      const baseline = f.baseline === undefined ? '' : `${f.baseline.value.toLocaleString('en')} (${f.baseline.label})`;
      console.log(`| ${f.label} | ${f.value.toLocaleString('en')} ${f.unit} | ${target} | ${baseline} |`);
    }
    console.log(`\nReproduce: ${command}`);
  } finally {
    merchant.kill('SIGTERM');
    hub.child.kill('SIGTERM');
    await hub.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
