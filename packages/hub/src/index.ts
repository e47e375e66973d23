/**
 * `@trickle/hub`: the WebSocket hub that accepts vouchers, makes them durable, answers
 * with receipts and settles channels on the ledger. Node only. The channel stores are on
 * subpaths, `@trickle/hub/sqlite` and `@trickle/hub/postgres`, each needing its driver as
 * an optional peer dependency; without `store` and `ledger` options `createHub` loads the
 * SQLite ones (better-sqlite3 and `@trickle/ledger/sqlite`) when it starts.
 *
 * @packageDocumentation
 *
 * @module index
 */
export type { ChannelEngine, Reply } from './channelEngine.js';
export {
  type ChannelPage,
  type CreateHubOptions,
  channelsPageMax,
  createHub,
  type Hub,
  type HubLogger,
  type HubObserver,
} from './createHub.js';
export { HubError, type HubErrorCode } from './errors.js';
export { createGroupCommit, type GroupCommit } from './groupCommit.js';
export { hubKeyFileName, loadOrCreateHubKey, loadOrCreateKeyFile } from './hubKey.js';
export { type HubSigner, localHubSigner } from './hubSigner.js';
export type { ChannelLedger, LedgerChannel, LedgerErrorCode, SettlementResult, SignedState } from './ledgerPort.js';
export * from './limits.js';
export type { Merchant, MerchantRegistration } from './merchants.js';
export type { ClearingObservation, PaymentObservation } from './observation.js';
export { type Clock, systemClock, systemRandomBytes } from './ports.js';
export { closeCodes, type HubSocket } from './session.js';
export { defaultSettlementPolicy, type SettlementPolicy } from './settlement/policy.js';
export type { Settlement, SettlementBacklog, SettlementRun } from './settlement/settlement.js';
export { type StopOnSignalsOptions, stopOnSignals } from './signals.js';
export type {
  AcceptedVoucher,
  ChannelStore,
  ChannelWrite,
  ClaimMark,
  ClearedEntry,
  ClearedWrite,
  InboxEntry,
  IncomingWrite,
  MerchantRecord,
  OpenTotal,
  PeerInvoiceRecord,
  SettlementIndex,
  SettlementQuery,
  SettlementRow,
  StoredEntry,
  UnclaimedTotal,
  WalletPayeeRecord,
  WriteOutcome,
} from './store/channelStore.js';
export { type AsyncVerifier, asAsyncVerifier, checkSignatureAsync } from './verifier/asyncVerifier.js';
export { createHybridVerifier, type HybridVerifierOptions } from './verifier/hybridVerifier.js';
export { nativeSecp256k1Verifier } from './verifier/nativeSecp256k1Verifier.js';
export {
  createNodeCryptoVerifier,
  createThreadPoolVerifier,
  type NodeCryptoVerifierOptions,
} from './verifier/nodeCryptoVerifier.js';
export { tinySecp256k1Verifier } from './verifier/tinySecp256k1Verifier.js';
export { createWorkerPoolVerifier, type WorkerPoolVerifierOptions } from './verifier/workerPoolVerifier.js';
