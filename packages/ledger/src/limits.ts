/**
 * The ledger's limits. Every limit has its unit last and is enforced where it is used;
 * each is exported so callers can size their own batches against it.
 */

/** Most transfers in one `createTransfers` batch (TigerBeetle's batch size). */
export const transfersPerBatchMax = 8_190;

/** Most accounts in one `createAccounts` batch. */
export const accountsPerBatchMax = 8_190;

/** Longest account id, in characters. */
export const accountIdCharsMax = 128;

/** Longest transfer id, in characters (a channel settlement id is ~170). */
export const transferIdCharsMax = 256;

/** Longest funding or payout reference, in characters. */
export const referenceCharsMax = 128;

/** Longest `ref` (grouping key) or `memo` of a transfer, in characters. */
export const transferTextCharsMax = 128;

/** Largest transfer `code` (a u16, like TigerBeetle's). */
export const transferCodeMax = 65_535;

/** Most transfers one history page returns. */
export const historyPageTransfersMax = 1_000;

/** Most payment entries one claim or close may carry (the entries since the last claim). */
export const entriesPerSettlementMax = 100_000;

/** Most channels finalized in one database transaction by `finalizeDue`. */
export const finalizeBatchChannelsMax = 1_024;

/** Most channels one `finalizeDue` call finalizes; call again for the rest. */
export const finalizeDueChannelsMax = 10_000;

/** Most pending transfers expired in one database transaction. */
export const expireBatchTransfersMax = 1_000;

/** Default challenge window of a unilateral close, and grace after expiry, in ms (1 hour). */
export const challengeWindowMsDefault = 3_600_000;

/** Longest challenge window, in ms (30 days). */
export const challengeWindowMsMax = 30 * 24 * 3_600_000;

/** Longest pending-transfer timeout, in ms (1 year). */
export const pendingTimeoutMsMax = 366 * 24 * 3_600_000;

/** Rows read per page while scanning (balances, audit). */
export const scanPageRowsMax = 1_000;

/**
 * Attempts of one PostgreSQL transaction before giving up on serialization failures. Hot
 * rows (one fee account, a popular payee) make SERIALIZABLE transactions conflict; each
 * conflict means another transaction committed, so the system always progresses, and
 * jittered back-off spreads the retries.
 */
export const pgTransactionAttemptsMax = 40;

/** Longest back-off between two PostgreSQL attempts, in ms (the cap of exponential, fully jittered back-off). */
export const pgRetryBackoffMsMax = 100;

/** Default size of the PostgreSQL connection pool. */
export const pgPoolConnectionsDefault = 8;

/** How long SQLite waits for another connection's write lock, in ms. */
export const sqliteBusyTimeoutMs = 5_000;

/** Most advisory locks a PostgreSQL write takes up front on the accounts it names (hot rows queue instead of conflicting). */
export const pgAdvisoryLocksMax = 32;
