/**
 * `pnpm sim`: runs seeded simulations and prints one line per failing seed with the command
 * that replays it. `--seeds N` (default 100) from `--from S` (default 1); `--seed S` for one
 * run with its event log (`--frames` adds every frame); `--replays` makes 5% of payments
 * pay a recent invoice again; `--short-invoices` makes invoices expire after 5 s; `--duration-ms`, `--wallets` as in {@link simulate}.
 */
import { parseArgs } from 'node:util';
import { simulate } from './simulate.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    'duration-ms': { type: 'string' },
    wallets: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    frames: { type: 'boolean', default: false },
    replays: { type: 'boolean', default: false },
    'short-invoices': { type: 'boolean', default: false },
  },
});
const integer = (text: string | undefined, name: string) => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`--${name}: expected an integer, got ${text}`);
  return n;
};
const durationMs = integer(values['duration-ms'], 'duration-ms');
const wallets = integer(values.wallets, 'wallets');
const single = integer(values.seed, 'seed');
const from = single ?? (integer(values.from, 'from') as number);
const count = single === undefined ? (integer(values.seeds, 'seeds') as number) : 1;
const verbose = values.verbose || single !== undefined;

const startedMs = performance.now();
let failed = 0;
let steps = 0;
let payments = 0;
let crashes = 0;
let claims = 0;
let expired = 0;
let forced = 0;
for (let seed = from; seed < from + count; seed++) {
  const report = await simulate({
    seed,
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(wallets === undefined ? {} : { wallets }),
    ...(verbose ? { log: (line: string) => console.log(`  ${line}`) } : {}),
    traceFrames: values.frames,
    faults: {
      ...(values.replays ? { replayShare: 0.05 } : {}),
      ...(values['short-invoices'] ? { invoiceTtlMs: 5_000 } : {}),
    },
  });
  steps += report.steps;
  payments += report.payments.attempted;
  crashes += report.crashes.hub + report.crashes.wallet;
  claims += report.settlement.claims;
  expired += report.settlement.expired;
  forced += report.channels.forced;
  if (verbose) console.log(JSON.stringify(report, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
  if (!report.ok) {
    failed++;
    console.log(`seed ${seed} FAILED: ${report.violations.map((v) => `${v.invariant}: ${v.message}`).join('; ')}`);
    console.log(`  replay: ${report.replay}`);
  }
}
const seconds = (performance.now() - startedMs) / 1000;
console.log(
  `${count} seeds (${from}..${from + count - 1}), ${steps} steps, ${payments} payments, ${crashes} crashes, ${claims} claims, ${forced} unilateral closes, ${expired} expired channels finalized: ${failed} failed, ${count - failed} passed, in ${seconds.toFixed(1)} s`,
);
process.exitCode = failed === 0 ? 0 : 1;
