/**
 * The paywall as Hono middleware (any runtime Hono runs on: Node via `@hono/node-server`,
 * Bun, Deno, workers): answers `402` itself, or adds its headers and calls `next()`;
 * `paymentOf(c)` tells the handler how the request was allowed.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Merchant } from '../merchant.js';
import { recordPayment } from '../paymentOf.js';
import { createPaywall, type PaywallRoute } from '../paywall.js';
import type { RequestFacts } from '../requestFacts.js';

/**
 * Hono middleware guarding one route.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { honoPaywall } from '@trickle/merchant/hono';
 * import type { Merchant } from '@trickle/merchant';
 * declare const merchant: Merchant;
 * const app = new Hono();
 * app.get('/articles/:id', honoPaywall(merchant, { price: '0.002' }), (c) => c.text(`article ${c.req.param('id')}`));
 * ```
 */
export function honoPaywall(merchant: Merchant, route: PaywallRoute<Context>): MiddlewareHandler {
  const paywall = createPaywall(merchant, route);
  return async (c, next) => {
    const decision = await paywall(honoRequestFacts(c), c);
    for (const [name, value] of decision.headers) c.header(name, value, { append: true });
    if (decision.kind === 'paymentRequired') return c.json(decision.body, decision.status);
    recordPayment(c, decision);
    await next();
    return undefined;
  };
}

/**
 * Request facts of a Hono context.
 *
 * @example
 * ```ts
 * import { honoRequestFacts } from '@trickle/merchant/hono';
 * import type { Context } from 'hono';
 * declare const c: Context;
 * honoRequestFacts(c).url.pathname;
 * ```
 */
export function honoRequestFacts(c: Context): RequestFacts {
  return {
    method: c.req.method.toUpperCase(),
    url: new URL(c.req.url),
    header: (name) => c.req.header(name),
  };
}
