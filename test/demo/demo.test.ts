/**
 * `pnpm demo --once`, the README's main command, run as a user runs it: a child process on
 * a fresh data folder. It must exit 0 after the scripted reader bought three articles,
 * read one again for free, closed its channel and the ledger audit passed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('pnpm demo --once', () => {
  it('buys three articles, reads one again for free, settles and audits, then exits 0', () => {
    const data = mkdtempSync(join(tmpdir(), 'trickle-demo-'));
    try {
      const run = spawnSync('pnpm', ['demo', '--once', '--data', data], {
        cwd: root,
        encoding: 'utf8',
        timeout: 120_000,
      });
      const output = `${run.stdout}\n${run.stderr}`;
      expect(run.status, output).toBe(0);
      expect(output.match(/^ {2}\S.* 0\.\d+ USD .* ms .*receipt for invoice/gm) ?? [], output).toHaveLength(3);
      expect(output).toMatch(/^ {2}Why the tide comes in twice a day +nothing .*entitlement/m);
      expect(output).toMatch(/closed +paid 0\.0065 USD, refunded 0\.0935 USD/);
      expect(output).toMatch(/audit +ok: 0 mismatches/);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 150_000);
});
