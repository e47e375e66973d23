/**
 * The ledger's limits. Every limit has its unit last and is enforced where it is used;
 * each is exported so callers can size their own batches against it.
 */

/**
 * Most transfers in one `createTransfers` batch (TigerBeetle's batch size).
 *
 * @example
 * ```ts
 * import { transfersPerBatchMax } from '@trickle/ledger';
 * transfersPerBatchMax; // 8190
 * ```
 */
export const transfersPerBatchMax = 8_190;

/**
 * Most accounts in one `createAccounts` batch.
 *
 * @example
 * ```ts
 * import { accountsPerBatchMax } from '@trickle/ledger';
 * accountsPerBatchMax; // 8190
 * ```
 */
export const accountsPerBatchMax = 8_190;

/**
 * Longest account id, in characters.
 *
 * @example
 * ```ts
 * import { accountIdCharsMax } from '@trickle/ledger';
 * accountIdCharsMax; // 128
 * ```
 */
export const accountIdCharsMax = 128;

/**
 * Longest transfer id, in characters (a channel settlement id is ~170).
 *
 * @example
 * ```ts
 * import { transferIdCharsMax } from '@trickle/ledger';
 * transferIdCharsMax; // 256
 * ```
 */
export const transferIdCharsMax = 256;

/**
 * Longest funding or payout reference, in characters.
 *
 * @example
 * ```ts
 * import { referenceCharsMax } from '@trickle/ledger';
 * referenceCharsMax; // 128
 * ```
 */
export const referenceCharsMax = 128;

/**
 * Longest `ref` (grouping key) or `memo` of a transfer, in characters.
 *
 * @example
 * ```ts
 * import { transferTextCharsMax } from '@trickle/ledger';
 * transferTextCharsMax; // 128
 * ```
 */
export const transferTextCharsMax = 128;

/**
 * Largest transfer `code` (a u16, like TigerBeetle's).
 *
 * @example
 * ```ts
 * import { transferCodeMax } from '@trickle/ledger';
 * transferCodeMax; // 65535
 * ```
 */
export const transferCodeMax = 65_535;

/**
 * Most transfers one history page returns.
 *
 * @example
 * ```ts
 * import { historyPageTransfersMax } from '@trickle/ledger';
 * historyPageTransfersMax; // 1000
 * ```
 */
export const historyPageTransfersMax = 1_000;

/**
 * Most payment entries one claim or close may carry (the entries since the last claim).
 *
 * @example
 * ```ts
 * import { entriesPerSettlementMax } from '@trickle/ledger';
 * entriesPerSettlementMax; // 100000
 * ```
 */
export const entriesPerSettlementMax = 100_000;

/**
 * Most channels finalized in one database transaction by `finalizeDue`.
 *
 * @example
 * ```ts
 * import { finalizeBatchChannelsMax } from '@trickle/ledger';
 * finalizeBatchChannelsMax; // 1024
 * ```
 */
export const finalizeBatchChannelsMax = 1_024;

/**
 * Channels finalized in one database transaction by `finalizeDue` when the option is not
 * given: large enough to share the commit's fsync, small enough that the write lock is not
 * held long against the hub's opens and top-ups.
 *
 * @example
 * ```ts
 * import { finalizeBatchChannelsDefault } from '@trickle/ledger';
 * finalizeBatchChannelsDefault; // 128
 * ```
 */
export const finalizeBatchChannelsDefault = 128;

/**
 * Most channels one `finalizeDue` call finalizes; call again for the rest.
 *
 * @example
 * ```ts
 * import { finalizeDueChannelsMax } from '@trickle/ledger';
 * finalizeDueChannelsMax; // 10000
 * ```
 */
export const finalizeDueChannelsMax = 10_000;

/**
 * Most pending transfers expired in one database transaction.
 *
 * @example
 * ```ts
 * import { expireBatchTransfersMax } from '@trickle/ledger';
 * expireBatchTransfersMax; // 1000
 * ```
 */
export const expireBatchTransfersMax = 1_000;

/**
 * Default challenge window of a unilateral close, and grace after expiry, in ms (1 hour).
 *
 * @example
 * ```ts
 * import { challengeWindowMsDefault } from '@trickle/ledger';
 * challengeWindowMsDefault; // 3600000 (1 hour)
 * ```
 */
export const challengeWindowMsDefault = 3_600_000;

