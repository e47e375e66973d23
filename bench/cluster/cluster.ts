/**
 * P8, the hub cluster (issue 13 item 5, docs/scaling.md), measured in one run on one
 * PostgreSQL: 1, 2 and 3 hub processes sharing one hub key, channels, invoices and the
 * ledger in PostgreSQL, each holding channel leases (ADR 0231). The load generator is this
 * process: pre-signed vouchers (bench/hotpath/harness.ts), one payment in flight per
 * channel, channels spread evenly over the processes.
 *
 * Reported:
 *  - payments/s and hub CPU per payment (all processes' threads, /proc) with 1, 2, 3 processes;
 *  - PostgreSQL write transactions (transaction ids assigned on the server, which other users
 *    of the server also take) per 1,000 payments, against the baseline: each payment one
 *    `postgresLedger` transaction, with as many callers as channels and a pool of 16;
 *  - the lease check's cost: one process with leases against one process without
 *    (`postgres.leaseTtlMs` unset), CPU per payment and payments/s.
 *
 * On a 2-core machine the load generator and every hub process share the same cores, so
 * more processes cannot add cores: the figure to read is transactions per payment, which
 * stays far below one as processes are added.
 *
 * Reproduce: node --import tsx bench/cluster/cluster.ts [--quick] [--json <file>]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresLedger } from '@trickle/ledger/postgres';
import type { HubId, SecretKey } from '@trickle/protocol';
import { dropSchema, postgresQuery, postgresUrl, uniqueSchema } from '@trickle/testing/harness';
import {
  type BenchHub,
  type LoadResult,
  payerKeys,
  presignedLoad,
  randomBytes,
  startBenchHub,
} from '../hotpath/harness.js';
import { type Figure, figuresFile } from '../support/figures.js';
import { perPaymentTransfers } from '../support/ledgerPerPayment.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const out = figuresFile(argv);
const channels = quick ? 30 : 200;
const perChannel = quick ? 8 : 20;
/** Payments per caller of the baseline, which is slower: fewer, same number of callers. */
const perCallerBaseline = quick ? 4 : 5;
/** Lease time to live of the cluster's processes (ms): the tests' default order of magnitude. */
const leaseTtlMs = 5_000;
/** The baseline ledger's connections: enough to be fair to PostgreSQL on 2 cores. */
const baselinePool = 16;

/**
 * Write transactions of the whole server so far: the next transaction id to be assigned
 * (`pg_current_snapshot()`'s xmax). Read-only statements take none. Not `pg_stat_database.xact_commit`:
 * a backend publishes its counts at most once a second and an idle one only after 10 s, so
 * a pool's last commits would be missed or land in the next window.
 */
async function commits(): Promise<number> {
  const { rows } = await postgresQuery('SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS n');
  return Number(rows[0].n);
}

