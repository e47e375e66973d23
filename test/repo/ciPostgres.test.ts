/**
 * `.ci/postgres`, the step of `.ci/run` that makes PostgreSQL ready: run twice on this
 * machine, it creates a database that is missing once, then leaves it as it is. (On a
 * machine without PostgreSQL it also installs the Debian packages first; that branch runs
 * only on such a machine.)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { postgresQuery, uniqueSchema } from '@trickle/testing/harness';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const database = uniqueSchema('ci_check');

function ciPostgres(): string {
  const run = spawnSync('bash', [join(root, '.ci', 'postgres'), database], { encoding: 'utf8', timeout: 120_000 });
  const output = `${run.stdout}\n${run.stderr}`;
  expect(run.status, output).toBe(0);
  return output;
}

describe('.ci/postgres', () => {
  afterAll(async () => {
    await postgresQuery(`DROP DATABASE IF EXISTS ${database}`);
  });

  it('creates a missing database once, and is a no-op the second time', async () => {
    expect(ciPostgres()).toContain(`created database ${database}`);
    const { rows } = await postgresQuery('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    expect(rows).toHaveLength(1);
    const again = ciPostgres();
    expect(again).not.toContain('created database');
    expect(again).toContain('accepting connections');
  }, 150_000);
});
