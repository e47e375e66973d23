/**
 * The SQLite writer thread. better-sqlite3 is synchronous: a commit on the event loop
 * blocks it for the fsync (~0.4-1 ms here), during which no socket is read, no frame of
 * another channel decoded or checked. The writer runs commits on its own connection in a
 * worker thread instead, so the event loop keeps working while the disk syncs; the
 * promise of a commit still resolves only once SQLite has committed it (synchronous =
 * FULL: fsync included). See ADR 0206.
 *
 * The thread is started from source (sqlBatch.ts's decoder plus the loop below) so that it
 * needs no build step and no TypeScript loader in the thread.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { packSqlBatch, type SqlBatchResult, type SqlGroup, sqlBatchSource } from './sqlBatch.js';

const writerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
${sqlBatchSource}
let db;
try {
  db = new Database(workerData.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
  db.pragma('wal_autocheckpoint = ' + workerData.checkpointPages);
  db.defaultSafeIntegers(true);
  const statements = workerData.statements.map((sql) => db.prepare(sql));
  const runAll = db.transaction((groups) =>
    runSqlGroups(statements, workerData.claimIndex, workerData.unclaimIndex, groups),
  );
  parentPort.on('message', (message) => {
    if (message.type === 'close') {
      db.close();
      parentPort.postMessage({ type: 'closed' });
      return;
    }
    try {
      const result = runAll.immediate(unpackSqlBatch(message.buffer));
      parentPort.postMessage({ type: 'done', id: message.id, result });
    } catch (error) {
      parentPort.postMessage({ type: 'failed', id: message.id, message: String(error && error.message), code: error && error.code });
    }
  });
  parentPort.postMessage({ type: 'ready' });
} catch (error) {
  parentPort.postMessage({ type: 'failed', id: 0, message: String(error && error.message), code: error && error.code });
}
`;

/** What the writer thread posts back (the thread's source above writes exactly these). */
type WriterReply =
  | { readonly type: 'ready' }
  | { readonly type: 'closed' }
  | { readonly type: 'done'; readonly id: number; readonly result: SqlBatchResult }
  | { readonly type: 'failed'; readonly id: number; readonly message: string; readonly code?: string };

/** Runs transactions on a database file in a worker thread. */
export interface SqliteWriter {
  /** Runs `groups` as one `BEGIN IMMEDIATE` transaction; resolves once committed (durable). */
  run(groups: readonly SqlGroup[]): Promise<SqlBatchResult>;
  /** Closes the thread's connection and ends the thread. */
  close(): Promise<void>;
}

/** Options of {@link startSqliteWriter}. */
export interface SqliteWriterOptions {
  /** The database file (not `:memory:`: the thread has its own connection). */
  readonly path: string;
  /** The SQL of each statement, by index. */
  readonly statements: readonly string[];
  /** Index of the statement that claims an invoice (inserts nothing when it is taken). */
  readonly claimIndex: number;
  /** Index of the statement that gives a claim back (takes the claim's first value). */
  readonly unclaimIndex: number;
  /** How long a write waits for the file's write lock, in ms. */
  readonly busyTimeoutMs: number;
  /** WAL pages a commit leaves before it checkpoints them (SQLite's `wal_autocheckpoint`); default SQLite's 1,000. */
  readonly checkpointPages?: number;
}

interface Waiting {
  readonly resolve: (result: SqlBatchResult) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Starts the writer thread; resolves once its connection is open. A failure in the thread
 * rejects what was waiting, and the next `run` starts a new thread.
 *
 * @example
 * ```ts
 * const writer = await startSqliteWriter({
 *   path: 'x.sqlite',
 *   statements: ['INSERT INTO t VALUES (?)', 'INSERT INTO claims VALUES (?) ON CONFLICT DO NOTHING', 'DELETE FROM claims WHERE k = ?'],
 *   claimIndex: 1,
 *   unclaimIndex: 2,
 *   busyTimeoutMs: 5_000,
 * });
 * const { refused } = await writer.run([{ claims: [['k1']], statements: [{ statement: 0, values: [1] }] }]);
 * ```
 */
export async function startSqliteWriter(options: SqliteWriterOptions): Promise<SqliteWriter> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const waiting = new Map<number, Waiting>();
  let nextId = 1;
  let thread: Promise<Worker> | undefined;
  let closed = false;

  function failAll(error: Error): void {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  }

  function spawn(): Promise<Worker> {
    return new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(writerSource, {
        eval: true,
        workerData: {
          driver,
          path: options.path,
          statements: options.statements,
          claimIndex: options.claimIndex,
          unclaimIndex: options.unclaimIndex,
          busyTimeoutMs: options.busyTimeoutMs,
          checkpointPages: options.checkpointPages ?? 1_000,
        },
      });
      let ready = false;
      worker.on('message', (message: WriterReply) => {
        if (message.type === 'ready') {
          ready = true;
          worker.unref(); // idle: a forgotten store does not hold the process open
          resolve(worker);
          return;
        }
        if (message.type === 'closed') {
          void worker.terminate();
          return;
        }
        if (message.type === 'failed' && !ready) {
          reject(new Error(message.message));
          return;
        }
        const w = waiting.get(message.id);
        if (w === undefined) return;
        waiting.delete(message.id);
        if (waiting.size === 0) worker.unref();
        if (message.type === 'done') w.resolve(message.result);
        else
          w.reject(Object.assign(new Error(message.message), message.code === undefined ? {} : { code: message.code }));
      });
      const lost = (error: Error) => {
        thread = undefined;
        if (!ready) reject(error);
        failAll(error);
      };
      worker.on('error', lost);
      worker.on('exit', (code) => {
        if (!closed) lost(new Error(`the SQLite writer thread exited (${code})`));
      });
    });
  }

  thread = spawn();
  await thread;

  return {
    async run(groups) {
      if (closed) throw new Error('the SQLite writer is closed');
      const buffer = packSqlBatch(groups);
      thread ??= spawn();
      const worker = await thread;
      const id = nextId++;
      return new Promise<SqlBatchResult>((resolve, reject) => {
        if (waiting.size === 0) worker.ref(); // a commit in flight keeps the process alive
        waiting.set(id, { resolve, reject });
        worker.postMessage({ type: 'commit', id, buffer }, [buffer]);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const worker = await thread?.catch(() => undefined);
      if (worker === undefined) return;
      await new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.ref();
        worker.postMessage({ type: 'close' });
      });
      failAll(new Error('the SQLite writer closed'));
    },
  };
}
