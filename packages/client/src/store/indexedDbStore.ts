/**
 * A wallet store in IndexedDB (browsers): one database per wallet, three object stores
 * (record, pending vouchers, history), every change in one `readwrite` transaction with
 * `durability: 'strict'` so it is on disk when the transaction completes.
 */
import { type IDBPDatabase, openDB } from 'idb';
import { WalletError } from '../errors.js';
import { historyRecordsMax, type PendingVoucherRecord, type StoredWallet, type WalletStore } from './walletStore.js';

/** Options of {@link indexedDbStore}. */
export interface IndexedDbStoreOptions {
  /** Database name. Default `trickle-wallet`. */
  readonly name?: string;
  /** The IDBFactory to use. Default the global `indexedDB` (pass fake-indexeddb's in Node tests). */
  readonly indexedDB?: IDBFactory;
  /** Most history records kept. Default 10,000. */
  readonly historyRecordsMax?: number;
}

/**
 * A durable wallet store in IndexedDB.
 *
 * @example
 * ```ts
 * import { indexedDbStore } from '@trickle/client';
 * const store = indexedDbStore({ name: 'my-wallet' });
 * ```
 */
export function indexedDbStore(options: IndexedDbStoreOptions = {}): WalletStore {
  const name = options.name ?? 'trickle-wallet';
  const historyMax = options.historyRecordsMax ?? historyRecordsMax;
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  let db: Promise<IDBPDatabase> | undefined;
  const fail = (what: string, cause: unknown) =>
    new WalletError('STORE_FAILED', `indexedDB store: ${what} failed`, { cause });

  function database(): Promise<IDBPDatabase> {
    if (factory === undefined) return Promise.reject(fail('open', new TypeError('no indexedDB here')));
    db ??= withFactory(factory, () =>
      openDB(name, 1, {
        upgrade(upgrade) {
          upgrade.createObjectStore('record');
          upgrade.createObjectStore('pending', { keyPath: 'seq' });
          upgrade.createObjectStore('history', { autoIncrement: true });
        },
      }),
    );
    return db;
  }

  return {
    name: 'indexeddb',
    async load() {
      try {
        const d = await database();
        const tx = d.transaction(['record', 'pending', 'history'], 'readonly');
        const record = await tx.objectStore('record').get('wallet');
        const pending = (await tx.objectStore('pending').getAll()) as PendingVoucherRecord[];
        const history = await tx.objectStore('history').getAll();
        await tx.done;
        if (record === undefined) return undefined;
        return { record, pending, history } as StoredWallet;
      } catch (error) {
        throw fail('load', error);
      }
    },
    async write(change) {
      try {
        const d = await database();
        const tx = d.transaction(['record', 'pending', 'history'], 'readwrite', { durability: 'strict' });
        if (change.record !== undefined) void tx.objectStore('record').put(change.record, 'wallet');
        for (const p of change.addPending ?? []) void tx.objectStore('pending').put(p);
        for (const seq of change.removePending ?? []) void tx.objectStore('pending').delete(seq);
        const history = tx.objectStore('history');
        for (const h of change.addHistory ?? []) void history.add(h);
        if ((change.addHistory?.length ?? 0) > 0) {
          const count = await history.count();
          if (count > historyMax) {
            let cursor = await history.openCursor();
            for (let extra = count - historyMax; extra > 0 && cursor !== null; extra--) {
              await cursor.delete();
              cursor = await cursor.continue();
            }
          }
        }
        await tx.done;
      } catch (error) {
        throw fail('write', error);
      }
    },
    async close() {
      if (db !== undefined) (await db).close();
      db = undefined;
    },
  };
}

/** `idb` uses the global `indexedDB`; a caller-supplied factory is swapped in while opening. */
async function withFactory<T>(factory: IDBFactory, open: () => Promise<T>): Promise<T> {
  const scope = globalThis as { indexedDB?: IDBFactory };
  if (scope.indexedDB === factory) return open();
  const previous = scope.indexedDB;
  scope.indexedDB = factory;
  try {
    return await open();
  } finally {
    if (previous === undefined) delete scope.indexedDB;
    else scope.indexedDB = previous;
  }
}
