/**
 * The P8 cluster suite (bench/cluster/cluster.ts) at its --quick size, as `pnpm bench`
 * runs it: a child process on the local PostgreSQL writing its figures with --json. Checks
 * the figures' shape and the chart drawn from them; never a timing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSuiteFigures } from '../support/figures.js';
import { type BenchRun, charts, machine } from '../support/report.js';

const root = resolve(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'trickle-bench-cluster-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bench/cluster (P8)', () => {
  it('writes payments/s, CPU and transactions per 1,000 payments for 1, 2, 3 processes, the lease check, and a chart', () => {
    const json = join(out, 'cluster.json');
    const stdout = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'bench/cluster/cluster.ts', '--quick', '--json', json],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 },
    );
    expect(stdout).toContain('Reproduce: node --import tsx bench/cluster/cluster.ts --quick');
    const suite = parseSuiteFigures(JSON.parse(readFileSync(json, 'utf8')));
    expect(suite.suite).toBe('cluster');
    const byId = new Map(suite.figures.map((f) => [f.id, f]));
    for (const processes of [1, 2, 3]) {
      const rate = byId.get(`P8.perSecond.${processes}`);
      expect(rate?.unit).toBe('/s');
      expect(rate?.value).toBeGreaterThan(0);
      expect(rate?.baseline?.label).toBe('one ledger transaction per payment');
      expect(byId.get(`P8.cpu.${processes}`)?.unit).toBe('µs');
      const commits = byId.get(`P8.commits.${processes}`);
      expect(commits?.value).toBeGreaterThan(0);
      // The baseline commits once per payment: at least 1,000 per 1,000 (others may add).
      expect(commits?.baseline?.value).toBeGreaterThanOrEqual(1_000);
      expect(commits?.target).toEqual({ op: '<=', value: commits?.baseline?.value });
    }
    expect(byId.get('P8.leaseCheck')?.unit).toBe('µs');
    expect(suite.series?.['P8.throughput']?.map((point) => (point as [number, number])[0])).toEqual([1, 2, 3]);

    const run: BenchRun = {
      date: new Date().toISOString(),
      command: 'pnpm bench --quick --only cluster',
      machine: machine(),
      suites: [suite],
    };
    const svg = charts(run).get('p8-throughput.svg');
    expect(svg).toContain('hub processes');
    expect(svg).toContain('one ledger transaction per payment');
  }, 300_000);
});
