/**
 * The hub's admin HTTP API: the CLI's operations over HTTP, behind a bearer token compared
 * in constant time (ADR 0411), with `/healthz`, `/readyz` and `/metrics`. JSON in and out;
 * amounts are decimal strings of minor units. Keep it on a private interface.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Hub, HubLogger } from '@trickle/hub';
import { channelsPageMax } from '@trickle/hub';
import type { TrickleLedger } from '@trickle/ledger';
import { type Asset, asChannelId, asPayeeId, asPublicKey, fromHex, toHex } from '@trickle/protocol';
import type { Registry } from 'prom-client';
import { assetKeyOf, channelTotals } from './channelTotals.js';
import { dashboardHtml } from './dashboard.js';
import { toJson } from './json.js';
import type { HubTraffic } from './metrics.js';

/** Largest request body the admin API reads, in bytes. */
export const adminBodyBytesMax = 16_384;
/** Merchants whose earnings the dashboard shows (the first registered). */
export const dashboardMerchantsMax = 100;
/** Largest page of ledger history one request returns. */
export const historyPageMax = 1_000;

/** Options of {@link createAdminServer}. */
export interface AdminServerOptions {
  readonly hub: Hub<TrickleLedger>;
  /** The bearer token every `/v1/` request must carry. */
  readonly token: string;
  readonly host: string;
  readonly port: number;
  readonly metrics: Registry;
  readonly logger: HubLogger;
  /** What the hub answered (payments, rejects), for the dashboard. */
  readonly traffic?: HubTraffic;
  /** The hub's assets (the first is the default of a request without one). Default USD, scale 6. */
  readonly assets?: readonly Asset[];
  /** PEM certificate and key: serve HTTPS. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

/** A running admin API. */
export interface AdminServer {
  /** `http://host:port` (https with TLS). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A refusal the API answers with a status and a code. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Handler = (input: { body: Record<string, unknown>; query: URLSearchParams; params: string[] }) => Promise<unknown>;

/**
 * Starts the admin API of a running hub.
 *
 * @example
 * ```ts
 * import { createAdminServer, hubMetrics } from '@trickle/cli';
 * import { createHub } from '@trickle/hub';
 * import pino from 'pino';
 * const hub = await createHub({ dataDir: './.data/hub', networkId: 1 });
 * const admin = await createAdminServer({ hub, token: 'a long random secret', host: '127.0.0.1', port: 8788, metrics: hubMetrics(hub), logger: pino() });
 * // curl -H 'authorization: Bearer a long random secret' http://127.0.0.1:8788/v1/merchants
 * await admin.close();
 * ```
 */
export async function createAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const { hub, metrics, logger } = options;
  const ledger = hub.ledger;
  const expected = createHash('sha256').update(options.token).digest();
  const assets = options.assets ?? [{ code: 'USD', scale: 6 }];
  const assetOf = (code: unknown): Asset => {
    const found = code === undefined ? assets[0] : assets.find((a) => a.code === code);
    if (found === undefined) throw new ApiError(400, 'UNKNOWN_ASSET', `asset ${String(code)} is not one of the hub's`);
    return found;
  };
  const hex = (value: unknown, length: number, name: string): Uint8Array => {
    try {
      return fromHex(String(value ?? ''), length, name);
    } catch {
      throw new ApiError(400, 'BAD_INPUT', `${name}: expected ${length * 2} hex digits`);
    }
  };
  const amountOf = (value: unknown): bigint => {
    if (typeof value !== 'string' || !/^[1-9]\d{0,18}$/.test(value)) {
      throw new ApiError(400, 'BAD_INPUT', 'amount: expected a positive integer of minor units, as a string');
    }
    return BigInt(value);
  };
  const referenceOf = (value: unknown): string => {
    if (typeof value !== 'string' || value.length === 0) throw new ApiError(400, 'BAD_INPUT', 'reference: required');
    return value;
  };
  const accountOf = async (query: URLSearchParams) => {
    const asset = assetOf(query.get('asset') ?? undefined);
    if (query.has('client')) return ledger.payerAccount(asPublicKey(hex(query.get('client'), 33, 'client')), asset);
    if (query.has('payee')) return ledger.payeeAccount(asPayeeId(hex(query.get('payee'), 32, 'payee')), asset);
    throw new ApiError(400, 'BAD_INPUT', 'give client=<public key hex> or payee=<payee id hex>');
  };

