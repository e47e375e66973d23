/**
 * The paywall for plain `node:http` (and anything built on its request and response
 * objects): a function that either answers `402` itself and resolves `false`, or adds its
 * headers to the response and resolves `true` for the handler to go on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Merchant } from '../merchant.js';
import { recordPayment } from '../paymentOf.js';
import { createPaywall, type HeaderList, type PaywallRoute } from '../paywall.js';
import { joinHeader, type RequestFacts, requestPath, requestUrl } from '../requestFacts.js';

/** Options of the adapters that see only a request-target and a `Host` header. */
export interface ServerAdapterOptions {
  /** The site's public origin (e.g. `https://news.example`), when behind a proxy; default from `Host`. */
  readonly publicUrl?: string;
}

/**
 * Guards one route of a `node:http` server.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { nodeHttpPaywall } from '@trickle/merchant/node-http';
 * import type { Merchant } from '@trickle/merchant';
 * declare const merchant: Merchant;
 * const paywall = nodeHttpPaywall(merchant, { price: '0.002' });
 * createServer(async (req, res) => {
 *   if (!(await paywall(req, res))) return; // a 402 was sent
 *   res.end('the article');
 * }).listen(3000);
 * ```
 */
export function nodeHttpPaywall(
  merchant: Merchant,
  route: PaywallRoute<IncomingMessage>,
  options: ServerAdapterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const paywall = createPaywall(merchant, route);
  return async (req, res) => {
    const decision = await paywall(nodeRequestFacts(req, options), req);
    if (decision.kind === 'paymentRequired') {
      appendHeaders(res, decision.headers);
      const body = JSON.stringify(decision.body);
      res.statusCode = decision.status;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(body);
      return false;
    }
    appendHeaders(res, decision.headers);
    recordPayment(req, decision);
    return true;
  };
}

/**
 * Request facts of a `node:http` request.
 *
 * @example
 * ```ts
 * import { nodeRequestFacts } from '@trickle/merchant/node-http';
 * import type { IncomingMessage } from 'node:http';
 * declare const req: IncomingMessage;
 * nodeRequestFacts(req).url.pathname;
 * ```
 */
export function nodeRequestFacts(req: IncomingMessage, options: ServerAdapterOptions = {}): RequestFacts {
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    url: requestUrl(req.url ?? '/', req.headers.host, encrypted ? 'https' : 'http', options.publicUrl),
    path: requestPath(req.url ?? '/'),
    header: (name) => joinHeader(name, req.headers[name.toLowerCase()]),
  };
}

function appendHeaders(res: ServerResponse, headers: HeaderList): void {
  for (const [name, value] of headers) res.appendHeader(name, value);
}