/**
 * Longest challenge window, in ms (30 days).
 *
 * @example
 * ```ts
 * import { challengeWindowMsMax } from '@trickle/ledger';
 * challengeWindowMsMax; // 2592000000 (30 days)
 * ```
 */
export const challengeWindowMsMax = 30 * 24 * 3_600_000;

/**
 * Longest pending-transfer timeout, in ms (1 year).
 *
 * @example
 * ```ts
 * import { pendingTimeoutMsMax } from '@trickle/ledger';
 * pendingTimeoutMsMax; // 31622400000 (366 days)
 * ```
 */
export const pendingTimeoutMsMax = 366 * 24 * 3_600_000;

/**
 * Most channels in one `claimBatch` call (one transaction). Their entries together are
 * bounded by {@link entriesPerSettlementMax} as well.
 */
export const claimBatchChannelsMax = 1_024;

/** Most channels in one `finalizeExpired` call (one transaction). */
export const finalizeExpiredChannelsMax = 1_024;

/** Most closing channels one `closingChannels` page returns. */
export const closingChannelsPageMax = 1_000;

/** Most payout rules one `runPayoutRules` call runs (one short transaction each). */
export const payoutRulesMax = 1_024;

/**
 * Rows read per page while scanning (balances, audit).
 *
 * @example
 * ```ts
 * import { scanPageRowsMax } from '@trickle/ledger';
 * scanPageRowsMax; // 1000
 * ```
 */
export const scanPageRowsMax = 1_000;

/**
 * Attempts of one PostgreSQL transaction before giving up on serialization failures. Hot
 * rows (one fee account, a popular payee) make SERIALIZABLE transactions conflict; each
 * conflict means another transaction committed, so the system always progresses, and
 * jittered back-off spreads the retries.
 *
 * @example
 * ```ts
 * import { pgTransactionAttemptsMax } from '@trickle/ledger';
 * pgTransactionAttemptsMax; // 40
 * ```
 */
export const pgTransactionAttemptsMax = 40;

/**
 * Longest back-off between two PostgreSQL attempts, in ms (the cap of exponential, fully jittered back-off).
 *
 * @example
 * ```ts
 * import { pgRetryBackoffMsMax } from '@trickle/ledger';
 * pgRetryBackoffMsMax; // 100
 * ```
 */
export const pgRetryBackoffMsMax = 100;

/**
 * Default size of the PostgreSQL connection pool.
 *
 * @example
 * ```ts
 * import { pgPoolConnectionsDefault } from '@trickle/ledger';
 * pgPoolConnectionsDefault; // 8
 * ```
 */
export const pgPoolConnectionsDefault = 8;

/**
 * How long SQLite waits for another connection's write lock, in ms.
 *
 * @example
 * ```ts
 * import { sqliteBusyTimeoutMs } from '@trickle/ledger';
 * sqliteBusyTimeoutMs; // 5000
 * ```
 */
export const sqliteBusyTimeoutMs = 5_000;

/**
 * Most advisory locks a PostgreSQL write takes up front on the accounts it names (hot rows queue instead of conflicting).
 *
 * @example
 * ```ts
 * import { pgAdvisoryLocksMax } from '@trickle/ledger';
 * pgAdvisoryLocksMax; // 32
 * ```
 */
export const pgAdvisoryLocksMax = 32;

/**
 * WAL pages a SQLite ledger's commits leave before one checkpoints them into the database
 * file, in pages of 4 KiB (SQLite's default is 1,000, ~4 MB). Settling a channel rewrites the
 * same hot pages (the hub's fee account, the payees' balances and days, the index pages of
 * the transfers), so at 1,000 pages a `finalizeDue` batch checkpointed every transaction or
 * two and copied those pages again each time; at 10,000 (~40 MB of WAL at most, then reset)
 * a hot page is copied once per checkpoint. Measured with `bench/ledger/finalize.ts
 * --channels 5000`, two alternated pairs: 4,932 and 5,105 finalizations/s against 3,981 and
 * 4,237 (1.22x). Readers see the WAL's pages first, so the file is never out of date.
 *
 * @example
 * ```ts
 * import { sqliteWalCheckpointPages } from '@trickle/ledger';
 * sqliteWalCheckpointPages; // 10000
 * ```
 */
export const sqliteWalCheckpointPages = 10_000;
