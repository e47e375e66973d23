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
}

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
      socket.on('close', (code: number, reason: Buffer) => finish(code, reason.toString()));
      socket.on('error', () => {
        // 'close' follows an error, except when the handshake never started.
        if (socket.readyState === WebSocket.CLOSED) finish(1006, 'error');
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
