/**
 * The hub's limits. Each is a named constant with its unit last, is the default of the
 * option of the same name in {@link HubLimits}, and is enforced where the comment says.
 */
import { frameBytesMax } from '@trickle/protocol';

/**
 * Largest WebSocket message `ws` will buffer, in bytes (`maxPayload`). Twice the
 * protocol's frameBytesMax: a frame between the two is read and answered with a typed
 * FRAME_TOO_LARGE reject before the connection is closed (1009); anything larger is cut
 * off by `ws` itself (close 1009) before it is buffered.
 */
export const wsPayloadBytesMax = 2 * frameBytesMax;

/** Time a new connection has to answer the challenge, in ms (session.ts). */
export const authTimeoutMs = 10_000;

/** Interval between pings, in ms; a connection that missed the previous pong is terminated (session.ts). */
export const heartbeatIntervalMs = 15_000;

/** A connection that sends no message for this long is closed (1000 "idle"), in ms (session.ts). */
export const idleTimeoutMs = 5 * 60_000;

/** Sustained messages per second one connection may send (token bucket refill rate; session.ts). */
export const messagesPerSecondMax = 20_000;

/** Burst of messages one connection may send at once (token bucket size; session.ts). */
export const messagesBurstMax = 4_000;

/** Rate-limited messages after which the connection is closed (1008), per connection (session.ts). */
export const rateLimitedMessagesMax = 1_000;

/** Undecodable frames after which the connection is closed (1008), per connection (session.ts). */
export const badFramesMax = 3;

/** Open connections per hub process (upgrade handler answers 503 beyond it). */
export const connectionsMax = 10_000;

/** Open connections per remote address (upgrade handler answers 429 beyond it). */
export const connectionsPerAddressMax = 64;

/** Authenticated connections per client key (AUTH answered RATE_LIMITED, close 1013, beyond it). */
export const connectionsPerKeyMax = 8;

/**
 * Open connections not yet authenticated, per hub process, in connections: beyond it the
 * upgrade is answered 503 before any WebSocket work (admission.ts, ADR 0226).
 */
export const unauthenticatedConnectionsMax = 1_024;

/**
 * Connections from one address that ended without authenticating (an invalid signature, a
 * malformed or unexpected frame before auth, the auth deadline, a drop before auth) within
 * `authFailureWindowMs`, in connections; the last one of them starts the address's
 * cool-down (admission.ts, ADR 0226).
 */
export const authFailuresPerAddressMax = 8;

/** The window over which an address's failed authentications are counted, in ms (admission.ts). */
export const authFailureWindowMs = 10_000;

/**
 * How long an address over `authFailuresPerAddressMax` is refused, in ms: its upgrades are
 * answered 429 with `Retry-After` before any WebSocket or signature work (admission.ts).
 */
export const authFailureCooldownMs = 60_000;

/**
 * How long the 429 to an upgrade from an address in its cool-down is held back, in ms: the
 * socket is not read meanwhile, so a client that waits for the answer before trying again
 * (a reconnect loop, most flood tools) tries once per this long (createHub.ts, ADR 0226).
 */
export const refusalDelayMs = 1_000;

/** Refused upgrades held back at once, in connections; beyond it a refusal is answered at once (createHub.ts). */
export const refusalsHeldMax = 1_024;

/**
 * Addresses whose failed authentications are remembered, in addresses; beyond it the
 * least recently failed one is forgotten (admission.ts).
 */
export const addressesTrackedMax = 65_536;

/**
 * Auth signature checks with the verification port at once, in checks: payments of
 * authenticated channels never queue behind more than these (verifier/authChecks.ts, ADR 0226).
 */
export const authChecksInFlightMax = 2;

/**
 * Auth signature checks waiting for a slot, in checks; an auth beyond it is answered
 * OVERLOADED and closed 1013 before its signature is checked (verifier/authChecks.ts).
 * As many as `unauthenticatedConnectionsMax` by default: a burst of honest reconnects that
 * admission let in is not refused again at its auth.
 */
export const authChecksQueuedMax = unauthenticatedConnectionsMax;

/** Outgoing bytes queued on one connection above which the hub stops reading from it (session.ts). */
export const sendBufferedBytesHigh = 1024 * 1024;

/** Outgoing bytes queued on one connection above which it is terminated: the peer does not read (session.ts). */
export const sendBufferedBytesMax = 16 * 1024 * 1024;

/** `pay` frames queued for one channel; beyond it a frame is rejected OVERLOADED (channelWorker.ts). */
export const channelQueueFramesMax = 4_096;