  const routes: [string, RegExp, Handler][] = [
    [
      'POST',
      /^\/v1\/ledger\/fund$/,
      async ({ body }) =>
        ledger.fundPayer({
          clientKey: asPublicKey(hex(body.clientKey, 33, 'clientKey')),
          asset: assetOf(body.asset),
          amount: amountOf(body.amount),
          reference: referenceOf(body.reference),
        }),
    ],
    [
      'GET',
      /^\/v1\/ledger\/balance$/,
      async ({ query }) => {
        const account = await accountOf(query);
        if (account === undefined) throw new ApiError(404, 'NO_ACCOUNT', 'no ledger account yet: fund it first');
        return account;
      },
    ],
    [
      'GET',
      /^\/v1\/ledger\/history$/,
      async ({ query }) => {
        const account = await accountOf(query);
        if (account === undefined) throw new ApiError(404, 'NO_ACCOUNT', 'no ledger account yet: fund it first');
        const limit = Number(query.get('limit') ?? 100);
        if (!(Number.isSafeInteger(limit) && limit >= 1 && limit <= historyPageMax)) {
          throw new ApiError(400, 'BAD_INPUT', `limit: 1..${historyPageMax}`);
        }
        const after = query.get('after') ?? '0';
        if (!/^\d{1,19}$/.test(after)) throw new ApiError(400, 'BAD_INPUT', 'after: a transfer serial');
        const transfers = await ledger.accountTransfers(account.id, { afterSerial: BigInt(after), limit });
        return { account: account.id, transfers };
      },
    ],
    ['GET', /^\/v1\/merchants$/, async () => hub.merchants()],
    [
      'POST',
      /^\/v1\/merchants$/,
      async ({ body }) => {
        const name = body.name === undefined ? undefined : String(body.name);
        const merchant = await hub.registerMerchant({
          publicKey: toHex(hex(body.publicKey, 33, 'publicKey')),
          ...(name === undefined ? {} : { name }),
        });
        return merchant;
      },
    ],
    [
      'POST',
      /^\/v1\/merchants\/([0-9a-f]{64})\/payout$/,
      async ({ body, params }) =>
        ledger.payout({
          payee: asPayeeId(hex(params[0], 32, 'payee')),
          asset: assetOf(body.asset),
          amount: amountOf(body.amount),
          reference: referenceOf(body.reference),
        }),
    ],
    [
      'GET',
      /^\/v1\/channels$/,
      async ({ query }) => {
        const limit = Number(query.get('limit') ?? 100);
        if (!(Number.isSafeInteger(limit) && limit >= 1 && limit <= channelsPageMax)) {
          throw new ApiError(400, 'BAD_INPUT', `limit: 1..${channelsPageMax}`);
        }
        const after = query.get('after');
        if (after !== null) hex(after, 32, 'after');
        return hub.channels(after === null ? { limit } : { after, limit });
      },
    ],
    [
      'GET',
      /^\/v1\/channels\/([0-9a-f]{64})$/,
      async ({ params }) => {
        const channelId = asChannelId(hex(params[0], 32, 'channel'));
        // From the store when not in memory: the hub keeps only the channels at work (ADR 0419).
        const state = await hub.readChannel(channelId);
        const onLedger = await ledger.channel(channelId);
        if (state === undefined && onLedger === undefined) {
          throw new ApiError(404, 'NO_CHANNEL', `no channel ${params[0]} at this hub`);
        }
        return { hub: state ?? null, ledger: onLedger ?? null };
      },
    ],
    [
      'POST',
      /^\/v1\/channels\/([0-9a-f]{64})\/claim$/,
      async ({ params }) => {
        const channelId = asChannelId(hex(params[0], 32, 'channel'));
        if ((await hub.readChannel(channelId)) === undefined)
          throw new ApiError(404, 'NO_CHANNEL', `no channel ${params[0]} on this hub`);
        return { claimedSeq: await hub.settlement.claimNow(channelId) };
      },
    ],
    [
      'GET',
      /^\/v1\/dashboard$/,
      async () => {
        const totals = await channelTotals(hub);
        const escrow: Record<string, bigint> = {};
        for (const a of assets) escrow[assetKeyOf(a)] = 0n;
        for (const [key, amount] of totals.escrow) escrow[key] = amount;
        const open = totals.openCount;
        const merchants = [];
        for (const merchant of hub.merchants().slice(0, dashboardMerchantsMax)) {
          const earned: Record<string, bigint> = {};
          for (const asset of assets) {
            const account = await ledger.payeeAccount(merchant.payeeId, asset);
            earned[assetKeyOf(asset)] = account?.balance ?? 0n;
          }
          merchants.push({ payeeId: toHex(merchant.payeeId), name: merchant.name, earned });
        }
        const backlog = hub.settlement.backlog();
        return {
          atMs: Date.now(),
          assets,
          openChannels: open,
          connections: hub.connectionCount,
          payments: options.traffic?.payments() ?? 0,
          escrow,
          liability: {
            ...Object.fromEntries(assets.map((a) => [assetKeyOf(a), 0n])),
            ...Object.fromEntries(totals.liability),
          },
          backlog,
          merchants,
          recentRejects: options.traffic?.recentRejects() ?? [],
        };
      },
    ],
    ['POST', /^\/v1\/settle$/, async () => hub.settlement.runOnce()],
    [
      'GET',
      /^\/v1\/settle$/,
      async () => ({ backlog: hub.settlement.backlog(), lastRun: hub.settlement.lastRun ?? null }),
    ],
    ['POST', /^\/v1\/audit$/, async () => ledger.audit()],
    [
      'GET',
      /^\/v1\/hub$/,
      async () => ({
        url: hub.url,
        hubId: toHex(hub.hubId),
        publicKey: toHex(hub.publicKey),
        networkId: hub.networkId,
        assets,
        connections: hub.connectionCount,
        channelsInMemory: hub.channelCount,
      }),
    ],
  ];

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://admin');
    const requestId = toHex(crypto.getRandomValues(new Uint8Array(8)));
    if (request.method === 'GET' && url.pathname === '/healthz') return send(response, 200, { ok: true });
    if (request.method === 'GET' && url.pathname === '/readyz') {
      try {
        await hub.ready();
        return send(response, 200, { ready: true });
      } catch (error) {
        logger.warn({ requestId, err: String(error) }, 'not ready');
        return send(response, 503, { ready: false, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    if (request.method === 'GET' && url.pathname === '/dashboard') {
      // The page holds no data: it asks /v1/dashboard with the token it is given.
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
      });
      response.end(dashboardHtml);
      return;
    }
    if (request.method === 'GET' && url.pathname === '/metrics') {
      response.writeHead(200, { 'content-type': metrics.contentType });
      response.end(await metrics.metrics());
      return;
    }
    if (!authorized(request.headers.authorization)) {
      return send(response, 401, { code: 'UNAUTHORIZED', message: 'missing or wrong bearer token' });
    }
    const route = routes.find(([method, pattern]) => method === request.method && pattern.test(url.pathname));
    if (route === undefined)
      return send(response, 404, { code: 'NOT_FOUND', message: `no ${request.method} ${url.pathname}` });
    const params = (route[1].exec(url.pathname) ?? []).slice(1);
    try {
      const body = request.method === 'POST' ? await readBody(request) : {};
      const result = await route[2]({ body, query: url.searchParams, params });
      logger.info({ requestId, method: request.method, path: url.pathname }, 'admin request');
      return send(response, 200, result);
    } catch (error) {
      const [status, code, message] = refusalOf(error);
      (status >= 500 ? logger.error : logger.warn).call(
        logger,
        { requestId, method: request.method, path: url.pathname, code },
        `admin request refused: ${message}`,
      );
      return send(response, status, { code, message });
    }
  }

  function authorized(header: string | undefined): boolean {
    const match = /^Bearer (.+)$/.exec(header ?? '');
    if (match === null) return false;
    // Both sides hashed to 32 bytes: timingSafeEqual needs equal lengths, and the length leaks nothing.
    return timingSafeEqual(
      createHash('sha256')
        .update(match[1] as string)
        .digest(),
      expected,
    );
  }

  const listener = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      logger.error({ err: String(error) }, 'admin request failed');
      if (!response.headersSent) send(response, 500, { code: 'INTERNAL', message: 'see the hub log' });
    });
  };
  const server: Server =
    options.tls === undefined ? createHttpServer(listener) : createHttpsServer(options.tls, listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > adminBodyBytesMax) throw new ApiError(413, 'TOO_LARGE', `body over ${adminBodyBytesMax} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError(400, 'BAD_INPUT', 'the body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'BAD_INPUT', 'the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function refusalOf(error: unknown): [number, string, string] {
  if (error instanceof ApiError) return [error.status, error.code, error.message];
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError || error instanceof TypeError) return [400, 'BAD_INPUT', message];
  if (typeof code === 'string' && error instanceof Error && error.name !== 'Error') return [409, code, message];
  return [500, 'INTERNAL', 'internal error; see the hub log'];
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(`${toJson(body)}\n`);
}
