/**
 * A wallet store in one file (Node): an append-only journal of JSON lines, each change
 * appended and fsynced before `write` resolves, compacted into a fresh file (write to a
 * temporary file, fsync, rename, fsync the folder) once it grows past a bound. A torn
 * last line from a crash mid-append is ignored: its write never resolved, so nothing it
 * held was sent.
 */
import { mkdir, open, readFile, rename, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WalletError } from '../errors.js';
import {
  applyChange,
  type HistoryRecord,
  historyRecordsMax,
  type PendingVoucherRecord,
  type WalletChange,
  type WalletRecord,
  type WalletStore,
} from './walletStore.js';

/** Journal size after which the file is compacted, in bytes. */
export const journalBytesMax = 4 * 1024 * 1024;

/** Options of {@link fileStore}. */
export interface FileStoreOptions {
  /** The journal file (created with its folder if missing, mode 0600). */
  readonly path: string;
  /** Compaction threshold in bytes. Default {@link journalBytesMax}. */
  readonly journalBytesMax?: number;
  /** Most history records kept. Default 10,000. */
  readonly historyRecordsMax?: number;
}

/**
 * A durable wallet store in a file.
 *
 * @example
 * ```ts
 * import { fileStore } from '@trickle/client/node';
 * const store = fileStore({ path: './.data/wallet.jsonl' });
 * ```
 */
export function fileStore(options: FileStoreOptions): WalletStore {
  if (typeof options?.path !== 'string' || options.path.length === 0) throw new TypeError('fileStore: path required');
  const path = options.path;
  const bytesMax = options.journalBytesMax ?? journalBytesMax;
  const historyMax = options.historyRecordsMax ?? historyRecordsMax;
  const state: { record: WalletRecord | undefined; pending: PendingVoucherRecord[]; history: HistoryRecord[] } = {
    record: undefined,
    pending: [],
    history: [],
  };
  let loaded = false;
  let journalBytes = 0;
  /** Set after a failed append: the journal's good length, to cut the file back to before the next append. */
  let tornAfter: number | undefined;
  let handle: import('node:fs/promises').FileHandle | undefined;
  let chain: Promise<void> = Promise.resolve();

  const fail = (what: string, cause: unknown) =>
    new WalletError('STORE_FAILED', `file store: ${what} failed`, { cause });

  async function ensureLoaded(): Promise<void> {
    if (loaded) return;
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      // A missing file is an empty wallet; anything else is a failure to read it.
      if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw fail(`reading ${path}`, error);
    }
    // Everything after the last newline is a torn append (its write never resolved): cut it off.
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      try {
        await truncate(path, Buffer.byteLength(text.slice(0, end)));
      } catch (error) {
        throw fail(`truncating the torn end of ${path}`, error);
      }
      text = text.slice(0, end);
    }
    const lines = text.split('\n');
    for (const [i, line] of lines.entries()) {
      if (line.length === 0) continue;
      let change: WalletChange;
      try {
        change = JSON.parse(line) as WalletChange;
      } catch (error) {
        throw fail(`parsing line ${i + 1} of ${path}`, error);
      }
      applyChange(state, change, historyMax);
    }
    journalBytes = Buffer.byteLength(text);
    loaded = true;
  }

  async function append(change: WalletChange): Promise<void> {
    const line = `${JSON.stringify(change)}\n`;
    try {
      if (handle === undefined) {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        handle = await open(path, 'a', 0o600);
      }
      // What a failed append may have left (part of its line, or all of it unsynced) is cut
      // off before anything else is appended: the journal never has a torn line in its middle,
      // and a write that rejected never comes back at the next load.
      if (tornAfter !== undefined) {
        await handle.truncate(tornAfter);
        tornAfter = undefined;
      }
      await handle.appendFile(line, 'utf8');
      await handle.datasync();
    } catch (error) {
      tornAfter = journalBytes;
      await handle?.truncate(journalBytes).then(
        () => {
          tornAfter = undefined;
        },
        () => undefined, // tried again before the next append
      );
      throw fail('append', error);
    }
    journalBytes += Buffer.byteLength(line);
  }

  async function compact(): Promise<void> {
    const snapshot: WalletChange = {
      ...(state.record === undefined ? {} : { record: state.record }),
      addPending: state.pending,
      addHistory: state.history,
    };
    const text = `${JSON.stringify(snapshot)}\n`;
    const temporary = `${path}.tmp`;
    try {
      const out = await open(temporary, 'w', 0o600);
      try {
        await out.writeFile(text, 'utf8');
        await out.sync();
      } finally {
        await out.close();
      }
      await handle?.close();
      handle = undefined;
      await rename(temporary, path);
      const folder = await open(dirname(path), 'r');
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
    } catch (error) {
      throw fail('compaction', error);
    }
    journalBytes = Buffer.byteLength(text);
  }

  function serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = chain.then(work);
    chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  return {
    name: 'file',
    load: () =>
      serialized(async () => {
        await ensureLoaded();
        if (state.record === undefined) return undefined;
        return structuredClone({ record: state.record, pending: state.pending, history: state.history });
      }),
    write: (change) =>
      serialized(async () => {
        await ensureLoaded();
        await append(change);
        applyChange(state, structuredClone(change), historyMax);
        // The change is durable now, so this write has succeeded whatever compaction does: a
        // failed compaction leaves the journal whole (the snapshot only replaces it by rename),
        // and the next write tries again.
        if (journalBytes > bytesMax) await compact().catch(() => undefined);
      }),
    close: () =>
      serialized(async () => {
        await handle?.close();
        handle = undefined;
      }),
  };
}
