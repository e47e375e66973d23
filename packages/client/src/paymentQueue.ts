/**
 * Paying: `pay()` admits a payment (every check that can fail runs now, before anything
 * is signed) and queues it; the signing pump coalesces what is queued into vouchers of up
 * to entriesPerVoucherMax payments, at most `windowMax` in flight, persists each signed
 * voucher and only then sends it (ADR 0204).
 *
 * A caller's signal splits on one line, signing: a payment aborted while never signed is
 * taken out of the queue (left as a hole the pump skips, dropped with the others once
 * holes are half the queue, so aborting is O(1) on average) and nothing is ever signed
 * for it; once signed, the money is committed, so the caller is let go while the payment
 * carries on to its receipt.
 */
import {
  assertAmount,
  type ClientChannel,
  type Domain,
  decodePaymentRequest,
  entriesPerVoucherMax,
  equalBytes,
  PaymentError,
  type PaymentRequest,
  preparePayment,
  type Receipt,
  RejectError,
  type Signer,
  signVoucher,
} from '@trickle/protocol';
import { createAbortWatch } from './abortWatch.js';
import { bytesKey } from './bytesKey.js';
import { WalletError } from './errors.js';
import { Fifo } from './fifo.js';
import { hex as toHex } from './hex.js';
import { enforcePolicy, type SpendingPolicy } from './policy.js';
import { voucherToRecord } from './records.js';
import { type PayOptions, paymentAttemptsMax } from './wallet.js';
import { currentRecord, type Job, type LiveVoucher, unspend, type WalletState } from './walletState.js';
import type { WalletWrites } from './walletWrites.js';

