/**
 * One process of the multi-process tests: a bank writer or a hub finalizing channels,
 * against a SQLite file or a PostgreSQL schema shared with other processes. Prints JSON.
 */
import type { TrickleLedger } from '@trickle/ledger';
import { postgresLedger } from '@trickle/ledger/postgres';
import { sqliteLedger } from '@trickle/ledger/sqlite';
import { domain, seededRandom } from '@trickle/testing/fixtures';
import { hubOptions, runAtMs, runHub } from './hubScenario.js';

const env = (name: string) => process.env[name] ?? '';
const worker = Number(env('WORKER_ID'));
const options = { ...hubOptions, domain, clock: () => runAtMs };
const location = env('LEDGER_LOCATION');
let ledger: TrickleLedger;
if (env('LEDGER_ADAPTER') === 'sqlite') {
  ledger = await sqliteLedger({ ...options, filename: location, busyTimeoutMs: 30_000 });
} else {
  const [connectionString, schema] = location.split('#') as [string, string];
  ledger = await postgresLedger({ ...options, connectionString, schema, poolSize: 4 });
}

if (env('WORKER_MODE') === 'bank') {
  const random = seededRandom(worker);
  const submitted: { id: string; from: string; to: string; amount: string; status: string }[] = [];
  for (let op = 0; op < Number(env('WORKER_OPS')); op++) {
    const from = `acct-${random.int(0, 5)}`;
    let to = `acct-${random.int(0, 5)}`;
    while (to === from) to = `acct-${random.int(0, 5)}`;
    const amount = BigInt(1 + random.int(0, 299));
    const id = `p${worker}-${op}`;
    const [result] = await ledger.createTransfers([{ id, debitAccountId: from, creditAccountId: to, amount }]);
    submitted.push({ id, from, to, amount: amount.toString(), status: result?.status ?? 'none' });
  }
  process.stdout.write(JSON.stringify({ submitted }));
} else {
  process.stdout.write(JSON.stringify({ finalized: await runHub(ledger, worker) }));
}
await ledger.close();
