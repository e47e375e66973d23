/**
 * `createWallet`: the payer's wallet. One channel at one hub; `pay()` calls made in the
 * same tick are coalesced into one signed voucher; vouchers are pipelined (a bounded
 * window in flight); everything signed is persisted before it is sent; after a
 * disconnect the wallet reconnects with backoff, resyncs with the hub and resends what
 * was not acknowledged. The same code runs in Node and browsers (see transport/).
 *
 * Every decision is made by protocol's pure `stepWallet` (ADR 0220); this file checks the
 * caller's arguments, builds the machine's configuration and starts the shell loop
 * (walletLoop.ts) that feeds the machine and carries out its effects.
 */

import {
  asHubId,
  asPayeeId,
  assertAmount,
  asset as checkAsset,
  checkMoneyRequest,
  checkPolicy,
  createSigner,
  decodeMoneyRequest,
  encodeMoneyRequest,
  encodeReceipt,
  fromHex,
  type HubId,
  historyReceipt,
  type IncomingPayment,
  type InvoiceId,
  initialWalletState,
  type MoneyRequest,
  memoCharsMax,
  moneyRequestId,
  moneyRequestPayee,
  nobleVerifier,
  type PayeeId,
  type PaymentRequest,
  payeeIdFromKey,
  type RandomBytes,
  type Receipt,
  receivedPayments,
  type Signer,
  signMoneyRequest,
  toHex,
  WalletError,
  walletBalance,
  walletConnected,
  walletHubId,
} from '@trickle/protocol';
import { systemClock } from './clock.js';
import { createEmitter } from './emitter.js';
import { createPayingFetch } from './payingFetch.js';
import type { PayOptions } from './payOptions.js';
import { defaultTransport } from './transport/defaultTransport.js';
import {
  type Balance,
  type CloseResult,
  type CreateWalletOptions,
  channelLifetimeMs,
  type ForceCloseResult,
  type HistoryEntry,
  inFlightVouchersMax,
  type MoneyRequestParameters,
  moneyRequestLifetimeMs,
  type OpenChannelParameters,
  type PeerPayOptions,
  queuedPaymentsMax,
  reconnectDelayMsMax,
  reconnectDelayMsMin,
  type Wallet,
  type WalletEvents,
} from './wallet.js';
import { createWalletLoop } from './walletLoop.js';

const defaultRandomBytes: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));