/** The next macrotask: setImmediate in Node (setTimeout(0) is clamped to 1 ms there), setTimeout elsewhere. */
const nextTask: (run: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (run) => void (globalThis as unknown as { setImmediate: (f: () => void) => unknown }).setImmediate(run)
    : (run) => void setTimeout(run, 0);

/** What the queue needs. */
export interface PaymentQueueDeps {
  readonly state: WalletState;
  readonly writes: WalletWrites;
  readonly signer: Signer;
  readonly policy: SpendingPolicy;
  readonly clock: { nowMs(): number };
  readonly windowMax: number;
  readonly queueMax: number;
  /** True when vouchers may be sent now. */
  readonly ready: () => boolean;
  /** Sends a signed, persisted voucher. */
  readonly send: (voucher: LiveVoucher) => void;
  readonly onError: (error: Error) => void;
}

/** The queue and its pump. */
export interface PaymentQueue {
  pay(input: PaymentRequest | string, options?: PayOptions): Promise<Receipt>;
  /** Signs and sends what is queued on the next task. */
  schedulePump(): void;
  /** Puts jobs back at the front of the queue, in order, to be signed again. */
  requeue(jobs: Job[]): void;
  /** Resolves a job with its receipt. */
  settle(job: Job, receipt: Receipt): void;
  /** Rejects a job. */
  fail(job: Job, error: unknown): void;
  /** Fails every queued (not yet signed) job. */
  failQueued(error: unknown): void;
  /** Resolves once nothing is queued or in flight. */
  drained(): Promise<void>;
  /** Wakes drained() waiters if nothing is queued or in flight. */
  checkDrained(): void;
}

/** Creates the queue. Internal to createWallet. */
export function createPaymentQueue(deps: PaymentQueueDeps): PaymentQueue {
  const { state, writes } = deps;
  const queue = new Fifo<Job>();
  let queuedTotal = 0n;
  const queuedByPayee = new Map<string, bigint>();
  const invoicesInUse = new Set<string>();
  let drainWaiters: (() => void)[] = [];
  let pumpScheduled = false;
  let pumping = false;
  /** Queued jobs aborted in place (Job.aborted), still in `queue` until the pump reaches them or they are half of it. */
  let holes = 0;
  /** True while build() signs: an abort then waits for it to finish (a Signer may abort a signal). */
  let building = false;
  let abortsDuringBuild: (() => void)[] = [];
  const watchAbort = createAbortWatch();

  function pay(input: PaymentRequest | string, options?: PayOptions): Promise<Receipt> {
    let job: Job;
    return new Promise<Receipt>((resolve, reject) => {
      let request: PaymentRequest;
      let done = false;
      let release = (): void => {
        done = true;
      };
      const signal = options?.signal;
      try {
        if (options !== undefined && (typeof options !== 'object' || options === null)) {
          throw new TypeError('pay: options must be an object');
        }
        if (signal !== undefined && !isAbortSignal(signal)) {
          throw new TypeError('pay: options.signal must be an AbortSignal');
        }
        if (signal?.aborted) {
          throw new WalletError('ABORTED', 'the payment was aborted before it was signed; nothing was charged', {
            cause: signal.reason,
          });
        }
        request = typeof input === 'string' ? decodePaymentRequest(input) : input;
        if (
          typeof request !== 'object' ||
          request === null ||
          !(request.payee instanceof Uint8Array) ||
          !(request.invoiceId instanceof Uint8Array)
        ) {
          throw new TypeError('pay: expected a PaymentRequest or its token');
        }
        job = {
          request,
          payeeId: toHex(request.payee),
          invoiceKey: bytesKey(request.payee) + bytesKey(request.invoiceId),
          resolve(receipt) {
            release();
            resolve(receipt);
          },
          reject(error) {
            release();
            reject(error);
          },
          solo: false,
          attempts: 0,
          aborted: false,
        };
        admit(job);
      } catch (error) {
        reject(error);
        return;
      }
      queue.push(job);
      if (signal !== undefined) {
        const onAbort = (): void => {
          if (done) return;
          // While build() signs, a job may be half-way from queued to signed: decide once it is one or the other.
          if (building) abortsDuringBuild.push(onAbort);
          else abort(job, signal.reason);
        };
        const unwatch = watchAbort(signal, onAbort);
        // Stop watching once the caller has its answer: a long-lived signal must not keep jobs alive.
        release = () => {
          done = true;
          unwatch();
        };
      }
      schedulePump();
    });
  }

  /**
   * The caller's signal aborted. Never signed (so still queued): out of the queue, nothing
   * will be signed. Signed: the voucher is persisted (or being persisted) and will be sent
   * until the hub answers, so only the caller is let go; settle() and the `receipt` event
   * still happen for it.
   */
  function abort(job: Job, reason: unknown): void {
    if (job.attempts === 0) {
      job.aborted = true;
      holes++;
      // Holes are dropped as the pump passes them; while it cannot (hub down, or nothing
      // queued behind them) they would pile up, each holding its payment. Once they are half
      // the queue, drop them all: O(1) per abort on average.
      if (holes * 2 >= queue.length) {
        queue.retain((queued) => !queued.aborted);
        holes = 0;
      }
      count(job, -job.request.amount);
      fail(
        job,
        new WalletError('ABORTED', 'the payment was aborted before it was signed; nothing was charged', {
          cause: reason,
        }),
      );
      checkDrained();
      return;
    }
    job.reject(
      new WalletError(
        'ABORTED_AFTER_SIGNING',
        'the payment was aborted after it was signed: it is still delivered and is charged unless the hub refuses it; its receipt comes as a receipt event and in history()',
        { cause: reason },
      ),
    );
  }

  /** Payments waiting to be signed (holes left by aborted ones do not count). */
  function queuedCount(): number {
    return queue.length - holes;
  }

  /** The next payment waiting to be signed, dropping the holes in front of it. */
  function peekQueued(): Job | undefined {
    let next = queue.peek();
    while (next?.aborted === true) {
      queue.shift();
      holes--;
      next = queue.peek();
    }
    return next;
  }

  /** Every check that can fail before signing; on success the payment counts as queued. */
  function admit(job: Job): void {
    const { request } = job;
    const ended = endedWith();
    if (ended !== undefined) throw ended;
    const ch = state.record?.channel;
    const { channel, domain } = state;
    if (ch === undefined || channel === undefined || domain === undefined) {
      throw new WalletError('NO_CHANNEL', 'open a channel first');
    }
    if (queuedCount() >= deps.queueMax)
      throw new WalletError('QUEUE_FULL', `${deps.queueMax} payments are queued already`);
    enforcePolicy(
      deps.policy,
      state.spent,
      job.payeeId,
      request.amount,
      queuedTotal,
      queuedByPayee.get(job.payeeId) ?? 0n,
    );
    if (invoicesInUse.has(job.invoiceKey)) {
      throw new RejectError('INVOICE_ALREADY_PAID', 'this invoice is being paid already');
    }
    checkRequest(domain, channel, request, channel.cumulative + queuedTotal, deps.clock.nowMs());
    invoicesInUse.add(job.invoiceKey);
    count(job, request.amount);
  }

  /** Adds `amount` (negative to remove) to what is queued. */
  function count(job: Job, amount: bigint): void {
    queuedTotal += amount;
    queuedByPayee.set(job.payeeId, (queuedByPayee.get(job.payeeId) ?? 0n) + amount);
  }

  /**
   * preparePayment's refusals, checked per payment before it is queued (without hashing:
   * the voucher is built later): a bad request fails alone, before anything is signed.
   */
  function checkRequest(d: Domain, ch: ClientChannel, request: PaymentRequest, committed: bigint, nowMs: number): void {
    const amount = assertAmount(request.amount, 'pay: amount');
    if (amount < 1n) throw new RangeError('pay: amount must be at least 1');
    if (nowMs >= ch.expiresAtMs) throw new PaymentError('CHANNEL_EXPIRED', 'the channel has expired');
    if (request.networkId !== d.networkId || !equalBytes(request.hubId, d.hubId)) {
      throw new PaymentError('WRONG_HUB', 'the payment request is for another hub or network');
    }
    if (request.asset?.code !== ch.asset.code || request.asset.scale !== ch.asset.scale) {
      throw new PaymentError(
        'ASSET_MISMATCH',
        `the request is in ${request.asset?.code}, the channel in ${ch.asset.code}`,
      );
    }
    if (!(request.expiresAtMs > nowMs)) throw new PaymentError('INVOICE_EXPIRED', 'the payment request has expired');
    if (committed + amount > ch.deposit) {
      throw new PaymentError(
        'INSUFFICIENT_CHANNEL_BALANCE',
        `needs ${amount}, the channel has ${ch.deposit - committed} left after the payments already queued`,
      );
    }
  }

  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    // A macrotask, so every pay() of this tick (and their microtasks) join the same voucher.
    nextTask(() => {
      pumpScheduled = false;
      void pump();
    });
  }

  async function pump(): Promise<void> {
    if (pumping || !deps.ready() || state.record?.channel?.status !== 'open' || state.domain === undefined) return;
    pumping = true;
    try {
      while (
        queuedCount() > 0 &&
        state.pending.length < deps.windowMax &&
        deps.ready() &&
        state.channel !== undefined
      ) {
        const built = buildGuarded(state.domain, state.channel);
        if (built.length === 0) break;
        const previous = state.channel;
        const last = built[built.length - 1] as LiveVoucher;
        state.channel = { ...previous, seq: last.seq, cumulative: last.cumulative, logHead: last.logHead };
        for (const v of built) state.pending.push(v);
        try {
          await writes.persist({ record: currentRecord(state), addPending: built.map(voucherToRecord) });
        } catch (error) {
          state.channel = previous;
          state.pending = state.pending.filter((v) => !built.includes(v));
          unspend(state, built);
          for (const v of built) for (const job of v.jobs) if (job !== undefined) fail(job, error);
          deps.onError(error as Error);
          break;
        }
        for (const v of built) if (!v.dead) deps.send(v);
      }
    } finally {
      pumping = false;
    }
    if (queuedCount() > 0 && deps.ready() && state.pending.length < deps.windowMax) schedulePump();
    checkDrained();
  }

  /** build(), with the aborts that came while it signed handled after it: each job is then queued or signed. */
  function buildGuarded(d: Domain, start: ClientChannel): LiveVoucher[] {
    building = true;
    try {
      return build(d, start);
    } finally {
      building = false;
      const aborts = abortsDuringBuild;
      abortsDuringBuild = [];
      for (const run of aborts) run();
    }
  }

  /** Signs as many vouchers as the window allows, each covering up to entriesPerVoucherMax queued payments. */
  function build(d: Domain, start: ClientChannel): LiveVoucher[] {
    const built: LiveVoucher[] = [];
    let local = start;
    const nowMs = deps.clock.nowMs();
    while (queuedCount() > 0 && state.pending.length + built.length < deps.windowMax) {
      const group: Job[] = [];
      while (group.length < entriesPerVoucherMax) {
        const next = peekQueued();
        if (next === undefined) break;
        if (next.solo && group.length > 0) break;
        group.push(queue.shift() as Job);
        if (next.solo) break;
      }
      let prepared: ReturnType<typeof preparePayment>;
      try {
        prepared = preparePayment(
          d,
          local,
          group.map((j) => j.request),
          nowMs,
        );
      } catch (error) {
        if (group.length > 1) {
          for (const job of group) job.solo = true;
          queue.unshiftAll(group);
          continue;
        }
        const job = group[0] as Job;
        count(job, -job.request.amount);
        fail(job, error);
        continue;
      }
      let voucher: ReturnType<typeof signVoucher>;
      try {
        voucher = signVoucher(d, prepared.voucher, deps.signer);
      } catch (error) {
        // A custom Signer that throws: nothing signed, so these payments fail alone and typed.
        for (const job of group) {
          count(job, -job.request.amount);
          fail(job, new WalletError('SIGNER_FAILED', 'the signer threw while signing the voucher', { cause: error }));
        }
        continue;
      }
      const { spent } = state;
      for (const job of group) {
        const { amount } = job.request;
        count(job, -amount);
        job.attempts++;
        spent.total += amount;
        spent.byPayee.set(job.payeeId, (spent.byPayee.get(job.payeeId) ?? 0n) + amount);
      }
      built.push({ ...voucher, entries: prepared.entries, jobs: group, dead: false, needsResend: false });
      local = prepared.channel;
    }
    return built;
  }

  function settle(job: Job, receipt: Receipt): void {
    invoicesInUse.delete(job.invoiceKey);
    job.resolve(receipt);
  }

  function fail(job: Job, error: unknown): void {
    invoicesInUse.delete(job.invoiceKey);
    job.reject(error);
  }

  /** Why no payment can be signed any more (stopped, failed, channel closing), if so. */
  function endedWith(): Error | undefined {
    if (state.fatal !== undefined) return state.fatal;
    if (state.stopped) return new WalletError('STOPPED', 'the wallet was stopped');
    const status = state.record?.channel?.status;
    if (status === 'closing' || status === 'closed')
      return new WalletError('CHANNEL_CLOSED', `the channel is ${status}`);
    return undefined;
  }

  function requeue(jobs: Job[]): void {
    // A refused voucher's payments come back unsigned; when the wallet stopped (or the channel
    // closed) meanwhile, nothing would sign them again: they fail now rather than wait forever.
    const ended = endedWith();
    if (ended !== undefined) {
      for (const job of jobs) fail(job, ended);
      return;
    }
    const again: Job[] = [];
    for (const job of jobs) {
      if (job.attempts >= paymentAttemptsMax) {
        fail(
          job,
          new WalletError('PAYMENT_ABANDONED', `the payment's voucher was refused ${job.attempts} times; giving up`),
        );
        continue;
      }
      count(job, job.request.amount);
      again.push(job);
    }
    queue.unshiftAll(again);
    schedulePump();
  }

  function failQueued(error: unknown): void {
    const jobs = queue.drain();
    holes = 0;
    for (const job of jobs) {
      if (job.aborted) continue;
      count(job, -job.request.amount);
      fail(job, error);
    }
  }

  function drained(): Promise<void> {
    if (queuedCount() === 0 && state.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => drainWaiters.push(resolve));
  }

  function checkDrained(): void {
    if (queuedCount() > 0 || state.pending.length > 0) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  return { pay, schedulePump, requeue, settle, fail, failQueued, drained, checkDrained };
}

/** An AbortSignal, or anything shaped like one (another realm's, a polyfill's). */
function isAbortSignal(value: unknown): value is AbortSignal {
  const signal = value as AbortSignal;
  return (
    typeof signal === 'object' &&
    signal !== null &&
    typeof signal.aborted === 'boolean' &&
    typeof signal.addEventListener === 'function' &&
    typeof signal.removeEventListener === 'function'
  );
}
