/**
 * `createWallet`: the payer's wallet. One channel at one hub; `pay()` calls queued in the
 * same tick are coalesced into one signed voucher; vouchers are pipelined (a bounded
 * window in flight); everything signed is persisted before it is sent; after a
 * disconnect the wallet reconnects with backoff, resyncs with the hub and resends what
 * was not acknowledged. The same code runs in Node and browsers (see transport/).
 */
import {
  assertAmount,
  type ChannelId,
  type ChannelState,
  type ClientChannel,
  channelIdOf,
  asset as checkAsset,
  createSigner,
  type Domain,
  decodePaymentRequest,
  encodeReceipt,
  entriesPerVoucherMax,
  equalBytes,
  fromHex,
  type HubId,
  type HubMessageOf,
  type LogHead,
  logGenesis,
  nobleVerifier,
  PaymentError,
  type PaymentRequest,
  preparePayment,
  type RandomBytes,
  type Receipt,
  type RejectCode,
  RejectError,
  reconcile,
  rejectCodes,
  type Signer,
  signClose,
  signOpenRequest,
  signTopUp,
  signVoucher,
} from '@trickle/protocol';
import { createEmitter } from './emitter.js';
import { WalletError } from './errors.js';
import { Fifo } from './fifo.js';
import { hex as toHex } from './hex.js';
import { createHubConnection, type HubConnection } from './hubConnection.js';
import { createPayingFetch } from './payingFetch.js';
import { checkPolicy, enforcePolicy, type Spent } from './policy.js';
import {
  clientChannelOf,
  type Point,
  pointFromRecord,
  pointToRecord,
  type SignedVoucher,
  voucherFromRecord,
  voucherToRecord,
} from './records.js';
import {
  type ChannelRecord,
  type HistoryRecord,
  mergeChanges,
  type PendingVoucherRecord,
  type WalletChange,
  type WalletRecord,
} from './store/walletStore.js';
import { defaultTransport } from './transport/defaultTransport.js';
import {
  type Balance,
  type CloseResult,
  type CreateWalletOptions,
  channelLifetimeMs,
  type HistoryEntry,
  inFlightVouchersMax,
  type OpenChannelParameters,
  paymentAttemptsMax,
  queuedPaymentsMax,
  reconnectDelayMsMax,
  reconnectDelayMsMin,
  resendDelayMs,
  type Wallet,
  type WalletEvents,
} from './wallet.js';

interface Job {
  readonly request: PaymentRequest;
  readonly resolve: (receipt: Receipt) => void;
  readonly reject: (error: unknown) => void;
  solo: boolean;
  attempts: number;
}

interface LiveVoucher extends SignedVoucher {
  /** The pay() calls waiting on each entry (absent after a restart: nobody waits). */
  readonly jobs: readonly (Job | undefined)[];
  dead: boolean;
  needsResend: boolean;
}

const entryCodes = new Set<RejectCode>([
  'INVOICE_EXPIRED',
  'INVOICE_ALREADY_PAID',
  'UNKNOWN_PAYEE',
  'REQUEST_INVALID',
  'EMPTY_VOUCHER',
]);
const divergenceCodes = new Set<RejectCode>([
  'STALE_VOUCHER',
  'LOG_HEAD_MISMATCH',
  'CUMULATIVE_MISMATCH',
  'EXCEEDS_DEPOSIT',
]);

/** The next macrotask: setImmediate in Node (setTimeout(0) is clamped to 1 ms there), setTimeout elsewhere. */
const nextTask: (run: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (run) => void (globalThis as unknown as { setImmediate: (f: () => void) => unknown }).setImmediate(run)
    : (run) => void setTimeout(run, 0);

const defaultRandomBytes: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));

/**
 * Creates a wallet, loads its store and starts connecting to the hub.
 *
 * @example
 * ```ts
 * import { createWallet, memoryStore } from '@trickle/client';
 * declare const secretKey: import('@trickle/protocol').SecretKey;
 * const wallet = await createWallet({
 *   key: secretKey,
 *   hub: { url: 'ws://127.0.0.1:8787', networkId: 1 },
 *   store: memoryStore(),
 *   policy: { paymentMax: 10_000n },
 * });
 * await wallet.openChannel({ deposit: 5_000_000n });
 * ```
 */
