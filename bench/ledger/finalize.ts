/**
 * P7 of docs/benchmarks.md, channel finalizations on the ledger (>= 5,000/s SQLite, >= 2,000/s
 * PostgreSQL), measured the way docs/ledger.md section 10 quotes it: N due channels (default
 * 2,000), each with a client-signed final state paying two payees, finalized by
 * `finalizeDue()` in batches of 128 channels per transaction. The signatures were checked
 * earlier, when the closes were started (setup, not timed); then the injected clock passes
 * the challenge window and `finalizeDue()` is called until every channel is finalized.
 *
 * Baseline in the same run, on the same adapter (a fresh store of its own): the same
 * channels settled one per ledger call, `closeCooperative` each, each its own transaction.
 * That call also checks the voucher's signature (the close of the batched run did that in
 * setup), so the time spent verifying is measured and the rate without it reported too.
 *
 * The real adapters with their defaults: `sqliteLedger` on a temp file (WAL, synchronous =
 * FULL), `postgresLedger` on TRICKLE_PG_URL (default postgres://postgres@127.0.0.1:5432/test)
 * in a fresh random schema, dropped afterwards (PostgreSQL is skipped when unreachable).
 * The ledgers verify with tiny-secp256k1, the verifier the hub hands its ledger. After each
 * run: every settlement's sums, and the ledger's audit (signatures, postings, balances,
 * conservation per asset), which must report 0 mismatches. Never asserts a timing.
 *
 * Reproduce: node --import tsx bench/ledger/finalize.ts [--quick] [--channels <n>] [--batch <n>]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinySecp256k1Verifier } from '@trickle/hub';
import {
  type AuditReport,
  type ChannelLedgerOptions,
  challengeWindowMsDefault,
  type SettlementResult,
  type TrickleLedger,
} from '@trickle/ledger';
import { postgresLedger } from '@trickle/ledger/postgres';
import { sqliteLedger } from '@trickle/ledger/sqlite';
import { feeOf, type PayeeId, toHex, type Verifier } from '@trickle/protocol';
import {
  ClientChannel,
  client,
  domain,
  dropSchema,
  manualClock,
  payee,
  postgresQuery,
  postgresUrl,
  uniqueSchema,
  usd,
} from '@trickle/testing/harness';
import { figuresFile } from '../support/figures.js';
import { count, revision } from '../support/processFigures.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
function numberArg(name: string, fallback: number, min: number, max: number): number {
  const at = argv.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name}: ${min}..${max}`);
  return value;
}
const channelCount = numberArg('--channels', quick ? 100 : 2_000, 1, 10_000);
const batch = numberArg('--batch', 128, 1, 1_024);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** What each channel holds and pays (USD, 6 decimals). */
const deposit = 1_000_000n;
const payments = [300_000n, 200_000n] as const;
const paid = payments[0] + payments[1];
/** The hub's fee, so every settlement posts fee transfers too. */
const feePpm = 10_000;
/** Payees are a handful of sites: each channel pays two distinct ones of this pool. */
const payeePool = 8;
const setupConcurrency = 16;

