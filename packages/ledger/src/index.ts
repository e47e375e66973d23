/**
 * `@trickle/ledger`: Trickle's double-entry ledger of record. Accounts, idempotent
 * transfers (linked, pending), channel escrow, claims, closes with a challenge window,
 * exactly-once finalization, payouts and an audit. In memory here; on SQLite (the
 * embedded default) from `@trickle/ledger/sqlite` and on PostgreSQL from
 * `@trickle/ledger/postgres`, each needing its driver as an optional peer dependency.
 *
 * @packageDocumentation
 *
 * @module index
 */
export * from './account.js';
export { auditLedger } from './audit/auditLedger.js';
export * from './audit/auditReport.js';
export type { FundPayerInput, MoneyMovement, PayoutInput } from './channel/funding.js';
export { dayMs } from './channel/payeeDays.js';
export type { PayoutRule, PayoutRuleResult } from './channel/payoutRules.js';
export { type Statement, type StatementInput, statementDaysMax } from './channel/statement.js';
export type {
  ChannelLedger,
  ChannelOutcome,
  CloseKind,
  ClosingPage,
  LedgerChannel,
  LedgerErrorCode,
  LedgerErrorLike,
  SettlementResult,
  SignedState,
} from './channelLedger.js';
export {
  type ChannelLedgerOptions,
  createChannelLedger,
  type FinalizeReport,
  type TrickleLedger,
} from './createChannelLedger.js';
export { type Clock, createLedger, type HistoryOptions, type Ledger } from './ledger.js';
export { isLedgerError, LedgerError } from './ledgerError.js';
export * from './limits.js';
export { type MemoryLedgerOptions, memoryLedger } from './memory/memoryLedger.js';
export type {
  ClosingCursor,
  DueCursor,
  LedgerDriver,
  StepEvent,
  StepHook,
  StoreRequest,
  Txn,
  WriteHints,
  WriteSet,
} from './store/txn.js';
export * from './transfer.js';
