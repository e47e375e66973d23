/**
 * A before/after comparison of one hot-path change on a loaded machine: this tree against
 * another checkout (the commit before the change), in one run, the two interleaved round by
 * round (the order swapped every round), medians reported. The robust figure is the hub's
 * CPU time per payment (Linux /proc, every thread of the hub process); rates and latencies
 * are printed too but move with the machine's other tenants.
 *
 *  - P1: one wallet, one payment at a time (live signing, durable ack): p50 / p99 and hub CPU per payment.
 *  - P2: one wallet, all payments at once: payments/s and hub CPU per payment.
 *  - P3: 1,000 channels, one pre-signed payment in flight each: payments/s and hub CPU per payment.
 *
 * Never asserts a timing.
 *
 * Reproduce: node --import tsx bench/hotpath/compare.ts --baseline <checkout> [--rounds 3] [--only p1,p2,p3]
 */
import { resolve } from 'node:path';
import { machine, revision } from '../support/processFigures.js';
import {
  type CpuSnapshot,
  cpuPerPayment,
  cpuSnapshot,
  payerKeys,
  percentile,
  presignedLoad,
  startBenchHub,
  type Tree,
  treeAt,
} from './harness.js';

const argv = process.argv.slice(2);
const option = (name: string) => {
  const at = argv.indexOf(name);
  return at === -1 ? undefined : argv[at + 1];
};
const baselineRoot = option('--baseline');
if (baselineRoot === undefined)
  throw new Error('usage: compare.ts --baseline <checkout> [--rounds N] [--only p1,p2,p3]');
const rounds = Number(option('--rounds') ?? 3);
const only = new Set((option('--only') ?? 'p1,p2,p3').split(','));
const p1Payments = Number(option('--p1') ?? 1_000);
const p2Payments = Number(option('--p2') ?? 20_000);
const p3Channels = Number(option('--channels') ?? 1_000);
const p3PerChannel = Number(option('--per-channel') ?? 6);

/** Hub CPU µs per payment since `before` (every thread of the hub). */
function hubUs(pid: number | undefined, before: CpuSnapshot | undefined, payments: number): number {
  const cpu = pid === undefined ? undefined : cpuPerPayment(pid, before, payments);
  return cpu === undefined ? Number.NaN : cpu.hubLoopUs + cpu.hubThreadsUs;
}

type Figures = Record<string, number>;

async function oneChannel(tree: Tree): Promise<Figures> {
  const [key] = payerKeys(1);
  const hub = await startBenchHub({ payers: [key!], ...(tree.root === undefined ? {} : { root: tree.root }) });
  try {
    const wallet = await tree.createWallet({
      key: key!,
      hub: { url: hub.process.url, networkId: 1 },
      store: tree.memoryStore(),
    });
    await wallet.openChannel({ deposit: 8_000_000_000_000n });
    for (let i = 0; i < 50; i++) await wallet.pay(hub.request());
    const figures: Figures = {};
    const pid = hub.process.child.pid;
    if (only.has('p1')) {
      const latencies: number[] = [];
      const before = cpuSnapshot(pid);
      for (let i = 0; i < p1Payments; i++) {
        const request = hub.request();
        const start = performance.now();
        await wallet.pay(request);
        latencies.push(performance.now() - start);
      }
      figures['P1 hub µs/payment'] = hubUs(pid, before, p1Payments);
      latencies.sort((a, b) => a - b);
      figures['P1 p50 ms'] = percentile(latencies, 50);
      figures['P1 p99 ms'] = percentile(latencies, 99);
    }
    if (only.has('p2')) {
      const requests = Array.from({ length: p2Payments }, () => hub.request());
      const before = cpuSnapshot(pid);
      const start = performance.now();
      await Promise.all(requests.map((r) => wallet.pay(r)));
      figures['P2 payments/s'] = (p2Payments / (performance.now() - start)) * 1000;
      figures['P2 hub µs/payment'] = hubUs(pid, before, p2Payments);
    }
    await wallet.stop();
    return figures;
  } finally {
    await hub.stop();
  }
}

async function manyChannels(tree: Tree): Promise<Figures> {
  const keys = payerKeys(p3Channels);
  const hub = await startBenchHub({ payers: keys, ...(tree.root === undefined ? {} : { root: tree.root }) });
  try {
    const result = await presignedLoad(hub, keys, p3PerChannel);
    return {
      'P3 payments/s': (result.payments / result.ms) * 1000,
      'P3 hub µs/payment': result.cpu === undefined ? Number.NaN : result.cpu.hubLoopUs + result.cpu.hubThreadsUs,
      'P3 hub event loop µs': result.cpu?.hubLoopUs ?? Number.NaN,
      'P3 hub other threads µs': result.cpu?.hubThreadsUs ?? Number.NaN,
    };
  } finally {
    await hub.stop();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2 === 1
    ? (sorted[(sorted.length - 1) / 2] as number)
    : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
};

const root = resolve(new URL('../..', import.meta.url).pathname);
const trees = [await treeAt('this tree', undefined), await treeAt('baseline', resolve(baselineRoot))];
const results = new Map<Tree, Figures[]>(trees.map((t) => [t, []]));
console.log(`# Hot path, this tree (${revision(root)}) against ${revision(resolve(baselineRoot))}\n`);
console.log(`${new Date().toISOString()}, ${machine()}`);
console.log(`Reproduce: node --import tsx bench/hotpath/compare.ts ${argv.join(' ')}\n`);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? trees : [...trees].reverse();
  for (const tree of order) {
    const figures: Figures = {};
    if (only.has('p1') || only.has('p2')) Object.assign(figures, await oneChannel(tree));
    if (only.has('p3')) Object.assign(figures, await manyChannels(tree));
    results.get(tree)?.push(figures);
    console.error(`round ${round + 1}, ${tree.name}: ${JSON.stringify(figures)}`);
  }
}
const names = Object.keys(results.get(trees[0] as Tree)?.[0] ?? {});
const format = (name: string, value: number) =>
  name.endsWith('ms') ? value.toFixed(2) : Math.round(value).toLocaleString('en-US');
console.log(`| figure (median of ${rounds} rounds) | this tree | baseline | ratio |`);
console.log('| --- | --- | --- | --- |');
for (const name of names) {
  const [mine, base] = trees.map((t) => median((results.get(t) ?? []).map((f) => f[name] as number)));
  console.log(
    `| ${name} | ${format(name, mine as number)} | ${format(name, base as number)} | ${((mine as number) / (base as number)).toFixed(2)} |`,
  );
}
console.log('\nEvery round (this tree, then baseline):');
for (const tree of trees) {
  for (const name of names) {
    console.log(
      `- ${tree.name}, ${name}: ${(results.get(tree) ?? []).map((f) => format(name, f[name] as number)).join(', ')}`,
    );
  }
}
