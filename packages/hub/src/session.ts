/**
 * One client connection: challenge, authentication, then messages to the engine, under
 * the connection's policy (rate limit, bad-frame budget, in-flight requests, heartbeat,
 * idle timeout, backpressure). A misbehaving connection is answered with a typed reject
 * and closed; nothing it sends reaches other connections.
 */
import {
  authSigningBytes,
  type ClientMessage,
  type ClientMessageOf,
  type Domain,
  decodeClientMessage,
  encodeHubMessage,
  FrameError,
  type HubMessage,
  type PublicKey,
  protocolVersion,
  type RejectCode,
  textCharsMax,
} from '@trickle/protocol';
import type { ConnectionEnd } from './admission.js';
import type { ChannelEngine } from './channelEngine.js';
import type { PayMessage } from './lanes.js';
import type { HubLimits } from './limits.js';
import type { PeerPayments } from './peers.js';
import type { Clock } from './ports.js';
import type { AuthCheck, AuthChecks } from './verifier/authChecks.js';

/** WebSocket close codes the hub uses. */
export const closeCodes = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  messageTooBig: 1009,
  tryAgainLater: 1013,
} as const;

/**
 * The part of a WebSocket a session uses: what `ws`'s `WebSocket` offers on the server
 * side. `hub.accept` takes any object of this shape, so a session can run over another
 * transport (an in-memory one in simulations, or a server the host already runs).
 *
 * @example
 * ```ts
 * import type { HubSocket } from '@trickle/hub';
 * import type { WebSocket } from 'ws';
 * declare const ws: WebSocket;
 * const socket: HubSocket = ws; // a `ws` server-side socket is one as it is
 * ```
 */
export interface HubSocket {
  /** 1 while open (the WebSocket `OPEN` state); anything else drops sends. */
  readonly readyState: number;
  /** Bytes queued to send: the session pauses reading above `sendBufferedBytesHigh`. */
  readonly bufferedAmount: number;
  /** Sends one binary message; `callback` runs once it is written (or failed). */
  send(data: Uint8Array, callback: (error?: Error) => void): void;
  /** Starts the closing handshake. */
  close(code: number, reason: string): void;
  /** Drops the connection at once. */
  terminate(): void;
  /** Sends a heartbeat ping; the peer's pong comes back as a `pong` event. */
  ping(): void;
  /** Stops reading messages (backpressure) until `resume`. */
  pause(): void;
  resume(): void;
  on(event: 'message', listener: (data: Uint8Array | ArrayBuffer | Uint8Array[], isBinary: boolean) => void): unknown;
  on(event: 'pong' | 'error', listener: () => void): unknown;
  /** Emitted exactly once, when the connection is gone. */
  on(event: 'close', listener: () => void): unknown;
}

/** `readyState` of an open WebSocket. */
const socketOpen = 1;

/** What a session needs from the hub. */
export interface SessionDeps {
  /** Told about every message the session sends (metrics); must not throw or block. */
  readonly observe?: ((message: HubMessage) => void) | undefined;
  /** Wraps the reply of a pay frame to time it (metrics); must not throw or block. */
  readonly timePay?:
    | ((frame: PayMessage, reply: (message: HubMessage) => void) => (message: HubMessage) => void)
    | undefined;
  readonly domain: Domain;
  readonly hubKey: PublicKey;
  readonly engine: ChannelEngine;
  /** Peer-to-peer payments: registration, invoices, the inbox push (ADR 0240). */
  readonly peers: PeerPayments;
  /** The auth signature's check: the verification port behind a bounded, low-priority queue. */
  readonly authChecks: AuthChecks;
  readonly limits: HubLimits;
  readonly clock: Clock;
  readonly randomBytes: (length: number) => Uint8Array;
  /** Called once authenticated; false refuses the key (connections-per-key cap). */
  readonly admitKey: (key: string) => boolean;
  /** Called when the connection is gone. */
  readonly onClosed: (session: Session) => void;
  readonly isShuttingDown: () => boolean;
}

/** A live connection. */
export interface Session {
  /** Hex of the authenticated client key, once authenticated. */
  readonly keyId: string | undefined;
  /**
   * How the connection ended (or would end now) for its address's budget: `failed` when it
   * did not authenticate through the client's doing, `hubEnded` when the hub refused or
   * closed it first (1001, 1013).
   */
  readonly end: ConnectionEnd;
  /** Sends a heartbeat ping or terminates a connection that missed the last one; closes idle ones. */
  tick(nowMs: number): void;
  /** Closes with `code` and `reason`. */
  close(code: number, reason: string): void;
  /** Sends a message the client did not ask for (a notice about one of its channels). */
  notify(message: HubMessage): void;
}

