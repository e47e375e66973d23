/**
 * The ledger port the hub is coded against (owned by @trickle/ledger). Imported by path
 * until @trickle/ledger has an index; types only, so nothing of the ledger loads here.
 */
export type {
  ChannelLedger,
  LedgerChannel,
  LedgerErrorCode,
  SettlementResult,
  SignedState,
} from '../../ledger/src/channelLedger.js';
