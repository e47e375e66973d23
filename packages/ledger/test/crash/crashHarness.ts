/**
 * Crash safety, for real: for each scenario and each step N of its operation, a child
 * process runs the scenario and SIGKILLs itself at step N; then a new ledger instance
 * (a restart) checks that what survived is consistent (conservation and the full audit),
 * retries the scenario with the same ids, and checks the outcome equals the memory twin's
 * uninterrupted run: every settlement applied exactly once, no unit lost or duplicated. A
 * second retry must change nothing. N grows until the child finishes without being killed.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleChild, domain, dropSchema, expectConserved, postgresUrl, uniqueSchema } from '@trickle/testing/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, memoryLedger, type TrickleLedger } from '../../src/index.js';
import { postgresLedger } from '../../src/postgres.js';
import { sqliteLedger } from '../../src/sqlite.js';
import { runAtMs, type Scenario, scenarioOptions, scenarios, setupAtMs } from './scenarios.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..', '..');

/** What a ledger ends up holding, for comparison with the twin. */
async function outcome(ledger: TrickleLedger) {
  const report = await ledger.audit();
  expect(report.mismatches).toEqual([]);
  const accounts = (await ledger.balances()).map((a: Account) => [a.id, a.balance, a.debitsPending, a.creditsPending]);
  return { accounts, transfers: report.transfers, assets: report.assets };
}

function options(atMs: () => number) {
  return { ...scenarioOptions, domain, clock: atMs };
}

/** Runs the child; resolves with how it ended. */
function runChild(
  script: string,
  env: Record<string, string>,
): Promise<{ signal: NodeJS.Signals | null; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      cwd: packageDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A store in its post-setup state, fresh for each kill point. */
interface Fixture {
  /** A fresh copy; returns the location for the child. */
  fresh(scenario: Scenario): Promise<string>;
  open(location: string, atMs: () => number): Promise<TrickleLedger>;
  cleanup(): Promise<void>;
}

function sqliteFixture(dir: string): Fixture {
  const pristine = new Map<string, string>();
  let count = 0;
  return {
    async fresh(scenario) {
      let source = pristine.get(scenario.name);
      if (source === undefined) {
        source = join(dir, `${scenario.name}-pristine.db`);
        const ledger = await sqliteLedger({ ...options(() => setupAtMs), filename: source });
        await scenario.setup(ledger);
        await ledger.close();
        pristine.set(scenario.name, source);
      }
      const target = join(dir, `${scenario.name}-${++count}.db`);
      copyFileSync(source, target);
      return target;
    },
    open: (location, atMs) => sqliteLedger({ ...options(atMs), filename: location }),
    async cleanup() {},
  };
}

function postgresFixture(): Fixture {
  const schemas: string[] = [];
  const open = (location: string, atMs: () => number) => {
    const [connectionString, schema] = location.split('#') as [string, string];
    return postgresLedger({ ...options(atMs), connectionString, schema, poolSize: 2 });
  };
  return {
    async fresh(scenario) {
      const schema = uniqueSchema('ledger_crash');
      schemas.push(schema);
      const location = `${postgresUrl}#${schema}`;
      const ledger = await open(location, () => setupAtMs);
      await scenario.setup(ledger);
      await ledger.close();
      return location;
    },
    open,
    async cleanup() {
      for (const schema of schemas) await dropSchema(schema);
    },
  };
}

/** The crash matrix for one adapter. */
export function crashMatrix(adapter: 'sqlite' | 'postgres'): void {
  describe(`Crash safety on ${adapter}`, () => {
    let dir = '';
    let fixture: Fixture;
    let script = '';
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'trickle-crash-'));
      fixture = adapter === 'sqlite' ? sqliteFixture(dir) : postgresFixture();
      const out = join(packageDir, '.tmp');
      mkdirSync(out, { recursive: true });
      script = join(out, `crashChild-${adapter}-${process.pid}.mjs`);
      // One bundle, so that each of the many child processes starts in a fraction of the tsx time.
      await bundleChild(join(here, 'crashChild.ts'), script);
    });
    afterAll(async () => {
      await fixture?.cleanup();
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
      if (script !== '') rmSync(script, { force: true });
    });

    for (const scenario of Object.values(scenarios)) {
      it(`${scenario.name}: killed at every step, restarted and retried, settles exactly once`, async () => {
        const twin = await memoryLedger(options(() => (ran ? runAtMs : setupAtMs)));
        let ran = false;
        await scenario.setup(twin);
        ran = true;
        await scenario.run(twin);
        const expected = await outcome(twin);

        let killedAt = 0;
        for (let n = 1; ; n++) {
          const location = await fixture.fresh(scenario);
          const child = await runChild(script, {
            LEDGER_ADAPTER: adapter,
            LEDGER_LOCATION: location,
            LEDGER_SCENARIO: scenario.name,
            LEDGER_KILL_AT: String(n),
          });
          const completed = child.code === 0;
          if (!completed) {
            expect(child.signal, child.stderr).toBe('SIGKILL');
            killedAt = n;
          }
          const restarted = await fixture.open(location, () => runAtMs);
          await expectConserved(restarted, { audit: true });
          await scenario.run(restarted);
          expect(await outcome(restarted)).toEqual(expected);
          await scenario.run(restarted);
          expect(await outcome(restarted)).toEqual(expected);
          await restarted.close();
          if (completed) {
            expect(JSON.parse(child.stdout).steps).toBe(n - 1);
            break;
          }
        }
        expect(killedAt).toBeGreaterThanOrEqual(5);
        console.info(
          `crash ${adapter}/${scenario.name}: killed at each of ${killedAt} steps, all settled exactly once`,
        );
      }, 240_000);
    }
  });
}
