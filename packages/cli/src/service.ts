/**
 * `trickle hub start`: a hub as a service. The hub (SQLite in the data folder, or
 * PostgreSQL), its admin API, structured logs, a watch on the data folder, and a drain on
 * SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  existsSync,
  constants as fsConstants,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createHub,
  defaultHubLimits,
  type Hub,
  type HubLogger,
  type HubSigner,
  loadOrCreateHubKey,
  systemRandomBytes,
} from '@trickle/hub';
import type { TrickleLedger } from '@trickle/ledger';
import { hubIdFromKey, isValidPublicKey, type PublicKey, publicKeyOf, toHex } from '@trickle/protocol';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { type AdminServer, createAdminServer } from './admin.js';
import { startAlerts } from './alerts.js';
import type { HubConfig } from './config.js';
import { CliError, exitCodes } from './errors.js';
import { adminTokenFileName, hubInfoFileName } from './files.js';
import { hubMetrics, hubTraffic } from './metrics.js';

/** How often the running hub checks that its data folder is still there and writable, in ms. */
export const dataDirCheckIntervalMs = 1_000;

/** What a running hub writes to `<dataDir>/hub.json`. */
export interface HubInfo {
  readonly url: string;
  readonly adminUrl: string;
  readonly hubId: string;
  readonly publicKey: string;
  readonly networkId: number;
  readonly pid: number;
}

/** A hub started by {@link startHubService}. */
export interface HubService {
  readonly hub: Hub<TrickleLedger>;
  readonly admin: AdminServer;
  readonly info: HubInfo;
  /** Resolves when the service has stopped (drained, or stopped by a failure): the exit code. */
  readonly stopped: Promise<number>;
  /** Drains and stops: no new connections, queued work done, stores flushed. */
  stop(reason: string): Promise<number>;
}

/**
 * Starts a hub with its admin API from a resolved configuration.
 *
 * @example
 * ```ts
 * import { resolveHubConfig, startHubService } from '@trickle/cli';
 * const service = await startHubService(resolveHubConfig({ dataDir: '/var/lib/trickle' }));
 * process.once('SIGTERM', () => void service.stop('SIGTERM'));
 * process.exitCode = await service.stopped;
 * ```
 */
export async function startHubService(
  config: HubConfig,
  logger: HubLogger & { fatal?: HubLogger['error'] } = pino({ level: config.logLevel }),
): Promise<HubService> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const token = loadOrCreateToken(join(config.dataDir, adminTokenFileName));
  const tls =
    config.tlsCert === undefined || config.tlsKey === undefined
      ? undefined
      : { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) };
  const signer = config.hubSigner === undefined ? undefined : await loadHubSigner(config);
  const hubKey = signer?.publicKey ?? publicKeyOf(loadOrCreateHubKey(config.dataDir, systemRandomBytes));
  const external = config.database === undefined ? undefined : await postgresPorts(config, hubKey);
  const traffic = hubTraffic();
  let hub: Hub<TrickleLedger>;
  try {
    hub = await createHub<TrickleLedger>({
      dataDir: config.dataDir,
      networkId: config.networkId,
      host: config.host,
      port: config.port,
      listen: tls === undefined,
      feePpm: config.feePpm,
      logger,
      observer: traffic.observer,
      ...(signer === undefined ? {} : { signer }),
      ...(external ?? {}),
    });
  } catch (error) {
    await external?.store.close().catch(() => undefined);
    await external?.ledger.close().catch(() => undefined);
    throw error;
  }
  let tlsServer: HttpsServer | undefined;
  let url = hub.url;
  if (tls !== undefined) {
    tlsServer = createHttpsServer(tls, (_request, response) => {
      response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('WebSocket only\n');
    });
    const wss = new WebSocketServer({
      server: tlsServer,
      maxPayload: defaultHubLimits.wsPayloadBytesMax,
      perMessageDeflate: false,
    });
    wss.on('connection', (ws, request) => hub.accept(ws, request.socket.remoteAddress));
    await new Promise<void>((resolve, reject) => {
      tlsServer?.once('error', reject);
      tlsServer?.listen(config.port, config.host, () => resolve());
    });
    const address = tlsServer.address();
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    url = `wss://${host}:${typeof address === 'object' && address !== null ? address.port : config.port}`;
  }
  const alerts =
    config.alertWebhook === undefined
      ? undefined
      : startAlerts(hub, {
          url: config.alertWebhook,
          secret: config.alertSecret as string,
          thresholds: {
            ...(config.alertEscrowMax === undefined ? {} : { escrowMax: config.alertEscrowMax }),
            ...(config.alertLiabilityMax === undefined ? {} : { liabilityMax: config.alertLiabilityMax }),
            ...(config.alertMerchantBalanceMax === undefined
              ? {}
              : { merchantBalanceMax: config.alertMerchantBalanceMax }),
          },
          intervalMs: config.alertIntervalMs,
          logger,
        });
  const metrics = hubMetrics(hub);
  traffic.register(metrics);
  let admin: AdminServer;
  try {
    admin = await createAdminServer({
      hub,
      token,
      host: config.adminHost,
      port: config.adminPort,
      metrics,
      traffic,
      logger,
      ...(tls === undefined ? {} : { tls }),
    });
  } catch (error) {
    tlsServer?.close();
    alerts?.stop();
    await hub.close();
    throw new CliError(
      exitCodes.failed,
      `cannot start the admin API on ${config.adminHost}:${config.adminPort}: ${(error as Error).message}; choose another --admin-port`,
    );
  }
  const info: HubInfo = {
    url,
    adminUrl: admin.url,
    hubId: toHex(hub.hubId),
    publicKey: toHex(hub.publicKey),
    networkId: hub.networkId,
    pid: process.pid,
  };
  writeFileAtomic(join(config.dataDir, hubInfoFileName), `${JSON.stringify(info, null, 2)}\n`);
  logger.info(
    { url, adminUrl: admin.url, hubId: info.hubId, database: config.database === undefined ? 'sqlite' : 'postgres' },
    'hub started',
  );

  const folder = statSync(config.dataDir);
  let resolveStopped!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => {
    resolveStopped = resolve;
  });
  let stopping: Promise<number> | undefined;
  const watch = setInterval(() => {
    try {
      const now = statSync(config.dataDir);
      if (now.ino !== folder.ino || now.dev !== folder.dev) throw new Error('it was replaced by another folder');
      accessSync(config.dataDir, fsConstants.W_OK);
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it was deleted' : (error as Error).message;
      (logger.fatal ?? logger.error).call(
        logger,
        { dataDir: config.dataDir },
        `the data folder is gone or unwritable (${why}): stopping the hub so no write is lost; restore the folder from a backup and start again`,
      );
      void stop('data folder lost', exitCodes.failed);
    }
  }, dataDirCheckIntervalMs);

  function stop(reason: string, code: number = exitCodes.ok): Promise<number> {
    stopping ??= (async () => {
      clearInterval(watch);
      alerts?.stop();
      logger.info({ reason }, 'hub stopping: draining');
      await admin.close();
      // No new TLS connections; the open ones are the hub's sessions, which its close drains
      // and ends (awaiting the server's close first would wait for the wallets forever).
      const tlsClosed = new Promise<void>((resolve) =>
        tlsServer === undefined ? resolve() : tlsServer.close(() => resolve()),
      );
      let exit = code;
      try {
        await hub.close();
      } catch (error) {
        logger.error({ err: String(error) }, 'hub close failed');
        exit = exitCodes.failed;
      }
      tlsServer?.closeAllConnections();
      await tlsClosed;
      if (external !== undefined) {
        await external.store.close().catch(() => undefined);
        await external.ledger.close().catch(() => undefined);
      }
      rmSync(join(config.dataDir, hubInfoFileName), { force: true });
      logger.info({ reason, exitCode: exit }, 'hub stopped');
      resolveStopped(exit);
      return exit;
    })();
    return stopping;
  }
  return { hub, admin, info, stopped, stop: (reason) => stop(reason) };
}

