/**
 * `createWallet`: the payer's wallet. One channel at one hub; `pay()` calls queued in the
 * same tick are coalesced into one signed voucher; vouchers are pipelined (a bounded
 * window in flight); everything signed is persisted before it is sent; after a
 * disconnect the wallet reconnects with backoff, resyncs with the hub and resends what
 * was not acknowledged. The same code runs in Node and browsers (see transport/).
 *
 * The parts: walletState.ts (shared state and records), walletWrites.ts (ordered store
 * writes), paymentQueue.ts (admission and the signing pump), voucherReplies.ts (vouchers
 * on the wire and their answers), resume.ts (resync after a reconnect),
 * channelLifecycle.ts (open, top up, close), hubConnection.ts (the session).
 */
import {
  assertAmount,
  type ChannelId,
  createSigner,
  encodeReceipt,
  fromHex,
  type HubId,
  type HubMessage,
  nobleVerifier,
  type PaymentRequest,
  type RandomBytes,
  type Receipt,
  type Signer,
} from '@trickle/protocol';
import { createChannelLifecycle } from './channelLifecycle.js';
import { createEmitter } from './emitter.js';
import { WalletError } from './errors.js';
import { hex as toHex } from './hex.js';
import { createHubConnection, type HubConnection, type RequestBody } from './hubConnection.js';
import { createPayingFetch } from './payingFetch.js';
import { createPaymentQueue } from './paymentQueue.js';
import { checkPolicy } from './policy.js';
import { createResume } from './resume.js';
import type { HistoryRecord } from './store/walletStore.js';
import { defaultTransport } from './transport/defaultTransport.js';
import { createUnilateral } from './unilateral.js';
import { createVoucherReplies } from './voucherReplies.js';
import {
  type CreateWalletOptions,
  type HistoryEntry,
  inFlightVouchersMax,
  queuedPaymentsMax,
  reconnectDelayMsMax,
  reconnectDelayMsMin,
  type Wallet,
  type WalletEvents,
} from './wallet.js';
import { balanceOf, currentRecord, walletStateOf } from './walletState.js';
import { createWalletWrites } from './walletWrites.js';

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
  const balanceLowAt = options.balanceLowAt;
  if (balanceLowAt !== undefined) assertAmount(balanceLowAt, 'balanceLowAt');
  const transport = options.transport ?? (await defaultTransport());
  const events = createEmitter<WalletEvents>();

  const stored = await store.load();
  const pinnedHubId: HubId | undefined =
    hub.hubId === undefined ? undefined : typeof hub.hubId === 'string' ? (fromHex(hub.hubId, 32) as HubId) : hub.hubId;
  if (stored?.record !== undefined) {
    if (stored.record.networkId !== hub.networkId)
      throw new WalletError('HUB_MISMATCH', 'the store belongs to another network');
    if (pinnedHubId !== undefined && stored.record.hubId !== toHex(pinnedHubId)) {
      throw new WalletError('HUB_MISMATCH', 'the store belongs to another hub');
    }
  }
  const state = walletStateOf(stored);
  const writes = createWalletWrites(store, (error) => events.emit('error', error));

  // The parts call each other only after creation: the arrows below resolve at call time.
  const queue = createPaymentQueue({
    state,
    writes,
    signer,
    policy,
    clock,
    windowMax: options.inFlightVouchersMax ?? inFlightVouchersMax,
    queueMax: options.queuedPaymentsMax ?? queuedPaymentsMax,
    ready: () => session.ready,
    send: (voucher) => replies.send(voucher),
    onError: (error) => events.emit('error', error),
  });
  const replies = createVoucherReplies({
    state,
    writes,
    events,
    queue,
    clock,
    balanceLowAt,
    authenticated: () => session.authenticated,
    ready: () => session.ready,
    nextId: () => session.nextId(),
    sendFrame: (message) => session.send(message),
    drop: (reason) => session.drop(reason),
    resyncWith: (hubState, resend, orphans, failRest) => resume.resyncWith(hubState, resend, orphans, failRest),
  });
  const lifecycle = createChannelLifecycle({
    state,
    writes,
    events,
    queue,
    signer,
    randomBytes,
    clock,
    whenReady: () => session.whenReady(),
    request: <T extends HubMessage>(body: RequestBody) => session.request<T>(body),
    rearmBalanceLow: () => replies.rearmBalanceLow(),
  });
  const unilateral = createUnilateral({
    state,
    writes,
    events,
    queue,
    signer,
    whenReady: () => session.whenReady(),
    request: <T extends HubMessage>(body: RequestBody) => session.request<T>(body),
    completeClose: (hubState, refund) => lifecycle.completeClose(hubState, refund),
  });
  const resume = createResume({
    state,
    writes,
    events,
    queue,
    replies,
    publicKey: signer.publicKey,
    verifier: options.verifier ?? nobleVerifier,
    request: <T extends HubMessage>(body: RequestBody) => session.request<T>(body),
    lifecycle,
  });

  async function stop(): Promise<void> {
    if (state.stopped) return;
    state.stopped = true;
    replies.stop();
    const error = new WalletError('STOPPED', 'the wallet was stopped');
    session.stop(error);
    queue.failQueued(error);
    const unacknowledged = new WalletError(
      'STOPPED',
      'the wallet was stopped before the hub acknowledged this payment; its signed voucher is saved and is resent on the next start, so it may still be charged',
    );
    for (const v of state.pending) for (const job of v.jobs) if (job !== undefined) queue.fail(job, unacknowledged);
    if (writes.hasStaged) await writes.persist({}).catch(() => undefined);
    await writes.settled();
    await store.close();
  }

  function historyEntry(h: HistoryRecord): HistoryEntry {
    const d = state.domain as NonNullable<typeof state.domain>;
    const receipt = encodeReceipt({
      networkId: d.networkId,
      hubId: d.hubId,
      channelId: fromHex(h.channelId, 32) as ChannelId,
      seq: h.seq,
      payee: fromHex(h.payee, 32) as PaymentRequest['payee'],
      invoiceId: fromHex(h.invoiceId, 16) as PaymentRequest['invoiceId'],
      asset: (state.channel ?? { asset: state.record?.channel?.asset ?? { code: 'USD', scale: 6 } }).asset,
      amount: BigInt(h.amount),
      mac: fromHex(h.mac, 32) as Receipt['mac'],
    });
    return { ...h, receipt };
  }

  const session: HubConnection = createHubConnection({
    transport,
    url: hub.url,
    networkId: hub.networkId,
    expectedHubId: () => pinnedHubId ?? state.domain?.hubId,
    signer,
    randomBytes,
    reconnectDelayMsMin: options.reconnectDelayMsMin ?? reconnectDelayMsMin,
    reconnectDelayMsMax: options.reconnectDelayMsMax ?? reconnectDelayMsMax,
    handlers: {
      async identified(hubId) {
        if (state.domain === undefined) {
          // First contact: pin the hub in the store before authenticating to it.
          state.domain = { networkId: hub.networkId, hubId };
          state.record = currentRecord(state);
          await writes.persist({ record: state.record });
        }
        return state.domain;
      },
      resume: (outstanding) => resume.resume(outstanding),
      ready(reconnected, attempts) {
        if (reconnected) events.emit('reconnected', { attempts });
        queue.schedulePump();
      },
      receipts: (message) => replies.onReceipts(message),
      payReject: (message) => replies.onPayReject(message),
      notice: (message) => unilateral.onNotice(message),
      disconnected(code, reason, hadSession) {
        replies.clearSent();
        if (hadSession) events.emit('disconnected', { code, reason });
      },
      fatal(error) {
        state.fatal = error;
        queue.failQueued(error);
        for (const v of state.pending) for (const job of v.jobs) if (job !== undefined) queue.fail(job, error);
        events.emit('error', error);
      },
      error: (error) => events.emit('error', error),
    },
  });

  const payingFetch = createPayingFetch(
    { pay: queue.pay },
    {
      networkId: hub.networkId,
      hubId: () => {
        const id = pinnedHubId ?? state.domain?.hubId;
        return id === undefined ? undefined : toHex(id);
      },
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.entitlements === undefined ? {} : { entitlements: options.entitlements }),
      clock,
    },
  );

  return {
    publicKey: signer.publicKey,
    openChannel: lifecycle.openChannel,
    topUp: lifecycle.topUp,
    pay: queue.pay,
    balance: () => balanceOf(state),
    close: lifecycle.close,
    forceClose: unilateral.forceClose,
    history: () => replies.history().map(historyEntry),
    on: (event, listener) => events.on(event, listener),
    fetch: payingFetch,
    get connected() {
      return session.ready;
    },
    stop,
  };
}