/** Starts a session on an accepted socket: sends the challenge and arms the auth timer. */
export function startSession(ws: HubSocket, deps: SessionDeps): Session {
  const { limits, clock } = deps;
  const nonce = deps.randomBytes(32);
  let clientKey: PublicKey | undefined;
  let keyId: string | undefined;
  let closed = false;
  /** The hub closed it with 1001 or 1013: not the client's failure. */
  let hubEnded = false;
  let tokens = limits.messagesBurstMax;
  let refilledAtMs = clock.nowMs();
  let lastMessageAtMs = refilledAtMs;
  let badFrames = 0;
  let rateLimited = 0;
  let requestsInFlight = 0;
  let awaitingPong = false;
  let paused = false;
  /** Frames received while the auth signature is being verified (at most messagesBurstMax). */
  let authFrames: [Uint8Array | ArrayBuffer | Uint8Array[], boolean][] | undefined;

  const authTimer = setTimeout(() => close(closeCodes.policyViolation, 'auth timeout'), limits.authTimeoutMs);
  authTimer.unref();

  function close(code: number, reason: string): void {
    if (closed) return;
    closed = true;
    if (code === closeCodes.goingAway || code === closeCodes.tryAgainLater) hubEnded = true;
    clearTimeout(authTimer);
    try {
      ws.close(code, reason);
    } catch {
      ws.terminate();
    }
    // A peer that never completes the closing handshake is cut off.
    setTimeout(() => ws.terminate(), 2_000).unref();
  }

  function send(message: HubMessage): void {
    if (ws.readyState !== socketOpen) return;
    deps.observe?.(message);
    ws.send(encodeHubMessage(message), () => {
      if (paused && ws.bufferedAmount < limits.sendBufferedBytesHigh / 2) {
        paused = false;
        ws.resume();
      }
    });
    // Backpressure: a client that does not read stops being read; one far behind is cut off.
    if (ws.bufferedAmount > limits.sendBufferedBytesMax) {
      ws.terminate();
    } else if (!paused && ws.bufferedAmount > limits.sendBufferedBytesHigh) {
      paused = true;
      ws.pause();
    }
  }

  function reject(code: RejectCode, message: string, id?: number): void {
    send({ type: 'reject', ...(id === undefined ? {} : { id }), code, message });
  }

  function takeToken(nowMs: number): boolean {
    const elapsedMs = nowMs - refilledAtMs;
    if (elapsedMs > 0) {
      tokens = Math.min(limits.messagesBurstMax, tokens + (elapsedMs * limits.messagesPerSecondMax) / 1000);
      refilledAtMs = nowMs;
    }
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  function onFrame(data: Uint8Array | ArrayBuffer | Uint8Array[], isBinary: boolean): void {
    if (closed) return;
    if (authFrames !== undefined) {
      // The auth signature is being verified: later frames wait for its answer, in order.
      if (authFrames.length >= limits.messagesBurstMax)
        close(closeCodes.policyViolation, 'too many frames before auth');
      else authFrames.push([data, isBinary]);
      return;
    }
    const nowMs = clock.nowMs();
    lastMessageAtMs = nowMs;
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let message: ClientMessage;
    try {
      if (!isBinary) throw new FrameError('MALFORMED_FRAME', 'client', 'text frames are not part of the protocol');
      message = decodeClientMessage(bytes);
    } catch (error) {
      const frameError =
        error instanceof FrameError ? error : new FrameError('MALFORMED_FRAME', 'client', 'undecodable frame');
      reject(frameError.code, frameError.message.slice(0, textCharsMax), frameError.requestId);
      badFrames++;
      if (frameError.code === 'FRAME_TOO_LARGE') close(closeCodes.messageTooBig, 'FRAME_TOO_LARGE');
      // Before auth, anything but a valid auth is answered and closed (protocol.md, section 8).
      else if (clientKey === undefined) close(closeCodes.policyViolation, frameError.code);
      else if (badFrames >= limits.badFramesMax) close(closeCodes.policyViolation, 'too many malformed frames');
      return;
    }
    if (clientKey === undefined) {
      onUnauthenticated(message);
      return;
    }
    const id = 'id' in message ? message.id : undefined;
    if (!takeToken(nowMs)) {
      rateLimited++;
      rejectMessage(message, 'RATE_LIMITED', 'too many messages; slow down');
      if (rateLimited >= limits.rateLimitedMessagesMax) close(closeCodes.policyViolation, 'rate limit');
      return;
    }
    if (deps.isShuttingDown()) {
      rejectMessage(message, 'SHUTTING_DOWN', 'the hub is shutting down; reconnect later');
      return;
    }
    if (message.type === 'auth') {
      reject('UNEXPECTED_MESSAGE', 'already authenticated');
      return;
    }
    if (message.type === 'pay') {
      const { type: _type, ...frame } = message;
      deps.engine.pay(clientKey, frame, deps.timePay?.(frame, send) ?? send);
      return;
    }
    if (message.type === 'ack') {
      deps.peers.ack(session, clientKey, message);
      return;
    }
    if (requestsInFlight >= limits.requestsInFlightMax) {
      reject('OVERLOADED', 'too many requests in flight on this connection', id);
      return;
    }
    requestsInFlight++;
    const work = request(clientKey, message);
    void work.then(send).finally(() => {
      requestsInFlight--;
    });
  }

  /** Hands a request to the engine: one case per request type, checked exhaustive by the compiler. */
  function request(
    key: PublicKey,
    message: Exclude<ClientMessage, { type: 'auth' | 'pay' | 'ack' }>,
  ): Promise<HubMessage> {
    switch (message.type) {
      case 'open':
        return deps.engine.open(key, message);
      case 'topUp':
        return deps.engine.topUp(key, message);
      case 'close':
        return deps.engine.close(key, message);
      case 'forceClose':
        return deps.engine.forceClose(key, message);
      case 'sync':
        return deps.engine.sync(key, message);
      case 'log':
        return deps.engine.log(key, message);
      case 'receive':
        return deps.peers.receive(session, key, message);
      case 'invoice':
        return deps.peers.invoice(key, message);
      case 'spend':
        return deps.peers.spend(key, message);
      default: {
        const unknown: never = message;
        throw new Error(`no handler for ${(unknown as { type: string }).type}`);
      }
    }
  }

  function rejectMessage(message: ClientMessage, code: RejectCode, text: string): void {
    if (message.type === 'pay') {
      (deps.timePay?.(message, send) ?? send)({
        type: 'reject',
        id: message.id,
        channelId: message.channelId,
        seq: message.seq,
        code,
        message: text,
      });
    } else {
      reject(code, text, 'id' in message ? message.id : undefined);
    }
  }

  function onUnauthenticated(message: ClientMessage): void {
    if (message.type !== 'auth') {
      reject('UNEXPECTED_MESSAGE', 'authenticate first', 'id' in message ? message.id : undefined);
      close(closeCodes.policyViolation, 'UNEXPECTED_MESSAGE');
      return;
    }
    const signed = authSigningBytes(deps.domain, nonce, message.clientKey);
    // The client answered the challenge in time: how long the check takes is the hub's
    // (the one verification port may queue it behind vouchers under load).
    clearTimeout(authTimer);
    authFrames = [];
    void deps.authChecks
      .check(message.signature, signed, message.clientKey, () => !closed)
      .then((check) => onAuthChecked(message, check));
  }

  /** Answers an auth once its signature is checked, then handles the frames that came meanwhile. */
  function onAuthChecked(message: ClientMessageOf<'auth'>, check: AuthCheck): void {
    const waiting = authFrames ?? [];
    authFrames = undefined;
    if (closed || check === 'abandoned') return;
    if (check === 'overloaded') {
      reject('OVERLOADED', 'too many authentications are waiting at the hub; reconnect later');
      close(closeCodes.tryAgainLater, 'OVERLOADED');
      return;
    }
    if (check === 'unavailable') {
      reject('INTERNAL', 'the challenge signature could not be checked; reconnect');
      close(closeCodes.tryAgainLater, 'INTERNAL');
      return;
    }
    if (check !== 'valid') {
      reject('AUTH_FAILED', 'the challenge signature does not verify under this key');
      close(closeCodes.policyViolation, 'AUTH_FAILED');
      return;
    }
    const id = Buffer.from(message.clientKey).toString('hex');
    if (!deps.admitKey(id)) {
      reject('RATE_LIMITED', 'too many connections for this key');
      close(closeCodes.tryAgainLater, 'RATE_LIMITED');
      return;
    }
    clearTimeout(authTimer);
    clientKey = message.clientKey;
    keyId = id;
    send({ type: 'welcome', timeMs: clock.nowMs() });
    for (const [data, isBinary] of waiting) onFrame(data, isBinary);
  }

  ws.on('message', onFrame);
  ws.on('pong', () => {
    awaitingPong = false;
  });
  ws.on('error', () => {}); // 'close' follows; the error (e.g. oversize) is already answered by ws's close code
  ws.on('close', () => {
    closed = true;
    clearTimeout(authTimer);
    deps.onClosed(session);
  });

  const session: Session = {
    get keyId() {
      return keyId;
    },
    get end() {
      return keyId !== undefined ? 'authenticated' : hubEnded ? 'hubEnded' : 'failed';
    },
    tick(nowMs) {
      // While its auth signature is being verified a peer is not pinged (the auth timer bounds that wait).
      if (closed || authFrames !== undefined) return;
      if (awaitingPong) {
        ws.terminate();
        return;
      }
      if (nowMs - lastMessageAtMs >= limits.idleTimeoutMs) {
        close(closeCodes.normal, 'idle');
        return;
      }
      awaitingPong = true;
      ws.ping();
    },
    close,
    notify: send,
  };

  send({
    type: 'challenge',
    version: protocolVersion,
    networkId: deps.domain.networkId,
    hubId: deps.domain.hubId,
    hubKey: deps.hubKey,
    nonce,
  });
  return session;
}
