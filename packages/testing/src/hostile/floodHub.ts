/**
 * Floods for a hub: many idle sockets, connection churn, and frames with invalid signatures
 * (each costs the hub a signature check). Every flood runs until its signal aborts and
 * counts what it did; spread sockets over several loopback addresses (`127.0.0.x`) to stay
 * under a per-address connection limit, as a botnet would.
 */
import {
  authSigningBytes,
  createSecretKey,
  createSigner,
  encodeClientMessage,
  hubIdFromKey,
  readCanonical,
  type WireMap,
} from '@trickle/protocol';
import WebSocket from 'ws';

/** Where flood connections come from. */
export interface FloodSource {
  /** The hub's URL. */
  readonly url: string;
  /** Local addresses to connect from, round robin. Default `['127.0.0.1']`. */
  readonly localAddresses?: readonly string[];
}

/** What a flood did. */
export interface FloodReport {
  /** Connections opened. */
  connections: number;
  /** Connections that failed to open or were refused (e.g. by a connection limit). */
  refused: number;
  /** Frames sent. */
  frames: number;
  /** Answers received. */
  answers: number;
}

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

function emptyReport(): FloodReport {
  return { connections: 0, refused: 0, frames: 0, answers: 0 };
}

/** Connects; resolves with the socket and the hub's challenge once admitted, else undefined. */
function open(
  source: FloodSource,
  index: number,
  report: FloodReport,
): Promise<{ ws: WebSocket; challenge: WireMap } | undefined> {
  const addresses = source.localAddresses ?? ['127.0.0.1'];
  const ws = new WebSocket(source.url, {
    perMessageDeflate: false,
    localAddress: addresses[index % addresses.length] as string,
  });
  ws.on('error', () => {});
  let challenged = false;
  return new Promise((resolve) => {
    ws.once('message', (data: Buffer) => {
      challenged = true;
      report.connections++;
      try {
        resolve({ ws, challenge: readCanonical(new Uint8Array(data), 'hub') as WireMap });
      } catch {
        ws.terminate();
        resolve(undefined);
      }
    });
    ws.once('close', () => {
      // Closed before its challenge: refused (a connection limit, a cool-down) or failed.
      if (!challenged) report.refused++;
      resolve(undefined);
    });
  });
}

/**
 * Opens `count` connections that answer the challenge (when `authenticate`) and then say
 * nothing; they stay open until `close()`. Without authenticating, the hub closes them after
 * its `authTimeoutMs`.
 *
 * @example
 * ```ts
 * import { openIdleSockets } from '@trickle/testing';
 * const idle = await openIdleSockets({ url: 'ws://127.0.0.1:8787' }, 50, { authenticate: true });
 * console.log(idle.report.connections);
 * idle.close();
 * ```
 */
export async function openIdleSockets(
  source: FloodSource,
  count: number,
  options: { readonly authenticate?: boolean } = {},
): Promise<{ readonly report: FloodReport; close(): void }> {
  const report = emptyReport();
  const sockets: WebSocket[] = [];
  // Connections per key are limited too: a fresh key per socket.
  for (let i = 0; i < count; i++) {
    const opened = await open(source, i, report);
    if (opened === undefined) continue;
    sockets.push(opened.ws);
    if (options.authenticate === true) await authenticate(opened.ws, opened.challenge, report);
  }
  return {
    report,
    close: () => {
      for (const ws of sockets) ws.terminate();
    },
  };
}

async function authenticate(ws: WebSocket, challenge: WireMap, report: FloodReport): Promise<void> {
  const signer = createSigner(createSecretKey(randomBytes), { randomBytes });
  const domain = { networkId: challenge.net as number, hubId: hubIdFromKey(challenge.hubKey as never) };
  const welcome = new Promise<void>((resolve) => {
    ws.once('message', () => {
      report.answers++;
      resolve();
    });
    ws.once('close', () => resolve());
  });
  ws.send(
    encodeClientMessage({
      type: 'auth',
      clientKey: signer.publicKey,
      signature: signer.sign(authSigningBytes(domain, challenge.nonce as Uint8Array, signer.publicKey)),
    }),
  );
  report.frames++;
  await welcome;
}

/**
 * Opens connections and drops them at once, `concurrency` at a time, until `signal` aborts.
 *
 * @example
 * ```ts
 * import { churnConnections } from '@trickle/testing';
 * const report = await churnConnections({ url: 'ws://127.0.0.1:8787' }, 8, AbortSignal.timeout(1_000));
 * ```
 */
export async function churnConnections(
  source: FloodSource,
  concurrency: number,
  signal: AbortSignal,
): Promise<FloodReport> {
  const report = emptyReport();
  let index = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!signal.aborted) {
        const opened = await open(source, index++, report);
        opened?.ws.terminate();
      }
    }),
  );
  return report;
}

/**
 * Sends `auth` frames whose signature does not verify, over fresh connections,
 * `concurrency` at a time, until `signal` aborts: each costs the hub one signature check
 * before it refuses and closes.
 *
 * @example
 * ```ts
 * import { badSignatureFlood } from '@trickle/testing';
 * const report = await badSignatureFlood({ url: 'ws://127.0.0.1:8787' }, 8, AbortSignal.timeout(1_000));
 * ```
 */
export async function badSignatureFlood(
  source: FloodSource,
  concurrency: number,
  signal: AbortSignal,
): Promise<FloodReport> {
  const report = emptyReport();
  const signer = createSigner(createSecretKey(randomBytes), { randomBytes });
  let index = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!signal.aborted) {
        const addresses = source.localAddresses ?? ['127.0.0.1'];
        const ws = new WebSocket(source.url, {
          perMessageDeflate: false,
          localAddress: addresses[index++ % addresses.length] as string,
        });
        ws.on('error', () => {});
        let challenged = false;
        await new Promise<void>((resolve) => {
          ws.once('message', (data: Buffer) => {
            challenged = true;
            report.connections++;
            let challenge: WireMap;
            try {
              challenge = readCanonical(new Uint8Array(data), 'hub') as WireMap;
            } catch {
              ws.terminate();
              return;
            }
            // Signed over another nonce: well-formed, low-S, and wrong.
            const domain = { networkId: challenge.net as number, hubId: hubIdFromKey(challenge.hubKey as never) };
            const signature = signer.sign(authSigningBytes(domain, randomBytes(32), signer.publicKey));
            ws.send(encodeClientMessage({ type: 'auth', clientKey: signer.publicKey, signature }));
            report.frames++;
            ws.once('message', () => {
              report.answers++;
            });
          });
          ws.once('close', () => {
            if (!challenged) report.refused++;
            resolve();
          });
        });
      }
    }),
  );
  return report;
}
