/**
 * The wallet's byte transport: one message-oriented connection to the hub. Two
 * implementations: the global `WebSocket` (browsers) and `ws` (Node). The wallet never
 * touches a socket directly, so the same wallet code runs in both.
 */

/** What a connection reports. */
export interface ConnectionHandlers {
  /** The connection is open: the hub's challenge follows. */
  onOpen(): void;
  /** One binary message from the hub. */
  onMessage(bytes: Uint8Array): void;
  /** The connection is gone (after an error too); called exactly once. */
  onClose(code: number, reason: string): void;
}

/** One open (or opening) connection. */
export interface Connection {
  /** Sends one binary message; dropped silently once closing. */
  send(bytes: Uint8Array): void;
  /** Closes the connection. */
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet sent. */
  readonly bufferedAmount: number;
}

/** Opens connections. */
export interface Transport {
  /** A short name for logs, e.g. `ws`, `websocket`. */
  readonly name: string;
  connect(url: string, handlers: ConnectionHandlers): Connection;
}
