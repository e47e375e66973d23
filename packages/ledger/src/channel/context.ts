/** What every channel operation needs besides its input. */
import type { Domain, Verifier } from '@trickle/protocol';

/** The fixed settings of one channel ledger. */
export interface ChannelContext {
  readonly domain: Domain;
  /** Fee rate for new channels, in parts per million (each channel keeps the rate it opened with). */
  readonly feePpm: number;
  readonly verifier: Verifier;
  /** Challenge window of a unilateral close, and grace after expiry, in ms. */
  readonly challengeWindowMs: number;
}
