/**
 * The paywall as a Fastify 5 `preHandler` hook: answers `402` itself, or adds its headers
 * and lets the handler run; `paymentOf(request)` tells the handler how it was allowed.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Merchant } from '../merchant.js';
import { recordPayment } from '../paymentOf.js';
import { createPaywall, type PaywallRoute } from '../paywall.js';
import { joinHeader, type RequestFacts, requestPath, requestUrl } from '../requestFacts.js';
import type { ServerAdapterOptions } from './nodeHttp.js';

/**
 * A Fastify `preHandler` guarding one route.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { fastifyPaywall } from '@trickle/merchant/fastify';
 * import type { Merchant } from '@trickle/merchant';
 * declare const merchant: Merchant;
 * const app = Fastify();
 * app.get('/articles/:id', { preHandler: fastifyPaywall(merchant, { price: '0.002' }) }, async () => 'the article');
 * ```
 */
export function fastifyPaywall(
  merchant: Merchant,
  route: PaywallRoute<FastifyRequest>,
  options: ServerAdapterOptions = {},
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const paywall = createPaywall(merchant, route);
  return async (request, reply) => {
    const decision = await paywall(fastifyRequestFacts(request, options), request);
    // Fastify keeps repeated Set-Cookie values as a list; other names are set once.
    for (const [name, value] of decision.headers) reply.header(name, value);
    if (decision.kind === 'paymentRequired') {
      reply.code(decision.status).type('application/json; charset=utf-8').send(decision.body);
      return reply;
    }
    recordPayment(request, decision);
    return undefined;
  };
}

/**
 * Request facts of a Fastify request.
 *
 * @example
 * ```ts
 * import { fastifyRequestFacts } from '@trickle/merchant/fastify';
 * import type { FastifyRequest } from 'fastify';
 * declare const request: FastifyRequest;
 * fastifyRequestFacts(request).url.pathname;
 * ```
 */
export function fastifyRequestFacts(request: FastifyRequest, options: ServerAdapterOptions = {}): RequestFacts {
  return {
    method: request.method.toUpperCase(),
    url: requestUrl(
      request.url,
      request.headers.host,
      request.protocol === 'https' ? 'https' : 'http',
      options.publicUrl,
    ),
    path: requestPath(request.url),
    header: (name) => joinHeader(name, request.headers[name.toLowerCase()]),
  };
}
