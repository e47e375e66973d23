/** The wallet's default limits and delays (`@trickle/client` re-exports them). */

/** `balanceLow` fires below this share of the channel's deposit, in percent, unless `balanceLowAt` is given. */
export const balanceLowPercentDefault = 10;
/** Vouchers in flight (signed, sent, not acknowledged) at most. */
export const inFlightVouchersMax = 64;
/** Payments waiting to be signed at most; beyond it pay() fails with QUEUE_FULL. */
export const queuedPaymentsMax = 100_000;
/** First reconnect delay, in ms (doubled per failed attempt, with jitter). */
export const reconnectDelayMsMin = 100;
/** Longest reconnect delay, in ms. */
export const reconnectDelayMsMax = 10_000;
/** Delay before resending vouchers and requests the hub asked to retry (rate limited, overloaded), in ms. */
export const resendDelayMs = 50;
/** Times one payment is re-signed after its voucher was refused for another payment's fault. */
export const paymentAttemptsMax = 4;
/** Default channel lifetime from its open, in ms (30 days). */
export const channelLifetimeMs = 30 * 24 * 3_600_000;
/** Most log pages read to recover the receipts of payments the hub holds after a resync. */
export const recoveryLogPagesMax = 1_000;
/** Closed channels whose clearing time the wallet keeps (the newest), in channels. */
export const clearedChannelsMax = 64;
/** Largest request id before the wallet's ids wrap around to 1 (below protocol's requestIdMax). */
export const walletRequestIdMax = 0xffff_fff0;
