/**
 * `@trickle/hub/sqlite`: the channel store in one SQLite file through better-sqlite3 12,
 * the hub's default (`createHub` loads it from here only when no `store` is given).
 * Also the data-folder lock (`lockDataDir`) a hub takes whenever it keeps SQLite files in
 * its data folder. Install `better-sqlite3` (an optional peer dependency) to use it.
 *
 * @packageDocumentation
 */

export { type DataDirLock, dataDirLockFileName, lockDataDir } from './dataDirLock.js';
export { type SqliteChannelStoreOptions, sqliteChannelStore } from './store/sqliteChannelStore.js';
