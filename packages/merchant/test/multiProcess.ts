/** Test helper: several real merchant processes racing to redeem the same invoices. */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MarkUsedResult } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Starts `processes` workers on one store, lets them all open it, then releases them at once;
 * each marks the keys `race:0` .. `race:${keys - 1}`. Resolves with each worker's results.
 */
export async function raceProcesses(
  store: 'sqlite' | 'postgres',
  location: string,
  processes: number,
  keys: number,
): Promise<MarkUsedResult[][]> {
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, ['--import', 'tsx', join(here, 'invoiceStoreWorker.ts')], {
      cwd: join(here, '..'),
      env: { ...process.env, STORE: store, STORE_LOCATION: location, KEYS: String(keys) },
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const outputs = children.map(
    (child) =>
      new Promise<{ ready: Promise<void>; done: Promise<MarkUsedResult[]> }>((resolveSetup) => {
        let out = '';
        let err = '';
        let markReady: () => void = () => undefined;
        const ready = new Promise<void>((resolve) => {
          markReady = resolve;
        });
        const done = new Promise<MarkUsedResult[]>((resolve, reject) => {
          child.stdout.on('data', (chunk) => {
            out += chunk;
            if (out.startsWith('ready\n')) markReady();
          });
          child.stderr.on('data', (chunk) => {
            err += chunk;
          });
          child.on('exit', (code) => {
            if (code !== 0) reject(new Error(`worker exited ${code}: ${err}`));
            else resolve(JSON.parse(out.slice('ready\n'.length)) as MarkUsedResult[]);
          });
        });
        resolveSetup({ ready, done });
      }),
  );
  const workers = await Promise.all(outputs);
  // A worker that dies before it is ready fails the race instead of hanging it.
  await Promise.race([Promise.all(workers.map((w) => w.ready)), Promise.all(workers.map((w) => w.done))]);
  for (const child of children) child.stdin.end('go\n');
  return Promise.all(workers.map((w) => w.done));
}