/**
 * Payment entries of one channel processed as one batch (one signature check, one commit),
 * in entries; the rest of the queue waits for the next batch, so receipts flow back while
 * the hub works instead of after the whole backlog (channelEngine.ts).
 */
export const batchEntriesMax = 1_024;

/**
 * Bytes of a frame kept free around a `logPage`'s vouchers (its envelope), in bytes: a
 * page holds at most frameBytesMax less this (channelEngine.ts).
 *
 * @example
 * ```ts
 * import { logPageMarginBytes } from '@trickle/hub';
 * logPageMarginBytes; // 1024
 * ```
 */
export const logPageMarginBytes = 1_024;

/**
 * Stored vouchers read as one range for a batch that resends accepted ones, in vouchers;
 * a wider span is read seq by seq (payBatches.ts).
 *
 * @example
 * ```ts
 * import { resentVouchersRangeMax } from '@trickle/hub';
 * resentVouchersRangeMax; // 1024
 * ```
 */
export const resentVouchersRangeMax = 1_024;

/**
 * Closed channels kept in memory once idle, in channels; beyond it the least recently used
 * one is evicted and read back from the store when it is asked about again (lanes.ts).
 * Open channels and channels with queued work are always in memory: this bounds the rest.
 */
export const closedChannelsCachedMax = 10_000;

/**
 * Open channels kept in memory once idle, in channels (ADR 0419); beyond it the least
 * recently used idle one is evicted, and read back from the store (the channel and its claim
 * mark) when its wallet speaks again or the settlement scheduler's store queries name it.
 * Channels with work, and closing ones, are always in memory: this bounds the rest, so the
 * hub's memory does not grow with the channels its store knows.
 *
 * @example
 * ```ts
 * import { channelsCachedMax } from '@trickle/hub';
 * channelsCachedMax; // 10000
 * ```
 */
export const channelsCachedMax = 10_000;

/** Requests (open, topUp, close, sync, log) in progress on one connection; beyond it OVERLOADED (session.ts). */
export const requestsInFlightMax = 64;

/** Writes (channel updates) one group commit may carry (groupCommit.ts). */
export const commitBatchWritesMax = 4_096;

/** Time `hub.close()` waits for queued work to finish before closing sockets anyway, in ms. */
export const drainTimeoutMs = 10_000;

/**
 * How long a verifier thread has to stop on its own when the worker-pool verifier closes,
 * in ms (verifier/workerPoolVerifier.ts, ADR 0416). Asked to stop, a thread finishes the
 * check in hand (~50 µs native) or the loading of libsecp256k1 (a few hundred ms on a loaded
 * machine) and exits. Only a thread still running after this is terminated, and only once
 * it is outside the native addon (terminating a thread inside it aborts the process). Also
 * the longest the process's exit waits for a thread to leave the addon.
 */
export const verifierThreadStopMs = 2_000;

/** Cached public-key objects of the node:crypto verifier (least recently used evicted). */
export const keyCacheEntriesMax = 10_000;

/** Interval between sweeps of expired invoices from the store's invoice index, in ms (createHub.ts). */
export const invoiceSweepIntervalMs = 60_000;

/**
 * How long after its expiry an invoice stays in the store's index, in ms: a margin for
 * clocks of several hub processes that disagree, since the expiry check is what refuses
 * it once it is swept (createHub.ts).
 */
export const invoiceSweepGraceMs = 10 * 60_000;

/** Invoices deleted per sweep statement (one short transaction each), not overridable. */
export const invoiceSweepPageMax = 1_000;

/**
 * Recently paid invoices kept in memory so that a replay is refused before its signature
 * is checked (invoices.ts); only an optimisation, the store's unique index decides.
 */
export const paidInvoicesCachedMax = 65_536;

/**
 * Entries a channel may have accepted and not yet claimed on the ledger; beyond it its
 * vouchers are refused `OVERLOADED` (retryable) until the settlement has claimed a page.
 * It keeps every ledger operation on the channel (a close, the answer to a dispute) within
 * the ledger's `entriesPerSettlementMax` (100,000) (settlement.ts, ADR 0211).
 */
export const unclaimedEntriesMax = 50_000;

/**
 * In a hub cluster (ADR 0231), a channel's lease is given back after this long without
 * work on it, in ms, so the process a wallet moved to serves it without waiting for expiry.
 */
export const leaseIdleReleaseMs = 1_000;

/** In a hub cluster, how often a request waiting for a lease held elsewhere asks again, in ms. */
export const leasePollMs = 100;

