/**
 * `createHub`: a running hub. An HTTP server that only upgrades to WebSocket (`ws`,
 * compression off, small maxPayload), one session per connection, the channel engine,
 * a durable channel store with group commit, the merchant registry and the ledger port.
 */
import { accessSync, constants as fsConstants, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { entriesPerSettlementMax, type PayoutRule, type TrickleLedger } from '@trickle/ledger';
import {
  type Asset,
  amountMax,
  asChannelId,
  assertAmount,
  assertNetworkId,
  type ChannelId,
  type ChannelState,
  channelStateOf,
  asset as checkAsset,
  type Domain,
  frameBytesMax,
  fromHex,
  type HubId,
  type HubMessage,
  hubIdFromKey,
  type PublicKey,
  type RandomBytes,
  type Verifier,
} from '@trickle/protocol';
import { WebSocketServer } from 'ws';
import { createAdmission, type Refusal } from './admission.js';
import { bytesKey } from './bytesKey.js';
import { createChannelEngine } from './channelEngine.js';
import { defaultLedger, defaultStore, lockDefaultDataDir } from './embeddedDefaults.js';
import { HubError } from './errors.js';
import { createGroupCommit } from './groupCommit.js';
import { defaultHubSigner, type HubSigner } from './hubSigner.js';
import { createPaidInvoices } from './invoices.js';
import { createLanes } from './lanes.js';
import { createLeaseGate } from './leaseGate.js';
import type { ChannelLedger } from './ledgerPort.js';
import { type HubLimits, invoiceSweepPageMax, logPageMarginBytes, resolveLimits } from './limits.js';
import { createMerchantRegistry, type Merchant, type MerchantRegistration } from './merchants.js';
import { type ClearingObservation, type PaymentObservation, payTimer, timedVerifier } from './observation.js';
import { createPeerPayments } from './peers.js';
import { type Clock, systemClock, systemRandomBytes } from './ports.js';
import { closeCodes, type HubSocket, type Session, startSession } from './session.js';
import { resolveSettlementPolicy, type SettlementPolicy } from './settlement/policy.js';
import { createSettlement, type HubSettlement, type Settlement } from './settlement/settlement.js';
import type { ChannelStore, OpenTotal } from './store/channelStore.js';
import type { AsyncVerifier } from './verifier/asyncVerifier.js';
import { createAuthChecks } from './verifier/authChecks.js';
import { createHybridVerifier } from './verifier/hybridVerifier.js';
import { nativeSecp256k1Verifier } from './verifier/nativeSecp256k1Verifier.js';
import { tinySecp256k1Verifier } from './verifier/tinySecp256k1Verifier.js';
import { createWorkerPoolVerifier } from './verifier/workerPoolVerifier.js';

/**
 * Options of {@link createHub}. Every default is listed in docs/hub.md. `L` is the type of
 * the ledger: `TrickleLedger` for the default one (so `hub.ledger.fundPayer` is there).
 */
export interface CreateHubOptions<L extends ChannelLedger = TrickleLedger> {
  /** Folder for the hub key (`hub.key`), the channel store (`channels.sqlite`) and the default ledger. Created if missing. */
  readonly dataDir: string;
  /** The network id every signature is bound to (u32). */
  readonly networkId: number;
  /**
   * Listen for WebSocket connections on `host`:`port`. Default true. With false no server
   * is started: connections arrive only through {@link Hub.accept} (simulations, or a host
   * that runs its own HTTP server and upgrades connections itself), and `url` is `''`.
   */
  readonly listen?: boolean;
  /** Interface to listen on. Default `'127.0.0.1'`. */
  readonly host?: string;
  /** Port to listen on; 0 lets the OS choose (read it from `hub.port`). Default 0. */
  readonly port?: number;
  /** Assets channels may be opened in. Default `[{ code: 'USD', scale: 6 }]`. */
  readonly assets?: readonly Asset[];
  /** Largest deposit of one channel, in minor units. Default 2^63-1. */
  readonly depositMax?: bigint;
  /** Shortest channel lifetime from its open, in ms. Default 60,000 (one minute). */
  readonly channelLifetimeMsMin?: number;
  /** Longest channel lifetime from its open, in ms. Default 31,536,000,000 (365 days). */
  readonly channelLifetimeMsMax?: number;
  /**
   * The ledger of record. Default: `sqliteLedger` from `@trickle/ledger/sqlite` in
   * `<dataDir>/ledger.sqlite`, loaded only then (it needs better-sqlite3 installed).
   */
  readonly ledger?: L;
  /** The hub's fee in parts per million, for the default ledger. Default 0. */
  readonly feePpm?: number;
  /**
   * The channel store. Default: `sqliteChannelStore` from `@trickle/hub/sqlite` at
   * `<dataDir>/channels.sqlite`, loaded only then (it needs better-sqlite3 installed).
   */
  readonly store?: ChannelStore;
  /**
   * The hub's one verification port: every signature the hub checks (auth, open, top-up,
   * close, forced close, vouchers). Default `createHybridVerifier({ inline: nativeSecp256k1Verifier() ?? tinySecp256k1Verifier, pool: createWorkerPoolVerifier({ startNow: true }) })`:
   * inline while idle, on worker threads under load (ADR 0201, 0206), the threads started
   * with the hub (ADR 0226); libsecp256k1 as a native addon where its prebuild loads, else
   * as WASM (ADR 0416).
   */
  readonly verifier?: AsyncVerifier;
  /** The default ledger's verifier (the ledger's own port); unused with `ledger`. Default `nativeSecp256k1Verifier() ?? tinySecp256k1Verifier`. */
  readonly ledgerVerifier?: Verifier;
  /** Overrides of {@link HubLimits}; see `defaultHubLimits`. */
  readonly limits?: Partial<HubLimits>;
  /**
   * The client address that `connectionsPerAddressMax` and the failed-auth budget
   * (`authFailuresPerAddressMax`, ADR 0226) count against, read from the upgrade request;
   * `undefined` (or a throw) falls back to the default. Default: the socket's remote address.
   * Behind a reverse proxy every connection comes from the proxy: return the address it
   * forwards (the entry your proxy appends to `X-Forwarded-For`, never one the client could
   * have written), and let only the proxy reach the hub. `hub.accept` takes the address as
   * its argument instead.
   *
   * @example
   * ```ts
   * import { createHub } from '@trickle/hub';
   * const hub = await createHub({
   *   dataDir: './.data/hub',
   *   networkId: 1,
   *   // nginx: proxy_set_header X-Real-IP $remote_addr;
   *   clientAddress: (request) => request.headers['x-real-ip']?.toString(),
   * });
   * ```
   */
  readonly clientAddress?: (request: IncomingMessage) => string | undefined;
  /** Time source. Default `systemClock` (Date.now). */
  readonly clock?: Clock;
  /** Randomness (challenge nonces, the first hub key). Default `crypto.getRandomValues`. */
  readonly randomBytes?: RandomBytes;
  /** Merchants to register at start (idempotent). Default none. */
  readonly merchants?: readonly MerchantRegistration[];
  /**
   * Told about every failure a client is answered INTERNAL for (store or ledger I/O, bugs),
   * and about failures of the settlement in the background.
   * Default: one line on stderr (`console.error`); messages never contain keys.
   */
  readonly onError?: (error: unknown, context: string) => void;
  /** The settlement policy: when the hub claims while channels stay open. Defaults in `defaultSettlementPolicy`. */
  readonly settlement?: Partial<SettlementPolicy>;
  /**
   * Merchants' payout rules, run every `settlement.payoutIntervalMs` by the scheduler
   * (the ledger must run them: the default `TrickleLedger` does). Default none.
   */
  readonly payoutRules?: readonly PayoutRule[];
  /**
   * Where the hub logs (a pino logger fits): failures answered INTERNAL and background
   * failures go to `logger.error`, unless `onError` is given. Messages never carry keys or
   * raw frames. Default: one line on stderr.
   */
  readonly logger?: HubLogger;
  /**
   * Holds the hub's key (ADR 0414): a KMS, an HSM or another process can, and the hub
   * never reads `hub.key` then. Default `localHubSigner` on `<dataDir>/hub.key` (created
   * on first start).
   */
  readonly signer?: HubSigner;
  /**
   * Most a wallet-payee may move from what it received into its own payer account with one
   * `spend` (ADR 0242), in minor units; the hub claims the paying channels first. Default
   * 0n: off. Needs a ledger with `payout` and `fundPayer` (the default one has them).
   */
  readonly receivedSpendMax?: bigint;
  /** Told about what the hub answers its clients (receipts, rejects), for metrics and dashboards. Default none. */
  readonly observer?: HubObserver;
}

/**
 * Watches what the hub sends its clients: receipts (one MAC per payment) and rejects with
 * their codes. Called synchronously on the send path: count, never block or throw.
 *
 * @example
 * ```ts
 * import { createHub, type HubObserver } from '@trickle/hub';
 * let payments = 0;
 * const observer: HubObserver = { sent: (m) => { if (m.type === 'receipts') payments += m.macs.length; } };
 * const hub = await createHub({ dataDir: './.data/hub', networkId: 1, observer });
 * ```
 */
export interface HubObserver {
  readonly sent?: (message: HubMessage) => void;
  /** One signature check of the verification port finished: its seconds, queueing included. */
  readonly verified?: (seconds: number) => void;
  /** One transaction of the channel store's group commit finished: its seconds, its writes, whether it was durable. */
  readonly committed?: (seconds: number, writes: number, ok: boolean) => void;
  /** A pay frame was answered (receipts or a reject): asset, seconds from frame to answer, outcome. */
  readonly paid?: (payment: PaymentObservation) => void;
  /** The ledger accepted a claim of one channel: asset, entries, seconds since its oldest payment. */
  readonly cleared?: (clearing: ClearingObservation) => void;
  /** Payments to wallet-payees were made durable in one commit (ADR 0240): their asset and count. */
  readonly peerPaid?: (peer: { readonly asset: Asset; readonly payments: number }) => void;
  /** An incoming payment was pushed to its payee's session: its asset and seconds since the hub accepted it. */
  readonly delivered?: (delivery: { readonly asset: Asset; readonly seconds: number }) => void;
  /**
   * Payments to a wallet-payee were settled on the ledger and its clearing notice stored
   * (ADR 0243): asset, how many payments, seconds from the oldest payment of the claim to
   * the settlement.
   */
  readonly peerCleared?: (clearing: {
    readonly asset: Asset;
    readonly payments: number;
    readonly seconds: number;
  }) => void;
}

/**
 * The logger port of the hub: the subset of pino's API it uses.
 *
 * @example
 * ```ts
 * import { createHub, type HubLogger } from '@trickle/hub';
 * // pino() fits; so does this one-line logger on stderr.
 * const line = (level: string) => (fields: Record<string, unknown>, message: string) =>
 *   console.error(JSON.stringify({ level, message, ...fields }));
 * const logger: HubLogger = { error: line('error'), warn: line('warn'), info: line('info') };
 * const hub = await createHub({ dataDir: './.data/hub', networkId: 1, logger });
 * ```
 */
export interface HubLogger {
  error(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

/** A page of {@link Hub.channels}: channels after the `after` channel id (hex), at most `limit`. */
export interface ChannelPage {
  /** Hex channel id of the last channel of the previous page; omit for the first page. */
  readonly after?: string;
  /** Page size, 1..{@link channelsPageMax}. Default {@link channelsPageMax}. */
  readonly limit?: number;
}

/** The most channels one call of {@link Hub.channels} returns. */
export const channelsPageMax = 1_000;

/** A running hub; `L` is the type of its ledger. */
export interface Hub<L extends ChannelLedger = TrickleLedger> {
  /** `ws://host:port`, what wallets connect to; `''` when not listening (`listen: false`). */
  readonly url: string;
  /** The port listened on. */
  readonly port: number;
  readonly networkId: number;
  /** sha256("trickle/hub-id" || hub public key). */
  readonly hubId: HubId;
  /** The hub's public key: merchants derive their MAC key from it. */
  readonly publicKey: PublicKey;
  /** Registers a merchant (payee): ledger accounts, store, MAC key. Idempotent. */
  registerMerchant(registration: MerchantRegistration): Promise<Merchant>;
  /** Every registered merchant. */
  merchants(): Merchant[];
  /**
   * The ledger the hub settles on: the default SQLite `TrickleLedger` (with `fundPayer`,
   * `payout`, `audit`) unless `options.ledger` was given.
   */
  readonly ledger: L;
  /**
   * A channel's current state as the hub would report it, if it is in memory: a channel with
   * work, a closing one, and idle ones while among the `limits.channelsCachedMax` (open) or
   * `limits.closedChannelsCachedMax` (closed) most recently used (ADR 0419). Otherwise
   * undefined, although a client asking about an evicted channel is still answered (the hub
   * reads it back from the store); {@link Hub.readChannel} reads the store too.
   */
  channel(channelId: ChannelId): ChannelState | undefined;
  /**
   * A channel's current state: from memory, else as the store holds it (an evicted open
   * channel, a finalized one: ADR 0419), without bringing it into memory; undefined when the
   * store has no such channel.
   *
   * @example
   * ```ts
   * declare const hub: import('@trickle/hub').Hub;
   * declare const channelId: import('@trickle/protocol').ChannelId;
   * const state = await hub.readChannel(channelId);
   * console.log(state?.status, state?.cumulative);
   * ```
   */
  readChannel(channelId: ChannelId): Promise<ChannelState | undefined>;
  /**
   * Channels not closed and their deposits, per asset, over every channel the store holds (in
   * memory or not, and in a cluster every process's): what escrow and open-channel figures
   * must read now that idle open channels leave memory (ADR 0419). One aggregate query.
   *
   * @example
   * ```ts
   * declare const hub: import('@trickle/hub').Hub;
   * for (const total of await hub.openTotals()) console.log(total.asset.code, total.open, total.escrow);
   * ```
   */
  openTotals(): Promise<readonly OpenTotal[]>;
  /**
   * Channels held in memory (every open one, and recently used closed ones), ordered by
   * channel id, a page at a time.
   *
   * @example
   * ```ts
   * declare const hub: import('@trickle/hub').Hub;
   * const first = hub.channels({ limit: 100 });
   * const next = hub.channels({ after: Buffer.from(first.at(-1)!.channelId).toString('hex'), limit: 100 });
   * ```
   */
  channels(page?: ChannelPage): ChannelState[];
  /**
   * Resolves when the channel store and the ledger answer a read and the data folder is
   * there and writable; rejects with the reason otherwise (what `/readyz` asks).
   */
  ready(): Promise<void>;
  /**
   * Channels held in memory: every open one, those with work queued, and at most
   * `limits.closedChannelsCachedMax` idle closed ones.
   */
  readonly channelCount: number;
  /** Open connections. */
  readonly connectionCount: number;
  /**
   * Runs a session on a connection accepted elsewhere, under the same admission rules as
   * the hub's own listener (shutting down, `connectionsMax`, `connectionsPerAddressMax`,
   * `unauthenticatedConnectionsMax`, an address in its failed-auth cool-down): returns
   * false, and closes `socket` with 1013, when it is refused. `remoteAddress` is what the
   * per-address limits count against.
   *
   * @example
   * ```ts
   * import { createHub } from '@trickle/hub';
   * import { WebSocketServer } from 'ws';
   * const hub = await createHub({ dataDir: './.data/hub', networkId: 1, listen: false });
   * const wss = new WebSocketServer({ port: 8787, perMessageDeflate: false, maxPayload: 131_072 });
   * wss.on('connection', (ws, request) => hub.accept(ws, request.socket.remoteAddress));
   * ```
   */
  accept(socket: HubSocket, remoteAddress?: string): boolean;
  /**
   * The settlement scheduler: claims by policy in the background, finalizes expired
   * channels, answers stale closes; pause/resume, a run on demand, its backlog and last run.
   */
  readonly settlement: Settlement;
  /** Graceful shutdown: stop accepting, drain queued work, flush the store, close connections and files. */
  close(): Promise<void>;
}

const defaultAssets: readonly Asset[] = [checkAsset('USD', 6)];

/**
 * Starts a hub: loads or creates its key, opens its store, reloads every open channel,
 * and listens.
 *
 * @example
 * ```ts
 * import { createHub } from '@trickle/hub';
 * import { publicKeyOf, asSecretKey } from '@trickle/protocol';
 * const hub = await createHub({ dataDir: './.data/hub', networkId: 1, port: 8787 });
 * console.log(hub.url); // ws://127.0.0.1:8787
 * // The default ledger is SQLite in the data folder; money enters it through fundPayer.
 * const clientKey = publicKeyOf(asSecretKey(new Uint8Array(32).fill(7)));
 * await hub.ledger.fundPayer({ clientKey, asset: { code: 'USD', scale: 6 }, amount: 1_000_000n, reference: 'card-charge-1' });
 * await hub.close();
 * ```
 */
export async function createHub<L extends ChannelLedger = TrickleLedger>(
  options: CreateHubOptions<L>,
): Promise<Hub<L>> {
  if (typeof options !== 'object' || options === null) throw new TypeError('createHub: options must be an object');
  const networkId = assertNetworkId(options.networkId);
  const limits = resolveLimits(options.limits);
  const clock = options.clock ?? systemClock;
  const randomBytes = options.randomBytes ?? systemRandomBytes;
  const assets = (options.assets ?? defaultAssets).map((a) => checkAsset(a.code, a.scale));
  if (assets.length === 0) throw new RangeError('createHub: assets must name at least one asset');
  const depositMax = assertAmount(options.depositMax ?? amountMax, 'depositMax');
  const policy = resolveSettlementPolicy(options.settlement);
  if (limits.unclaimedEntriesMax + limits.batchEntriesMax > entriesPerSettlementMax) {
    throw new RangeError(
      `createHub: limits.unclaimedEntriesMax + limits.batchEntriesMax must fit one ledger operation (${entriesPerSettlementMax})`,
    );
  }
  const payoutRules = options.payoutRules ?? [];
  const lifetimeMsMin = options.channelLifetimeMsMin ?? 60_000;
  const lifetimeMsMax = options.channelLifetimeMsMax ?? 365 * 24 * 3_600_000;
  if (!(Number.isSafeInteger(lifetimeMsMin) && Number.isSafeInteger(lifetimeMsMax) && lifetimeMsMin <= lifetimeMsMax)) {
    throw new RangeError('createHub: channelLifetimeMsMin..channelLifetimeMsMax must be integers, min <= max');
  }

  // The folder is the hub's even when its key is elsewhere (stores, lock).
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const signer = options.signer ?? defaultHubSigner(options.dataDir, randomBytes);
  const hubKey = signer.publicKey;
  const domain: Domain = { networkId, hubId: hubIdFromKey(hubKey) };
  const ownsLedger = options.ledger === undefined;
  const ownsStore = options.store === undefined;
  // A SQLite default in the folder: the folder is this process's alone (ADR 0230).
  const dataDirLock = ownsLedger || ownsStore ? await lockDefaultDataDir(options.dataDir, ownsLedger) : undefined;
  // Native libsecp256k1 where its prebuilt addon loads, else WASM (ADR 0416).
  const fastestVerifier = nativeSecp256k1Verifier() ?? tinySecp256k1Verifier;
  const ledgerVerifier = options.ledgerVerifier ?? fastestVerifier;
  let ledger: L;
  let store: ChannelStore;
  try {
    // Without options.ledger, L is its default, TrickleLedger: the cast states that.
    ledger =
      options.ledger ??
      ((await defaultLedger(options.dataDir, domain, options.feePpm ?? 0, clock, ledgerVerifier)) as unknown as L);
    store =
      options.store ??
      (await defaultStore(options.dataDir).catch(async (error: unknown) => {
        if (ownsLedger) await ledger.close().catch(() => undefined);
        throw error;
      }));
  } catch (error) {
    dataDirLock?.release();
    throw error;
  }
  const observer = options.observer ?? {};
  const commits = createGroupCommit(store, { writesMax: limits.commitBatchWritesMax, committed: observer.committed });
  const invoices = createPaidInvoices(limits.paidInvoicesCachedMax);
  const merchants = createMerchantRegistry({ store, ledger, signer, domain, clock, assets });
  const ownsVerifier = options.verifier === undefined;
  const baseVerifier =
    options.verifier ??
    createHybridVerifier({ inline: fastestVerifier, pool: createWorkerPoolVerifier({ startNow: true }) });
  const verifier = observer.verified === undefined ? baseVerifier : timedVerifier(baseVerifier, observer.verified);
  const lanes = createLanes({
    closedChannelsCachedMax: limits.closedChannelsCachedMax,
    channelsCachedMax: limits.channelsCachedMax,
  });
  const logger = options.logger;
  const onError =
    options.onError ??
    (logger === undefined
      ? defaultOnError
      : (error: unknown, context: string) =>
          logger.error(
            { context, err: error instanceof Error ? `${error.name}: ${error.message}` : String(error) },
            `${context} failed`,
          ));
  if (payoutRules.length > 0 && typeof (ledger as { runPayoutRules?: unknown }).runPayoutRules !== 'function') {
    throw new TypeError('createHub: payoutRules need a ledger that runs them (runPayoutRules)');
  }
  const sessions = new Set<Session>();
  const peers = createPeerPayments({
    domain,
    store,
    ledger,
    merchants,
    clock,
    randomBytes,
    assets,
    limits,
    keyOf: (payee) => merchants.keyOf(payee),
    onError,
    receivedSpendMax: assertAmount(options.receivedSpendMax ?? 0n, 'receivedSpendMax'),
    claimNow: (channelId) => settlement.claimNow(channelId),
    ...(options.observer?.delivered === undefined ? {} : { observe: options.observer.delivered }),
  });
  const notify = (clientKey: PublicKey, message: HubMessage) => {
    const keyId = Buffer.from(clientKey).toString('hex');
    for (const session of sessions) if (session.keyId === keyId) session.notify(message);
  };
  let settlement!: HubSettlement;
  const leaseGate =
    store.leases === undefined
      ? undefined
      : createLeaseGate({
          leases: store.leases,
          lanes,
          idleReleaseMs: limits.leaseIdleReleaseMs,
          pollMs: limits.leasePollMs,
          onError,
        });
  const engine = createChannelEngine({
    domain,
    lanes,
    settlement: () => settlement,
    clock,
    store,
    commits,
    ledger,
    merchants,
    invoices,
    verifier,
    openPolicy: { assets, depositMax, lifetimeMsMin, lifetimeMsMax },
    channelQueueFramesMax: limits.channelQueueFramesMax,
    batchEntriesMax: limits.batchEntriesMax,
    logPageBytesMax: frameBytesMax - logPageMarginBytes,
    onError,
    ...(leaseGate === undefined ? {} : { enter: leaseGate.enter }),
    onIncoming(payees, asset) {
      peers.delivered(payees);
      options.observer?.peerPaid?.({ asset, payments: payees.length });
    },
  });
  settlement = createSettlement(
    {
      clock,
      store,
      ledger,
      lanes,
      policy,
      payoutRules,
      updateChannel: (lane, change) => engine.updateChannel(lane, change),
      laneOf: (channelId) => engine.lane(channelId),
      notify,
      onError,
      onCleared: observer.cleared,
      // Wallet-payees are told when their payments clear (ADR 0243); merchants are not.
      notifiesPayee: (payee) => merchants.isWallet(payee) || merchants.keyOf(payee) === undefined,
      onNotices(notices) {
        peers.delivered(notices.map((n) => n.payee));
        for (const notice of notices) options.observer?.peerCleared?.(notice);
      },
    },
    limits.unclaimedEntriesMax,
  );
  await merchants.load();
  await engine.load();
  await settlement.load();
  for (const registration of options.merchants ?? []) await merchants.register(registration);

  const paidTimer = observer.paid === undefined ? undefined : payTimer(lanes, observer.paid);
  const perKey = new Map<string, number>();
  let shuttingDown = false;
  const admission = createAdmission(
    limits,
    () => clock.nowMs(),
    () => shuttingDown,
  );
  const authChecks = createAuthChecks(verifier, limits);

  function startOn(socket: HubSocket, address: string): void {
    admission.opened(address);
    const session = startSession(socket, {
      domain,
      hubKey,
      engine,
      peers,
      authChecks,
      limits,
      clock,
      randomBytes,
      isShuttingDown: () => shuttingDown,
      observe: observer.sent,
      timePay: paidTimer,
      admitKey(key) {
        const count = perKey.get(key) ?? 0;
        if (count >= limits.connectionsPerKeyMax) return false;
        perKey.set(key, count + 1);
        admission.authenticated(address);
        return true;
      },
      onClosed(closed) {
        sessions.delete(closed);
        peers.closed(closed);
        admission.closed(address, closed.end);
        if (closed.keyId !== undefined) decrement(perKey, closed.keyId);
      },
    });
    sessions.add(session);
  }

  const listening = options.listen ?? true;
  const wss = listening
    ? new WebSocketServer({
        noServer: true,
        maxPayload: limits.wsPayloadBytesMax,
        perMessageDeflate: false,
        clientTracking: false,
        skipUTF8Validation: false,
      })
    : undefined;
  const server: Server | undefined = listening
    ? createServer((_request, response) => {
        response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('WebSocket only\n');
      })
    : undefined;
  server?.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // From the upgrade on, the socket is ours: node:http no longer listens for its errors, and a
    // peer's reset (ECONNRESET) with no listener would end the process, refused or not.
    socket.on('error', () => {});
    const address = addressOf(request);
    const refused = admission.refusal(address);
    if (refused !== undefined) {
      refuseUpgrade(socket, refused);
      return;
    }
    wss?.handleUpgrade(request, socket, head, (ws) => startOn(ws, address));
  });

  /** The address an upgrade counts against: `options.clientAddress`'s, else the socket's. */
  function addressOf(request: IncomingMessage): string {
    let chosen: string | undefined;
    try {
      chosen = options.clientAddress?.(request);
    } catch {
      chosen = undefined;
    }
    return chosen ?? request.socket.remoteAddress ?? 'unknown';
  }

  /** Refused upgrades held back now, each with what answers it. */
  const refusalsHeld = new Set<() => void>();
  /**
   * Answers a refused upgrade. An address in its cool-down waits `refusalDelayMs` for its
   * 429, unread (at most `refusalsHeldMax` at once): a flood that waits for answers is
   * slowed to one try per delay per connection, for a socket and a timer each.
   */
  function refuseUpgrade(socket: Duplex, refused: Refusal): void {
    socket.on('error', () => {});
    if (refused.coolingDown !== true || refusalsHeld.size >= limits.refusalsHeldMax || shuttingDown) {
      socket.end(refusalResponse(refused));
      return;
    }
    socket.pause();
    const answer = () => {
      clearTimeout(timer);
      socket.off('close', answer);
      refusalsHeld.delete(answer);
      if (!socket.destroyed) socket.end(refusalResponse(refused));
    };
    refusalsHeld.add(answer);
    const timer = setTimeout(answer, limits.refusalDelayMs);
    socket.once('close', answer);
  }

  settlement.start();
  const heartbeat = setInterval(() => {
    const nowMs = clock.nowMs();
    for (const session of sessions) session.tick(nowMs);
  }, limits.heartbeatIntervalMs);
  heartbeat.unref();
  let sweeping: Promise<void> | undefined;
  const sweep = setInterval(() => {
    sweeping ??= sweepInvoices().finally(() => {
      sweeping = undefined;
    });
  }, limits.invoiceSweepIntervalMs);
  sweep.unref();
  /** Forgets expired invoices from the store's index, a page (one short transaction) at a time. */
  async function sweepInvoices(): Promise<void> {
    try {
      const before = clock.nowMs() - limits.invoiceSweepGraceMs;
      while (!shuttingDown && (await store.sweepInvoices(before, invoiceSweepPageMax)) === invoiceSweepPageMax) {}
    } catch (error) {
      onError(error, 'sweeping expired invoices');
    }
  }

  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 0;
  let port = 0;
  if (server !== undefined) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', (cause) => {
          const code = (cause as NodeJS.ErrnoException).code;
          const why = code === 'EADDRINUSE' ? ': the port is in use' : code === undefined ? '' : ` (${code})`;
          reject(new HubError('LISTEN_FAILED', `cannot listen on ${host}:${requestedPort}${why}`, { cause }));
        });
        server.listen(requestedPort, host, () => resolve());
      });
    } catch (error) {
      // Nothing is listening: give back what was opened, so a caller may try again.
      clearInterval(heartbeat);
      clearInterval(sweep);
      await settlement.stop();
      await leaseGate?.stop();
      wss?.close();
      await releaseOwned().catch(() => undefined);
      throw error;
    }
    const address = server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    shuttingDown = true;
    peers.stop();
    clearInterval(heartbeat);
    clearInterval(sweep);
    await settlement.stop();
    const serverClosed = new Promise<void>((resolve) =>
      server === undefined ? resolve() : server.close(() => resolve()),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      engine.idle(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, limits.drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    for (const session of sessions) session.close(closeCodes.goingAway, 'SHUTTING_DOWN');
    for (const answer of refusalsHeld) answer();
    server?.closeAllConnections?.();
    await serverClosed;
    // Answers started by requests of the drain (forced closes) finish before the ledger closes.
    await settlement.stop();
    await commits.flush();
    await leaseGate?.stop();
    await sweeping;
    wss?.close();
    await releaseOwned();
  }

  /** Closes what this hub opened itself (not what the caller passed in). */
  async function releaseOwned(): Promise<void> {
    try {
      if (ownsStore) await store.close();
      if (ownsVerifier) await verifier.close?.();
      if (ownsLedger) await ledger.close();
    } finally {
      dataDirLock?.release();
    }
  }

  return {
    url: server === undefined ? '' : `ws://${urlHost}:${port}`,
    port,
    networkId,
    hubId: domain.hubId,
    publicKey: hubKey,
    registerMerchant: (registration) => merchants.register(registration),
    merchants: () => merchants.list(),
    ledger,
    channel: (channelId) => engine.state(channelId),
    async readChannel(channelId) {
      const inMemory = engine.state(channelId);
      if (inMemory !== undefined) return inMemory;
      const stored = await store.channel(channelId);
      return stored === undefined ? undefined : channelStateOf(stored, clock.nowMs());
    },
    openTotals: () => store.openTotals(clock.nowMs()),
    channels(page = {}) {
      const limit = page.limit ?? channelsPageMax;
      if (!(Number.isSafeInteger(limit) && limit >= 1 && limit <= channelsPageMax)) {
        throw new RangeError(`channels: limit must be 1..${channelsPageMax}`);
      }
      const after = page.after === undefined ? '' : bytesKey(asChannelId(fromHex(page.after, undefined, 'after')));
      // Bounded by the channels in memory, never by history.
      const keys = [...lanes.all()].filter((lane) => lane.channel !== undefined && lane.key > after);
      keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return keys.slice(0, limit).flatMap((lane) => {
        const state = lane.channel === undefined ? undefined : engine.state(lane.channel.channelId);
        return state === undefined ? [] : [state];
      });
    },
    async ready() {
      accessSync(options.dataDir, fsConstants.W_OK);
      const probe = asChannelId(new Uint8Array(32));
      await store.channel(probe);
      await ledger.channel(probe);
    },
    get channelCount() {
      return engine.channelCount;
    },
    get connectionCount() {
      return sessions.size;
    },
    accept(socket, remoteAddress = 'unknown') {
      const refused = admission.refusal(remoteAddress);
      if (refused !== undefined) {
        socket.close(closeCodes.tryAgainLater, refused.reason);
        return false;
      }
      startOn(socket, remoteAddress);
      return true;
    },
    settlement,
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}

function defaultOnError(error: unknown, context: string): void {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  console.error(`trickle hub: ${context} failed, answered INTERNAL: ${text}`);
}

/** The HTTP answer to a refused upgrade: no body, the connection closed after it. */
function refusalResponse(refused: Refusal): string {
  const retryAfter = refused.retryAfterS === undefined ? '' : `Retry-After: ${refused.retryAfterS}\r\n`;
  return `HTTP/1.1 ${refused.status} ${refused.reason}\r\n${retryAfter}Connection: close\r\nContent-Length: 0\r\n\r\n`;
}

function decrement(counts: Map<string, number>, key: string): void {
  const next = (counts.get(key) ?? 1) - 1;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}
