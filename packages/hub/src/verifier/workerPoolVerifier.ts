/**
 * Voucher verification on worker threads running tiny-secp256k1 (libsecp256k1 as WASM).
 *
 * With many channels and one payment each in flight (P3), every payment costs one
 * signature check. On the libuv threadpool with node:crypto, each check cost ~500 µs of
 * CPU here (OpenSSL's secp256k1 is slower than libsecp256k1, and four pool threads fight
 * over two cores); libsecp256k1 needs ~300 µs. Checks requested in one turn of the event
 * loop go to the threads as one message (a packed buffer, transferred), so the event loop
 * pays a few microseconds per check. A thread that fails is replaced, and the checks it
 * held are done inline (never answered wrongly, never lost). See ADR 0206.
 *
 * The threads stay on WASM even where libsecp256k1's native addon loads: the addon aborted a
 * whole process (`terminate called after throwing an instance of 'Napi::Error'`) when a
 * thread holding it was terminated (ADR 0416).
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PublicKey, Signature } from '@trickle/protocol';
import { present } from '@trickle/protocol';
import type { AsyncVerifier } from './asyncVerifier.js';
import { tinySecp256k1Verifier } from './tinySecp256k1Verifier.js';

const threadSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const tiny = require(workerData.tiny);
parentPort.on('message', (message) => {
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
    try {
      results[i] = tiny.verify(createHash('sha256').update(signed).digest(), key, signature, true) ? 1 : 0;
    } catch {
      results[i] = 0;
    }
  }
  parentPort.postMessage({ id: message.id, results }, [results.buffer]);
});
`;

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
}

interface Job {
  readonly signature: Signature;
  readonly message: Uint8Array;
  readonly publicKey: PublicKey;
  readonly resolve: (valid: boolean) => void;
}

interface Thread {
  worker: Worker | undefined;
  /** Checks sent and not answered, by message id. */
  readonly inFlight: Map<number, Job[]>;
  jobs: number;
}

/** Largest signed message a job carries (a u16 length); anything longer is checked inline. */
const messageBytesMax = 0xffff;

/**
 * An `AsyncVerifier` on worker threads running tiny-secp256k1. Call `close()` to end the
 * threads (idle threads never hold the process open).
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
  const tiny = createRequire(import.meta.url).resolve('tiny-secp256k1');
  const threads: Thread[] = Array.from({ length: count }, () => ({ worker: undefined, inFlight: new Map(), jobs: 0 }));
  let queued: Job[] = [];
  let scheduled = false;
  let nextId = 1;
  let closed = false;
  if (options.startNow === true) for (const thread of threads) thread.worker = start(thread);

  function start(thread: Thread): Worker {
    const worker = new Worker(threadSource, { eval: true, workerData: { tiny } });
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
    job.resolve(tinySecp256k1Verifier.verify(job.signature, job.message, job.publicKey));
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
    name: `tiny-secp256k1-workers(${count})`,
    verify(signature, message, publicKey) {
      // Shapes the thread's layout cannot carry are checked inline (checkSignatureAsync has
      // already refused wrong lengths; this only guards direct callers).
      if (signature.length !== 64 || publicKey.length !== 33 || message.length > messageBytesMax) {
        return Promise.resolve(tinySecp256k1Verifier.verify(signature, message, publicKey));
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
          await worker?.terminate();
        }),
      );
    },
  };
}
