/**
 * The three adapters behind one test interface: a fresh ledger per call (a new temp file,
 * a new PostgreSQL schema with a random name, dropped in `cleanup`), a way to reopen the
 * same store (a restart), and direct tampering with stored rows for the audit tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, postgresQuery, postgresUrl, uniqueSchema } from '@trickle/testing/harness';
import Database from 'better-sqlite3';
import {
  type ChannelLedgerOptions,
  type MemoryLedgerOptions,
  memoryLedger,
  type StepHook,
  type TrickleLedger,
} from '../../src/index.js';
import type { MemoryStore } from '../../src/memory/memoryStore.js';
import { postgresLedger } from '../../src/postgres.js';
import { sqliteLedger } from '../../src/sqlite.js';

/** Options a test passes when it opens a ledger. */
export type OpenOptions = ChannelLedgerOptions & { readonly onStep?: StepHook };

/** Direct edits of stored rows, behind the ledger's back. */
export interface Tamper {
  /** Adds `delta` to a stored transfer's amount. */
  transferAmount(id: string, delta: bigint): Promise<void>;
  /** Sets the amount of a channel's entry at `position`. */
  entryAmount(channelHex: string, position: number, amount: bigint): Promise<void>;
  /** Flips a bit of a stored voucher's signature. */
  signature(channelHex: string, seq: number): Promise<void>;
}

/** One open store. */
export interface TestStore {
  readonly ledger: TrickleLedger;
  /** A new ledger instance on the same store (a process restart). Memory: the same one. */
  reopen(options?: Partial<OpenOptions>): Promise<TrickleLedger>;
  readonly tamper: Tamper;
  /** Where the store lives, for a child process: a file path or `url#schema`. */
  readonly location: string;
}

/** An adapter under test. */
export interface Adapter {
  readonly name: 'memory' | 'sqlite' | 'postgres';
  open(options: OpenOptions): Promise<TestStore>;
  cleanup(): Promise<void>;
}

function flipBit(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes);
  out[10] = (out[10] as number) ^ 1;
  return out;
}

/** The memory twin. */
export function memoryAdapter(): Adapter {
  return {
    name: 'memory',
    async open(options) {
      const ledger = await memoryLedger(options as MemoryLedgerOptions);
      const store: MemoryStore = ledger.store;
      return {
        ledger,
        location: 'memory',
        reopen: async () => ledger,
        tamper: {
          async transferAmount(id, delta) {
            const row = store.transfers.get(id);
            if (row === undefined) throw new Error(`no transfer ${id}`);
            store.transfers.set(id, { ...row, amount: row.amount + delta });
          },
          async entryAmount(channelHex, position, amount) {
            const entries = store.entries.get(channelHex) ?? [];
            store.entries.set(
              channelHex,
              entries.map((e) => (e.position === position ? { ...e, amount } : e)),
            );
          },
          async signature(channelHex, seq) {
            const states = store.states.get(channelHex) ?? [];
            store.states.set(
              channelHex,
              states.map((s) => (s.seq === seq ? { ...s, signature: flipBit(s.signature) } : s)),
            );
          },
        },
      };
    },
    async cleanup() {},
  };
}

/** SQLite in temp files. */
export function sqliteAdapter(): Adapter {
  // Made on first use, so a suite filtered out (its afterAll never runs) leaves nothing behind.
  let dir: string | undefined;
  let count = 0;
  return {
    name: 'sqlite',
    async open(options) {
      dir ??= mkdtempSync(join(tmpdir(), 'trickle-ledger-'));
      const filename = join(dir, `ledger-${++count}.db`);
      const ledger = await sqliteLedger({ ...options, filename });
      const edit = (sql: string, ...params: unknown[]) => {
        const db = new Database(filename, { timeout: 5_000 });
        db.defaultSafeIntegers(true);
        try {
          db.prepare(sql).run(...(params as never[]));
        } finally {
          db.close();
        }
      };
      return {
        ledger,
        location: filename,
        reopen: (more = {}) => sqliteLedger({ ...options, ...more, filename }),
        tamper: {
          async transferAmount(id, delta) {
            edit('UPDATE transfers SET amount = amount + ? WHERE id = ?', delta, id);
          },
          async entryAmount(channelHex, position, amount) {
            edit(
              'UPDATE channel_entries SET amount = ? WHERE channel_id = ? AND position = ?',
              amount,
              channelHex,
              position,
            );
          },
          async signature(channelHex, seq) {
            const db = new Database(filename);
            try {
              const row = db
                .prepare('SELECT signature FROM channel_states WHERE channel_id = ? AND seq = ?')
                .get(channelHex, seq) as {
                signature: Buffer;
              };
              db.prepare('UPDATE channel_states SET signature = ? WHERE channel_id = ? AND seq = ?').run(
                Buffer.from(flipBit(row.signature)),
                channelHex,
                seq,
              );
            } finally {
              db.close();
            }
          },
        },
      };
    },
    async cleanup() {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL, one fresh schema per ledger, all dropped in `cleanup`. */
export function postgresAdapter(): Adapter {
  const schemas: string[] = [];
  const ledgers: TrickleLedger[] = [];
  return {
    name: 'postgres',
    async open(options) {
      const schema = uniqueSchema('ledger_test');
      schemas.push(schema);
      const open = async (more: Partial<OpenOptions> = {}) => {
        const ledger = await postgresLedger({
          ...options,
          ...more,
          connectionString: postgresUrl,
          schema,
          poolSize: 8,
        });
        ledgers.push(ledger);
        return ledger;
      };
      const ledger = await open();
      return {
        ledger,
        location: `${postgresUrl}#${schema}`,
        reopen: open,
        tamper: {
          async transferAmount(id, delta) {
            await postgresQuery(`UPDATE ${schema}.transfers SET amount = amount + $1 WHERE id = $2`, [
              delta.toString(),
              id,
            ]);
          },
          async entryAmount(channelHex, position, amount) {
            await postgresQuery(
              `UPDATE ${schema}.channel_entries SET amount = $1 WHERE channel_id = $2 AND position = $3`,
              [amount.toString(), channelHex, position],
            );
          },
          async signature(channelHex, seq) {
            await postgresQuery(
              `UPDATE ${schema}.channel_states SET signature = overlay(signature placing
                 set_byte(substring(signature from 11 for 1), 0, get_byte(signature, 10) # 1) from 11 for 1)
               WHERE channel_id = $1 AND seq = $2`,
              [channelHex, seq],
            );
          },
        },
      };
    },
    async cleanup() {
      await Promise.all(ledgers.map((l) => l.close().catch(() => undefined)));
      for (const schema of schemas) await dropSchema(schema);
    },
  };
}

/** All three adapters, for a matrix. */
export function allAdapters(): Adapter[] {
  return [memoryAdapter(), sqliteAdapter(), postgresAdapter()];
}
