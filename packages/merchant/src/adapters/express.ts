/**
 * The paywall as Express 5 middleware: put it before a route's handler. It answers `402`
 * itself, or adds its headers and calls `next()`; `paymentOf(req)` (and `res.locals.trickle`)
 * tell the handler how the request was allowed.
 */
import type { Request, RequestHandler } from 'express';
import type { Merchant } from '../merchant.js';
import { recordPayment } from '../paymentOf.js';
import { createPaywall, type PaywallRoute } from '../paywall.js';
import { joinHeader, type RequestFacts, requestPath, requestUrl } from '../requestFacts.js';
import type { ServerAdapterOptions } from './nodeHttp.js';

/**
 * Express middleware guarding one route.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { expressPaywall } from '@trickle/merchant/express';
 * import type { Merchant } from '@trickle/merchant';
 * declare const merchant: Merchant;
 * const app = express();
 * app.get('/articles/:id', expressPaywall(merchant, { price: '0.002' }), (req, res) => {
 *   res.send(`article ${req.params.id}`);
 * });
 * ```
 */
export function expressPaywall(
  merchant: Merchant,
  route: PaywallRoute<Request>,
  options: ServerAdapterOptions = {},
): RequestHandler {
  const paywall = createPaywall(merchant, route);
  return (req, res, next) => {
    paywall(expressRequestFacts(req, options), req).then((decision) => {
      for (const [name, value] of decision.headers) res.append(name, value);
      if (decision.kind === 'paymentRequired') {
        res.status(decision.status).json(decision.body);
        return;
      }
      recordPayment(req, decision);
      res.locals.trickle = decision;
      next();
    }, next);
  };
}

/**
 * Request facts of an Express request (its full `originalUrl`, whatever the mount point).
 *
 * @example
 * ```ts
 * import { expressRequestFacts } from '@trickle/merchant/express';
 * import type { Request } from 'express';
 * declare const req: Request;
 * expressRequestFacts(req).method;
 * ```
 */
export function expressRequestFacts(req: Request, options: ServerAdapterOptions = {}): RequestFacts {
  return {
    method: req.method.toUpperCase(),
    url: requestUrl(req.originalUrl, req.headers.host, req.protocol === 'https' ? 'https' : 'http', options.publicUrl),
    path: requestPath(req.originalUrl),
    header: (name) => joinHeader(name, req.headers[name.toLowerCase()]),
  };
}
