/**
 * The contract between each benchmark suite and `pnpm bench` (bench/run.ts).
 *
 * A suite run with `--json <file>` writes one {@link SuiteFigures} there, and still prints its own
 * table and reproduce command when run alone. `bench/run.ts` reads the file after the suite's
 * process exits and puts every figure next to its target and baseline.
 *
 * @example
 * ```ts
 * const out = figuresFile(process.argv.slice(2));
 * out.add({ id: 'P1.p50', label: 'P1 pay() p50', value: 0.9, unit: 'ms', target: { op: '<=', value: 1 } });
 * out.write('hotpath');
 * ```
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A target a figure must meet: `value op target.value`. */
export interface Target {
  readonly op: '<=' | '>=';
  readonly value: number;
}

/** One measured figure, with its target and the baseline measured in the same run. */
export interface Figure {
  /** Stable id, `P<n>.<what>` for the targets of docs/benchmarks.md, e.g. `P1.p50`. */
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: Target;
  readonly baseline?: { readonly label: string; readonly value: number };
}

/** A series a chart can draw: values (a distribution) or [x, y] points. */
export type Series = number[] | [number, number][];

/** What a suite writes with `--json <file>`. */
export interface SuiteFigures {
  readonly suite: string;
  readonly figures: Figure[];
  readonly series?: Record<string, Series>;
}

/** Whether `figure` meets its target; undefined when it has none. */
export function met(figure: Figure): boolean | undefined {
  if (figure.target === undefined) return undefined;
  return figure.target.op === '<=' ? figure.value <= figure.target.value : figure.value >= figure.target.value;
}

/** Checks that `value` has the shape of {@link SuiteFigures}; throws a clear error if not. */
export function parseSuiteFigures(value: unknown): SuiteFigures {
  const fail = (why: string): never => {
    throw new Error(`suite figures: ${why}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const v = value as Record<string, unknown>;
  if (typeof v.suite !== 'string') fail('suite is not a string');
  if (!Array.isArray(v.figures)) return fail('figures is not an array');
  for (const f of v.figures as Record<string, unknown>[]) {
    if (typeof f?.id !== 'string' || typeof f.label !== 'string' || typeof f.unit !== 'string')
      fail(`figure ${JSON.stringify(f)} lacks id, label or unit`);
    if (typeof f.value !== 'number' || !Number.isFinite(f.value)) fail(`figure ${f.id}: value is not a finite number`);
    const t = f.target as Record<string, unknown> | undefined;
    if (t !== undefined && ((t.op !== '<=' && t.op !== '>=') || typeof t.value !== 'number'))
      fail(`figure ${f.id}: bad target`);
    const b = f.baseline as Record<string, unknown> | undefined;
    if (b !== undefined && (typeof b.label !== 'string' || typeof b.value !== 'number'))
      fail(`figure ${f.id}: bad baseline`);
  }
  if (v.series !== undefined) {
    if (typeof v.series !== 'object' || v.series === null) fail('series is not an object');
    for (const [name, s] of Object.entries(v.series as Record<string, unknown>))
      if (!Array.isArray(s)) fail(`series ${name} is not an array`);
  }
  return value as SuiteFigures;
}

/** Collects a suite's figures and writes them where `--json <file>` says (nothing without it). */
export function figuresFile(argv: readonly string[]) {
  const at = argv.indexOf('--json');
  const path = at === -1 ? undefined : argv[at + 1];
  if (at !== -1 && (path === undefined || path.startsWith('--'))) throw new Error('--json needs a file');
  const figures: Figure[] = [];
  const series: Record<string, Series> = {};
  return {
    /** The file, or undefined when the suite runs alone without --json. */
    path,
    add(...more: Figure[]): void {
      figures.push(...more);
    },
    series(name: string, values: Series): void {
      series[name] = values;
    },
    write(suite: string): void {
      if (path === undefined) return;
      const out: SuiteFigures = { suite, figures, ...(Object.keys(series).length > 0 ? { series } : {}) };
      const file = resolve(path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    },
  };
}

/** At most `count` evenly spaced values of a sorted array, for a chart (keeps the first and last). */
export function sample(sorted: readonly number[], count = 200): number[] {
  if (sorted.length <= count) return [...sorted];
  return Array.from({ length: count }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (count - 1))] as number);
}

/**
 * The positive integer after `name` in `argv` (e.g. `--payments 1000`), or `fallback`.
 *
 * @example
 * ```ts
 * const payments = numberArg(process.argv.slice(2), '--payments', 10_000);
 * ```
 */
export function numberArg(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name}: a positive integer`);
  return value;
}
