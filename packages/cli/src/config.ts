/**
 * The hub's configuration, from a JSON file, the environment (`TRICKLE_*`) and flags; a
 * flag beats the environment, which beats the file, which beats the defaults.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, exitCodes } from './errors.js';

/**
 * Everything `trickle hub start` runs with.
 *
 * @example
 * ```ts
 * import { resolveHubConfig } from '@trickle/cli';
 * const config = resolveHubConfig({ port: '9000' }, { TRICKLE_NETWORK_ID: '7' });
 * config.port; // 9000
 * ```
 */
export interface HubConfig {
  /** Folder of the hub key, the SQLite files, the admin token and `hub.json`. */
  readonly dataDir: string;
  readonly networkId: number;
  /** Interface and port of the WebSocket listener (wallets). */
  readonly host: string;
  readonly port: number;
  /** Interface and port of the admin API, metrics, health and dashboard: keep it private. */
  readonly adminHost: string;
  readonly adminPort: number;
  /** `postgres://…`: the ledger and the channel store in PostgreSQL instead of SQLite files. */
  readonly database: string | undefined;
  /** PostgreSQL schema prefix: `<prefix>_ledger` and `<prefix>_hub`. */
  readonly schema: string;
  /** The hub's fee in parts per million. */
  readonly feePpm: number;
  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  readonly logLevel: string;
  /** PEM files: with both, the wallet listener and the admin API speak TLS (wss://, https://). */
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  /**
   * A module (JavaScript or TypeScript) whose `createHubSigner(config)` returns the
   * `HubSigner` that holds the hub's key (a KMS or HSM adapter, ADR 0414); the hub then
   * never reads `hub.key`. Default: the key file in the data folder.
   */
  readonly hubSigner: string | undefined;
  /** Alerts (ADR 0413): the webhook crossings are POSTed to, `http(s)://…`. */
  readonly alertWebhook: string | undefined;
  /** HMAC-SHA256 key of the webhook's `trickle-signature` header (16 characters at least). */
  readonly alertSecret: string | undefined;
  /** Thresholds in minor units, per asset: escrow, unsettled liability, a merchant's balance. */
  readonly alertEscrowMax: bigint | undefined;
  readonly alertLiabilityMax: bigint | undefined;
  readonly alertMerchantBalanceMax: bigint | undefined;
  /** How often the watched values are read, in ms. */
  readonly alertIntervalMs: number;
}

/** Where each setting comes from: flag name, environment variable, file key. */
const settings = {
  dataDir: { env: 'TRICKLE_DATA_DIR', kind: 'path' },
  networkId: { env: 'TRICKLE_NETWORK_ID', kind: 'int' },
  host: { env: 'TRICKLE_HOST', kind: 'string' },
  port: { env: 'TRICKLE_PORT', kind: 'port' },
  adminHost: { env: 'TRICKLE_ADMIN_HOST', kind: 'string' },
  adminPort: { env: 'TRICKLE_ADMIN_PORT', kind: 'port' },
  database: { env: 'TRICKLE_DATABASE', kind: 'string' },
  schema: { env: 'TRICKLE_SCHEMA', kind: 'string' },
  feePpm: { env: 'TRICKLE_FEE_PPM', kind: 'int' },
  logLevel: { env: 'TRICKLE_LOG_LEVEL', kind: 'string' },
  tlsCert: { env: 'TRICKLE_TLS_CERT', kind: 'path' },
  tlsKey: { env: 'TRICKLE_TLS_KEY', kind: 'path' },
  hubSigner: { env: 'TRICKLE_HUB_SIGNER', kind: 'path' },
  alertWebhook: { env: 'TRICKLE_ALERT_WEBHOOK', kind: 'string' },
  alertSecret: { env: 'TRICKLE_ALERT_SECRET', kind: 'string' },
  alertEscrowMax: { env: 'TRICKLE_ALERT_ESCROW_MAX', kind: 'amount' },
  alertLiabilityMax: { env: 'TRICKLE_ALERT_LIABILITY_MAX', kind: 'amount' },
  alertMerchantBalanceMax: { env: 'TRICKLE_ALERT_MERCHANT_BALANCE_MAX', kind: 'amount' },
  alertIntervalMs: { env: 'TRICKLE_ALERT_INTERVAL_MS', kind: 'int' },
} as const;

type Setting = keyof typeof settings;

/** The defaults: SQLite in `./.trickle`, wallets on 127.0.0.1:8787, admin on 127.0.0.1:8788. */
export const hubConfigDefaults: HubConfig = {
  dataDir: '.trickle',
  networkId: 1,
  host: '127.0.0.1',
  port: 8787,
  adminHost: '127.0.0.1',
  adminPort: 8788,
  database: undefined,
  schema: 'trickle',
  feePpm: 0,
  logLevel: 'info',
  tlsCert: undefined,
  tlsKey: undefined,
  hubSigner: undefined,
  alertWebhook: undefined,
  alertSecret: undefined,
  alertEscrowMax: undefined,
  alertLiabilityMax: undefined,
  alertMerchantBalanceMax: undefined,
  alertIntervalMs: 10_000,
};

