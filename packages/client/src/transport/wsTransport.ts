/** The transport on `ws` for Node: compression off, a small maxPayload, every option explicit. */
import { frameBytesMax } from '@trickle/protocol';
import WebSocket from 'ws';
import type { Connection, ConnectionHandlers, Transport } from './transport.js';

/** Options of {@link wsTransport}. */
export interface WsTransportOptions {
  /** Largest message accepted from the hub, in bytes. Default 2 x frameBytesMax (131,072). */
  readonly payloadBytesMax?: number;
  /** Time to establish the connection, in ms. Default 10,000. */
  readonly handshakeTimeoutMs?: number;
  /**
   * Certificate authorities (PEM) to trust for `wss://` besides the system's: a hub with a
   * private CA or a self-signed certificate. Default: the system's only.
   */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
}

/** Longest close reason taken from a connection error's message, in characters. */
const failureCharsMax = 200;

const pem = (certificate: string | Uint8Array): string | Buffer =>
  typeof certificate === 'string' ? certificate : Buffer.from(certificate);

/**
 * A transport over the `ws` package (Node).
 *
 * @example
 * ```ts
 * import { wsTransport } from '@trickle/client/node';
 * const transport = wsTransport({ handshakeTimeoutMs: 5_000 });
 * ```
 */
export function wsTransport(options: WsTransportOptions = {}): Transport {
  return {
    name: 'ws',
    connect(url: string, handlers: ConnectionHandlers): Connection {
      const socket = new WebSocket(url, {
        perMessageDeflate: false,
        maxPayload: options.payloadBytesMax ?? 2 * frameBytesMax,
        handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
        followRedirects: false,
        ...(options.ca === undefined
          ? {}
          : { ca: Array.isArray(options.ca) ? options.ca.map(pem) : [pem(options.ca as string | Uint8Array)] }),
      });
      socket.binaryType = 'nodebuffer';
      let closed = false;
      const finish = (code: number, reason: string) => {
        if (closed) return;
        closed = true;
        handlers.onClose(code, reason);
      };
      socket.on('open', () => handlers.onOpen());
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) {
          socket.close(1003, 'binary frames only');
          return;
        }
        handlers.onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      });
      /** Why the connection failed, when it did (a refused connection, an untrusted certificate): the close reason. */
      let failure: string | undefined;
      socket.on('close', (code: number, reason: Buffer) => finish(code, reason.toString() || (failure ?? '')));
      socket.on('error', (error: Error) => {
        failure = error.message.slice(0, failureCharsMax);
        // 'close' follows an error, except when the handshake never started.
        if (socket.readyState === WebSocket.CLOSED) finish(1006, failure);
      });
      return {
        send(bytes) {
          if (socket.readyState === WebSocket.OPEN) socket.send(bytes);
        },
        close(code = 1000, reason = '') {
          if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
          else socket.close(code, reason);
        },
        get bufferedAmount() {
          return socket.bufferedAmount;
        },
      };
    },
  };
}