interface ClusterRun {
  readonly processes: number;
  readonly leases: boolean;
  readonly perSecond: number;
  /** Hub CPU (every thread of every process) per payment, µs. */
  readonly cpuUs: number;
  readonly commitsPer1000: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** `processes` hub processes of one hub on one PostgreSQL, loaded with `channels` channels. */
async function cluster(processes: number, leases = true): Promise<ClusterRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'trickle-cluster-'));
  const schema = uniqueSchema('bench_cluster');
  const keys = payerKeys(channels);
  const [merchantSecret] = payerKeys(1) as [SecretKey];
  const postgres = {
    connectionString: postgresUrl,
    schema,
    ledgerSchema: `${schema}_ledger`,
    ...(leases ? { leaseTtlMs } : {}),
  };
  const hubs: BenchHub[] = [];
  try {
    const start = (payers: readonly SecretKey[]) =>
      startBenchHub({ payers, fundEach: 9_000_000_000_000n, dataDir, merchantSecret, postgres });
    hubs.push(await start(keys)); // alone first: it creates the key and the schemas, and funds every payer
    // The others together: a cluster's processes start side by side (not measured).
    hubs.push(...(await Promise.all(Array.from({ length: processes - 1 }, () => start([])))));
    // Every process waits for the others' channels to open, then all start together.
    let ready = 0;
    let release: () => void = () => {};
    const go = new Promise<void>((resolve) => {
      release = resolve;
    });
    let before = 0;
    const barrier = async () => {
      ready++;
      if (ready === hubs.length) {
        before = await commits();
        release();
      }
      await go;
    };
    const results: LoadResult[] = await Promise.all(
      hubs.map((hub, i) =>
        presignedLoad(
          hub,
          keys.filter((_, k) => k % hubs.length === i),
          perChannel,
          1_000_000_000n,
          barrier,
        ),
      ),
    );
    const after = await commits();
    const payments = results.reduce((sum, r) => sum + r.payments, 0);
    const ms = Math.max(...results.map((r) => r.ms));
    const cpuUs = results.reduce(
      (sum, r) => sum + ((r.cpu?.hubLoopUs ?? Number.NaN) + (r.cpu?.hubThreadsUs ?? 0)) * r.payments,
      0,
    );
    const latencies = results.map((r) => r.p50Ms);
    return {
      processes,
      leases,
      perSecond: (payments / ms) * 1000,
      cpuUs: cpuUs / payments,
      commitsPer1000: ((after - before) * 1000) / payments,
      p50Ms: latencies.reduce((a, b) => a + b, 0) / latencies.length,
      p99Ms: Math.max(...results.map((r) => r.p99Ms)),
    };
  } finally {
    for (const hub of hubs.reverse()) await hub.stop();
    await dropSchema(schema);
    await dropSchema(`${schema}_ledger`);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The baseline: every payment one PostgreSQL ledger transaction, `channels` callers at once. */
async function ledgerPerPayment(): Promise<{ perSecond: number; commitsPer1000: number }> {
  const schema = uniqueSchema('bench_cluster_base');
  const ledger = await postgresLedger({
    connectionString: postgresUrl,
    schema,
    poolSize: baselinePool,
    domain: { networkId: 1, hubId: randomBytes(32) as HubId },
    feePpm: 0,
  });
  try {
    const pay = await perPaymentTransfers(ledger);
    const before = await commits();
    const start = performance.now();
    await Promise.all(
      Array.from({ length: channels }, async () => {
        for (let i = 0; i < perCallerBaseline; i++) {
          await pay();
        }
      }),
    );
    const ms = performance.now() - start;
    const after = await commits();
    const payments = channels * perCallerBaseline;
    return { perSecond: (payments / ms) * 1000, commitsPer1000: ((after - before) * 1000) / payments };
  } finally {
    await ledger.close();
    await dropSchema(schema);
  }
}

const command = `node --import tsx bench/cluster/cluster.ts${quick ? ' --quick' : ''}`;
console.log(`# P8: hub cluster on PostgreSQL (${channels} channels, ${perChannel} payments each)\n`);
try {
  await postgresQuery('SELECT 1');
} catch (error) {
  console.log(`PostgreSQL unreachable at ${postgresUrl.replace(/\/\/[^@/]*@/, '//…@')}: ${String(error)}`);
  process.exit(1);
}

const baseline = await ledgerPerPayment();
const runs: ClusterRun[] = [];
for (const processes of [1, 2, 3]) runs.push(await cluster(processes));
const noLease = await cluster(1, false);
const [one] = runs as [ClusterRun];

console.log(
  '| hub processes | payments/s | hub CPU/payment | PostgreSQL write transactions / 1,000 payments | p50 | p99 |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of [...runs, noLease])
  console.log(
    `| ${r.processes}${r.leases ? '' : ' (no leases)'} | ${r.perSecond.toFixed(0)} | ${r.cpuUs.toFixed(0)} µs | ${r.commitsPer1000.toFixed(0)} | ${r.p50Ms.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms |`,
  );
console.log(
  `| baseline: one ledger transaction per payment (pool ${baselinePool}) | ${baseline.perSecond.toFixed(0)} | | ${baseline.commitsPer1000.toFixed(0)} | | |`,
);
console.log(
  `\nLease check: ${(one.cpuUs - noLease.cpuUs).toFixed(0)} µs CPU per payment (${one.cpuUs.toFixed(0)} with leases, ${noLease.cpuUs.toFixed(0)} without).`,
);
console.log(
  '\nTransactions are counted on the whole server (transaction ids assigned): other users of it add to them; the machine is shared.',
);
console.log(`\nReproduce: ${command}`);

const baselineFigure = (value: number) => ({ label: 'one ledger transaction per payment', value });
const figures: Figure[] = runs.flatMap((r) => [
  {
    id: `P8.perSecond.${r.processes}`,
    label: `P8 payments/s, ${r.processes} hub process${r.processes === 1 ? '' : 'es'}`,
    value: r.perSecond,
    unit: '/s',
    baseline: baselineFigure(baseline.perSecond),
  },
  {
    id: `P8.cpu.${r.processes}`,
    label: `P8 hub CPU per payment, ${r.processes} process${r.processes === 1 ? '' : 'es'}`,
    value: r.cpuUs,
    unit: 'µs',
  },
  {
    id: `P8.commits.${r.processes}`,
    label: `P8 PostgreSQL transactions per 1,000 payments, ${r.processes} process${r.processes === 1 ? '' : 'es'}`,
    value: r.commitsPer1000,
    unit: 'per 1,000',
    target: { op: '<=', value: baseline.commitsPer1000 },
    baseline: baselineFigure(baseline.commitsPer1000),
  },
]);
figures.push({
  id: 'P8.leaseCheck',
  label: 'P8 lease check, hub CPU per payment (1 process with leases minus without)',
  value: one.cpuUs - noLease.cpuUs,
  unit: 'µs',
  baseline: { label: 'CPU per payment without leases', value: noLease.cpuUs },
});
out.add(...figures);
out.series(
  'P8.throughput',
  runs.map((r): [number, number] => [r.processes, r.perSecond]),
);
out.write('cluster');
