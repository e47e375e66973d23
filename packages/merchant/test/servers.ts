/**
 * One small shop, served by each framework for real (listening on 127.0.0.1, port 0):
 * - GET  /articles/:id  at 0.002 USD, with entitlements;
 * - POST /api/quote     at 0.001 USD, or 0.01 with `?size=big`, per call (no entitlement);
 * - GET  /free          free;
 * - GET  /broken        at 0.002 USD, whose handler throws after the payment;
 * - GET  /cheap/...      at 0.0001 USD, with entitlements, a whole subtree (routed as received).
 * Handlers answer JSON naming how the paywall allowed the request.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { expressPaywall } from '../src/adapters/express.js';
import { fastifyPaywall } from '../src/adapters/fastify.js';
import { honoPaywall } from '../src/adapters/hono.js';
import { nodeHttpPaywall } from '../src/adapters/nodeHttp.js';
import { type Merchant, type PaywallRoute, paymentOf, type RequestFacts } from '../src/index.js';

export const frameworks = ['node-http', 'express', 'fastify', 'hono'] as const;
export type Framework = (typeof frameworks)[number];

export interface RunningServer {
  readonly baseUrl: string;
  close(): Promise<void>;
}

const article = { price: '0.002', description: 'One article', mimeType: 'application/json' } as const;
const cheap = { price: '0.0001' } as const;
const quote = {
  price: (facts: RequestFacts) => (facts.url.searchParams.get('size') === 'big' ? '0.01' : '0.001'),
  entitlement: false,
} as const;

function route<Native>(settings: PaywallRoute): PaywallRoute<Native> {
  return settings as PaywallRoute<Native>;
}

export async function startServer(framework: Framework, merchant: Merchant): Promise<RunningServer> {
  switch (framework) {
    case 'node-http':
      return startNodeHttp(merchant);
    case 'express':
      return startExpress(merchant);
    case 'fastify':
      return startFastify(merchant);
    case 'hono':
      return startHono(merchant);
  }
}

async function listening(server: Server): Promise<RunningServer> {
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function startNodeHttp(merchant: Merchant): Promise<RunningServer> {
  const articlePaywall = nodeHttpPaywall(merchant, route(article));
  const quotePaywall = nodeHttpPaywall(merchant, route(quote));
  const cheapPaywall = nodeHttpPaywall(merchant, route(cheap));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const json = (value: unknown) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(value));
    };
    const handle = async () => {
      const match = /^\/articles\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && req.url?.startsWith('/cheap/')) {
        if (await cheapPaywall(req, res)) json({ cheap: true, via: paymentOf(req)?.via });
      } else if (req.method === 'GET' && match) {
        if (await articlePaywall(req, res)) json({ article: match[1], via: paymentOf(req)?.via });
      } else if (req.method === 'POST' && path === '/api/quote') {
        if (await quotePaywall(req, res)) json({ quote: 42, via: paymentOf(req)?.via });
      } else if (path === '/free') {
        json({ free: true });
      } else if (path === '/broken') {
        if (await articlePaywall(req, res)) throw new Error('handler failed');
      } else {
        res.statusCode = 404;
        res.end();
      }
    };
    handle().catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  return listening(server);
}

function startExpress(merchant: Merchant): Promise<RunningServer> {
  const app = express();
  app.get('/articles/:id', expressPaywall(merchant, route(article)), (req, res) => {
    res.json({ article: req.params.id, via: paymentOf(req)?.via });
  });
  app.post('/api/quote', expressPaywall(merchant, route(quote)), (req, res) => {
    res.json({ quote: 42, via: paymentOf(req)?.via });
  });
  app.get('/free', (_req, res) => {
    res.json({ free: true });
  });
  app.get('/cheap/*rest', expressPaywall(merchant, route(cheap)), (req, res) => {
    res.json({ cheap: true, via: paymentOf(req)?.via });
  });
  app.get('/broken', expressPaywall(merchant, route(article)), () => {
    throw new Error('handler failed');
  });
  return listening(app.listen(0, '127.0.0.1'));
}

async function startFastify(merchant: Merchant): Promise<RunningServer> {
  const app = Fastify();
  app.get<{ Params: { id: string } }>(
    '/articles/:id',
    { preHandler: fastifyPaywall(merchant, route(article)) },
    async (request) => ({ article: request.params.id, via: paymentOf(request)?.via }),
  );
  app.post('/api/quote', { preHandler: fastifyPaywall(merchant, route(quote)) }, async (request) => ({
    quote: 42,
    via: paymentOf(request)?.via,
  }));
  app.get('/free', async () => ({ free: true }));
  app.get('/cheap/*', { preHandler: fastifyPaywall(merchant, route(cheap)) }, async (request) => ({
    cheap: true,
    via: paymentOf(request)?.via,
  }));
  app.get('/broken', { preHandler: fastifyPaywall(merchant, route(article)) }, async () => {
    throw new Error('handler failed');
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { baseUrl: address, close: () => app.close() };
}

async function startHono(merchant: Merchant): Promise<RunningServer> {
  const app = new Hono();
  app.get('/articles/:id', honoPaywall(merchant, route(article)), (c) =>
    c.json({ article: c.req.param('id'), via: paymentOf(c)?.via }),
  );
  app.post('/api/quote', honoPaywall(merchant, route(quote)), (c) => c.json({ quote: 42, via: paymentOf(c)?.via }));
  app.get('/free', (c) => c.json({ free: true }));
  app.get('/cheap/*', honoPaywall(merchant, route(cheap)), (c) => c.json({ cheap: true, via: paymentOf(c)?.via }));
  app.get('/broken', honoPaywall(merchant, route(article)), () => {
    throw new Error('handler failed');
  });
  app.onError((_error, c) => c.text('handler failed', 500));
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  return listening(server);
}
