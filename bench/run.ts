/**
 * `pnpm bench`: runs every suite as its own process (each suite starts its hub and load
 * generators as separate processes on 127.0.0.1), then prints every target next to its
 * baseline from the same run, writes bench/results/bench-<date>.json, regenerates the figures
 * section of docs/benchmarks.md and the charts in docs/images/bench/.
 *
 * The suites and every process they start run the built packages (`tsc -b` first, then Node's
 * `trickle-dist` condition, ADR 0420): what a user installs, and a process starts in about a
 * third of the time it takes through tsx, which is most of what a short suite costs.
 *
 * Reproduce: pnpm bench [--quick] [--only hotpath,finalize] [--out <dir>]
 *   --quick  reduced sizes of every suite (under a minute on the 2-core machine, see docs/benchmarks.md)
 *   --only   run only the named suites
 *   --out    write the results, the doc and the charts under <dir> instead of the repository
 *            (the doc is copied from docs/benchmarks.md first)
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSuiteFigures, type SuiteFigures } from './support/figures.js';
import { type BenchRun, charts, figuresSection, machine, replaceSection, table } from './support/report.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The suites, in the order they run. A suite whose script is absent is reported as not measured. */
const suites: readonly {
  readonly name: string;
  readonly script: string;
  /** Sizes that keep the suite within the run's budget (with --quick: `quickArgs`). */
  readonly args?: readonly string[];
  readonly quickArgs?: readonly string[];
}[] = [
  { name: 'hotpath', script: 'bench/hotpath/hotpath.ts' },
  { name: 'finalize', script: 'bench/ledger/finalize.ts' },
  { name: 'paidCalls', script: 'bench/http/paidCalls.ts' },
  { name: 'cluster', script: 'bench/cluster/cluster.ts' },
  {
    name: 'longChannel',
    script: 'bench/settlement/longChannel.ts',
    // 1,000,000 payments take 5 minutes alone: `node --import tsx bench/settlement/longChannel.ts` runs them.
    args: ['--payments', '100000'],
    quickArgs: ['--payments', '5000', '--baseline', '1000'],
  },
  { name: 'scheduler', script: 'bench/settlement/scheduler.ts' },
  // P5: 1,000,000 channels in the store (20,000 with --quick), memory per channel of a hub after
  // wallets touched twice as many channels as it caches (20,000; with --quick 1,000 of a 500 bound).
  { name: 'channels', script: 'bench/memory/channels.ts', quickArgs: ['--cached', '500'] },
  // A wallet's p99 under connection churn and with idle sockets open, against a calm hub.
  // P6: 10,000 idle wallets connected (500 with --quick).
  {
    name: 'flood',
    script: 'bench/flood/flood.ts',
    args: ['--sockets', '10000'],
    quickArgs: ['--sockets', '500', '--payments', '50'],
  },
];

/** How long one suite may take before it is stopped (the full run stays within about 12 minutes). */
const suiteTimeoutMs = 6 * 60_000;

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyAt = argv.indexOf('--only');
const only = onlyAt === -1 ? undefined : new Set((argv[onlyAt + 1] ?? '').split(','));
const outAt = argv.indexOf('--out');
const outDir = outAt === -1 ? undefined : resolve(argv[outAt + 1] ?? '');
for (const name of only ?? [])
  if (!suites.some((s) => s.name === name))
    throw new Error(`--only: no suite ${name} (${suites.map((s) => s.name).join(', ')})`);

/**
 * The export condition under which the workspace's packages resolve to their built files
 * (`dist/`) instead of their TypeScript sources (ADR 0420).
 */
const builtCondition = '--conditions=trickle-dist';
/** Every process of a suite (hubs, merchants, load generators) inherits it through NODE_OPTIONS. */
const suiteEnv = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${builtCondition}`.trim() };

function runSuite(suite: (typeof suites)[number], json: string): Promise<string | undefined> {
  return new Promise((done) => {
    const sized = (quick ? suite.quickArgs : suite.args) ?? [];
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', suite.script, ...(quick ? ['--quick'] : []), ...sized, '--json', json],
      // The suite's own table goes to stderr, so that stdout holds the summary only.
      { cwd: root, env: suiteEnv, stdio: ['ignore', 2, 2] },
    );
    const timer = setTimeout(() => child.kill('SIGTERM'), suiteTimeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      done(code === 0 ? undefined : `exit ${code ?? signal}`);
    });
  });
}

// The built packages must be those of this tree: tsc -b rebuilds what changed (under a second when nothing did).
console.error('building the packages (tsc -b tsconfig.build.json)...');
const buildStarted = performance.now();
execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-b', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
const buildSeconds = (performance.now() - buildStarted) / 1000;

const started = performance.now();
const work = mkdtempSync(join(tmpdir(), 'trickle-bench-'));
const measured: SuiteFigures[] = [];
const missing: { suite: string; why: string }[] = [];
try {
  for (const suite of suites) {
    if (only !== undefined && !only.has(suite.name)) continue;
    if (!existsSync(join(root, suite.script))) {
      missing.push({ suite: suite.name, why: `${suite.script} is not in this tree` });
      continue;
    }
    console.error(
      `\n=== ${suite.name}: ${[suite.script, ...(quick ? ['--quick', ...(suite.quickArgs ?? [])] : (suite.args ?? []))].join(' ')}`,
    );
    const json = join(work, `${suite.name}.json`);
    const failed = await runSuite(suite, json);
    if (failed !== undefined || !existsSync(json)) {
      missing.push({ suite: suite.name, why: failed ?? 'wrote no figures' });
      continue;
    }
    measured.push(parseSuiteFigures(JSON.parse(readFileSync(json, 'utf8'))));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const run: BenchRun = {
  date: new Date().toISOString(),
  command: `pnpm bench${argv.length > 0 ? ` ${argv.filter((a, i) => a !== '--out' && argv[i - 1] !== '--out').join(' ')}` : ''}`,
  machine: machine(),
  suites: measured,
  missing,
  seconds: (performance.now() - started) / 1000,
};

const base = outDir ?? root;
const resultsDir = join(base, 'bench', 'results');
const imagesDir = join(base, 'docs', 'images', 'bench');
const doc = join(base, 'docs', 'benchmarks.md');
mkdirSync(resultsDir, { recursive: true });
mkdirSync(imagesDir, { recursive: true });
if (outDir !== undefined && !existsSync(doc)) copyFileSync(join(root, 'docs', 'benchmarks.md'), doc);
const resultsFile = join(resultsDir, `bench-${run.date.slice(0, 10)}${quick ? '-quick' : ''}.json`);
writeFileSync(resultsFile, `${JSON.stringify(run, null, 2)}\n`);
const drawn = charts(run);
for (const [file, svg] of drawn) writeFileSync(join(imagesDir, file), svg);
writeFileSync(doc, replaceSection(readFileSync(doc, 'utf8'), figuresSection(run, [...drawn.keys()])));

console.log(
  `# pnpm bench${quick ? ' --quick' : ''}: ${Math.round(run.seconds ?? 0)} s (and ${buildSeconds.toFixed(1)} s of tsc -b before)\n`,
);
console.log(table(run));
for (const m of missing) console.log(`\n${m.suite}: no figures (${m.why})`);
console.log(
  `\nWrote ${relative(process.cwd(), resultsFile)}, ${relative(process.cwd(), doc)}, ${drawn.size} chart(s).`,
);
if (missing.some((m) => !m.why.endsWith('is not in this tree'))) process.exitCode = 1;