/** Loads `config.hubSigner`'s `createHubSigner(config)` (ADR 0414). */
async function loadHubSigner(config: HubConfig): Promise<HubSigner> {
  const path = config.hubSigner as string;
  let create: unknown;
  try {
    create = ((await import(pathToFileURL(path).href)) as { createHubSigner?: unknown }).createHubSigner;
  } catch (cause) {
    throw new CliError(exitCodes.usage, `--hub-signer: cannot load ${path}: ${(cause as Error).message}`);
  }
  if (typeof create !== 'function')
    throw new CliError(exitCodes.usage, `--hub-signer: ${path} must export a function createHubSigner(config)`);
  const signer = (await create(config)) as HubSigner;
  if (
    !(signer?.publicKey instanceof Uint8Array && isValidPublicKey(signer.publicKey)) ||
    typeof signer.sharedSecret !== 'function'
  )
    throw new CliError(
      exitCodes.usage,
      `--hub-signer: ${path}'s createHubSigner must return { publicKey (33 bytes, compressed), sharedSecret(peerKey) }`,
    );
  return signer;
}

async function postgresPorts(config: HubConfig, hubKey: PublicKey) {
  const connectionString = config.database as string;
  const { postgresLedger } = await import('@trickle/ledger/postgres');
  const { postgresChannelStore } = await import('@trickle/hub/postgres');
  const domain = { networkId: config.networkId, hubId: hubIdFromKey(hubKey) };
  const ledger = await postgresLedger({
    connectionString,
    schema: `${config.schema}_ledger`,
    domain,
    feePpm: config.feePpm,
  });
  try {
    const store = await postgresChannelStore({ connectionString, schema: `${config.schema}_hub` });
    return { ledger, store };
  } catch (error) {
    await ledger.close();
    throw error;
  }
}

/**
 * Reads the admin token file, creating it (32 random bytes, hex, 0600) on first start.
 *
 * @example
 * ```ts
 * import { loadOrCreateToken } from '@trickle/cli';
 * const token = loadOrCreateToken('/var/lib/trickle/admin.token');
 * ```
 */
export function loadOrCreateToken(path: string): string {
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0)
      throw new CliError(exitCodes.usage, `${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
    const token = readFileSync(path, 'utf8').trim();
    if (token.length < 16)
      throw new CliError(exitCodes.usage, `${path} holds a token shorter than 16 characters; write a longer one`);
    return token;
  }
  const token = randomBytes(32).toString('hex');
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return token;
}

function writeFileAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}
