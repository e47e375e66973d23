/**
 * Backups of a hub's SQLite data folder with SQLite's online backup (better-sqlite3's
 * `backup()`): consistent while the hub runs, page by page. PostgreSQL is backed up with
 * its own tools (docs/operator.md).
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { hubKeyFileName } from '@trickle/hub';
import { lockDataDir } from '@trickle/hub/sqlite';
import Database from 'better-sqlite3';
import { CliError, exitCodes } from './errors.js';

/** The SQLite files of a hub's data folder that a backup holds, with the hub key. */
export const backedUpDatabases = ['ledger.sqlite', 'channels.sqlite'] as const;

/** Progress of a backup: pages copied of the total, per file. */
export type BackupProgress = (file: string, done: number, total: number) => void;

/**
 * Copies the hub's databases (online: the hub may be running) and its key into the new
 * folder `to`. The backup holds the hub key: keep it as secret as the data folder.
 *
 * @example
 * ```ts
 * import { backupDataDir } from '@trickle/cli';
 * await backupDataDir('/var/lib/trickle', '/backups/trickle-2026-12-04');
 * ```
 */
export async function backupDataDir(dataDir: string, to: string, progress?: BackupProgress): Promise<string[]> {
  const present = backedUpDatabases.filter((name) => existsSync(join(dataDir, name)));
  if (present.length === 0) {
    throw new CliError(
      exitCodes.usage,
      `no SQLite databases in ${dataDir}: is it a hub's data folder? (a PostgreSQL hub is backed up with pg_dump)`,
    );
  }
  if (existsSync(to) && readdirSync(to).length > 0) {
    throw new CliError(exitCodes.usage, `${to} is not empty: back up into a new folder`);
  }
  mkdirSync(to, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  for (const name of present) {
    const source = new Database(join(dataDir, name), { readonly: true, fileMustExist: true });
    try {
      await source.backup(join(to, name), {
        progress: ({ totalPages, remainingPages }) => {
          progress?.(name, totalPages - remainingPages, totalPages);
          return backupPagesPerStep;
        },
      });
    } finally {
      source.close();
    }
    written.push(name);
  }
  if (existsSync(join(dataDir, hubKeyFileName))) {
    copyFileSync(join(dataDir, hubKeyFileName), join(to, hubKeyFileName));
    chmodSync(join(to, hubKeyFileName), 0o600);
    written.push(hubKeyFileName);
  }
  return written;
}

/** Pages copied per step of an online backup, between which the hub may write. */
export const backupPagesPerStep = 256;

/**
 * Puts a backup made by {@link backupDataDir} back into `dataDir`. The hub must be stopped
 * (the data folder's lock says so otherwise); a folder that holds databases already is
 * refused unless `force`.
 *
 * @example
 * ```ts
 * import { restoreDataDir } from '@trickle/cli';
 * await restoreDataDir('/backups/trickle-2026-12-04', '/var/lib/trickle', { force: true });
 * ```
 */
export async function restoreDataDir(
  from: string,
  dataDir: string,
  options: { force?: boolean } = {},
): Promise<string[]> {
  const present = [...backedUpDatabases, hubKeyFileName].filter((name) => existsSync(join(from, name)));
  if (!present.some((name) => name.endsWith('.sqlite'))) {
    throw new CliError(exitCodes.usage, `${from} holds no backup (no ledger.sqlite or channels.sqlite)`);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let lock: { release(): void };
  try {
    lock = await lockDataDir(dataDir);
  } catch (cause) {
    throw new CliError(
      exitCodes.refused,
      `${dataDir} is in use by a running hub: stop it first (SIGTERM), then restore`,
      { cause },
    );
  }
  try {
    const existing = [...backedUpDatabases, hubKeyFileName].filter((name) => existsSync(join(dataDir, name)));
    if (existing.length > 0 && options.force !== true) {
      throw new CliError(
        exitCodes.usage,
        `${dataDir} already holds ${existing.join(', ')}: restore into an empty folder, or pass --force to replace them`,
      );
    }
    for (const name of present) {
      const target = join(dataDir, name);
      copyFileSync(join(from, name), `${target}.restoring`);
      if (name === hubKeyFileName) chmodSync(`${target}.restoring`, 0o600);
      for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
      renameSync(`${target}.restoring`, target);
    }
    return present;
  } finally {
    lock.release();
  }
}
