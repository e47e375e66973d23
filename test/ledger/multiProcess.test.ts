/**
 * The ledger shared by several processes, as in production: writers on one SQLite file
 * (each its own connection, BEGIN IMMEDIATE serializing them) while this process reads,
 * and several hubs on one PostgreSQL finalizing and closing the same channels at once.
 * Every read is consistent; every channel is finalized exactly once, by exactly one hub.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryLedger } from '@trickle/ledger';
import { postgresLedger } from '@trickle/ledger/postgres';
import { sqliteLedger } from '@trickle/ledger/sqlite';
import {
  bundleChild,
  domain,
  dropSchema,
  expectConserved,
  postgresUrl,
  uniqueSchema,
  usd,
} from '@trickle/testing/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelCount, hubChannels, hubOptions, runAtMs, runHub, setUpHub, setupAtMs } from './hubScenario.js';

const here = dirname(fileURLToPath(import.meta.url));
const bundleDir = join(here, '..', '..', 'packages', 'ledger', '.tmp');
let script = '';
let dir = '';
const schemas: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trickle-multi-'));
  mkdirSync(bundleDir, { recursive: true });
  script = join(bundleDir, `ledgerWorker-${process.pid}.mjs`);
  await bundleChild(join(here, 'worker.ts'), script);
});
afterAll(async () => {
  rmSync(script, { force: true });
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  for (const schema of schemas) await dropSchema(schema);
});

function worker(env: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker failed: ${err}`))));
  });
}

describe('one SQLite file, several writer processes', () => {
  it('every read in this process sums to the total while three processes transfer', async () => {
    const filename = join(dir, 'bank.db');
    const ledger = await sqliteLedger({ domain, feePpm: 0, filename });
    const ids = Array.from({ length: 6 }, (_, i) => `acct-${i}`);
    await ledger.createAccounts([
      { id: 'world', asset: usd, kind: 'external', allowNegative: true },
      ...ids.map((id) => ({ id, asset: usd, kind: 'payer' as const })),
    ]);
    await ledger.createTransfers(
      ids.map((id) => ({ id: `seed-${id}`, debitAccountId: 'world', creditAccountId: id, amount: 1_000n })),
    );
    const env = { LEDGER_ADAPTER: 'sqlite', LEDGER_LOCATION: filename, WORKER_MODE: 'bank', WORKER_OPS: '150' };
    let running = true;
    const workers = Promise.all([1, 2, 3].map((w) => worker({ ...env, WORKER_ID: String(w) }))).finally(() => {
      running = false;
    });
    let reads = 0;
    while (running) {
      const accounts = (await ledger.balances({ asset: usd })).filter((a) => a.kind === 'payer');
      expect(accounts.reduce((sum, a) => sum + a.balance, 0n)).toBe(6_000n);
      for (const a of accounts) expect(a.balance).toBeGreaterThanOrEqual(0n);
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const outputs = (await workers) as { submitted: { from: string; to: string; amount: string; status: string }[] }[];
    const expected = new Map(ids.map((id) => [id, 1_000n]));
    for (const { submitted } of outputs) {
      for (const t of submitted.filter((s) => s.status === 'created')) {
        expected.set(t.from, (expected.get(t.from) as bigint) - BigInt(t.amount));
        expected.set(t.to, (expected.get(t.to) as bigint) + BigInt(t.amount));
      }
    }
    expect(new Map((await ledger.lookupAccounts(ids)).map((a) => [a.id, a.balance]))).toEqual(expected);
    expect(reads).toBeGreaterThan(1);
    await expectConserved(ledger, { audit: true });
    await ledger.close();
  }, 120_000);
});

describe('one PostgreSQL, several hub processes', () => {
  it('three hubs finalizing and closing the same channels settle each exactly once', async () => {
    const schema = uniqueSchema('ledger_hubs');
    schemas.push(schema);
    const setup = await postgresLedger({
      ...hubOptions,
      domain,
      clock: () => setupAtMs,
      connectionString: postgresUrl,
      schema,
    });
    await setUpHub(setup);
    await setup.close();
    const env = { LEDGER_ADAPTER: 'postgres', LEDGER_LOCATION: `${postgresUrl}#${schema}`, WORKER_MODE: 'hub' };
    const outputs = (await Promise.all([1, 2, 3].map((w) => worker({ ...env, WORKER_ID: String(w) })))) as {
      finalized: string[];
    }[];
    const byFinalizeDue = outputs.flatMap((o) => o.finalized);
    expect(new Set(byFinalizeDue).size).toBe(byFinalizeDue.length);

    const ledger = await postgresLedger({
      ...hubOptions,
      domain,
      clock: () => runAtMs,
      connectionString: postgresUrl,
      schema,
    });
    let now = setupAtMs;
    const twin = await memoryLedger({ ...hubOptions, domain, clock: () => now });
    await setUpHub(twin);
    now = runAtMs;
    await runHub(twin, 0);
    const snapshot = async (l: typeof ledger) => (await l.balances()).map((a) => [a.id, a.balance]);
    expect(await snapshot(ledger)).toEqual(await snapshot(twin));
    const report = await ledger.audit();
    expect(report.mismatches).toEqual([]);
    expect(report.channels).toBe(channelCount);
    for (const c of hubChannels()) expect((await ledger.channel(c.channelId))?.finalizedAtMs).toBe(runAtMs);
    expect(await ledger.finalizeDue()).toEqual([]);
    await ledger.close();
  }, 120_000);
});
