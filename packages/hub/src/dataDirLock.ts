/**
 * One hub process per data folder (ADR 0230): an exclusive SQLite lock on
 * `<dataDir>/hub.lock`, held for the life of the hub. SQLite takes it with POSIX advisory
 * locks (fcntl), which the kernel drops when the process exits for any reason, SIGKILL
 * included, so a crashed hub never leaves a stale lock behind and a restart needs no wait.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HubError } from './errors.js';

/** File name of the lock inside the data folder. */
export const dataDirLockFileName = 'hub.lock';

/** A held data-folder lock. */
export interface DataDirLock {
  /** Gives the folder back (idempotent). */
  release(): void;
}

/**
 * Takes the data folder for this process, or throws `HubError('DATA_DIR_LOCKED')` with a
 * one-line message when another hub process (or another hub in this process) holds it.
 * The folder must exist.
 *
 * @example
 * ```ts
 * import { lockDataDir } from '@trickle/hub/sqlite';
 * const lock = lockDataDir('./.data/hub');
 * lock.release();
 * ```
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, dataDirLockFileName);
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: 0 });
  } catch (cause) {
    throw new HubError('DATA_DIR_LOCKED', `cannot open the lock file ${path}`, { cause });
  }
  try {
    // Exclusive locking mode keeps the lock until the connection closes; the transaction
    // is never committed, so the file stays empty.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (cause) {
    db.close();
    const busy = (cause as { code?: unknown }).code === 'SQLITE_BUSY';
    throw new HubError(
      'DATA_DIR_LOCKED',
      busy
        ? `the data folder ${dataDir} is in use by another hub process; stop it, or give this hub another dataDir`
        : `cannot lock the data folder ${dataDir}`,
      { cause },
    );
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      db.close();
    },
  };
}
