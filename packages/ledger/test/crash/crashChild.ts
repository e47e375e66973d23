/**
 * The process that gets killed. It opens the ledger named by the environment, counts the
 * steps of the scenario's operation, and at step LEDGER_KILL_AT sends itself SIGKILL: a
 * real kill, mid-transaction or between commit and reply, never a thrown error. Without a
 * kill it runs the scenario to the end and prints how many steps there were.
 *
 * LEDGER_ADAPTER=sqlite|postgres LEDGER_LOCATION=<file | url#schema> LEDGER_SCENARIO=<name>
 * LEDGER_KILL_AT=<n, 0 for none> node --import tsx crashChild.ts
 */

import { domain } from '@trickle/testing/fixtures';
import type { StepEvent, TrickleLedger } from '../../src/index.js';
import { postgresLedger } from '../../src/postgres.js';
import { sqliteLedger } from '../../src/sqlite.js';
import { runAtMs, scenarioOptions, scenarios } from './scenarios.js';

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const scenario = scenarios[env('LEDGER_SCENARIO')];
if (scenario === undefined) throw new Error('unknown scenario');
const killAt = Number(env('LEDGER_KILL_AT'));
let steps = 0;
const onStep = (event: StepEvent) => {
  if (event.operation !== scenario.operation) return;
  steps++;
  if (steps === killAt) process.kill(process.pid, 'SIGKILL');
};

const options = { ...scenarioOptions, domain, clock: () => runAtMs, onStep };
const location = env('LEDGER_LOCATION');
let ledger: TrickleLedger;
if (env('LEDGER_ADAPTER') === 'sqlite') {
  ledger = await sqliteLedger({ ...options, filename: location });
} else {
  const [connectionString, schema] = location.split('#') as [string, string];
  ledger = await postgresLedger({ ...options, connectionString, schema, poolSize: 2 });
}
await scenario.run(ledger);
await ledger.close();
process.stdout.write(`${JSON.stringify({ completed: true, steps })}\n`);
