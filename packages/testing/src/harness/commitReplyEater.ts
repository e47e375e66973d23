/** A TCP proxy in front of PostgreSQL that can lose the reply to one COMMIT, for tests of lost connections. */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that, when armed, lets the next COMMIT through to the
 * server, waits for the server's answer (the commit is done), and then cuts the
 * connection instead of passing the answer on.
 *
 * @example
 * ```ts
 * import { commitReplyEater, postgresUrl } from '@trickle/testing/harness';
 * const proxy = commitReplyEater(new URL(postgresUrl));
 * ```
 */
export function commitReplyEater(target: URL) {
  const sockets = new Set<Socket>();
  let armed = false;
  let eaten = 0;
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let cutting = false;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', cut);
    upstream.on('close', cut);
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes('COMMIT\0')) {
        armed = false;
        cutting = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutting) {
        eaten++;
        cut();
        return;
      }
      client.write(chunk);
    });
  });
  return {
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      const url = new URL(target.href);
      url.hostname = '127.0.0.1';
      url.port = String(typeof address === 'object' && address !== null ? address.port : 0);
      return url.href;
    },
    arm: () => {
      armed = true;
    },
    get eaten() {
      return eaten;
    },
    async close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
