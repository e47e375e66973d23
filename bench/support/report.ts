/**
 * What `pnpm bench` (bench/run.ts) makes of the suites' figures: the table, the figures section of
 * docs/benchmarks.md and the charts. Pure functions, so the test can check them on real suite output.
 *
 * @example
 * ```ts
 * const run = { date: new Date().toISOString(), command: 'pnpm bench --quick', machine: machine(), suites: [] };
 * console.log(table(run));
 * ```
 */
import { cpus, totalmem } from 'node:os';
import { type Figure, met, type SuiteFigures } from './figures.js';
import { lineChart, percentilePoints } from './svg.js';

/** The machine a run was on. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly ramGiB: number;
  readonly node: string;
}

/** One `pnpm bench` run, as written to bench/results/bench-<date>.json. */
export interface BenchRun {
  readonly date: string;
  readonly command: string;
  readonly machine: Machine;
  readonly suites: readonly SuiteFigures[];
  /** Suites that did not produce figures, and why. */
  readonly missing?: readonly { readonly suite: string; readonly why: string }[];
  readonly seconds?: number;
}

/** This machine. */
export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
}

/** The targets of docs/benchmarks.md that a run may not measure, shown as "not measured" when absent. */
export const expectedTargets: readonly { readonly id: string; readonly what: string }[] = [
  { id: 'P1', what: 'one channel, one payment at a time: p50 <= 1 ms, p99 <= 4 ms' },
  { id: 'P2', what: 'one channel pipelined: >= 100,000 payments/s' },
  { id: 'P3', what: '1,000 channels: >= 6,000 payments/s' },
  { id: 'P5', what: 'hub memory per known channel at 1,000,000: <= 250 bytes' },
  { id: 'P6', what: '10,000 connected wallets: RSS <= 1 GB, p99 within 2x idle' },
  { id: 'P7', what: 'finalizations: >= 5,000/s SQLite, >= 2,000/s PostgreSQL' },
  { id: 'P8', what: 'cluster: payments/s with 1, 2, 3 processes; ledger transactions per 1,000 payments' },
  { id: 'P9', what: 'paid HTTP call end to end: p50/p99, 16 in flight >= 4x sequential' },
  { id: 'P10', what: 'close of a long channel and of 50,000 unclaimed entries: <= 5 s, memory bounded by a page' },
  { id: 'P11', what: 'payment p99 with the settlement scheduler on vs paused: does not move' },
];

function number(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function withUnit(value: number, unit: string): string {
  return `${number(value)} ${unit}`;
}

function verdict(figure: Figure): string {
  const ok = met(figure);
  return ok === undefined ? '' : ok ? 'met' : 'missed';
}

/** The run as a Markdown table: target, figure, baseline, met/missed; unmeasured targets last. */
export function table(run: BenchRun): string {
  const rows = ['| id | figure | value | target | baseline (same run) | |', '| --- | --- | --- | --- | --- | --- |'];
  const seen = new Set<string>();
  for (const suite of run.suites) {
    for (const f of suite.figures) {
      seen.add(f.id.split('.')[0] as string);
      rows.push(
        `| ${f.id} | ${f.label} | ${withUnit(f.value, f.unit)} | ${f.target === undefined ? '' : `${f.target.op} ${withUnit(f.target.value, f.unit)}`} | ${f.baseline === undefined ? '' : `${withUnit(f.baseline.value, f.unit)} (${f.baseline.label})`} | ${verdict(f)} |`,
      );
    }
  }
  for (const t of expectedTargets) if (!seen.has(t.id)) rows.push(`| ${t.id} | ${t.what} | not measured | | | |`);
  return rows.join('\n');
}

/** Charts to draw from a run: file name (in docs/images/bench/) to SVG text. */
export function charts(run: BenchRun): Map<string, string> {
  const files = new Map<string, string>();
  const series = Object.assign({}, ...run.suites.map((s) => s.series ?? {})) as NonNullable<SuiteFigures['series']>;
  const distribution = (name: string, title: string, target?: { name: string; y: number }[]) => {
    const values = series[name];
    if (values === undefined || values.length === 0 || Array.isArray(values[0])) return;
    files.set(
      `${name.split('.')[0]?.toLowerCase()}-latency.svg`,
      lineChart({
        title,
        xLabel: 'percentile of payments',
        yLabel: 'latency (ms)',
        lines: [{ name: 'this tree', points: percentilePoints(values as number[]) }],
        ...(target === undefined ? {} : { marks: target }),
      }),
    );
  };
  distribution('P1.latencyMs', 'P1: one payment at a time, pay() latency', [
    { name: 'p99 target 4 ms', y: 4 },
    { name: 'p50 target 1 ms', y: 1 },
  ]);
  distribution('P3.latencyMs', 'P3: 1,000 channels, one in flight each, latency');
  const load = series['P3.throughputByChannels'];
  if (load !== undefined && load.length > 0 && Array.isArray(load[0])) {
    files.set(
      'p3-throughput.svg',
      lineChart({
        title: 'Throughput against load (channels, one payment in flight each)',
        xLabel: 'channels (payments in flight)',
        yLabel: 'payments/s',
        lines: [{ name: 'hub, pre-signed load', points: load as [number, number][] }],
        marks: [{ name: 'P3 target 6,000/s', y: 6_000 }],
      }),
    );
  }
  const cluster = series['P8.throughput'];
  const ledgerRate = run.suites.flatMap((s) => s.figures).find((f) => f.id === 'P8.perSecond.1')?.baseline?.value;
  if (cluster !== undefined && cluster.length > 0 && Array.isArray(cluster[0])) {
    files.set(
      'p8-throughput.svg',
      lineChart({
        title: 'P8: hub cluster on one PostgreSQL, throughput against processes',
        xLabel: 'hub processes',
        yLabel: 'payments/s',
        lines: [{ name: 'cluster, pre-signed load', points: cluster as [number, number][] }],
        ...(ledgerRate === undefined ? {} : { marks: [{ name: 'one ledger transaction per payment', y: ledgerRate }] }),
      }),
    );
  }
  return files;
}

export const startMarker =
  '<!-- bench:figures:start (generated by `pnpm bench`; edits between the markers are lost) -->';
export const endMarker = '<!-- bench:figures:end -->';

/** The generated figures section: machine, command, table and charts. */
export function figuresSection(run: BenchRun, chartFiles: readonly string[], imageDir = 'images/bench'): string {
  const m = run.machine;
  const lines = [
    startMarker,
    '',
    `Run of ${run.date.slice(0, 16).replace('T', ' ')} UTC${run.seconds === undefined ? '' : `, ${Math.round(run.seconds)} s`}.`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Node ${m.node}.`,
    '',
    `Command: \`${run.command}\``,
    '',
    table(run),
  ];
  for (const missing of run.missing ?? []) lines.push('', `${missing.suite}: no figures (${missing.why}).`);
  if (chartFiles.length > 0) {
    lines.push('');
    for (const file of chartFiles) lines.push(`![${file.replace('.svg', '')}](${imageDir}/${file})`, '');
  }
  lines.push('', endMarker);
  return lines.join('\n');
}

/** `doc` with its figures section replaced by `section` (appended under "## Figures" if it has none). */
export function replaceSection(doc: string, section: string): string {
  const start = doc.indexOf(startMarker);
  const end = doc.indexOf(endMarker);
  if (start !== -1 && end > start) return doc.slice(0, start) + section + doc.slice(end + endMarker.length);
  return `${doc.trimEnd()}\n\n## Figures of the last \`pnpm bench\` run\n\n${section}\n`;
}
