/**
 * The wallet's session with its hub: connect, check the hub's identity, authenticate,
 * reconnect with backoff, and correlate requests (open, topUp, close, sync, log) with
 * their answers, resending them after a reconnect until answered. Payments are not
 * handled here: `pay` frames go out through `send`, and their answers come back through
 * the handlers.
 */
import {
  authSigningBytes,
  type ClientMessage,
  type Domain,
  decodeHubMessage,
  encodeClientMessage,
  equalBytes,
  type HubId,
  type HubMessage,
  type HubMessageOf,
  hubIdFromKey,
  protocolVersion,
  type RandomBytes,
  RejectError,
  rejectCodes,
  type Signer,
} from '@trickle/protocol';
import { WalletError } from './errors.js';
import type { Connection, Transport } from './transport/transport.js';
import { resendDelayMs } from './wallet.js';

/** A request (a client message with an id) as it goes on the wire. */
export type RequestMessage = Exclude<ClientMessage, { type: 'auth' } | { type: 'pay' }>;

/** A request as the wallet hands it over: the connection assigns the id. */
export type RequestBody = RequestMessage extends infer M ? (M extends unknown ? Omit<M, 'id'> : never) : never;

/** What the wallet does at each step of the session. */
export interface HubConnectionHandlers {
  /** The hub proved who it is (id derived from its key, network and pin checked): the domain to sign for. */
  identified(hubId: HubId): Promise<Domain>;
  /**
   * Authenticated (again): finish half-done work and resend what is unacknowledged. Requests
   * still unanswered from earlier connections are resent just before; `outstanding` names
   * their types. Throwing a WalletError DISCONNECTED or STOPPED abandons the attempt quietly.
   */
  resume(outstanding: ReadonlySet<RequestMessage['type']>): Promise<void>;
  /** Payments may flow. `reconnected` is false the first time. */
  ready(reconnected: boolean, attempts: number): void;
  /** A `receipts` message. */
  receipts(message: HubMessageOf<'receipts'>): void;
  /** A `reject` that answers no pending request (a pay frame's, or a session-level one). */
  payReject(message: HubMessageOf<'reject'>): Promise<void>;
  /** A `closing` or `closed` message the hub sent unasked (a notice about a channel). */
  notice(message: HubMessageOf<'closing'> | HubMessageOf<'closed'>): void;
  /** The connection is gone; `hadSession` when it had been authenticated. */
  disconnected(code: number, reason: string, hadSession: boolean): void;
  /** A failure the session cannot recover from (wrong hub, refused authentication). */
  fatal(error: WalletError): void;
  /** An error to report without stopping (store failure while pinning, bad resume). */
  error(error: Error): void;
}

/** Options of {@link createHubConnection}. */
export interface HubConnectionOptions {
  readonly transport: Transport;
  readonly url: string;
  readonly networkId: number;
  /** The hub id to insist on, if known (given, or pinned at an earlier first contact). */
  readonly expectedHubId: () => HubId | undefined;
  readonly signer: Signer;
  readonly randomBytes: RandomBytes;
  readonly reconnectDelayMsMin: number;
  readonly reconnectDelayMsMax: number;
  readonly handlers: HubConnectionHandlers;
}

/** A running session. */
export interface HubConnection {
  /** True when payments may be sent (authenticated and resumed). */
  readonly ready: boolean;
  /** True while authenticated (resuming or ready). */
  readonly authenticated: boolean;
  /** Sends a frame on the current connection (dropped when there is none). */
  send(message: ClientMessage): void;
  /** A fresh id for a `pay` frame, never one a pending request uses (one counter for both). */
  nextId(): number;
  /** Sends a request and resolves with its answer, rejects with a RejectError; resent after reconnects. */
  request<T extends HubMessage>(body: RequestBody): Promise<T>;
  /** Resolves once ready; rejects when stopped or failed. */
  whenReady(): Promise<void>;
  /** Closes the current connection (a new one follows, unless stopped). */
  drop(reason: string): void;
  /** Stops for good: closes the connection and fails every waiter and request with `error`. */
  stop(error: Error): void;
}

