/**
 * What `createHub` uses when it is given no `ledger` or no `store`: the SQLite adapters in
 * the data folder. They are loaded here, on demand, from the subpaths that hold them, so
 * a hub given its own ledger and store (PostgreSQL, say) never loads better-sqlite3, and
 * an application that never asks for the defaults need not install it (ADR 0402).
 */
import { join } from 'node:path';
import type { TrickleLedger } from '@trickle/ledger';
import type { Domain, Verifier } from '@trickle/protocol';
import { HubError } from './errors.js';
import type { Clock } from './ports.js';
import type { ChannelStore } from './store/channelStore.js';

/** The file names the defaults use inside the hub's data folder. */
const ledgerFileName = 'ledger.sqlite';
const storeFileName = 'channels.sqlite';

/** The default ledger: `@trickle/ledger/sqlite` in `<dataDir>/ledger.sqlite`. */
export async function defaultLedger(
  dataDir: string,
  domain: Domain,
  feePpm: number,
  clock: Clock,
  verifier: Verifier,
): Promise<TrickleLedger> {
  let sqlite: typeof import('@trickle/ledger/sqlite');
  try {
    sqlite = await import('@trickle/ledger/sqlite');
  } catch (cause) {
    throw new HubError('LEDGER_FAILED', missingDriver(cause, 'the default ledger', 'ledger'), { cause });
  }
  try {
    return await sqlite.sqliteLedger({
      filename: join(dataDir, ledgerFileName),
      domain,
      feePpm,
      clock: () => clock.nowMs(),
      verifier,
    });
  } catch (cause) {
    throw new HubError('LEDGER_FAILED', `cannot open the ledger in ${dataDir}`, { cause });
  }
}

/** The default channel store: `@trickle/hub/sqlite` in `<dataDir>/channels.sqlite`. */
export async function defaultStore(dataDir: string): Promise<ChannelStore> {
  let sqlite: typeof import('./sqlite.js');
  try {
    sqlite = await import('./sqlite.js');
  } catch (cause) {
    throw new HubError('STORE_FAILED', missingDriver(cause, 'the default channel store', 'store'), { cause });
  }
  return sqlite.sqliteChannelStore({ path: join(dataDir, storeFileName) });
}

/**
 * Takes the data folder for this process (ADR 0230): the hub does whenever it keeps a
 * SQLite default there, so two hubs never write one file. Without better-sqlite3 it says
 * which default needs it, as opening that default would.
 */
export async function lockDefaultDataDir(dataDir: string, ownsLedger: boolean): Promise<{ release(): void }> {
  let sqlite: typeof import('./sqlite.js');
  try {
    sqlite = await import('./sqlite.js');
  } catch (cause) {
    throw ownsLedger
      ? new HubError('LEDGER_FAILED', missingDriver(cause, 'the default ledger', 'ledger'), { cause })
      : new HubError('STORE_FAILED', missingDriver(cause, 'the default channel store', 'store'), { cause });
  }
  return sqlite.lockDataDir(dataDir);
}

/** Says what to do when the SQLite driver is not installed; otherwise what failed. */
function missingDriver(cause: unknown, what: string, option: string): string {
  const code = (cause as { code?: unknown } | null)?.code;
  const text = cause instanceof Error ? cause.message : String(cause);
  if (code === 'ERR_MODULE_NOT_FOUND' && text.includes('better-sqlite3')) {
    return `${what} is SQLite and needs the optional peer dependency better-sqlite3: install it, or pass options.${option}`;
  }
  return `cannot load ${what}: ${text}`;
}