/**
 * Incoming payments pushed to a wallet-payee's session and not yet acknowledged, in
 * payments; the hub pushes more as acknowledgements come (peers.ts, ADR 0240).
 */
export const inboxUnackedMax = 256;

/** Incoming payments read from the store per page while pushing them, in payments (peers.ts). */
export const inboxPageMax = 128;

/**
 * With a store shared by a hub cluster, how often each receiving session asks the store for
 * payments another process accepted, in ms (peers.ts). A single process pushes at once.
 */
export const inboxPollMs = 500;

/** How long the payment request of a peer payment (`invoice`) stays payable, in ms (peers.ts). */
export const peerInvoiceLifetimeMs = 10 * 60_000;

/** Every limit of the hub, all overridable through `createHub({ limits })`. */
export interface HubLimits {
  readonly wsPayloadBytesMax: number;
  readonly authTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly idleTimeoutMs: number;
  readonly messagesPerSecondMax: number;
  readonly messagesBurstMax: number;
  readonly rateLimitedMessagesMax: number;
  readonly badFramesMax: number;
  readonly connectionsMax: number;
  readonly connectionsPerAddressMax: number;
  readonly connectionsPerKeyMax: number;
  readonly unauthenticatedConnectionsMax: number;
  readonly authFailuresPerAddressMax: number;
  readonly authFailureWindowMs: number;
  readonly authFailureCooldownMs: number;
  readonly refusalDelayMs: number;
  readonly refusalsHeldMax: number;
  readonly addressesTrackedMax: number;
  readonly authChecksInFlightMax: number;
  readonly authChecksQueuedMax: number;
  readonly sendBufferedBytesHigh: number;
  readonly sendBufferedBytesMax: number;
  readonly channelQueueFramesMax: number;
  readonly batchEntriesMax: number;
  readonly closedChannelsCachedMax: number;
  readonly channelsCachedMax: number;
  readonly requestsInFlightMax: number;
  readonly commitBatchWritesMax: number;
  readonly drainTimeoutMs: number;
  readonly invoiceSweepIntervalMs: number;
  readonly invoiceSweepGraceMs: number;
  readonly paidInvoicesCachedMax: number;
  readonly unclaimedEntriesMax: number;
  readonly leaseIdleReleaseMs: number;
  readonly leasePollMs: number;
  readonly inboxUnackedMax: number;
  readonly inboxPageMax: number;
  readonly inboxPollMs: number;
  readonly peerInvoiceLifetimeMs: number;
}

/**
 * The defaults of every hub limit.
 *
 * @example
 * ```ts
 * import { defaultHubLimits } from '@trickle/hub';
 * defaultHubLimits.badFramesMax; // 3
 * ```
 */
export const defaultHubLimits: HubLimits = Object.freeze({
  wsPayloadBytesMax,
  authTimeoutMs,
  heartbeatIntervalMs,
  idleTimeoutMs,
  messagesPerSecondMax,
  messagesBurstMax,
  rateLimitedMessagesMax,
  badFramesMax,
  connectionsMax,
  connectionsPerAddressMax,
  connectionsPerKeyMax,
  unauthenticatedConnectionsMax,
  authFailuresPerAddressMax,
  authFailureWindowMs,
  authFailureCooldownMs,
  refusalDelayMs,
  refusalsHeldMax,
  addressesTrackedMax,
  authChecksInFlightMax,
  authChecksQueuedMax,
  sendBufferedBytesHigh,
  sendBufferedBytesMax,
  channelQueueFramesMax,
  batchEntriesMax,
  closedChannelsCachedMax,
  channelsCachedMax,
  requestsInFlightMax,
  commitBatchWritesMax,
  drainTimeoutMs,
  invoiceSweepIntervalMs,
  invoiceSweepGraceMs,
  paidInvoicesCachedMax,
  unclaimedEntriesMax,
  leaseIdleReleaseMs,
  leasePollMs,
  inboxUnackedMax,
  inboxPageMax,
  inboxPollMs,
  peerInvoiceLifetimeMs,
});

/**
 * Merges overrides into the defaults; throws a titled RangeError for a limit that is not a positive integer.
 *
 * @example
 * ```ts
 * import { resolveLimits } from '@trickle/hub';
 * resolveLimits({ badFramesMax: 5 }).badFramesMax; // 5
 * ```
 */
export function resolveLimits(overrides: Partial<HubLimits> = {}): HubLimits {
  const limits = { ...defaultHubLimits, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`createHub: limits.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return limits;
}