/**
 * The data folder commands use: `--data-dir`, else `TRICKLE_DATA_DIR`, else `./.trickle`.
 *
 * @example
 * ```ts
 * import { dataDirOf } from '@trickle/cli';
 * dataDirOf(undefined, { TRICKLE_DATA_DIR: '/var/lib/trickle' }); // '/var/lib/trickle'
 * ```
 */
export function dataDirOf(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env.TRICKLE_DATA_DIR ?? hubConfigDefaults.dataDir);
}

/**
 * Resolves the configuration: `flags` (strings as commander gives them), then `env`, then
 * the JSON file named by `flags.config` or `TRICKLE_CONFIG`, then the defaults. Throws
 * `CliError` (usage) naming the setting and where it came from when a value is wrong.
 *
 * @example
 * ```ts
 * import { resolveHubConfig } from '@trickle/cli';
 * const config = resolveHubConfig({ config: '/etc/trickle/hub.json', port: '9000' }, process.env);
 * ```
 */
export function resolveHubConfig(
  flags: Partial<Record<Setting | 'config', string | number>>,
  env: NodeJS.ProcessEnv = process.env,
): HubConfig {
  const configPath = flags.config ?? env.TRICKLE_CONFIG;
  let file: Record<string, unknown> = {};
  if (configPath !== undefined) {
    try {
      file = JSON.parse(readFileSync(String(configPath), 'utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new CliError(
        exitCodes.usage,
        `cannot read the configuration file ${configPath}: ${(cause as Error).message}; fix it or drop --config`,
      );
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) {
      throw new CliError(exitCodes.usage, `the configuration file ${configPath} must hold a JSON object`);
    }
    for (const key of Object.keys(file)) {
      if (!(key in settings)) {
        throw new CliError(
          exitCodes.usage,
          `the configuration file ${configPath} has an unknown key "${key}"; known: ${Object.keys(settings).join(', ')}`,
        );
      }
    }
  }
  const out: Record<string, unknown> = { ...hubConfigDefaults };
  for (const [name, { env: variable, kind }] of Object.entries(settings) as [Setting, (typeof settings)[Setting]][]) {
    const fromFlag = flags[name];
    const fromEnv = env[variable];
    const fromFile = file[name];
    const [raw, where] =
      fromFlag !== undefined
        ? [fromFlag, `--${kebab(name)}`]
        : fromEnv !== undefined && fromEnv !== ''
          ? [fromEnv, variable]
          : fromFile !== undefined
            ? [fromFile, `${name} in ${configPath}`]
            : [undefined, ''];
    if (raw === undefined) continue;
    out[name] = parseSetting(kind, raw, where);
  }
  if ((out.tlsCert === undefined) !== (out.tlsKey === undefined)) {
    throw new CliError(exitCodes.usage, 'TLS needs both --tls-cert and --tls-key (PEM files)');
  }
  const thresholds = [out.alertEscrowMax, out.alertLiabilityMax, out.alertMerchantBalanceMax];
  if (out.alertWebhook !== undefined) {
    if (!/^https?:\/\//.test(String(out.alertWebhook)))
      throw new CliError(exitCodes.usage, `--alert-webhook: expected an http(s):// URL, got "${out.alertWebhook}"`);
    if (typeof out.alertSecret !== 'string' || out.alertSecret.length < 16)
      throw new CliError(
        exitCodes.usage,
        'alerts need a signing secret of 16 characters at least: set TRICKLE_ALERT_SECRET (or alertSecret in the file)',
      );
    if (thresholds.every((t) => t === undefined))
      throw new CliError(
        exitCodes.usage,
        '--alert-webhook without a threshold: add --alert-escrow-max, --alert-liability-max or --alert-merchant-balance-max',
      );
  } else if (thresholds.some((t) => t !== undefined)) {
    throw new CliError(exitCodes.usage, 'alert thresholds need --alert-webhook (where to send the alerts)');
  }
  if ((out.alertIntervalMs as number) < 100) throw new CliError(exitCodes.usage, '--alert-interval-ms: 100 at least');
  if (typeof out.database === 'string' && !/^postgres(ql)?:\/\//.test(out.database)) {
    throw new CliError(exitCodes.usage, `--database: expected a postgres://… URL, got "${out.database}"`);
  }
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(String(out.schema))) {
    throw new CliError(
      exitCodes.usage,
      '--schema: lower-case letters, digits and _ (at most 41), not starting with a digit',
    );
  }
  out.dataDir = resolve(String(out.dataDir));
  return out as unknown as HubConfig;
}

function parseSetting(kind: string, raw: unknown, where: string): unknown {
  const text = String(raw);
  if (kind === 'int' || kind === 'port') {
    const value = Number(text);
    const max = kind === 'port' ? 65_535 : 4_294_967_295;
    if (!(/^\d+$/.test(text) && Number.isSafeInteger(value) && value <= max)) {
      throw new CliError(exitCodes.usage, `${where}: expected an integer 0..${max}, got "${text}"`);
    }
    return value;
  }
  if (kind === 'amount') {
    if (!/^\d{1,19}$/.test(text) || BigInt(text) > 2n ** 63n - 1n)
      throw new CliError(exitCodes.usage, `${where}: expected an amount in minor units (digits), got "${text}"`);
    return BigInt(text);
  }
  if (kind === 'path') return resolve(text);
  return text;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
