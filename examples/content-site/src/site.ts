/**
 * The content site: a few articles, each behind a Trickle paywall at a sub-cent price,
 * and a reader page that pays for them from the browser. Hono on Node.
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Merchant } from '@trickle/merchant';
import { honoPaywall } from '@trickle/merchant/hono';
import { formatAmount, fromHex, isValidPublicKey, parseAmount, TrickleError, toHex } from '@trickle/protocol';
import { Hono } from 'hono';
import { articleById, articles } from './articles.js';
import { bundlePage, bundleReader } from './bundle.js';

/** Funds a demo payer on the ledger (the demo's faucet); returns the amount credited. */
export type DemoFaucet = (clientKey: Uint8Array) => Promise<bigint>;

/** Options of {@link startContentSite}. */
export interface ContentSiteOptions {
  readonly merchant: Merchant;
  /** Where the site listens. Default 127.0.0.1:3000; port 0 lets the OS choose. */
  readonly host?: string;
  readonly port?: number;
  /** When given, `POST /demo/fund` credits a reader's ledger account: for the demo only. */
  readonly faucet?: DemoFaucet;
}

/** A running site. */
export interface ContentSite {
  readonly url: string;
  close(): Promise<void>;
}

const publicDir = join(import.meta.dirname, '..', 'public');

/** Builds the Hono app (exported for tests that do not need a socket). */
export async function createContentSiteApp(options: ContentSiteOptions): Promise<Hono> {
  const { merchant } = options;
  const readerJs = await bundleReader();
  const p2pJs = await bundlePage('p2p.ts');
  const indexHtml = await readFile(join(publicDir, 'index.html'), 'utf8');
  const p2pHtml = await readFile(join(publicDir, 'p2p.html'), 'utf8');
  const styleCss = await readFile(join(publicDir, 'style.css'), 'utf8');
  const config = JSON.stringify({
    hubUrl: merchant.hubUrl,
    networkId: merchant.networkId,
    hubId: toHex(merchant.hubId),
    asset: merchant.asset,
    faucet: options.faucet !== undefined,
  });

  const app = new Hono();
  const configTag = '<script id="config" type="application/json">{}</script>';
  if (!indexHtml.includes(configTag)) throw new Error('index.html lost its config tag');
  const withConfig = (html: string) =>
    html.replace(configTag, configTag.replace('{}', config.replaceAll('<', '\\u003c')));
  if (!p2pHtml.includes(configTag)) throw new Error('p2p.html lost its config tag');
  const page = withConfig(indexHtml);
  app.get('/', (c) => c.html(page));
  // Pay a friend: request money with a QR code in one tab, pay it from another (issue 15).
  const p2pPage = withConfig(p2pHtml);
  app.get('/p2p', (c) => c.html(p2pPage));
  app.get('/p2p.js', (c) => c.body(p2pJs, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/reader.js', (c) => c.body(readerJs, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/style.css', (c) => c.body(styleCss, 200, { 'content-type': 'text/css; charset=utf-8' }));

  app.get('/api/articles', (c) =>
    c.json(
      articles.map(({ id, title, teaser, price }) => ({
        id,
        title,
        teaser,
        price: formatAmount(parseAmount(price, merchant.asset), merchant.asset, { withCode: true }),
      })),
    ),
  );

  app.get(
    '/articles/:id',
    honoPaywall(merchant, {
      // Unknown ids are free (and answered 404 below), so nobody pays for nothing.
      price: (_facts, c) => articleById(c.req.param('id') ?? '')?.price ?? null,
      description: 'One article of The Daily Trickle',
      mimeType: 'application/json',
    }),
    (c) => {
      const article = articleById(c.req.param('id') ?? '');
      if (article === undefined) return c.json({ error: 'no such article' }, 404);
      return c.json({ id: article.id, title: article.title, body: article.body });
    },
  );

  const { faucet } = options;
  if (faucet !== undefined) {
    app.post('/demo/fund', async (c) => {
      const body = (await c.req.json().catch(() => undefined)) as { publicKey?: unknown } | undefined;
      const hex = typeof body?.publicKey === 'string' && /^[0-9a-f]{66}$/.test(body.publicKey) ? body.publicKey : '';
      const clientKey = hex === '' ? undefined : fromHex(hex, 33);
      if (clientKey === undefined || !isValidPublicKey(clientKey))
        return c.json({ error: 'publicKey: 33-byte hex' }, 400);
      const credited = await faucet(clientKey);
      return c.json({ credited: formatAmount(credited, merchant.asset, { withCode: true }) });
    });
  }
  return app;
}

/**
 * Starts the site.
 *
 * @example
 * ```ts
 * const site = await startContentSite({ merchant, port: 3000 });
 * console.log(site.url);
 * ```
 */
export async function startContentSite(options: ContentSiteOptions): Promise<ContentSite> {
  const app = await createContentSiteApp(options);
  const host = options.host ?? '127.0.0.1';
  const requested = options.port ?? 3000;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: requested }, () => resolve(s));
    s.once('error', (cause: NodeJS.ErrnoException) => {
      const why = cause.code === 'EADDRINUSE' ? ': the port is in use' : ` (${cause.code ?? cause.message})`;
      reject(new TrickleError('LISTEN_FAILED', `cannot listen on ${host}:${requested}${why}`, { cause }));
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
