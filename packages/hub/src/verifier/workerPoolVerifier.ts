/**
 * Voucher verification on worker threads running libsecp256k1: the native addon where it
 * loads (ADR 0416), else tiny-secp256k1 (libsecp256k1 as WASM).
 *
 * With many channels and one payment each in flight (P3), every payment costs one
 * signature check. On the libuv threadpool with node:crypto, each check cost ~500 µs of
 * CPU here (OpenSSL's secp256k1 is slower than libsecp256k1, and four pool threads fight
 * over two cores); libsecp256k1 needs ~230 µs as WASM, ~52 µs native. Checks requested in one
 * turn of the event loop go to the threads as one message (a packed buffer, transferred), so
 * the event loop pays a few microseconds per check. A thread that fails is replaced, and the
 * checks it held are done inline (never answered wrongly, never lost). See ADR 0206.
 *
 * Ending a thread that holds the native addon: the addon (node-addon-api built with C++
 * exceptions, without NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS) aborts the whole process
 * (`terminate called after throwing an instance of 'Napi::Error'`) when it is called in a
 * thread that Node has begun to stop: `worker.terminate()` and the process's exit mark the
 * thread as stopping before its JavaScript is interrupted, so a call into the addon in between
 * fails, the addon turns the failure into a C++ exception, cannot throw it into JavaScript
 * either, and nothing catches the second one. So no thread is ever stopped while it may call
 * into the addon (ADR 0416):
 *
 * - Each thread shares a gate with this thread (two Int32 in a SharedArrayBuffer): `inside`
 *   is 1 while the thread is in the addon (a check, or loading it); `stop` is set by the pool.
 *   The thread enters only if `stop` is 0 (sequentially consistent: either it sees `stop`,
 *   or the pool sees `inside`).
 * - `close()` sets `stop` and posts a stop message: the thread finishes the check in hand and
 *   closes its port, and exits on its own. Only a thread still running after
 *   `verifierThreadStopMs` is terminated, and only once its gate says it is outside the addon.
 * - At the process's exit (process.exit, the end of the event loop, an uncaught exception),
 *   an 'exit' listener sets every live thread's `stop` and waits (bounded, synchronously)
 *   until none is inside the addon, before Node terminates the threads.
 *
 * Not covered: a process that embeds the hub in a worker thread which is itself terminated
 * from outside (no 'exit' event runs there); pass `native: false` in that setting.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PublicKey, Signature } from '@trickle/protocol';
import { present } from '@trickle/protocol';
import { verifierThreadStopMs } from '../limits.js';
import type { AsyncVerifier } from './asyncVerifier.js';
import { nativeSecp256k1Path, nativeSecp256k1Verifier } from './nativeSecp256k1Verifier.js';
import { tinySecp256k1Verifier } from './tinySecp256k1Verifier.js';

/** Index of the gate's Int32 that is 1 while the thread is inside the native addon. */
const inside = 0;
/** Index of the gate's Int32 that the pool sets to 1 to stop the thread. */
const stop = 1;

const threadSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const gate = new Int32Array(workerData.gate);
// Enter the addon only while the pool has not asked this thread to stop (see the file's comment).
function enter() {
  Atomics.store(gate, ${inside}, 1);
  if (Atomics.load(gate, ${stop}) === 0) return true;
  leave();
  return false;
}
function leave() {
  Atomics.store(gate, ${inside}, 0);
  if (Atomics.load(gate, ${stop}) === 1) Atomics.notify(gate, ${inside});
}
let stopped = false;
function stopHere() {
  stopped = true;
  parentPort.close(); // nothing else keeps this thread's event loop alive: it exits on its own
}
// The native addon where the parent found it loads; WASM otherwise (or if it fails here).
let check;
if (workerData.native !== undefined) {
  if (enter()) {
    try {
      const native = require(workerData.native);
      check = (digest, key, signature) => native.ecdsaVerify(signature, digest, key);
    } catch {
      // WASM below
    } finally {
      leave();
    }
  } else {
    stopped = true;
  }
}
if (check === undefined) {
  const tiny = require(workerData.tiny);
  check = (digest, key, signature) => tiny.verify(digest, key, signature, true);
}
if (stopped || Atomics.load(gate, ${stop}) === 1) stopHere();
else parentPort.on('message', (message) => {
  if (stopped) return;
  if (message.stop === true) return stopHere();
  const bytes = new Uint8Array(message.buffer);
  const results = new Uint8Array(message.count);
  let at = 0;
  for (let i = 0; i < message.count; i++) {
    const length = (bytes[at] << 8) | bytes[at + 1];
    at += 2;
    const signed = bytes.subarray(at, at + length);
    const signature = bytes.subarray(at + length, at + length + 64);
    const key = bytes.subarray(at + length + 64, at + length + 97);
    at += length + 97;
    const digest = createHash('sha256').update(signed).digest();
    if (!enter()) return stopHere(); // the pool no longer waits for these results
    try {
      results[i] = check(digest, key, signature) ? 1 : 0;
    } catch {
      results[i] = 0;
    } finally {
      leave();
    }
  }
  parentPort.postMessage({ id: message.id, results }, [results.buffer]);
});
`;

/** The gates of this process's live verifier threads, closed when the process exits. */
const liveGates = new Set<Int32Array>();
let exitListening = false;

/**
 * At the process's exit, before Node terminates the threads: no thread may be inside the
 * addon or enter it. Synchronous (an 'exit' listener cannot wait otherwise), bounded by
 * verifierThreadStopMs in all.
 */
function closeGatesAtExit(): void {
  for (const gate of liveGates) Atomics.store(gate, stop, 1);
  const deadline = Date.now() + verifierThreadStopMs;
  for (const gate of liveGates) {
    while (Atomics.load(gate, inside) === 1) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      Atomics.wait(gate, inside, 1, left);
    }
  }
}

/** Options of {@link createWorkerPoolVerifier}. */
export interface WorkerPoolVerifierOptions {
  /** Verifier threads. Default: the cores less one (for the event loop), but at least two: on two cores, two threads measured ~15% more checks per second than one. */
  readonly threads?: number;
  /**
   * Start every thread now instead of at the first check. A thread takes a few hundred ms
   * to start and load libsecp256k1 on a loaded machine; started lazily, the first checks
   * that overlap (the first burst of load, a flood's first connections) wait for it.
   * Default false; the hub's default verifier starts them now (ADR 0226).
   */
  readonly startNow?: boolean;
  /**
   * Use libsecp256k1's native addon in the threads where it loads (ADR 0416); false: the WASM
   * build (tiny-secp256k1) even where it does. Default true.
   */
  readonly native?: boolean;
  /**
   * How long `close()` lets a thread stop on its own before terminating it, in ms. Default
   * {@link verifierThreadStopMs} (2,000).
   */
  readonly stopMs?: number;
}

interface Job {
  readonly signature: Signature;
  readonly message: Uint8Array;
  readonly publicKey: PublicKey;
  readonly resolve: (valid: boolean) => void;
}

interface Thread {
  worker: Worker | undefined;
  /** Shared with the thread: [inside the addon, asked to stop] (see the file's comment). */
  gate: Int32Array;
  /** Checks sent and not answered, by message id. */
  readonly inFlight: Map<number, Job[]>;
  jobs: number;
}

/** Largest signed message a job carries (a u16 length); anything longer is checked inline. */
const messageBytesMax = 0xffff;

/**
 * An `AsyncVerifier` on worker threads running libsecp256k1 (native where it loads, else
 * WASM). Call `close()` to end the threads (idle threads never hold the process open); it
 * lets each thread finish the check in hand and exit on its own.
 *
 * @example
 * ```ts
 * import { createWorkerPoolVerifier } from '@trickle/hub';
 * const verifier = createWorkerPoolVerifier({ threads: 1 });
 * await verifier.close();
 * ```
 */
export function createWorkerPoolVerifier(
  options: WorkerPoolVerifierOptions = {},
): AsyncVerifier & { close(): Promise<void> } {
  const count = options.threads ?? Math.max(2, availableParallelism() - 1);
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    throw new RangeError('createWorkerPoolVerifier: threads must be an integer in 1..64');
  }
  const stopMs = options.stopMs ?? verifierThreadStopMs;
  if (!Number.isFinite(stopMs) || stopMs < 0) throw new RangeError('createWorkerPoolVerifier: stopMs must be >= 0');
  const tiny = createRequire(import.meta.url).resolve('tiny-secp256k1');
  const native = options.native === false ? undefined : nativeSecp256k1Path();
  /** Checks done on this thread: a lost thread's, and those after close. */
  const inline = (native === undefined ? undefined : nativeSecp256k1Verifier()) ?? tinySecp256k1Verifier;
  const threads: Thread[] = Array.from({ length: count }, () => ({
    worker: undefined,
    gate: new Int32Array(0),
    inFlight: new Map(),
    jobs: 0,
  }));
  let queued: Job[] = [];
  let scheduled = false;
  let nextId = 1;
  let closed = false;
  if (options.startNow === true) for (const thread of threads) thread.worker = start(thread);

  function start(thread: Thread): Worker {
    const gate = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    const worker = new Worker(threadSource, { eval: true, workerData: { tiny, native, gate: gate.buffer } });
    thread.gate = gate;
    liveGates.add(gate);
    if (!exitListening) {
      exitListening = true;
      process.on('exit', closeGatesAtExit);
    }
    worker.once('exit', () => liveGates.delete(gate));
    worker.unref();
    worker.on('message', (message: { id: number; results: Uint8Array }) => {
      const jobs = thread.inFlight.get(message.id);
      if (jobs === undefined) return;
      thread.inFlight.delete(message.id);
      thread.jobs -= jobs.length;
      if (thread.inFlight.size === 0) worker.unref();
      for (let i = 0; i < jobs.length; i++) present(jobs[i], 'one job per result').resolve(message.results[i] === 1);
    });
    const lost = () => {
      if (thread.worker !== worker) return;
      thread.worker = undefined;
      // Never lose or misjudge a check: what the thread held is verified here.
      for (const jobs of thread.inFlight.values()) for (const job of jobs) resolveInline(job);
      thread.inFlight.clear();
      thread.jobs = 0;
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    return worker;
  }

  function resolveInline(job: Job): void {
    job.resolve(inline.verify(job.signature, job.message, job.publicKey));
  }

  function send(thread: Thread, jobs: Job[]): void {
    let size = 0;
    for (const job of jobs) size += 2 + job.message.length + 97;
    const buffer = new ArrayBuffer(size);
    const bytes = new Uint8Array(buffer);
    let at = 0;
    for (const job of jobs) {
      bytes[at] = job.message.length >>> 8;
      bytes[at + 1] = job.message.length & 0xff;
      bytes.set(job.message, at + 2);
      bytes.set(job.signature, at + 2 + job.message.length);
      bytes.set(job.publicKey, at + 2 + job.message.length + 64);
      at += 2 + job.message.length + 97;
    }
    thread.worker ??= start(thread);
    if (thread.inFlight.size === 0) thread.worker.ref(); // checks in flight keep the process alive
    const id = nextId++;
    thread.inFlight.set(id, jobs);
    thread.jobs += jobs.length;
    thread.worker.postMessage({ id, buffer, count: jobs.length }, [buffer]);
  }

  /** Sends everything queued in this turn, split over the threads, least loaded first. */
  function flush(): void {
    scheduled = false;
    const jobs = queued;
    queued = [];
    if (closed) {
      for (const job of jobs) resolveInline(job);
      return;
    }
    const share = Math.ceil(jobs.length / threads.length);
    const order = [...threads].sort((a, b) => a.jobs - b.jobs);
    for (let i = 0, t = 0; i < jobs.length; i += share, t++) send(order[t] as Thread, jobs.slice(i, i + share));
  }

  return {
    name: `${native === undefined ? 'tiny-secp256k1' : 'libsecp256k1-native'}-workers(${count})`,
    verify(signature, message, publicKey) {
      // Shapes the thread's layout cannot carry are checked inline (checkSignatureAsync has
      // already refused wrong lengths; this only guards direct callers).
      if (signature.length !== 64 || publicKey.length !== 33 || message.length > messageBytesMax) {
        return Promise.resolve(inline.verify(signature, message, publicKey));
      }
      return new Promise<boolean>((resolve) => {
        queued.push({ signature, message, publicKey, resolve });
        if (!scheduled) {
          scheduled = true;
          // The end of this turn: every check requested while reading this turn's frames goes in one message.
          setImmediate(flush);
        }
      });
    },
    async close() {
      closed = true;
      await Promise.all(
        threads.map(async (thread) => {
          const worker = thread.worker;
          thread.worker = undefined;
          for (const jobs of thread.inFlight.values()) for (const job of jobs) resolveInline(job);
          thread.inFlight.clear();
          thread.jobs = 0;
          if (worker !== undefined) await stopThread(worker, thread.gate, stopMs);
        }),
      );
    },
  };
}

/**
 * Ends a thread without ever terminating it inside the native addon: it is asked to stop
 * and exits on its own; one still running after `stopMs` is terminated once its gate says it
 * is outside the addon (it cannot enter again: `stop` is set). A thread that stays inside for
 * verifierThreadStopMs more is terminated anyway: nothing else is left to do.
 */
async function stopThread(worker: Worker, gate: Int32Array, stopMs: number): Promise<void> {
  if (worker.threadId === -1) return; // already exited
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  Atomics.store(gate, stop, 1);
  worker.ref(); // close() resolves once the thread is gone, even if nothing else keeps the process up
  worker.postMessage({ stop: true });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<true>((resolve) => {
    timer = setTimeout(resolve, stopMs, true);
  });
  const timedOut = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (timedOut !== true) return;
  const deadline = Date.now() + verifierThreadStopMs;
  while (Atomics.load(gate, inside) === 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  await worker.terminate();
}
