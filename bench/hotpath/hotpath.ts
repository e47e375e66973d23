/**
 * The hot-path figures, each target of docs/benchmarks.md next to its baselines, all measured
 * in one run (absolute numbers drift between runs on shared machines: compare within a
 * run).
 *
 *  - P1: one channel, one payment at a time, the wallet signs live, the hub verifies and
 *    makes it durable before the receipt: p50 / p99 of `pay()`.
 *  - P2: one channel, all payments at once (the wallet coalesces up to 128 per voucher).
 *  - P3: 1,000 channels, one payment in flight each, vouchers pre-signed and pre-encoded
 *    before the clock starts (nothing to batch: one verification and one receipt per
 *    payment). A live-signing variant (wallets) is reported separately.
 *  - P4-style baseline: the same payments as one SQLite ledger transaction each.
 *
 * Baselines in the same run: the same tree with noble verifying in the hub, and, with
 * `--baseline <checkout>`, another checkout (e.g. the commit before a change) running the
 * same workloads, its hub and its wallet. The hub runs in its own process with its default
 * SQLite store and ledger (synchronous = FULL). Never asserts a timing.
 *
 * Reproduce: node --import tsx bench/hotpath/hotpath.ts [--quick] [--baseline <checkout>]
 */
import { createHash, createHmac, hash as nodeHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { fileStore, libsecp256k1Signer } from '@trickle/client/node';
import { createNodeCryptoVerifier, createThreadPoolVerifier, tinySecp256k1Verifier } from '@trickle/hub';
import { sqliteLedger } from '@trickle/ledger/sqlite';
import {
  createReceipt,
  createSecretKey,
  createSigner,
  type HubId,
  hmacSha256,
  nobleVerifier,
  sha256,
} from '@trickle/protocol';
import { figuresFile, sample } from '../support/figures.js';
import { perPaymentTransfers } from '../support/ledgerPerPayment.js';
import { revision } from '../support/processFigures.js';
import {
  type BenchHub,
  payerKeys,
  percentile,
  presignedLoad,
  randomBytes,
  startBenchHub,
  type Tree,
  treeAt,
} from './harness.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const baselineAt = argv.indexOf('--baseline');
const baselineRoot = baselineAt === -1 ? undefined : resolve(argv[baselineAt + 1] ?? '');
const root = fileURLToPath(new URL('../..', import.meta.url));

const n = (full: number, short: number) => (quick ? short : full);
const rate = (count: number, ms: number) => `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
const ms = (value: number) => `${value.toFixed(2)} ms`;

// ---- primitives ---------------------------------------------------------------------

function timeIt(count: number, run: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(count, 2_000); i++) run(i);
  const start = performance.now();
  for (let i = 0; i < count; i++) run(i);
  return performance.now() - start;
}

async function primitives(): Promise<void> {
  const signer = createSigner(createSecretKey(randomBytes), { randomBytes });
  const messages = Array.from({ length: 256 }, () => randomBytes(125));
  const signatures = messages.map((m) => signer.sign(m));
  const rows: [string, string][] = [];
  const verifies = n(3_000, 200);
  const verify = (name: string, check: (i: number) => boolean, count: number) => {
    const took = timeIt(count, (i) => {
      if (!check(i % 256)) throw new Error(`${name} failed`);
    });
    rows.push([name, rate(count, took)]);
  };
  verify(
    'verify: noble (reference, pure JS)',
    (i) => nobleVerifier.verify(signatures[i]!, messages[i]!, signer.publicKey),
    verifies / 5,
  );
  const node = createNodeCryptoVerifier();
  verify(
    'verify: node:crypto, cached KeyObject',
    (i) => node.verify(signatures[i]!, messages[i]!, signer.publicKey),
    verifies,
  );
  verify(
    'verify: tiny-secp256k1 (WASM libsecp256k1)',
    (i) => tinySecp256k1Verifier.verify(signatures[i]!, messages[i]!, signer.publicKey),
    verifies,
  );
  const pool = createThreadPoolVerifier();
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < verifies) {
        const i = next++ % 256;
        if (!(await pool.verify(signatures[i]!, messages[i]!, signer.publicKey))) throw new Error('pool failed');
      }
    }),
  );
  rows.push(['verify: node:crypto on the libuv threadpool, 64 in flight', rate(verifies, performance.now() - start)]);
  rows.push([
    'sign: noble, hedged (the wallet default)',
    rate(
      verifies / 3,
      timeIt(verifies / 3, (i) => signer.sign(messages[i % 256]!)),
    ),
  ]);

  const hashes = n(200_000, 10_000);
  const step = randomBytes(88);
  const key = randomBytes(32);
  const layout = randomBytes(154);
  rows.push([
    'log step sha256(88 B): noble-hashes',
    rate(
      hashes,
      timeIt(hashes, () => nobleSha256(step)),
    ),
  ]);
  rows.push([
    'log step sha256(88 B): node:crypto one-shot',
    rate(
      hashes,
      timeIt(hashes, () => nodeHash('sha256', step, 'buffer')),
    ),
  ]);
  rows.push([
    'log step sha256(88 B): protocol (sha256.ts)',
    rate(
      hashes,
      timeIt(hashes, () => sha256(step)),
    ),
  ]);
  rows.push([
    'MAC hmac(154 B): noble-hashes',
    rate(
      hashes,
      timeIt(hashes, () => nobleHmac(nobleSha256, key, layout)),
    ),
  ]);
  rows.push([
    'MAC hmac(154 B): node:crypto createHmac',
    rate(
      hashes,
      timeIt(hashes, () => createHmac('sha256', key).update(layout).digest()),
    ),
  ]);
  rows.push([
    'MAC hmac(154 B): protocol, key re-derived per call',
    rate(
      hashes,
      timeIt(hashes, () => hmacSha256(key, layout)),
    ),
  ]);
  const body = {
    networkId: 1,
    hubId: randomBytes(32) as HubId,
    channelId: randomBytes(32) as never,
    seq: 1,
    payee: randomBytes(32) as never,
    invoiceId: randomBytes(16) as never,
    asset: { code: 'USD', scale: 6 },
    amount: 100n,
  };
  rows.push([
    'receipt: HMAC, merchant key precomputed (what the hub does)',
    rate(
      hashes,
      timeIt(hashes, (i) => createReceipt(key as never, { ...body, seq: i + 1 })),
    ),
  ]);
  rows.push([
    'receipt: ECDSA signature instead (noble, hedged)',
    rate(
      verifies / 3,
      timeIt(verifies / 3, (i) => signer.sign(messages[i % 256]!)),
    ),
  ]);
  rows.push([
    '(node:crypto sha256 through createHash, for reference)',
    rate(
      hashes,
      timeIt(hashes, () => createHash('sha256').update(step).digest()),
    ),
  ]);
  console.log('\n## Primitives (one core unless stated)\n');
  console.log('| operation | rate |\n| --- | --- |');
  for (const [name, value] of rows) console.log(`| ${name} | ${value} |`);
}

// ---- end to end ---------------------------------------------------------------------

async function withHub<T>(
  tree: Tree,
  payers: number,
  run: (hub: BenchHub, keys: ReturnType<typeof payerKeys>) => Promise<T>,
) {
  const keys = payerKeys(payers);
  const hub = await startBenchHub({
    payers: keys,
    fundEach: 9_000_000_000_000n,
    ...(tree.root === undefined ? {} : { root: tree.root }),
    ...(tree.verifier === undefined ? {} : { verifier: tree.verifier }),
  });
  try {
    return await run(hub, keys);
  } finally {
    await hub.stop();
  }
}

/** How the wallet of a P1/P2 run is set up. */
interface WalletSetup {
  readonly signer?: 'noble' | 'libsecp256k1';
  readonly store?: 'memory' | 'file';
}

/** P1 and P2: one wallet on one channel. */
async function oneChannel(
  tree: Tree,
  setup: WalletSetup = {},
): Promise<{ p50: number; p99: number; perSecond: number; latencies: number[] }> {
  return withHub(tree, 1, async (hub, [key]) => {
    const dir = mkdtempSync(join(tmpdir(), 'trickle-wallet-'));
    const wallet = await tree.createWallet({
      key: setup.signer === 'libsecp256k1' ? libsecp256k1Signer(key!) : key!,
      hub: { url: hub.process.url, networkId: 1 },
      store: setup.store === 'file' ? fileStore({ path: join(dir, 'wallet.jsonl') }) : tree.memoryStore(),
    });
    await wallet.openChannel({ deposit: 8_000_000_000_000n });
    for (let i = 0; i < 50; i++) await wallet.pay(hub.request());
    const latencies: number[] = [];
    const sequential = tree.verifier === 'noble' ? n(300, 100) : n(2_000, 200);
    for (let i = 0; i < sequential; i++) {
      const request = hub.request();
      const start = performance.now();
      await wallet.pay(request);
      latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);
    const pipelined = n(100_000, 10_000);
    const requests = Array.from({ length: pipelined }, () => hub.request());
    const start = performance.now();
    const receipts = await Promise.all(requests.map((r) => wallet.pay(r)));
    const took = performance.now() - start;
    if (receipts.length !== pipelined) throw new Error('missing receipts');
    await wallet.stop();
    rmSync(dir, { recursive: true, force: true });
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      perSecond: (pipelined / took) * 1000,
      latencies,
    };
  });
}

/** P3: pre-signed load, one payment in flight per channel. */
async function manyChannels(tree: Tree, channels: number, perChannel: number) {
  return withHub(tree, channels, async (hub, keys) => {
    const result = await presignedLoad(hub, keys, perChannel);
    return { ...result, perSecond: (result.payments / result.ms) * 1000 };
  });
}

/** P3, live signing: wallets in this process, one payment in flight each. */
async function manyWallets(tree: Tree, channels: number, perChannel: number): Promise<number> {
  return withHub(tree, channels, async (hub, keys) => {
    const wallets = await Promise.all(
      keys.map((key) =>
        tree.createWallet({ key, hub: { url: hub.process.url, networkId: 1 }, store: tree.memoryStore() }),
      ),
    );
    await Promise.all(wallets.map((w) => w.openChannel({ deposit: 100_000_000n })));
    const start = performance.now();
    await Promise.all(
      wallets.map(async (w) => {
        for (let i = 0; i < perChannel; i++) await w.pay(hub.request());
      }),
    );
    const took = performance.now() - start;
    await Promise.all(wallets.map((w) => w.stop()));
    return (channels * perChannel * 1000) / took;
  });
}

/** P4-style: every payment is one durable SQLite ledger transaction (payer debited, merchant credited). */
async function ledgerPerPayment(): Promise<{ p50: number; p99: number; sequential: number; concurrent: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-p4-'));
  const ledger = await sqliteLedger({
    filename: join(dir, 'ledger.sqlite'),
    domain: { networkId: 1, hubId: randomBytes(32) as HubId },
    feePpm: 0,
    clock: () => Date.now(),
    verifier: tinySecp256k1Verifier,
  });
  try {
    const pay = await perPaymentTransfers(ledger);
    const latencies: number[] = [];
    const count = n(2_000, 300);
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await pay();
      latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);
    const sequential = (count * 1000) / latencies.reduce((a, b) => a + b, 0);
    const start = performance.now();
    await Promise.all(
      Array.from({ length: 1_000 }, async () => {
        for (let i = 0; i < count / 1_000 + 1; i++) await pay();
      }),
    );
    const concurrent = ((1_000 * (Math.floor(count / 1_000) + 1)) / (performance.now() - start)) * 1000;
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), sequential, concurrent };
  } finally {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the run ----------------------------------------------------------------------------

const command = `node --import tsx bench/hotpath/hotpath.ts${quick ? ' --quick' : ''}${baselineRoot ? ` --baseline ${baselineRoot}` : ''}`;
console.log('# Trickle hot path figures\n');
console.log(
  `${new Date().toISOString()}, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()[0]?.toFixed(2)}`,
);
console.log(`Tree: ${revision(root)}${baselineRoot ? `; baseline: ${baselineRoot} at ${revision(baselineRoot)}` : ''}`);
console.log(`Reproduce: ${command}`);

await primitives();

// The noble tree and the P1/P2 variants are for full runs: --quick stays within its minute.
const trees: Tree[] = [
  await treeAt('this tree', undefined),
  ...(quick ? [] : [await treeAt('this tree, noble verifying in the hub', undefined, 'noble')]),
];
if (baselineRoot !== undefined) trees.push(await treeAt(`baseline ${revision(baselineRoot)}`, baselineRoot));

const out = figuresFile(argv);
const p4 = await ledgerPerPayment();
const channels = n(1_000, 200);
const perChannel = n(10, 5);
const rows: string[][] = [];
const cpuRows: string[][] = [];
for (const tree of trees) {
  const one = await oneChannel(tree);
  const many = await manyChannels(tree, tree.verifier === 'noble' ? channels / 5 : channels, perChannel);
  const wallets = await manyWallets(tree, 32, n(40, 10));
  if (tree === trees[0]) {
    const perPaymentTx = { label: 'one SQLite ledger transaction per payment', value: 0 };
    out.add(
      {
        id: 'P1.p50',
        label: 'P1 one channel, one at a time: pay() p50',
        value: one.p50,
        unit: 'ms',
        target: { op: '<=', value: 1 },
        baseline: { ...perPaymentTx, value: p4.p50 },
      },
      {
        id: 'P1.p99',
        label: 'P1 one channel, one at a time: pay() p99',
        value: one.p99,
        unit: 'ms',
        target: { op: '<=', value: 4 },
        baseline: { ...perPaymentTx, value: p4.p99 },
      },
      {
        id: 'P2.rate',
        label: 'P2 one channel, pipelined, live signing',
        value: one.perSecond,
        unit: 'payments/s',
        target: { op: '>=', value: 100_000 },
        baseline: { ...perPaymentTx, value: p4.sequential },
      },
      {
        id: 'P3.rate',
        label: `P3 ${channels} channels, one payment in flight each`,
        value: many.perSecond,
        unit: 'payments/s',
        target: { op: '>=', value: 6_000 },
        baseline: { label: 'one SQLite ledger transaction per payment, 1,000 callers', value: p4.concurrent },
      },
      { id: 'P3.p99', label: 'P3 payment latency p99', value: many.p99Ms, unit: 'ms' },
    );
    if (many.cpu !== undefined)
      out.add({
        id: 'P3.cpu',
        label: 'P3 hub CPU per payment (event loop + other threads)',
        value: many.cpu.hubLoopUs + many.cpu.hubThreadsUs,
        unit: 'µs',
      });
    out.series('P1.latencyMs', sample(one.latencies));
    out.series('P3.latencyMs', sample(many.latenciesMs));
    // Throughput against load: the same pre-signed load with fewer channels in flight.
    const load: [number, number][] = [];
    for (const count of quick ? [50] : [10, 50, 200, 500])
      load.push([count, (await manyChannels(tree, count, perChannel)).perSecond]);
    load.push([channels, many.perSecond]);
    out.series('P3.throughputByChannels', load);
  } else if (tree.verifier === 'noble') {
    out.add(
      { id: 'P1.noble.p50', label: 'P1 p50, hub verifying with @noble/secp256k1', value: one.p50, unit: 'ms' },
      {
        id: 'P3.noble.rate',
        label: 'P3, hub verifying with @noble/secp256k1',
        value: many.perSecond,
        unit: 'payments/s',
      },
    );
  }
  rows.push([
    tree.name,
    `${ms(one.p50)} / ${ms(one.p99)}`,
    rate(one.perSecond, 1000),
    `${rate(many.perSecond, 1000)} (p50 ${ms(many.p50Ms)}, p99 ${ms(many.p99Ms)})`,
    rate(wallets, 1000),
  ]);
  if (many.cpu !== undefined) {
    cpuRows.push([
      tree.name,
      `${Math.round(many.cpu.hubLoopUs)} µs`,
      `${Math.round(many.cpu.hubThreadsUs)} µs`,
      `${Math.round(many.cpu.clientUs)} µs`,
      `${Math.round(many.cpu.machineBusy * 100)}%`,
    ]);
  }
  console.error(`measured ${tree.name}`);
}
const variants: string[][] = [];
for (const [name, setup] of quick
  ? []
  : ([
      ['wallet signs with libsecp256k1Signer (@trickle/client/node) instead of noble', { signer: 'libsecp256k1' }],
      ['wallet store: file (one fsync per voucher)', { store: 'file' }],
    ] as const)) {
  const one = await oneChannel(trees[0] as Tree, setup);
  variants.push([name, `${ms(one.p50)} / ${ms(one.p99)}`, rate(one.perSecond, 1000)]);
  if (setup.signer === 'libsecp256k1') {
    // What a Node payer gets with the SDK's faster signer: the same P1 and P2, the same targets.
    const label = 'Node wallet signing with libsecp256k1Signer';
    out.add(
      { id: 'P1.libsecp.p50', label: `P1 p50, ${label}`, value: one.p50, unit: 'ms', target: { op: '<=', value: 1 } },
      { id: 'P1.libsecp.p99', label: `P1 p99, ${label}`, value: one.p99, unit: 'ms', target: { op: '<=', value: 4 } },
      {
        id: 'P2.libsecp.rate',
        label: `P2, ${label}`,
        value: one.perSecond,
        unit: 'payments/s',
        target: { op: '>=', value: 100_000 },
      },
    );
  }
}
out.write('hotpath');

console.log('\n## Targets (docs/benchmarks.md) and baselines, one run\n');
console.log('P1: one payment at a time, live signing, durable ack. P2: one channel pipelined, live signing.');
console.log(
  `P3: ${channels} channels (${channels / 5} with noble), one payment in flight each, pre-signed; live-signing variant: 32 wallets.\n`,
);
console.log(
  '| hub and wallet | P1 p50 / p99 (target <= 1 ms / 4 ms) | P2 (target >= 100,000/s) | P3 pre-signed (target >= 4,000/s) | 32 wallets, live signing |',
);
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log(
  `| P4-style: one SQLite ledger transaction per payment | ${ms(p4.p50)} / ${ms(p4.p99)} | ${rate(p4.sequential, 1000)} (one at a time) | ${rate(p4.concurrent, 1000)} (1,000 callers) | |`,
);
console.log('\n## P1 and P2 variants of this tree (same run)\n');
console.log('| wallet | P1 p50 / p99 | P2 |\n| --- | --- | --- |');
for (const row of variants) console.log(`| ${row.join(' | ')} |`);
console.log('\n## P3: CPU per payment (Linux /proc, same runs)\n');
console.log(
  '| hub and wallet | hub event loop | hub other threads (verify, store writer, GC) | load generator | machine busy (2 cores = 100%) |',
);
console.log('| --- | --- | --- | --- | --- |');
for (const row of cpuRows) console.log(`| ${row.join(' | ')} |`);
