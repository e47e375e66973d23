/**
 * The examples run as their READMEs say, as child processes: the paid API pays per call
 * and closes its channel; the embedded hub serves, takes three paid calls and exits.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function run(args: string[]): string {
  const result = spawnSync('pnpm', args, { cwd: root, encoding: 'utf8', timeout: 120_000 });
  const output = `${result.stdout}\n${result.stderr}`;
  expect(result.status, output).toBe(0);
  return output;
}

describe('examples', () => {
  it('paid-api: calls the API, pays 0.0001 USD per call, closes with the refund', () => {
    const output = run(['--filter', '@trickle/example-paid-api', 'start', '--calls', '200', '--concurrency', '8']);
    expect(output).toMatch(/200 calls at 0\.0001 USD, 8 at a time/);
    expect(output).toMatch(/paid +0\.02024 USD in total/);
    expect(output).toMatch(/batch +3 places for 0\.00024 USD/);
    expect(output).toMatch(/closed +refund 0\.47976 USD/);
  }, 150_000);

  it('embedded-hub: the API and the hub in one process take three paid calls', () => {
    const data = mkdtempSync(join(tmpdir(), 'trickle-embedded-'));
    try {
      const output = run(['--filter', '@trickle/example-embedded-hub', 'start', '--once', '--data', data]);
      expect(output.match(/^ {2}"/gm) ?? []).toHaveLength(3);
      expect(output).toMatch(/paid 0\.0015 USD, refunded 0\.0085 USD/);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 150_000);
});
