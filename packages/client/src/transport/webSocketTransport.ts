/** The transport on the global `WebSocket` (browsers, Deno, Node 22+). No Node built-ins. */
import type { Connection, ConnectionHandlers, Transport } from './transport.js';

/**
 * A transport over the global `WebSocket`. Browsers negotiate no compression for binary
 * messages by default and cap nothing themselves: the hub enforces frame limits.
 *
 * @example
 * ```ts
 * import { webSocketTransport } from '@trickle/client';
 * const transport = webSocketTransport();
 * ```
 */
export function webSocketTransport(): Transport {
  const Socket = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (Socket === undefined) throw new TypeError('webSocketTransport: no global WebSocket in this environment');
  return {
    name: 'websocket',
    connect(url: string, handlers: ConnectionHandlers): Connection {
      const socket = new Socket(url);
      socket.binaryType = 'arraybuffer';
      let closed = false;
      const finish = (code: number, reason: string) => {
        if (closed) return;
        closed = true;
        handlers.onClose(code, reason);
      };
      socket.onopen = () => handlers.onOpen();
      socket.onmessage = (event: MessageEvent) => {
        if (event.data instanceof ArrayBuffer) handlers.onMessage(new Uint8Array(event.data));
        else socket.close(1003, 'binary frames only');
      };
      socket.onclose = (event: CloseEvent) => finish(event.code, event.reason);
      socket.onerror = () => finish(1006, 'error');
      return {
        send(bytes) {
          if (socket.readyState === socket.OPEN) socket.send(bytes);
        },
        close(code = 1000, reason = '') {
          try {
            socket.close(code, reason);
          } catch {
            socket.close();
          }
        },
        get bufferedAmount() {
          return socket.bufferedAmount;
        },
      };
    },
  };
}