const rate = (count: number, ms: number) => `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
const progress = (line: string) => process.stderr.write(`${line}\n`);

/** tiny-secp256k1, counting calls and the time they take. */
const verifying = { calls: 0, ms: 0 };
const verifier: Verifier = {
  name: tinySecp256k1Verifier.name,
  verify(signature, message, publicKey) {
    const start = performance.now();
    try {
      return tinySecp256k1Verifier.verify(signature, message, publicKey);
    } finally {
      verifying.calls++;
      verifying.ms += performance.now() - start;
    }
  },
};

/** Runs `work` for 0..n-1, `concurrency` at a time. */
async function each(n: number, concurrency: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

// ---- the channels: signed once, used in every store ----------------------------------------

const payees: PayeeId[] = Array.from({ length: payeePool }, (_, i) => payee(`bench ${i}`));
const channels: ClientChannel[] = [];
for (let i = 0; i < channelCount; i++) {
  const c = new ClientChannel(client(`bench finalize ${i}`), i);
  c.pay(payees[i % payeePool] as PayeeId, payments[0]);
  c.pay(payees[(i + 1) % payeePool] as PayeeId, payments[1]);
  c.sign();
  channels.push(c);
}

// ---- stores ---------------------------------------------------------------------------------

interface Store {
  readonly ledger: TrickleLedger;
  readonly clock: ReturnType<typeof manualClock>;
  dispose(): Promise<void>;
}

type Open = (options: ChannelLedgerOptions) => Promise<{ ledger: TrickleLedger; dispose(): Promise<void> }>;

interface Adapter {
  readonly name: 'sqlite' | 'postgres';
  readonly target: string;
  readonly open: Open;
}

const sqlite: Adapter = {
  name: 'sqlite',
  target: '>= 5,000/s',
  async open(options) {
    const dir = mkdtempSync(join(tmpdir(), 'trickle-bench-finalize-'));
    const ledger = await sqliteLedger({ ...options, filename: join(dir, 'ledger.db') });
    return {
      ledger,
      async dispose() {
        await ledger.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Adapter = {
  name: 'postgres',
  target: '>= 2,000/s',
  async open(options) {
    const schema = uniqueSchema('bench_finalize');
    const drop = () => dropSchema(schema);
    let ledger: TrickleLedger;
    try {
      ledger = await postgresLedger({ ...options, connectionString: postgresUrl, schema });
    } catch (error) {
      await drop();
      throw error;
    }
    return {
      ledger,
      async dispose() {
        try {
          await ledger.close();
        } finally {
          await drop();
        }
      },
    };
  },
};

async function reachable(): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      postgresQuery('SELECT 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer in 5 s')), 5_000);
      }),
    ]);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    clearTimeout(timer);
  }
}

/** A fresh store with every channel funded and open. */
async function openStore(adapter: Adapter): Promise<Store> {
  const clock = manualClock();
  const { ledger, dispose } = await adapter.open({
    domain,
    feePpm,
    clock: clock.read,
    verifier,
    finalizeBatchChannels: batch,
  });
  try {
    for (const p of payees) await ledger.ensurePayee({ payee: p, asset: usd });
    await each(channelCount, setupConcurrency, async (i) => {
      const c = channels[i] as ClientChannel;
      await ledger.fundPayer({ clientKey: c.clientKey, asset: usd, amount: deposit, reference: `bench-fund-${i}` });
      await ledger.openChannel({
        channelId: c.channelId,
        clientKey: c.clientKey,
        asset: usd,
        deposit,
        expiresAtMs: clock.now + 30 * 24 * 3_600_000,
      });
    });
    return { ledger, clock, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

// ---- checks ---------------------------------------------------------------------------------

interface Checked {
  readonly settlements: string;
  readonly audit: AuditReport;
}

/** Every channel settled once, with the right sums; then the ledger's own audit. */
async function check(ledger: TrickleLedger, results: readonly SettlementResult[]): Promise<Checked> {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of results) {
    const id = toHex(r.channel.channelId);
    if (seen.has(id)) problems.push(`${id} settled twice`);
    seen.add(id);
    const gross = r.payees.reduce((sum, p) => sum + p.gross, 0n);
    if (gross !== paid) problems.push(`${id}: payees got ${gross}, expected ${paid}`);
    for (const p of r.payees) {
      if (p.net + p.fee !== p.gross) problems.push(`${id}: net + fee != gross`);
      if (p.fee !== feeOf(p.gross, feePpm)) problems.push(`${id}: fee ${p.fee} on ${p.gross}`);
    }
    if (r.refund !== deposit - paid) problems.push(`${id}: refund ${r.refund}, expected ${deposit - paid}`);
    if (r.channel.finalizedAtMs === undefined) problems.push(`${id}: not marked finalized`);
  }
  if (seen.size !== channelCount) problems.push(`${seen.size} of ${channelCount} channels settled`);
  for (const c of channels.slice(0, 3).concat(channels.slice(-3))) {
    const stored = await ledger.channel(c.channelId);
    if (stored?.finalizedAtMs === undefined) problems.push(`${toHex(c.channelId)}: not finalized when read back`);
  }
  for (const problem of problems.slice(0, 10)) progress(`  settlement check: ${problem}`);
  const audit = await ledger.audit();
  for (const m of audit.mismatches.slice(0, 10)) progress(`  audit: ${m.message}`);
  const settlements =
    problems.length === 0
      ? `${count(seen.size)} settled once, sums right`
      : `${count(problems.length)} problem(s), first: ${problems[0]}`;
  return { settlements, audit };
}

const conservation = (audit: AuditReport) =>
  audit.assets
    .map(
      (a) =>
        `${a.asset} in ${count(a.moneyIn)} - out ${count(a.moneyOut)} = ${count(a.moneyIn - a.moneyOut)} vs balances ${count(a.balances)}: ${
          a.moneyIn - a.moneyOut === a.balances ? 'holds' : 'BROKEN'
        }`,
    )
    .join('; ');

// ---- the two runs ---------------------------------------------------------------------------

interface Run {
  readonly ms: number;
  readonly calls: number;
  readonly verifyCalls: number;
  readonly verifyMs: number;
  readonly checked: Checked;
}

/** Closes every channel (not timed), passes the window, times `finalizeDue()` until all are done. */
async function batched(adapter: Adapter): Promise<Run> {
  const store = await openStore(adapter);
  try {
    const { ledger, clock } = store;
    await each(channelCount, setupConcurrency, async (i) => {
      const c = channels[i] as ClientChannel;
      await ledger.startClose({ ...c.state(1), by: i % 2 === 0 ? 'hub' : 'client' });
    });
    if ((await ledger.finalizeDue()).length !== 0) throw new Error('channels were due before the window passed');
    clock.advance(challengeWindowMsDefault + 1);
    const results: SettlementResult[] = [];
    let calls = 0;
    const before = { ...verifying };
    const start = performance.now();
    while (results.length < channelCount) {
      const done = await ledger.finalizeDue();
      calls++;
      if (done.length === 0) break;
      results.push(...done);
    }
    const ms = performance.now() - start;
    return {
      ms,
      calls,
      verifyCalls: verifying.calls - before.calls,
      verifyMs: verifying.ms - before.ms,
      checked: await check(ledger, results),
    };
  } finally {
    await store.dispose();
  }
}

/** Times `closeCooperative` per channel, one after the other, each its own transaction. */
async function oneByOne(adapter: Adapter): Promise<Run> {
  const store = await openStore(adapter);
  try {
    const { ledger } = store;
    const results: SettlementResult[] = [];
    const before = { ...verifying };
    const start = performance.now();
    for (const c of channels) results.push(await ledger.closeCooperative(c.state(1)));
    const ms = performance.now() - start;
    return {
      ms,
      calls: channelCount,
      verifyCalls: verifying.calls - before.calls,
      verifyMs: verifying.ms - before.ms,
      checked: await check(ledger, results),
    };
  } finally {
    await store.dispose();
  }
}

// ---- the run --------------------------------------------------------------------------------

const flags = [quick ? ' --quick' : '', argv.includes('--channels') ? ` --channels ${channelCount}` : '']
  .concat(argv.includes('--batch') ? ` --batch ${batch}` : '')
  .join('');
console.log('# Trickle ledger finalization figures (P7)\n');
console.log(
  `${new Date().toISOString()}, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(`Tree: ${revision(root)}`);
