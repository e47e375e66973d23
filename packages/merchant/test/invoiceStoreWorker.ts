/**
 * One merchant process of the multi-process tests, run with `node --import tsx`: opens the
 * shared store (STORE=sqlite with STORE_LOCATION a file, or STORE=postgres with
 * `connectionString#schema`), prints `ready`, waits for `go` on stdin, then marks KEYS keys
 * as fast as it can, all at once, and prints its results as JSON.
 */
import { createInterface } from 'node:readline';
import type { InvoiceStore } from '../src/index.js';
import { postgresInvoiceStore } from '../src/stores/postgresInvoiceStore.js';
import { sqliteInvoiceStore } from '../src/stores/sqliteInvoiceStore.js';

const location = process.env.STORE_LOCATION ?? '';
const keys = Number(process.env.KEYS);
let store: InvoiceStore & { close(): Promise<void> };
if (process.env.STORE === 'sqlite') {
  store = sqliteInvoiceStore({ path: location, busyTimeoutMs: 30_000 });
} else {
  const [connectionString, schema] = location.split('#') as [string, string];
  store = await postgresInvoiceStore({ connectionString, schema, poolSize: 4 });
}
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) if (line === 'go') break;
lines.close();
const results = await Promise.all(
  Array.from({ length: keys }, (_, i) => store.markUsed(`race:${i}`, Date.now() + 600_000)),
);
await store.close();
process.stdout.write(`${JSON.stringify(results)}\n`);