/** An AbortSignal, or anything shaped like one (another realm's, a polyfill's). */
function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof value !== 'object' || value === null) return false;
  const signal: Partial<AbortSignal> = value;
  return (
    typeof signal.aborted === 'boolean' &&
    typeof signal.addEventListener === 'function' &&
    typeof signal.removeEventListener === 'function'
  );
}

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
 * wallet.on('unreachable', ({ attempts, retryInMs }) => console.log(`hub unreachable (${attempts}), retry in ${retryInMs} ms`));
 * await wallet.openChannel({ deposit: 5_000_000n, signal: AbortSignal.timeout(30_000) });
 * ```
 */
export async function createWallet(options: CreateWalletOptions): Promise<Wallet> {
  if (typeof options !== 'object' || options === null) throw new TypeError('createWallet: options must be an object');
  const randomBytes = options.randomBytes ?? defaultRandomBytes;
  const signer: Signer = options.key instanceof Uint8Array ? createSigner(options.key, { randomBytes }) : options.key;
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
  const clock = options.clock ?? systemClock;
  const balanceLowAt = options.balanceLowAt;
  if (balanceLowAt !== undefined) assertAmount(balanceLowAt, 'balanceLowAt');
  const balanceLowPercent = options.balanceLowPercent;
  if (
    balanceLowPercent !== undefined &&
    !(Number.isInteger(balanceLowPercent) && balanceLowPercent >= 0 && balanceLowPercent <= 100)
  ) {
    throw new RangeError('createWallet: balanceLowPercent must be an integer 0..100');
  }
  const transport = options.transport ?? (await defaultTransport());
  const events = createEmitter<WalletEvents>();
  const pinnedHubId: HubId | undefined =
    hub.hubId === undefined ? undefined : typeof hub.hubId === 'string' ? asHubId(fromHex(hub.hubId, 32)) : hub.hubId;

  const stored = await store.load();
  const state = initialWalletState(
    {
      networkId: hub.networkId,
      ...(pinnedHubId === undefined ? {} : { hubId: pinnedHubId }),
      clientKey: signer.publicKey,
      verifier: options.verifier ?? nobleVerifier,
      policy,
      ...(balanceLowAt === undefined ? {} : { balanceLowAt }),
      ...(balanceLowPercent === undefined ? {} : { balanceLowPercent }),
      receive: options.receive === true,
      inFlightVouchersMax: options.inFlightVouchersMax ?? inFlightVouchersMax,
      queuedPaymentsMax: options.queuedPaymentsMax ?? queuedPaymentsMax,
      reconnectDelayMsMin: options.reconnectDelayMsMin ?? reconnectDelayMsMin,
      reconnectDelayMsMax: options.reconnectDelayMsMax ?? reconnectDelayMsMax,
    },
    stored,
  );
  const loop = createWalletLoop({
    state,
    transport,
    url: hub.url,
    store,
    history: stored?.history ?? [],
    signer,
    clock,
    randomBytes,
    events,
  });
  loop.feed({ type: 'start' });

  function pay(request: PaymentRequest | string, payOptions?: PayOptions): Promise<Receipt> {
    if (payOptions !== undefined && (typeof payOptions !== 'object' || payOptions === null)) {
      return Promise.reject(new TypeError('pay: options must be an object'));
    }
    const signal = payOptions?.signal;
    if (signal !== undefined && !isAbortSignal(signal)) {
      return Promise.reject(new TypeError('pay: options.signal must be an AbortSignal'));
    }
    return loop.call<Receipt>(
      (call) => ({
        type: 'pay',
        call,
        request,
        ...(signal?.aborted === true ? { aborted: { reason: signal.reason } } : {}),
      }),
      signal,
    );
  }

  async function openChannel(parameters: OpenChannelParameters): Promise<Balance> {
    if (typeof parameters !== 'object' || parameters === null) throw new TypeError('openChannel: parameters required');
    const deposit = assertAmount(parameters.deposit, 'openChannel: deposit');
    if (deposit < 1n) throw new RangeError('openChannel: deposit must be at least 1');
    const unitAsset = checkAsset(parameters.asset?.code ?? 'USD', parameters.asset?.scale ?? 6);
    const lifetimeMs = parameters.lifetimeMs ?? channelLifetimeMs;
    if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < 1)
      throw new RangeError('openChannel: lifetimeMs must be a positive integer');
    const signal = parameters.signal;
    if (signal !== undefined && !isAbortSignal(signal)) {
      throw new TypeError('openChannel: signal must be an AbortSignal');
    }
    const nonce = randomBytes(16);
    return loop.call<Balance>(
      (call) => ({
        type: 'openChannel',
        call,
        deposit,
        asset: unitAsset,
        lifetimeMs,
        nonce,
        ...(signal?.aborted === true ? { aborted: { reason: signal.reason } } : {}),
      }),
      signal,
    );
  }

  async function topUp(parameters: { readonly amount: bigint }): Promise<Balance> {
    const amount = assertAmount(parameters?.amount, 'topUp: amount');
    if (amount < 1n) throw new RangeError('topUp: amount must be at least 1');
    return loop.call<Balance>((call) => ({ type: 'topUp', call, amount }));
  }

  function historyEntries(): HistoryEntry[] {
    const current = loop.state;
    return loop.history().flatMap((record) => {
      if (record.received !== undefined || record.clearing !== undefined) return [];
      const receipt = historyReceipt(current, record);
      const clearedAtMs = current.cleared.get(record.channelId);
      return [
        {
          ...record,
          receipt: receipt === undefined ? '' : encodeReceipt(receipt),
          ...(clearedAtMs === undefined ? {} : { clearedAtMs }),
        },
      ];
    });
  }

  const payeeId = toHex(payeeIdFromKey(signer.publicKey));

  function payPeer(
    payee: PayeeId | string,
    amount: bigint,
    peerOptions: PeerPayOptions = {},
    request?: InvoiceId,
  ): Promise<Receipt> {
    try {
      const payeeBytes = typeof payee === 'string' ? asPayeeId(fromHex(payee, 32, 'payee')) : asPayeeId(payee);
      const value = assertAmount(amount, 'payPeer: amount');
      if (value < 1n) throw new RangeError('payPeer: amount must be at least 1');
      const memo = peerOptions.memo ?? '';
      if (typeof memo !== 'string' || memo.length > memoCharsMax) {
        throw new RangeError(`payPeer: memo must be a string of at most ${memoCharsMax} characters`);
      }
      const reveal = peerOptions.reveal ?? false;
      if (typeof reveal !== 'boolean') throw new TypeError('payPeer: reveal must be a boolean');
      return loop.call<Receipt>((call) => ({
        type: 'payPeer',
        call,
        payee: payeeBytes,
        amount: value,
        memo,
        reveal,
        ...(request === undefined ? {} : { request }),
      }));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  function requestMoney(ask: MoneyRequestParameters): string {
    if (typeof ask !== 'object' || ask === null) throw new TypeError('requestMoney: parameters required');
    const amount = assertAmount(ask.amount, 'requestMoney: amount');
    if (amount < 1n) throw new RangeError('requestMoney: amount must be at least 1');
    const expiresInMs = ask.expiresInMs ?? moneyRequestLifetimeMs;
    if (!Number.isSafeInteger(expiresInMs) || expiresInMs < 1) {
      throw new RangeError('requestMoney: expiresInMs must be a positive integer');
    }
    const hubId = walletHubId(loop.state);
    if (hubId === undefined) {
      throw new WalletError('NOT_CONNECTED', 'requestMoney: the hub is not known yet; wait until the wallet connected');
    }
    const request = signMoneyRequest(signer, {
      networkId: hub.networkId,
      hubId,
      payeeKey: signer.publicKey,
      asset: checkAsset(ask.asset?.code ?? 'USD', ask.asset?.scale ?? 6),
      amount,
      expiresAtMs: clock.nowMs() + expiresInMs,
      memo: ask.memo ?? '',
    });
    return encodeMoneyRequest(request);
  }

  function payRequest(token: string, payOptions: { readonly reveal?: boolean } = {}): Promise<Receipt> {
    let request: MoneyRequest;
    try {
      request = decodeMoneyRequest(token);
    } catch (cause) {
      return Promise.reject(new WalletError('REQUEST_INVALID', 'payRequest: not a money request token', { cause }));
    }
    const hubId = walletHubId(loop.state);
    if (hubId === undefined) {
      return Promise.reject(new WalletError('NOT_CONNECTED', 'payRequest: the hub is not known yet'));
    }
    const verdict = checkMoneyRequest(
      request,
      { networkId: hub.networkId, hubId },
      clock.nowMs(),
      options.verifier ?? nobleVerifier,
    );
    if (verdict !== 'valid') return Promise.reject(new WalletError('REQUEST_INVALID', `payRequest: ${verdict}`));
    const channelAsset = walletBalance(loop.state)?.asset;
    if (
      channelAsset !== undefined &&
      (channelAsset.code !== request.asset.code || channelAsset.scale !== request.asset.scale)
    ) {
      return Promise.reject(new WalletError('REQUEST_INVALID', 'payRequest: the request is in another asset'));
    }
    // With the request's id, so that it is paid once (a second payment: INVOICE_ALREADY_PAID).
    return payPeer(
      moneyRequestPayee(request),
      request.amount,
      { memo: request.memo, reveal: payOptions.reveal ?? false },
      moneyRequestId(request),
    );
  }

  function incoming(): IncomingPayment[] {
    return receivedPayments(loop.history());
  }

  const payingFetch = createPayingFetch(
    { pay },
    {
      networkId: hub.networkId,
      hubId: () => {
        const id = walletHubId(loop.state);
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
    balance: () => walletBalance(loop.state),
    close: () => loop.call<CloseResult>((call) => ({ type: 'close', call })),
    forceClose: () => loop.call<ForceCloseResult>((call) => ({ type: 'forceClose', call })),
    history: historyEntries,
    payeeId,
    payPeer,
    incoming,
    requestMoney,
    payRequest,
    spendReceived(amount: bigint): Promise<Balance> {
      try {
        const value = assertAmount(amount, 'spendReceived: amount');
        if (value < 1n) throw new RangeError('spendReceived: amount must be at least 1');
        const ref = randomBytes(16);
        return loop.call<Balance>((call) => ({ type: 'spendReceived', call, amount: value, ref }));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    on: (event, listener) => events.on(event, listener),
    fetch: payingFetch,
    get connected() {
      return walletConnected(loop.state);
    },
    stop: () => loop.call<undefined>((call) => ({ type: 'stop', call })).then(() => undefined),
  };
}