console.log(`Reproduce: node --import tsx bench/ledger/finalize.ts${flags}`);
console.log(
  `\n${count(channelCount)} channels, each a ${count(deposit)} deposit and one signed final state paying two payees (${payments
    .map(count)
    .join(
      ' + ',
    )}, of a pool of ${payeePool}), fee ${count(feePpm)} ppm. finalizeDue: ${batch} channels per transaction, closes started ` +
    'and signatures checked in setup (not timed). Baseline: closeCooperative per channel, each its own transaction, ' +
    `signature check included (tiny-secp256k1). SQLite: temp file, WAL, synchronous = FULL. PostgreSQL: ${postgresUrl.replace(
      /\/\/[^@/]*@/,
      '//…@',
    )}, fresh schema, pool of 8.\n`,
);

const out = figuresFile(argv);
const rows: string[][] = [];
const checks: string[][] = [];
const skipped: string[] = [];
const adapters: Adapter[] = [sqlite];
const unreachable = await reachable();
if (unreachable === undefined) adapters.push(postgres);
else skipped.push(`PostgreSQL skipped: ${postgresUrl.replace(/\/\/[^@/]*@/, '//…@')} unreachable (${unreachable}).`);

let failed = false;
for (const adapter of adapters) {
  progress(`${adapter.name}: finalizeDue over ${count(channelCount)} due channels...`);
  const fin = await batched(adapter);
  progress(`${adapter.name}: closeCooperative per channel...`);
  const one = await oneByOne(adapter);
  const withoutVerify = one.ms - one.verifyMs;
  out.add({
    id: `P7.${adapter.name}`,
    label: `P7 finalizations/s, ${adapter.name === 'sqlite' ? 'SQLite' : 'PostgreSQL'} (finalizeDue, ${channelCount} channels)`,
    value: (channelCount * 1000) / fin.ms,
    unit: 'channels/s',
    target: { op: '>=', value: adapter.name === 'sqlite' ? 5_000 : 2_000 },
    baseline: { label: 'closeCooperative, one call per channel', value: (channelCount * 1000) / one.ms },
  });
  rows.push([
    adapter.name,
    `${rate(channelCount, fin.ms)} (${count(channelCount)} in ${Math.round(fin.ms)} ms, ${fin.calls} call(s), ${Math.ceil(channelCount / batch)} transactions)`,
    `${rate(channelCount, one.ms)} (${rate(channelCount, withoutVerify)} without its ${count(one.verifyCalls)} signature checks)`,
    adapter.target,
  ]);
  for (const [name, run] of [
    ['finalizeDue', fin],
    ['closeCooperative per channel', one],
  ] as const) {
    const { audit } = run.checked;
    if (!audit.ok || !run.checked.settlements.includes('sums right')) failed = true;
    checks.push([
      `${adapter.name}, ${name}`,
      run.checked.settlements,
      count(run.verifyCalls),
      `${audit.mismatches.length} mismatches (${count(audit.channels)} channels, ${count(audit.transfers)} transfers, ${count(audit.signatures)} signatures re-verified)`,
      conservation(audit),
    ]);
  }
}

console.log('| adapter | finalizeDue channels/s | baseline one-call-per-channel channels/s | target |');
console.log('| --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
for (const line of skipped) console.log(`\n${line}`);

console.log('\n## Checks\n');
console.log('| run | settlements | signature checks while timed | audit | conservation |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of checks) console.log(`| ${row.join(' | ')} |`);
if (!failed) out.write('finalize');
if (failed) {
  console.log('\nA CHECK FAILED: the figures above are not of correct work.');
  process.exitCode = 1;
}
