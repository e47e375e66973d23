/** The ledger port the hub is coded against, owned by @trickle/ledger (types only). */
export type {
  ChannelLedger,
  LedgerChannel,
  LedgerErrorCode,
  SettlementResult,
  SignedState,
} from '@trickle/ledger';
