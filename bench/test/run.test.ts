import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { met, parseSuiteFigures } from '../support/figures.js';
import {
  type BenchRun,
  charts,
  endMarker,
  figuresSection,
  machine,
  replaceSection,
  startMarker,
} from '../support/report.js';
import { escapeXml, lineChart, tickStep } from '../support/svg.js';

const root = resolve(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'trickle-bench-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('pnpm bench', () => {
  it('runs a suite as a child process and writes the JSON, the doc section and nothing in the repository', () => {
    const stdout = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--only', 'finalize', '--out', out],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 180_000 },
    );
    const results = readdirSync(join(out, 'bench', 'results'));
    expect(results).toHaveLength(1);
    const run = JSON.parse(readFileSync(join(out, 'bench', 'results', results[0] as string), 'utf8')) as BenchRun;
    expect(run.command).toBe('pnpm bench --quick --only finalize');
    expect(run.machine.cores).toBeGreaterThan(0);
    expect(run.suites.map((s) => s.suite)).toEqual(['finalize']);
    const suite = parseSuiteFigures(run.suites[0]);
    const sqlite = suite.figures.find((f) => f.id === 'P7.sqlite');
    expect(sqlite?.unit).toBe('channels/s');
    expect(sqlite?.value).toBeGreaterThan(0);
    expect(sqlite?.target).toEqual({ op: '>=', value: 5_000 });
    expect(sqlite?.baseline?.value).toBeGreaterThan(0);

    const doc = readFileSync(join(out, 'docs', 'benchmarks.md'), 'utf8');
    const section = doc.slice(doc.indexOf(startMarker), doc.indexOf(endMarker));
    expect(section).toContain('| P7.sqlite |');
    expect(section).toContain('| P5 |');
    expect(section).toContain('not measured');
    expect(section).toContain('Command: `pnpm bench --quick --only finalize`');
    expect(section).toContain(`${run.machine.cores} cores`);
    expect(doc.indexOf(startMarker)).toBe(doc.lastIndexOf(startMarker));
    expect(stdout).toContain('| P7.sqlite |');
  }, 200_000);
});

describe('P5 suite', () => {
  it('loads a hub with channels put straight into its store and writes memory per channel', () => {
    const json = join(out, 'p5.json');
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/memory/channels.ts',
        '--channels',
        '500',
        '--cached',
        '100',
        '--touch',
        '200',
        '--json',
        json,
      ],
      {
        cwd: root,
        stdio: 'ignore',
        timeout: 90_000,
      },
    );
    const suite = parseSuiteFigures(JSON.parse(readFileSync(json, 'utf8')));
    expect(suite.suite).toBe('channels');
    expect(suite.figures.map((f) => f.id)).toEqual([
      'P5.rssPerChannel',
      'P5.heapPerChannel',
      'P5.rssPerChannelAtStart',
      'P5.start',
    ]);
    expect(suite.figures[0]?.target).toEqual({ op: '<=', value: 250 });
    expect(suite.figures[1]?.label).toContain('500 channels, 200 touched'); // after traffic past the cache (ADR 0419)
  }, 100_000);
});

describe('figures and charts', () => {
  it('rejects a figure without a finite value, and reads met/missed from the target', () => {
    expect(() => parseSuiteFigures({ suite: 'x', figures: [{ id: 'P1.p50', label: 'l', unit: 'ms' }] })).toThrow(
      /finite/,
    );
    expect(() => parseSuiteFigures({ suite: 'x' })).toThrow(/figures/);
    const figure = { id: 'P1.p50', label: 'l', unit: 'ms', value: 2, target: { op: '<=' as const, value: 1 } };
    expect(met(figure)).toBe(false);
    expect(met({ ...figure, value: 1 })).toBe(true);
    expect(met({ ...figure, target: { op: '>=', value: 1 } })).toBe(true);
  });

  it('draws the latency distribution and throughput charts from the series, and replaces only the section', () => {
    const run: BenchRun = {
      date: '2026-12-04T20:00:00.000Z',
      command: 'pnpm bench',
      machine: machine(),
      suites: [
        {
          suite: 'hotpath',
          figures: [],
          series: {
            'P1.latencyMs': [0.5, 0.9, 1.2, 6],
            'P3.throughputByChannels': [
              [10, 1_000],
              [200, 2_000],
            ],
          },
        },
      ],
    };
    const drawn = charts(run);
    expect([...drawn.keys()].sort()).toEqual(['p1-latency.svg', 'p3-throughput.svg']);
    expect(drawn.get('p1-latency.svg')).toMatch(/^<svg.*<title>P1.*<polyline.*<\/svg>\n$/s);
    const doc = `# T\n\nbefore\n\n${startMarker}\nold\n${endMarker}\n\nafter\n`;
    const next = replaceSection(doc, figuresSection(run, [...drawn.keys()]));
    expect(next).toContain('before');
    expect(next).toContain('after');
    expect(next).not.toContain('old');
    expect(next).toContain('![p1-latency](images/bench/p1-latency.svg)');
    expect(replaceSection(next, figuresSection(run, []))).not.toContain('p1-latency');
  });

  it('picks round ticks and escapes text', () => {
    expect(tickStep(10)).toBe(2);
    expect(tickStep(6_900)).toBe(1_000);
    expect(escapeXml('a<b & "c"')).toBe('a&#60;b &#38; &#34;c&#34;');
    expect(() => lineChart({ title: 't', xLabel: 'x', yLabel: 'y', lines: [] })).toThrow(/no points/);
  });

  it('keeps the generated charts of the repository next to the doc that shows them', () => {
    const doc = readFileSync(join(root, 'docs', 'benchmarks.md'), 'utf8');
    for (const [, file] of doc.matchAll(/\]\((images\/bench\/[^)]+)\)/g))
      expect(existsSync(join(root, 'docs', file as string)), file).toBe(true);
  });
});
