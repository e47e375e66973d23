/**
 * The merchant's own server, as an integrator writes it: `node:http` and the paywall on
 * `/articles/:id`. This is the thing under attack; replace it with yours.
 */
import { createServer, type Server } from 'node:http';
import type { Merchant } from '@trickle/merchant';
import { nodeHttpPaywall } from '@trickle/merchant/node-http';
import { TrickleError } from '@trickle/protocol';

/**
 * Starts the server on 127.0.0.1 (port 0: one the system picks); resolves with it and its
 * base URL, or rejects with `TrickleError` `LISTEN_FAILED` when the port is taken.
 */
export async function startArticleServer(merchant: Merchant, port = 0): Promise<{ server: Server; baseUrl: string }> {
  const paywall = nodeHttpPaywall(merchant, { price: '0.001' });
  const server = createServer(async (req, res) => {
    if (!req.url?.startsWith('/articles/')) {
      res.writeHead(404).end();
      return;
    }
    if (!(await paywall(req, res))) return; // the 402 has been sent
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`the article at ${req.url}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause: NodeJS.ErrnoException) => {
      const why = cause.code === 'EADDRINUSE' ? ': the port is in use' : '';
      reject(new TrickleError('LISTEN_FAILED', `cannot listen on 127.0.0.1:${port}${why}`, { cause }));
    });
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : 0;
  return { server, baseUrl: `http://127.0.0.1:${bound}` };
}
