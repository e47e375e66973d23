/**
 * The wallet's shell: one loop that feeds inputs (calls, frames, connection events,
 * timers, store and signer results) to protocol's pure `stepWallet`, one at a time, and
 * carries out the effects it returns, in order. Nothing here decides anything about
 * payments or channels: it only connects, sends, signs, writes, arms timers and answers
 * calls as told (ADR 0220).
 */
import type { Clock } from '@trickle/protocol';
import {
  asError,
  assert,
  type CallResult,
  decodeHubMessage,
  encodeClientMessage,
  type HistoryRecord,
  type RandomBytes,
  type Signer,
  stepWallet,
  type WalletEffect,
  type WalletEvents,
  type WalletInputBody,
  type WalletState,
  type WalletTimer,
} from '@trickle/protocol';
import { createAbortWatch } from './abortWatch.js';
import type { Emitter } from './emitter.js';
import { Fifo } from './fifo.js';
import { historyRecordsMax, type WalletStore } from './store/walletStore.js';
import type { Connection, Transport } from './transport/transport.js';
import { createWalletWrites } from './walletWrites.js';

/** History kept in memory beyond the bound before it is trimmed (trimming is a copy: do it rarely). */
const historySlack = 2_048;

/** The next macrotask: setImmediate in Node (setTimeout(0) is clamped to 1 ms there), setTimeout elsewhere. */
const nextTask: (run: () => void) => { cancel(): void } =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (run) => {
        const g = globalThis as unknown as {
          setImmediate: (f: () => void) => unknown;
          clearImmediate: (handle: unknown) => void;
        };
        const handle = g.setImmediate(run);
        return { cancel: () => g.clearImmediate(handle) };
      }
    : (run) => {
        const handle = setTimeout(run, 0);
        return { cancel: () => clearTimeout(handle) };
      };

/** What the loop drives. */
export interface WalletLoopDeps {
  readonly state: WalletState;
  readonly transport: Transport;
  readonly url: string;
  readonly store: WalletStore;
  readonly history: readonly HistoryRecord[];
  readonly signer: Signer;
  readonly clock: Clock;
  readonly randomBytes: RandomBytes;
  readonly events: Emitter<WalletEvents>;
}

/** A call in progress, answered by a `resolve` or `reject` effect. */
interface PendingCall {
  readonly resolve: (value: CallResult) => void;
  readonly reject: (error: unknown) => void;
  unwatch: (() => void) | undefined;
}

/** The running loop. */
export interface WalletLoop {
  /** The machine's current state (read it through protocol's views). */
  readonly state: WalletState;
  /**
   * Starts a call: `input` gets the call's id; the promise settles when the machine answers.
   * With `signal`, an abort is fed to the machine as an `abort` input.
   */
  call<T extends CallResult>(input: (call: number) => WalletInputBody, signal?: AbortSignal): Promise<T>;
  /** Feeds one input. */
  feed(input: WalletInputBody): void;
  /** The paid entries kept in memory, oldest first (at most historyRecordsMax). */
  history(): readonly HistoryRecord[];
}