export async function createWallet(options: CreateWalletOptions): Promise<Wallet> {
  if (typeof options !== 'object' || options === null) throw new TypeError('createWallet: options must be an object');
  const randomBytes = options.randomBytes ?? defaultRandomBytes;
  const signer: Signer =
    options.key instanceof Uint8Array ? createSigner(options.key, { randomBytes }) : (options.key as Signer);
  if (typeof signer?.sign !== 'function')
    throw new TypeError('createWallet: key must be a 32-byte secret key or a Signer');
  const hub = options.hub;
  if (typeof hub?.url !== 'string' || !/^wss?:\/\//.test(hub.url)) {
    throw new TypeError('createWallet: hub.url must be a ws:// or wss:// URL');
  }
  if (!Number.isInteger(hub.networkId) || hub.networkId < 0 || hub.networkId > 0xffff_ffff) {
    throw new RangeError('createWallet: hub.networkId must be a u32');
  }
  const store = options.store;
  if (typeof store?.write !== 'function')
    throw new TypeError('createWallet: store is required (memoryStore, fileStore, indexedDbStore)');
  const policy = checkPolicy(options.policy);
  const clock = options.clock ?? { nowMs: () => Date.now() };
  const verifier = options.verifier ?? nobleVerifier;
  const windowMax = options.inFlightVouchersMax ?? inFlightVouchersMax;
  const queueMax = options.queuedPaymentsMax ?? queuedPaymentsMax;
  const delayMin = options.reconnectDelayMsMin ?? reconnectDelayMsMin;
  const delayMax = options.reconnectDelayMsMax ?? reconnectDelayMsMax;
  const balanceLowAt = options.balanceLowAt;
  if (balanceLowAt !== undefined) assertAmount(balanceLowAt, 'balanceLowAt');
  const transport = options.transport ?? (await defaultTransport());
  const events = createEmitter<WalletEvents>();

  // ---- state ----------------------------------------------------------------------
  const stored = await store.load();
  let record: WalletRecord | undefined = stored?.record;
  const pinnedHubId: HubId | undefined =
    hub.hubId === undefined ? undefined : typeof hub.hubId === 'string' ? (fromHex(hub.hubId, 32) as HubId) : hub.hubId;
  if (record !== undefined) {
    if (record.networkId !== hub.networkId)
      throw new WalletError('HUB_MISMATCH', 'the store belongs to another network');
    if (pinnedHubId !== undefined && record.hubId !== toHex(pinnedHubId)) {
      throw new WalletError('HUB_MISMATCH', 'the store belongs to another hub');
    }
  }
  let domain: Domain | undefined =
    record !== undefined ? { networkId: record.networkId, hubId: fromHex(record.hubId, 32) as HubId } : undefined;
  let channel: ClientChannel | undefined = record?.channel === undefined ? undefined : clientChannelOf(record.channel);
  let acked: Point | undefined = record?.channel === undefined ? undefined : pointFromRecord(record.channel.acked);
  let pending: LiveVoucher[] = (stored?.pending ?? []).map((p) => ({
    ...voucherFromRecord(p),
    jobs: [],
    dead: false,
    needsResend: false,
  }));
  const history: HistoryRecord[] = [...(stored?.history ?? [])];
  const spent: Spent = {
    total: BigInt(record?.spent.total ?? '0'),
    byPayee: new Map(Object.entries(record?.spent.byPayee ?? {}).map(([k, v]) => [k, BigInt(v)])),
  };
  const queue = new Fifo<Job>();
  let queuedTotal = 0n;
  const queuedByPayee = new Map<string, bigint>();
  const invoicesInUse = new Set<string>();
  let balanceLowFired = false;

  // ---- connection state -------------------------------------------------------------
  let stopped = false;
  let fatal: Error | undefined;
  let resendTimer: ReturnType<typeof setTimeout> | undefined;
  const sent = new Map<number, LiveVoucher[]>();
  let drainWaiters: (() => void)[] = [];

  // ---- persistence ------------------------------------------------------------------
  let writeChain: Promise<void> = Promise.resolve();
  let staged: WalletChange | undefined;
  let stagedTimer: ReturnType<typeof setTimeout> | undefined;

  function currentRecord(): WalletRecord {
    if (domain === undefined) throw new Error('bug: no domain');
    const byPayee: Record<string, string> = {};
    for (const [k, v] of spent.byPayee) byPayee[k] = v.toString();
    const base: WalletRecord = {
      version: 1,
      networkId: domain.networkId,
      hubId: toHex(domain.hubId),
      spent: { total: spent.total.toString(), byPayee },
    };
    if (record?.channel === undefined || channel === undefined || acked === undefined) {
      return record?.channel === undefined ? base : { ...base, channel: record.channel };
    }
    return {
      ...base,
      channel: {
        ...record.channel,
        deposit: channel.deposit.toString(),
        signed: pointToRecord(channel),
        acked: pointToRecord(acked),
      },
    };
  }

  /** Writes `change` (after anything staged) and resolves once durable. */
  function persist(change: WalletChange): Promise<void> {
    let full = change;
    if (staged !== undefined) {
      full = mergeChanges(staged, change);
      staged = undefined;
      clearTimeout(stagedTimer);
      stagedTimer = undefined;
    }
    const run = writeChain.then(() => store.write(full));
    writeChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Queues a change that need not be durable before anything is sent (acknowledgements,
   * history): written with the next voucher or on the next task. Accumulated in place,
   * since thousands of receipts can arrive between two writes.
   */
  function stage(change: WalletChange): void {
    staged ??= { addPending: [], removePending: [], addHistory: [] };
    const into = staged as {
      record?: WalletRecord;
      addPending: PendingVoucherRecord[];
      removePending: number[];
      addHistory: HistoryRecord[];
    };
    if (change.record !== undefined) into.record = change.record;
    if (change.removePending !== undefined && change.removePending.length > 0) {
      if (into.addPending.length > 0) {
        const removed = new Set(change.removePending);
        into.addPending = into.addPending.filter((p) => !removed.has(p.seq));
      }
      into.removePending.push(...change.removePending);
    }
    if (change.addPending !== undefined) into.addPending.push(...change.addPending);
    if (change.addHistory !== undefined) into.addHistory.push(...change.addHistory);
    if (stagedTimer !== undefined) return;
    stagedTimer = setTimeout(() => {
      stagedTimer = undefined;
      if (staged !== undefined) persist({}).catch((error) => events.emit('error', error as Error));
    }, 0);
  }

  /**
   * Replaces the channel record. For the same channel, the runtime signed and acknowledged
   * positions win over the (possibly older) ones in `next`, and the deposit never shrinks.
   */
  function setChannelRecord(next: ChannelRecord | undefined): void {
    const { channel: _previous, ...rest } = currentRecord();
    if (next === undefined) {
      record = rest;
      channel = undefined;
      acked = undefined;
      return;
    }
    let merged = next;
    if (channel !== undefined && acked !== undefined && toHex(channel.channelId) === next.channelId) {
      const deposit = BigInt(next.deposit) > channel.deposit ? BigInt(next.deposit) : channel.deposit;
      merged = { ...next, deposit: deposit.toString(), signed: pointToRecord(channel), acked: pointToRecord(acked) };
    }
    record = { ...rest, channel: merged };
    channel = clientChannelOf(merged);
    acked = pointFromRecord(merged.acked);
  }

  /** Reports a failure nobody awaits as an `error` event (a stopped wallet's are expected). */
  function report(error: unknown): void {
    if (error instanceof WalletError && (error.code === 'STOPPED' || error.code === 'DISCONNECTED')) return;
    events.emit('error', error as Error);
  }

  /** After (re)authentication: finish half-done operations, resync, resend what is unacknowledged. */
  async function resume(outstanding: ReadonlySet<string>): Promise<void> {
    sent.clear();
    const ch = record?.channel;
    if (ch === undefined || domain === undefined) return;
    if (ch.status === 'opening' && !outstanding.has('open')) {
      void session
        .request<HubMessageOf<'state'>>({
          type: 'open',
          nonce: fromHex(ch.nonce, 16),
          asset: ch.asset,
          deposit: BigInt(ch.deposit),
          expiresAtMs: ch.expiresAtMs,
          signature: fromHex(ch.openSignature, 64) as never,
        })
        .then(
          (answer) => completeOpen(answer.state),
          (error) => abandonOpen(error),
        )
        .catch(report);
      return;
    }
    if (ch.status === 'opening') return;
    const answer = await session
      .request<HubMessageOf<'state'>>({
        type: 'sync',
        channelId: fromHex(ch.channelId, 32) as ChannelId,
      })
      .catch((error) => {
        if (error instanceof RejectError && error.code === 'UNKNOWN_CHANNEL') return undefined;
        throw error;
      });
    if (answer === undefined) return;
    await resyncWith(answer.state, true);
    // Half-done operations of an earlier run: nobody awaits them, so failures are reported as events.
    if (ch.topUp !== undefined && !outstanding.has('topUp'))
      sendTopUp(ch.topUp.deposit, ch.topUp.signature).catch(report);
    if (ch.status === 'closing' && ch.close !== undefined && !outstanding.has('close')) sendClose().catch(report);
  }

  /**
   * Reconciles with a hub state. In sync or hub behind: resend the pending vouchers (when
   * `resend`). Hub ahead with a state this wallet signed: adopt it, find the receipts of
   * `orphans` (and of every pending payment) in the hub's log, sign the rest again.
   * Returns false when the state was not adopted (the caller keeps its orphans).
   */
  async function resyncWith(state: ChannelState, resend: boolean, orphans: Job[] = []): Promise<boolean> {
    if (channel === undefined || domain === undefined || record?.channel === undefined) return false;
    const result = reconcile(domain, channel, state, signer.publicKey, verifier);
    if (result.kind === 'untrusted') {
      events.emit('error', new WalletError('UNTRUSTED_STATE', `the hub's state is not trusted: ${result.reason}`));
      return false;
    }
    if (result.kind !== 'adopt') {
      channel = result.channel;
      if (state.status === 'closed' && record.channel.status !== 'closed') completeClose(state);
      if (resend) for (const v of pending) sendVoucher(v);
      return false;
    }
    const from = channel.seq;
    const scanFrom = (acked?.seq ?? 0) + 1;
    const dead = pending;
    pending = [];
    for (const v of dead) v.dead = true;
    const jobs = [...orphans, ...dead.flatMap((v) => v.jobs.filter((j): j is Job => j !== undefined))];
    unspend(dead);
    // What the hub holds beyond our acknowledged state was spent by this wallet (it signed it):
    // count it in the policy's total (per-payee counters cannot be rebuilt without the log).
    const ackedCumulative = acked?.cumulative ?? 0n;
    if (result.channel.cumulative > ackedCumulative) spent.total += result.channel.cumulative - ackedCumulative;
    channel = result.channel;
    acked = { seq: result.channel.seq, cumulative: result.channel.cumulative, logHead: result.channel.logHead };
    await persist({ record: currentRecord(), removePending: dead.map((v) => v.seq) });
    await recoverFromLog(scanFrom, jobs);
    events.emit('resynced', { from, to: channel.seq });
    return true;
  }

  /** Jobs whose entries the hub's log holds get their receipts; the rest are signed again. */
  async function recoverFromLog(fromSeq: number, jobs: Job[]): Promise<void> {
    if (jobs.length === 0 || channel === undefined || domain === undefined) return;
    const byInvoice = new Map(jobs.map((j) => [toHex(j.request.payee) + toHex(j.request.invoiceId), j]));
    let seq = Math.max(1, fromSeq);
    const channelId = channel.channelId;
    for (let page = 0; page < 1_000 && seq <= channel.seq && byInvoice.size > 0; page++) {
      const answer = await session.request<HubMessageOf<'logPage'>>({
        type: 'log',
        channelId,
        fromSeq: seq,
        limit: 256,
      });
      for (const v of answer.vouchers) {
        v.entries.forEach((entry, i) => {
          const key = toHex(entry.payee) + toHex(entry.invoiceId);
          const job = byInvoice.get(key);
          if (job === undefined) return;
          byInvoice.delete(key);
          const receipt = receiptOf(channelId, v.seq, entry.payee, entry.invoiceId, entry.amount, v.macs[i] as never);
          settleJob(job, receipt);
          events.emit('receipt', receipt);
        });
        seq = v.seq + 1;
      }
      if (!answer.more || answer.vouchers.length === 0) break;
    }
    requeue([...byInvoice.values()]);
  }

  // ---- open, top up, close -----------------------------------------------------------
  async function openChannel(parameters: OpenChannelParameters): Promise<Balance> {
    if (typeof parameters !== 'object' || parameters === null) throw new TypeError('openChannel: parameters required');
    const deposit = assertAmount(parameters.deposit, 'openChannel: deposit');
    if (deposit < 1n) throw new RangeError('openChannel: deposit must be at least 1');
    const unitAsset = checkAsset(parameters.asset?.code ?? 'USD', parameters.asset?.scale ?? 6);
    const lifetimeMs = parameters.lifetimeMs ?? channelLifetimeMs;
    if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < 1)
      throw new RangeError('openChannel: lifetimeMs must be a positive integer');
    await session.whenReady();
    if (record?.channel !== undefined && record.channel.status !== 'closed') {
      throw new WalletError('CHANNEL_EXISTS', `a channel is ${record.channel.status} already`);
    }
    const d = domain as Domain;
    const nonce = randomBytes(16);
    const expiresAtMs = clock.nowMs() + lifetimeMs;
    const open = signOpenRequest(d, { nonce, asset: unitAsset, deposit, expiresAtMs }, signer);
    const channelId = channelIdOf(d.hubId, signer.publicKey, nonce);
    const genesis = pointToRecord({ seq: 0, cumulative: 0n, logHead: logGenesis(d, channelId) });
    setChannelRecord({
      channelId: toHex(channelId),
      nonce: toHex(nonce),
      asset: unitAsset,
      deposit: deposit.toString(),
      expiresAtMs,
      status: 'opening',
      openSignature: toHex(open.signature),
      signed: genesis,
      acked: genesis,
    });
    pending = [];
    await persist({ record: currentRecord() });
    try {
      const answer = await session.request<HubMessageOf<'state'>>({
        type: 'open',
        nonce,
        asset: unitAsset,
        deposit,
        expiresAtMs,
        signature: open.signature,
      });
      await completeOpen(answer.state);
    } catch (error) {
      await abandonOpen(error);
      throw error;
    }
    return balance() as Balance;
  }

  async function completeOpen(state: ChannelState): Promise<void> {
    const ch = record?.channel;
    if (ch === undefined || ch.status !== 'opening' || toHex(state.channelId) !== ch.channelId) return;
    setChannelRecord({ ...ch, status: 'open', deposit: state.deposit.toString() });
    await persist({ record: currentRecord() });
    schedulePump();
  }

  async function abandonOpen(error: unknown): Promise<void> {
    // Only a final refusal abandons the open; a disconnect resends it.
    if (!(error instanceof RejectError) || record?.channel?.status !== 'opening') return;
    setChannelRecord(undefined);
    await persist({ record: currentRecord() }).catch(() => undefined);
  }

  async function topUp(parameters: { readonly amount: bigint }): Promise<Balance> {
    const amount = assertAmount(parameters?.amount, 'topUp: amount');
    if (amount < 1n) throw new RangeError('topUp: amount must be at least 1');
    await session.whenReady();
    const ch = record?.channel;
    if (ch === undefined || channel === undefined) throw new WalletError('NO_CHANNEL', 'open a channel first');
    if (ch.status !== 'open') throw new WalletError('CHANNEL_CLOSED', `the channel is ${ch.status}`);
    const total = channel.deposit + amount;
    const signed = signTopUp(domain as Domain, { channelId: channel.channelId, deposit: total }, signer);
    setChannelRecord({ ...ch, topUp: { deposit: total.toString(), signature: toHex(signed.signature) } });
    await persist({ record: currentRecord() });
    await sendTopUp(total.toString(), toHex(signed.signature));
    return balance() as Balance;
  }

  async function sendTopUp(deposit: string, signature: string): Promise<void> {
    const ch = record?.channel as ChannelRecord;
    try {
      const answer = await session.request<HubMessageOf<'state'>>({
        type: 'topUp',
        channelId: fromHex(ch.channelId, 32) as ChannelId,
        deposit: BigInt(deposit),
        signature: fromHex(signature, 64) as never,
      });
      const current = record?.channel as ChannelRecord;
      const { topUp: _done, ...rest } = current;
      const hubDeposit = answer.state.deposit > BigInt(rest.deposit) ? answer.state.deposit : BigInt(rest.deposit);
      setChannelRecord({ ...rest, deposit: hubDeposit.toString() });
      await persist({ record: currentRecord() });
      if (balanceLowAt !== undefined && (balance()?.available ?? 0n) >= balanceLowAt) balanceLowFired = false;
      schedulePump();
    } catch (error) {
      if (error instanceof RejectError) {
        const current = record?.channel as ChannelRecord;
        const { topUp: _failed, ...rest } = current;
        setChannelRecord(rest);
        await persist({ record: currentRecord() }).catch(() => undefined);
      }
      throw error;
    }
  }

  let closing: Promise<CloseResult> | undefined;
  async function close(): Promise<CloseResult> {
    await session.whenReady();
    const ch = record?.channel;
    if (ch === undefined || channel === undefined) throw new WalletError('NO_CHANNEL', 'open a channel first');
    if (ch.status === 'closed') throw new WalletError('CHANNEL_CLOSED', 'the channel is closed already');
    closing ??= (async () => {
      await drained();
      const current = record?.channel as ChannelRecord;
      if (current.status === 'open') {
        const signed = signClose(
          domain as Domain,
          {
            channelId: (channel as ClientChannel).channelId,
            seq: (channel as ClientChannel).seq,
            cumulative: (channel as ClientChannel).cumulative,
            logHead: (channel as ClientChannel).logHead,
          },
          signer,
        );
        setChannelRecord({
          ...current,
          status: 'closing',
          close: { ...pointToRecord(channel as ClientChannel), signature: toHex(signed.signature) },
        });
        await persist({ record: currentRecord() });
      }
      return sendClose();
    })().finally(() => {
      closing = undefined;
    });
    return closing;
  }

  let closeResult: Promise<CloseResult> | undefined;
  function sendClose(): Promise<CloseResult> {
    closeResult ??= (async () => {
      const ch = record?.channel as ChannelRecord;
      const c = ch.close as NonNullable<ChannelRecord['close']>;
      const answer = await session.request<HubMessageOf<'state'>>({
        type: 'close',
        channelId: fromHex(ch.channelId, 32) as ChannelId,
        seq: c.seq,
        cumulative: BigInt(c.cumulative),
        logHead: fromHex(c.logHead, 32) as LogHead,
        signature: fromHex(c.signature, 64) as never,
      });
      return completeClose(answer.state);
    })().finally(() => {
      closeResult = undefined;
    });
    return closeResult;
  }

  function completeClose(state: ChannelState): CloseResult {
    const ch = record?.channel as ChannelRecord;
    const refund = state.deposit - state.cumulative;
    setChannelRecord({ ...ch, status: 'closed', refund: refund.toString() });
    persist({ record: currentRecord() }).catch((error) => events.emit('error', error as Error));
    failQueued(new WalletError('CHANNEL_CLOSED', 'the channel was closed'));
    const result = { refund, state };
    events.emit('closed', result);
    return result;
  }

  function drained(): Promise<void> {
    if (queue.length === 0 && pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => drainWaiters.push(resolve));
  }

  function checkDrained(): void {
    if (queue.length > 0 || pending.length > 0) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  // ---- paying -------------------------------------------------------------------------
  function pay(input: PaymentRequest | string): Promise<Receipt> {
    let request: PaymentRequest;
    try {
      request = typeof input === 'string' ? decodePaymentRequest(input) : input;
      if (typeof request !== 'object' || request === null || !(request.payee instanceof Uint8Array)) {
        throw new TypeError('pay: expected a PaymentRequest or its token');
      }
      admit(request);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<Receipt>((resolve, reject) => {
      queue.push({ request, resolve, reject, solo: false, attempts: 0 });
      schedulePump();
    });
  }

  /** Every check that can fail before signing; on success the payment counts as queued. */
  function admit(request: PaymentRequest): void {
    if (fatal !== undefined) throw fatal;
    if (stopped) throw new WalletError('STOPPED', 'the wallet was stopped');
    const ch = record?.channel;
    if (ch === undefined || channel === undefined || domain === undefined) {
      throw new WalletError('NO_CHANNEL', 'open a channel first');
    }
    if (ch.status === 'closing' || ch.status === 'closed')
      throw new WalletError('CHANNEL_CLOSED', `the channel is ${ch.status}`);
    if (queue.length >= queueMax) throw new WalletError('QUEUE_FULL', `${queueMax} payments are queued already`);
    const payeeId = toHex(request.payee);
    enforcePolicy(policy, spent, request.payee, request.amount, queuedTotal, queuedByPayee.get(payeeId) ?? 0n);
    const key = payeeId + toHex(request.invoiceId);
    if (invoicesInUse.has(key)) {
      throw new RejectError('INVOICE_ALREADY_PAID', 'this invoice is being paid already');
    }
    checkRequest(domain, channel, request, channel.cumulative + queuedTotal, clock.nowMs());
    invoicesInUse.add(key);
    queuedTotal += request.amount;
    queuedByPayee.set(payeeId, (queuedByPayee.get(payeeId) ?? 0n) + request.amount);
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

  function unqueue(job: Job): void {
    const payeeId = toHex(job.request.payee);
    queuedTotal -= job.request.amount;
    queuedByPayee.set(payeeId, (queuedByPayee.get(payeeId) ?? 0n) - job.request.amount);
  }

  let pumpScheduled = false;
  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    // A macrotask, so every pay() of this tick (and their microtasks) join the same voucher.
    nextTask(() => {
      pumpScheduled = false;
      void pump();
    });
  }

  let pumping = false;
  async function pump(): Promise<void> {
    if (pumping || !session.ready || record?.channel?.status !== 'open' || domain === undefined) return;
    pumping = true;
    try {
      while (queue.length > 0 && pending.length < windowMax && session.ready && channel !== undefined) {
        const built = build(domain, channel);
        if (built.length === 0) break;
        const previous = channel;
        const last = built[built.length - 1] as LiveVoucher;
        channel = { ...channel, seq: last.seq, cumulative: last.cumulative, logHead: last.logHead };
        pending.push(...built);
        try {
          await persist({ record: currentRecord(), addPending: built.map(voucherToRecord) });
        } catch (error) {
          channel = previous;
          pending = pending.filter((v) => !built.includes(v));
          unspend(built);
          for (const v of built) for (const job of v.jobs) if (job !== undefined) finishJob(job, error);
          events.emit('error', error as Error);
          break;
        }
        for (const v of built) if (!v.dead) sendVoucher(v);
      }
    } finally {
      pumping = false;
    }
    if (queue.length > 0 && session.ready && pending.length < windowMax) schedulePump();
    checkDrained();
  }

  /** Signs as many vouchers as the window allows, each covering up to entriesPerVoucherMax queued payments. */
  function build(d: Domain, start: ClientChannel): LiveVoucher[] {
    const built: LiveVoucher[] = [];
    let local = start;
    const nowMs = clock.nowMs();
    while (queue.length > 0 && pending.length + built.length < windowMax) {
      const group: Job[] = [];
      while (queue.length > 0 && group.length < entriesPerVoucherMax) {
        const next = queue.peek() as Job;
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
        unqueue(job);
        finishJob(job, error);
        continue;
      }
      const voucher = signVoucher(d, prepared.voucher, signer);
      for (const job of group) {
        unqueue(job);
        job.attempts++;
        const payeeId = toHex(job.request.payee);
        spent.total += job.request.amount;
        spent.byPayee.set(payeeId, (spent.byPayee.get(payeeId) ?? 0n) + job.request.amount);
      }
      built.push({ ...voucher, entries: prepared.entries, jobs: group, dead: false, needsResend: false });
      local = prepared.channel;
    }
    return built;
  }

  function sendVoucher(v: LiveVoucher): void {
    if (!session.authenticated) return;
    session.send({
      type: 'pay',
      channelId: (channel as ClientChannel).channelId,
      seq: v.seq,
      cumulative: v.cumulative,
      logHead: v.logHead,
      signature: v.signature,
      entries: [...v.entries],
    });
    const list = sent.get(v.seq);
    if (list === undefined) sent.set(v.seq, [v]);
    else list.push(v);
  }

  /** The voucher a reply for `seq` answers: replies come in the order frames were sent. */
  function takeSent(seq: number): LiveVoucher | undefined {
    const list = sent.get(seq);
    const v = list?.shift();
    if (list !== undefined && list.length === 0) sent.delete(seq);
    return v;
  }

  function receiptOf(
    channelId: ChannelId,
    seq: number,
    payee: PaymentRequest['payee'],
    invoiceId: PaymentRequest['invoiceId'],
    amount: bigint,
    mac: Receipt['mac'],
  ): Receipt {
    const d = domain as Domain;
    return {
      networkId: d.networkId,
      hubId: d.hubId,
      channelId,
      seq,
      payee,
      invoiceId,
      asset: (channel as ClientChannel).asset,
      amount,
      mac,
    };
  }

  function onReceipts(message: HubMessageOf<'receipts'>): void {
    const v = takeSent(message.seq);
    // A voucher sent twice (resent while its first copy was in flight) is answered twice: settle it once.
    if (v === undefined || v.dead || !pending.includes(v)) return;
    if (channel === undefined || !equalBytes(message.channelId, channel.channelId)) return;
    if (message.macs.length !== v.entries.length) {
      session.drop('receipt count mismatch');
      return;
    }
    pending = pending.filter((p) => p !== v);
    if (acked === undefined || v.seq > acked.seq) acked = { seq: v.seq, cumulative: v.cumulative, logHead: v.logHead };
    const nowMs = clock.nowMs();
    const records: HistoryRecord[] = [];
    const receipts = v.entries.map((entry, i) => {
      const receipt = receiptOf(
        channel!.channelId,
        v.seq,
        entry.payee,
        entry.invoiceId,
        entry.amount,
        message.macs[i]!,
      );
      records.push({
        channelId: toHex(receipt.channelId),
        seq: v.seq,
        payee: toHex(entry.payee),
        invoiceId: toHex(entry.invoiceId),
        amount: entry.amount.toString(),
        mac: toHex(receipt.mac),
        atMs: nowMs,
      });
      return receipt;
    });
    history.push(...records);
    if (history.length > 10_000) history.splice(0, history.length - 10_000);
    stage({ record: currentRecord(), removePending: [v.seq], addHistory: records });
    receipts.forEach((receipt, i) => {
      const job = v.jobs[i];
      if (job !== undefined) settleJob(job, receipt);
      events.emit('receipt', receipt);
    });
    checkBalanceLow();
    schedulePump();
    checkDrained();
  }

  function settleJob(job: Job, receipt: Receipt): void {
    invoicesInUse.delete(toHex(job.request.payee) + toHex(job.request.invoiceId));
    job.resolve(receipt);
  }

  function finishJob(job: Job, error: unknown): void {
    invoicesInUse.delete(toHex(job.request.payee) + toHex(job.request.invoiceId));
    job.reject(error);
  }

  function unspend(vouchers: readonly LiveVoucher[]): void {
    for (const v of vouchers) {
      for (const entry of v.entries) {
        const payeeId = toHex(entry.payee);
        spent.total -= entry.amount;
        spent.byPayee.set(payeeId, (spent.byPayee.get(payeeId) ?? 0n) - entry.amount);
      }
    }
  }

  /** Puts jobs back at the front of the queue, in order, to be signed again. */
  function requeue(jobs: Job[]): void {
    const again: Job[] = [];
    for (const job of jobs) {
      if (job.attempts >= paymentAttemptsMax) {
        finishJob(
          job,
          new WalletError('PAYMENT_ABANDONED', `the payment's voucher was refused ${job.attempts} times; giving up`),
        );
        continue;
      }
      const payeeId = toHex(job.request.payee);
      queuedTotal += job.request.amount;
      queuedByPayee.set(payeeId, (queuedByPayee.get(payeeId) ?? 0n) + job.request.amount);
      again.push(job);
    }
    queue.unshiftAll(again);
    schedulePump();
  }

  async function onPayReject(message: HubMessageOf<'reject'>): Promise<void> {
    if (message.seq === undefined || message.channelId === undefined) return;
    const v = takeSent(message.seq);
    if (v === undefined || v.dead || !pending.includes(v)) return;
    if (rejectCodes[message.code].retry) {
      v.needsResend = true;
      scheduleResend();
      return;
    }
    await killFrom(v, message.code, message.message, message.state);
  }

  function scheduleResend(): void {
    if (resendTimer !== undefined) return;
    resendTimer = setTimeout(() => {
      resendTimer = undefined;
      if (!session.ready) return;
      for (const v of pending) {
        if (!v.needsResend) continue;
        v.needsResend = false;
        sendVoucher(v);
      }
    }, resendDelayMs);
  }

  /** A voucher was refused for good: it and every voucher chained on it are dead; their payments go back or fail. */
  async function killFrom(
    v: LiveVoucher,
    code: RejectCode,
    text: string,
    state: ChannelState | undefined,
  ): Promise<void> {
    const dead = pending.filter((p) => p.seq >= v.seq);
    pending = pending.filter((p) => p.seq < v.seq);
    for (const d of dead) d.dead = true;
    unspend(dead);
    const before = pending[pending.length - 1] ?? acked;
    const from = channel?.seq ?? 0;
    if (channel !== undefined && before !== undefined) {
      channel = { ...channel, seq: before.seq, cumulative: before.cumulative, logHead: before.logHead };
    }
    const error = new RejectError(code, text);
    const [first, ...rest] = dead;
    const firstJobs = (first?.jobs ?? []).filter((j): j is Job => j !== undefined);
    const restJobs = rest.flatMap((d) => d.jobs.filter((j): j is Job => j !== undefined));
    let again: Job[] = restJobs;
    if (entryCodes.has(code)) {
      if (firstJobs.length === 1) finishJob(firstJobs[0] as Job, error);
      else {
        for (const job of firstJobs) job.solo = true;
        again = [...firstJobs, ...restJobs];
      }
    } else if (divergenceCodes.has(code)) {
      again = [...firstJobs, ...restJobs];
    } else {
      for (const job of [...firstJobs, ...restJobs]) finishJob(job, error);
      again = [];
      if (code === 'CHANNEL_CLOSED' || code === 'CHANNEL_EXPIRED' || code === 'UNKNOWN_CHANNEL') failQueued(error);
    }
    await persist({ record: currentRecord(), removePending: dead.map((d) => d.seq) }).catch((e) =>
      events.emit('error', e as Error),
    );
    if (divergenceCodes.has(code) && state !== undefined) {
      // Our view of the hub was wrong: adopt its state if we signed it, recover receipts, sign the rest again.
      if (await resyncWith(state, false, again)) again = [];
    } else if (dead.length > 0) {
      events.emit('resynced', { from, to: channel?.seq ?? 0 });
    }
    requeue(again);
    checkDrained();
  }

  function failQueued(error: unknown): void {
    const jobs = queue.drain();
    for (const job of jobs) {
      unqueue(job);
      finishJob(job, error);
    }
  }

  function failAllJobs(error: unknown): void {
    failQueued(error);
    for (const v of pending) for (const job of v.jobs) if (job !== undefined) finishJob(job, error);
  }

  function checkBalanceLow(): void {
    if (balanceLowAt === undefined) return;
    const available = balance()?.available;
    if (available === undefined) return;
    if (available < balanceLowAt && !balanceLowFired) {
      balanceLowFired = true;
      events.emit('balanceLow', { available, threshold: balanceLowAt });
    } else if (available >= balanceLowAt) balanceLowFired = false;
  }

  function balance(): Balance | undefined {
    const ch = record?.channel;
    if (ch === undefined || channel === undefined) return undefined;
    return {
      channelId: channel.channelId,
      asset: channel.asset,
      status: ch.status,
      deposit: channel.deposit,
      spent: channel.cumulative,
      acknowledged: acked?.cumulative ?? 0n,
      available: channel.deposit - channel.cumulative,
    };
  }

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    clearTimeout(resendTimer);
    const error = new WalletError('STOPPED', 'the wallet was stopped');
    session.stop(error);
    failQueued(error);
    const unacknowledged = new WalletError(
      'STOPPED',
      'the wallet was stopped before the hub acknowledged this payment; its signed voucher is saved and is resent on the next start, so it may still be charged',
    );
    for (const v of pending) for (const job of v.jobs) if (job !== undefined) finishJob(job, unacknowledged);
    if (staged !== undefined) await persist({}).catch(() => undefined);
    await writeChain;
    await store.close();
  }

  function historyEntry(h: HistoryRecord): HistoryEntry {
    const d = domain as Domain;
    const receipt = encodeReceipt({
      networkId: d.networkId,
      hubId: d.hubId,
      channelId: fromHex(h.channelId, 32) as ChannelId,
      seq: h.seq,
      payee: fromHex(h.payee, 32) as PaymentRequest['payee'],
      invoiceId: fromHex(h.invoiceId, 16) as PaymentRequest['invoiceId'],
      asset: (channel ?? { asset: record?.channel?.asset ?? { code: 'USD', scale: 6 } }).asset,
      amount: BigInt(h.amount),
      mac: fromHex(h.mac, 32) as Receipt['mac'],
    });
    return { ...h, receipt };
  }

  const session: HubConnection = createHubConnection({
    transport,
    url: hub.url,
    networkId: hub.networkId,
    expectedHubId: () => pinnedHubId ?? domain?.hubId,
    signer,
    randomBytes,
    reconnectDelayMsMin: delayMin,
    reconnectDelayMsMax: delayMax,
    handlers: {
      async identified(hubId) {
        if (domain === undefined) {
          // First contact: pin the hub in the store before authenticating to it.
          domain = { networkId: hub.networkId, hubId };
          record = currentRecord();
          await persist({ record });
        }
        return domain;
      },
      resume,
      ready(reconnected, attempts) {
        if (reconnected) events.emit('reconnected', { attempts });
        schedulePump();
      },
      receipts: onReceipts,
      payReject: onPayReject,
      disconnected(code, reason, hadSession) {
        sent.clear();
        if (hadSession) events.emit('disconnected', { code, reason });
      },
      fatal(error) {
        fatal = error;
        failAllJobs(error);
        events.emit('error', error);
      },
      error: (error) => events.emit('error', error),
    },
  });

  const payingFetch = createPayingFetch(
    { pay },
    {
      networkId: hub.networkId,
      hubId: () => {
        const id = pinnedHubId ?? domain?.hubId;
        return id === undefined ? undefined : toHex(id);
      },
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.entitlements === undefined ? {} : { entitlements: options.entitlements }),
      clock,
    },
  );

  return {
    publicKey: signer.publicKey,
    openChannel,
    topUp,
    pay,
    balance,
    close,
    history: () => history.map(historyEntry),
    on: (event, listener) => events.on(event, listener),
    fetch: payingFetch,
    get connected() {
      return session.ready;
    },
    stop,
  };
}
