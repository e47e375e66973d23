/**
 * The hub's identity: a secp256k1 secret key in `<dataDir>/hub.key` (hex, mode 0600),
 * created on first start. The key is never logged; a key file readable by group or
 * others is refused, as ssh refuses such a private key.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { asSecretKey, createSecretKey, fromHex, type RandomBytes, type SecretKey, toHex } from '@trickle/protocol';
import { HubError } from './errors.js';

/** File name of the hub key inside the data folder. */
export const hubKeyFileName = 'hub.key';

/**
 * Reads the hub key from `dataDir`, creating the folder (0700) and the key (0600) if
 * missing. Throws `HubError('KEY_FILE')` for a malformed or group/other-readable file.
 *
 * @example
 * ```ts
 * import { loadOrCreateHubKey, systemRandomBytes } from '@trickle/hub';
 * const secretKey = loadOrCreateHubKey('/var/lib/trickle', systemRandomBytes);
 * ```
 */
export function loadOrCreateHubKey(dataDir: string, randomBytes: RandomBytes): SecretKey {
  if (typeof dataDir !== 'string' || dataDir.length === 0) throw new TypeError('dataDir: expected a folder path');
  return loadOrCreateKeyFile(join(dataDir, hubKeyFileName), randomBytes);
}

/**
 * Reads a secp256k1 secret key (hex) from `path`, creating its folder (0700) and the file
 * (0600, fsynced, never overwriting one another process wrote meanwhile) if missing: for
 * a hub's key, a merchant's, a CLI's. Throws `HubError('KEY_FILE')` for a malformed file
 * or one readable by group or others. The key is never logged.
 *
 * @example
 * ```ts
 * import { loadOrCreateKeyFile, systemRandomBytes } from '@trickle/hub';
 * const merchantKey = loadOrCreateKeyFile('/var/lib/shop/merchant.key', systemRandomBytes);
 * ```
 */
export function loadOrCreateKeyFile(path: string, randomBytes: RandomBytes): SecretKey {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('path: expected a file path');
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new HubError('KEY_FILE', `cannot create the folder ${dir}`, { cause });
  }
  let text: string;
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new HubError('KEY_FILE', `${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof HubError) throw error;
    if (errnoCode(error) !== 'ENOENT') {
      throw new HubError('KEY_FILE', `cannot read ${path}`, { cause: error });
    }
    return createKeyFile(path, randomBytes);
  }
  try {
    return asSecretKey(fromHex(text.trim(), 32, 'key file'));
  } catch (cause) {
    throw new HubError('KEY_FILE', `${path} does not hold a 32-byte hex key`, { cause });
  }
}

function createKeyFile(path: string, randomBytes: RandomBytes): SecretKey {
  const secretKey = createSecretKey(randomBytes);
  try {
    // 'wx': never overwrite a key another process created meanwhile.
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, `${toHex(secretKey)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (cause) {
    if (errnoCode(cause) === 'EEXIST') return loadOrCreateKeyFile(path, randomBytes);
    throw new HubError('KEY_FILE', `cannot create ${path}`, { cause });
  }
  return secretKey;
}

/** The `code` of a failed file system call (`ENOENT`, `EEXIST`, ...), if what was thrown has one. */
function errnoCode(error: unknown): unknown {
  return error instanceof Error && 'code' in error ? error.code : undefined;
}
