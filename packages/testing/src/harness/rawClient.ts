/** A bare protocol client for hostile-input tests: sends exactly the frames it is given. */

import {
  authSigningBytes,
  type ClientMessage,
  createSigner,
  type Domain,
  decodeHubMessage,
  encodeClientMessage,
  type HubMessage,
  type HubMessageOf,
  type SecretKey,
  type Signer,
} from '@trickle/protocol';
import WebSocket from 'ws';

/** A connection that sends exactly what it is given and keeps every frame it receives. */
export interface RawClient {
  readonly ws: WebSocket;
  readonly signer: Signer;
  readonly domain: Domain;
  readonly challenge: HubMessageOf<'challenge'>;
  /** Messages received and not yet taken. */
  readonly inbox: HubMessage[];
  /** Every frame received, as its bytes, in order (each has passed the strict decoder). */
  readonly frames: Uint8Array[];
  send(message: ClientMessage): void;
  sendBytes(bytes: Uint8Array | string): void;
  /** The next message (waits for it). */
  next(): Promise<HubMessage>;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/**
 * Connects and waits for the challenge; authenticates unless `authenticate` is false.
 * `autoPong: false` plays a dead peer.
 *
 * @example
 * ```ts
 * import { rawClient, testKey } from '@trickle/testing/harness';
 * const raw = await rawClient('ws://127.0.0.1:8787', testKey('payer'));
 * raw.sendBytes(new Uint8Array([0xc1])); // a byte msgpack never uses
 * const reply = await raw.next(); // a typed reject
 * raw.close();
 * ```
 */
export async function rawClient(
  url: string,
  key: SecretKey,
  authenticate = true,
  options: { readonly autoPong?: boolean } = {},
): Promise<RawClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 20, autoPong: options.autoPong ?? true });
  const inbox: HubMessage[] = [];
  const frames: Uint8Array[] = [];
  const waiters: ((m: HubMessage) => void)[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => {});
  ws.on('message', (data: Buffer) => {
    const frame = new Uint8Array(data);
    frames.push(frame);
    const message = decodeHubMessage(frame);
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else inbox.push(message);
  });
  const next = () =>
    inbox.length > 0 ? Promise.resolve(inbox.shift() as HubMessage) : new Promise<HubMessage>((r) => waiters.push(r));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const challenge = (await next()) as HubMessageOf<'challenge'>;
  const signer = createSigner(key, { randomBytes });
  const domain: Domain = { networkId: challenge.networkId, hubId: challenge.hubId };
  const client: RawClient = {
    ws,
    signer,
    domain,
    challenge,
    inbox,
    frames,
    send: (message) => ws.send(encodeClientMessage(message)),
    sendBytes: (bytes) => ws.send(bytes),
    next,
    closed,
    close: () => ws.close(),
  };
  if (authenticate) {
    client.send({
      type: 'auth',
      clientKey: signer.publicKey,
      signature: signer.sign(authSigningBytes(domain, challenge.nonce, signer.publicKey)),
    });
    const welcome = await next();
    if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${welcome.type}`);
  }
  return client;
}