interface PendingRequest {
  readonly message: RequestMessage;
  readonly resolve: (message: HubMessage) => void;
  readonly reject: (error: unknown) => void;
}

/** Starts the session (connects at once). Internal to createWallet. */
export function createHubConnection(options: HubConnectionOptions): HubConnection {
  const { handlers } = options;
  let connection: Connection | undefined;
  let phase: 'idle' | 'connecting' | 'authenticating' | 'resuming' | 'ready' = 'idle';
  let stoppedWith: Error | undefined;
  let attempts = 0;
  let wasReady = false;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let domain: Domain | undefined;
  const requests = new Map<number, PendingRequest>();
  let lastId = 0;
  let readyWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  function connect(): void {
    if (stoppedWith !== undefined) return;
    phase = 'connecting';
    let opened = false;
    connection = options.transport.connect(options.url, {
      onOpen() {
        opened = true;
        phase = 'authenticating';
      },
      onMessage(bytes) {
        let message: HubMessage;
        try {
          message = decodeHubMessage(bytes);
        } catch {
          connection?.close(1008, 'malformed frame from hub');
          return;
        }
        void dispatch(message).catch((error) => handlers.error(error as Error));
      },
      onClose(code, reason) {
        const hadSession = phase === 'ready' || phase === 'resuming';
        connection = undefined;
        phase = 'idle';
        // A sync answers for one connection only: the next resume asks again. Durable requests
        // (open, top-up, close) and log pages are resent after the reconnect instead.
        for (const [id, r] of requests) {
          if (r.message.type !== 'sync') continue;
          requests.delete(id);
          r.reject(new WalletError('DISCONNECTED', 'the connection closed before the hub answered'));
        }
        handlers.disconnected(code, reason, hadSession || (opened && wasReady));
        if (stoppedWith === undefined) scheduleReconnect();
      },
    });
  }

  function scheduleReconnect(): void {
    if (reconnectTimer !== undefined) return;
    attempts++;
    const exponential = Math.min(
      options.reconnectDelayMsMax,
      options.reconnectDelayMsMin * 2 ** Math.min(attempts - 1, 20),
    );
    const jitter = ((options.randomBytes(1)[0] ?? 0) / 255) * 0.5 + 0.75; // 0.75x..1.25x
    reconnectTimer = setTimeout(
      () => {
        reconnectTimer = undefined;
        connect();
      },
      Math.round(exponential * jitter),
    );
  }

  function send(message: ClientMessage): void {
    connection?.send(encodeClientMessage(message));
  }

  function stop(error: Error): void {
    if (stoppedWith !== undefined) return;
    stoppedWith = error;
    clearTimeout(reconnectTimer);
    connection?.close(1000, 'wallet stopped');
    for (const waiter of readyWaiters) waiter.reject(error);
    readyWaiters = [];
    for (const r of requests.values()) r.reject(error);
    requests.clear();
  }

  function fail(error: WalletError): void {
    stop(error);
    handlers.fatal(error);
  }

  async function dispatch(message: HubMessage): Promise<void> {
    switch (message.type) {
      case 'challenge':
        return onChallenge(message);
      case 'welcome':
        return onWelcome();
      case 'receipts':
        return handlers.receipts(message);
      case 'closed':
        return handlers.notice(message);
      case 'closing':
        if (message.id === undefined) return handlers.notice(message);
        return answer(message.id, message);
      case 'state':
      case 'logPage':
        return answer(message.id, message);
      case 'reject':
        return onReject(message);
    }
  }

  function answer(id: number, message: HubMessage): void {
    const request = requests.get(id);
    if (request === undefined) return;
    requests.delete(id);
    request.resolve(message);
  }

  async function onChallenge(message: HubMessageOf<'challenge'>): Promise<void> {
    if (phase !== 'authenticating') return;
    const hubId = hubIdFromKey(message.hubKey);
    const expected = options.expectedHubId();
    if (message.version !== protocolVersion) {
      return fail(new WalletError('HUB_MISMATCH', `the hub speaks protocol version ${message.version}`));
    }
    if (message.networkId !== options.networkId) {
      return fail(
        new WalletError('HUB_MISMATCH', `the hub is on network ${message.networkId}, not ${options.networkId}`),
      );
    }
    if (!equalBytes(hubId, message.hubId) || (expected !== undefined && !equalBytes(hubId, expected))) {
      return fail(new WalletError('HUB_MISMATCH', 'the hub is not the one this wallet is pinned to'));
    }
    try {
      domain = await handlers.identified(hubId);
    } catch (error) {
      connection?.close(1000, 'pinning the hub failed');
      handlers.error(error as Error);
      return;
    }
    const signature = options.signer.sign(authSigningBytes(domain, message.nonce, options.signer.publicKey));
    send({ type: 'auth', clientKey: options.signer.publicKey, signature });
  }

  async function onWelcome(): Promise<void> {
    phase = 'resuming';
    const outstanding = new Set([...requests.values()].map((r) => r.message.type));
    for (const r of requests.values()) send(r.message);
    try {
      await handlers.resume(outstanding);
    } catch (error) {
      // The connection dropped mid-resume (the next one resumes again), the wallet stopped, or
      // something failed (the store): report it and start over on a fresh connection.
      const code = error instanceof WalletError ? error.code : undefined;
      if (code !== 'DISCONNECTED' && code !== 'STOPPED') {
        handlers.error(error as Error);
        connection?.close(1000, 'resume failed');
      }
      return;
    }
    if (phase !== 'resuming') return;
    phase = 'ready';
    const reconnected = wasReady;
    wasReady = true;
    const tries = attempts;
    attempts = 0;
    for (const waiter of readyWaiters) waiter.resolve();
    readyWaiters = [];
    handlers.ready(reconnected, tries);
  }

  function nextId(): number {
    lastId = lastId >= 0xffff_fff0 ? 1 : lastId + 1;
    return lastId;
  }

  async function onReject(message: HubMessageOf<'reject'>): Promise<void> {
    const id = message.id;
    const request = id === undefined ? undefined : requests.get(id);
    if (id === undefined || request === undefined) {
      if (message.code === 'AUTH_FAILED' && id === undefined) {
        fail(new WalletError('HUB_MISMATCH', `the hub refused the authentication: ${message.message}`));
        return;
      }
      await handlers.payReject(message);
      return;
    }
    if (rejectCodes[message.code].retry) {
      // Retryable (rate limited, overloaded, shutting down): resend after a pause.
      setTimeout(() => {
        if (requests.has(id) && phase === 'ready') send(request.message);
      }, resendDelayMs);
      return;
    }
    requests.delete(id);
    request.reject(new RejectError(message.code, message.message));
  }

  connect();

  return {
    get ready() {
      return phase === 'ready';
    },
    get authenticated() {
      return phase === 'ready' || phase === 'resuming';
    },
    send,
    nextId,
    request<T extends HubMessage>(body: RequestBody): Promise<T> {
      const id = nextId();
      const message = { ...body, id } as RequestMessage;
      return new Promise<HubMessage>((resolve, reject) => {
        if (stoppedWith !== undefined) {
          reject(stoppedWith);
          return;
        }
        requests.set(id, { message, resolve, reject });
        if (phase === 'ready' || phase === 'resuming') send(message);
      }) as Promise<T>;
    },
    whenReady() {
      if (stoppedWith !== undefined) return Promise.reject(stoppedWith);
      if (phase === 'ready') return Promise.resolve();
      return new Promise((resolve, reject) => readyWaiters.push({ resolve, reject }));
    },
    drop(reason) {
      connection?.close(1000, reason);
    },
    stop,
  };
}