/** Starts the loop (and so the connection). Internal to createWallet. */
export function createWalletLoop(deps: WalletLoopDeps): WalletLoop {
  // Nothing below may keep `deps` (and with it the first state): an old state of the
  // machine keeps every later change of its persistent maps alive (persistentMap.ts).
  const { events, signer, clock, transport, url, store, randomBytes } = deps;
  let state = deps.state;
  const inbox = new Fifo<WalletInputBody>();
  /** Results of signing: fed before anything else, as if the signature were made inside the step. */
  const urgent: WalletInputBody[] = [];
  let running = false;
  /** Set when the step function threw (a bug): the wallet stops taking inputs. */
  let broken: Error | undefined;
  const calls = new Map<number, PendingCall>();
  let nextCall = 1;
  const watchAbort = createAbortWatch();
  const timers = new Map<WalletTimer, { cancel(): void }>();
  let connection: Connection | undefined;
  let connections = 0;
  const history: HistoryRecord[] = [...deps.history];
  const writes = createWalletWrites(store, (error) => feed({ type: 'writeFailed', purpose: undefined, error }));

  function feed(input: WalletInputBody): void {
    if (broken !== undefined) return;
    inbox.push(input);
    if (!running) drain();
  }

  function drain(): void {
    running = true;
    try {
      for (;;) {
        const input = urgent.shift() ?? inbox.shift();
        if (input === undefined) break;
        const step = stepWallet(state, { ...input, nowMs: clock.nowMs() });
        state = step.state;
        for (const effect of step.effects) perform(effect);
      }
    } catch (error) {
      breakDown(asError(error));
    } finally {
      running = false;
    }
  }

  /** A bug: every call fails with it, the listeners hear of it, and the wallet takes no more inputs. */
  function breakDown(error: Error): void {
    broken = error;
    for (const timer of timers.values()) timer.cancel();
    timers.clear();
    connection?.close(1011, 'wallet failed');
    for (const [id, pending] of calls) {
      calls.delete(id);
      pending.unwatch?.();
      pending.reject(error);
    }
    events.emit('error', error);
  }

  function perform(effect: WalletEffect): void {
    switch (effect.type) {
      case 'connect':
        connect();
        return;
      case 'disconnect':
        connection?.close(effect.code, effect.reason);
        return;
      case 'send':
        connection?.send(encodeClientMessage(effect.message));
        return;
      case 'sign': {
        let result: WalletInputBody;
        try {
          result = { type: 'signed', purpose: effect.purpose, signature: signer.sign(effect.message) };
        } catch (error) {
          result = { type: 'signFailed', purpose: effect.purpose, error };
        }
        urgent.push(result);
        return;
      }
      case 'write': {
        const { purpose } = effect;
        keepHistory(effect.change.addHistory);
        writes.persist(effect.change).then(
          () => feed({ type: 'written', purpose }),
          (error: unknown) => feed({ type: 'writeFailed', purpose, error }),
        );
        return;
      }
      case 'stage':
        keepHistory(effect.change.addHistory);
        writes.stage(effect.change);
        return;
      case 'setTimer':
        setTimer(effect.timer, effect.delayMs);
        return;
      case 'clearTimer':
        timers.get(effect.timer)?.cancel();
        timers.delete(effect.timer);
        return;
      case 'resolve':
      case 'reject': {
        const pending = calls.get(effect.call);
        if (pending === undefined) return;
        calls.delete(effect.call);
        pending.unwatch?.();
        if (effect.type === 'resolve') pending.resolve(effect.value);
        else pending.reject(effect.error);
        return;
      }
      case 'emit':
        events.emit(effect.event, effect.payload as never);
        return;
      case 'shutdown':
        void shutdown(effect.call);
        return;
    }
    assert(false, `an effect the shell does not know: ${(effect as { type: string }).type}`);
  }

  function setTimer(timer: WalletTimer, delayMs: number): void {
    timers.get(timer)?.cancel();
    const fire = () => {
      timers.delete(timer);
      feed({ type: 'timer', timer });
    };
    if (delayMs === 0) timers.set(timer, nextTask(fire));
    else {
      const handle = setTimeout(fire, delayMs);
      timers.set(timer, { cancel: () => clearTimeout(handle) });
    }
  }

  function connect(): void {
    const generation = ++connections;
    const current = () => generation === connections;
    let closed = false;
    try {
      connection = transport.connect(url, {
        onOpen() {
          if (current()) feed({ type: 'connected' });
        },
        onMessage(bytes) {
          if (!current()) return;
          let message: ReturnType<typeof decodeHubMessage>;
          try {
            message = decodeHubMessage(bytes);
          } catch {
            feed({ type: 'malformedFrame' });
            return;
          }
          feed({ type: 'frame', message });
        },
        onClose(code, reason) {
          if (!current() || closed) return;
          closed = true;
          connection = undefined;
          feed({ type: 'disconnected', code, reason, jitter: randomBytes(1)[0] ?? 0 });
        },
      });
    } catch (error) {
      // A transport that throws at once (a URL it cannot use): the same as a failed connection.
      closed = true;
      connection = undefined;
      feed({ type: 'disconnected', code: 1006, reason: asError(error).message, jitter: randomBytes(1)[0] ?? 0 });
    }
  }

  function keepHistory(records: readonly HistoryRecord[] | undefined): void {
    if (records === undefined || records.length === 0) return;
    for (const record of records) history.push(record);
    if (history.length > historyRecordsMax + historySlack) history.splice(0, history.length - historyRecordsMax);
  }

  async function shutdown(call: number): Promise<void> {
    for (const timer of timers.values()) timer.cancel();
    timers.clear();
    if (writes.hasStaged) await writes.persist({}).catch(() => undefined);
    await writes.settled();
    await store.close();
    const pending = calls.get(call);
    calls.delete(call);
    pending?.resolve(undefined);
  }

  return {
    get state() {
      return state;
    },
    call<T extends CallResult>(input: (call: number) => WalletInputBody, signal?: AbortSignal): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        if (broken !== undefined) {
          reject(broken);
          return;
        }
        const id = nextCall++;
        const pending: PendingCall = { resolve: resolve as (value: CallResult) => void, reject, unwatch: undefined };
        calls.set(id, pending);
        feed(input(id));
        // Watch the signal only while the call waits: a long-lived signal must not keep calls alive.
        if (signal !== undefined && !signal.aborted && calls.has(id)) {
          pending.unwatch = watchAbort(signal, () => feed({ type: 'abort', calls: [id], reason: signal.reason }));
        }
      });
    },
    feed,
    history: () => (history.length > historyRecordsMax ? history.slice(-historyRecordsMax) : history),
  };
}
