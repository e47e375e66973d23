/** A `ws` transport whose frames pass through filters: for tests that drop, hold or garble frames. */
import type { Connection, Transport } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';

/** What each frame becomes: other bytes, or `undefined` to drop it. */
export interface FrameFilters {
  /** A frame the wallet sends. */
  readonly outgoing?: (bytes: Uint8Array) => Uint8Array | undefined;
  /** A frame the hub sends. */
  readonly incoming?: (bytes: Uint8Array) => Uint8Array | undefined;
}

/** The transport, and a way to close its current connection (the wallet reconnects by itself). */
export function filteringTransport(name: string, filters: FrameFilters) {
  const inner = wsTransport();
  let current: Connection | undefined;
  const transport: Transport = {
    name,
    connect(url, handlers) {
      const connection = inner.connect(url, {
        onOpen: handlers.onOpen,
        onClose: handlers.onClose,
        onMessage(bytes) {
          const delivered = filters.incoming === undefined ? bytes : filters.incoming(bytes);
          if (delivered !== undefined) handlers.onMessage(delivered);
        },
      });
      current = connection;
      return {
        send(bytes) {
          const sent = filters.outgoing === undefined ? bytes : filters.outgoing(bytes);
          if (sent !== undefined) connection.send(sent);
        },
        close: (code, reason) => connection.close(code, reason),
        get bufferedAmount() {
          return connection.bufferedAmount;
        },
      };
    },
  };
  return { transport, close: (code: number, reason: string) => current?.close(code, reason) };
}
