/**
 * `@trickle/client`: the payer's wallet for browsers and Node. Open a channel at a hub,
 * pay per request with one signed voucher, get receipts merchants can check.
 * Browser-safe: Node-only pieces (the `ws` transport, the file store) are in
 * `@trickle/client/node`.
 *
 * @packageDocumentation
 *
 * @module index
 */
export { createWallet } from './createWallet.js';
export { PolicyError, type PolicyErrorCode, WalletError, type WalletErrorCode } from './errors.js';
export {
  createPayingFetch,
  type EntitlementCache,
  entitlementCacheEntriesMax,
  memoryEntitlementCache,
  type PayingFetchOptions,
  type PayingWallet,
} from './payingFetch.js';
export { checkPolicy, type SpendingPolicy } from './policy.js';
export { type IndexedDbStoreOptions, indexedDbStore } from './store/indexedDbStore.js';
export { memoryStore } from './store/memoryStore.js';
export {
  type ChannelRecord,
  type ChannelRecordStatus,
  type EntryRecord,
  type HistoryRecord,
  historyRecordsMax,
  type PendingVoucherRecord,
  type StatePoint,
  type StoredWallet,
  type WalletChange,
  type WalletRecord,
  type WalletStore,
} from './store/walletStore.js';
export { defaultTransport } from './transport/defaultTransport.js';
export type { Connection, ConnectionHandlers, Transport } from './transport/transport.js';
export { webSocketTransport } from './transport/webSocketTransport.js';
export {
  type Balance,
  balanceLowPercentDefault,
  type CloseResult,
  type CreateWalletOptions,
  channelLifetimeMs,
  type ForceCloseResult,
  type HistoryEntry,
  type HubAddress,
  type IncomingPayment,
  inFlightVouchersMax,
  type MoneyRequestParameters,
  moneyRequestLifetimeMs,
  type OpenChannelParameters,
  type PayOptions,
  type PeerPayOptions,
  paymentAttemptsMax,
  queuedPaymentsMax,
  reconnectDelayMsMax,
  reconnectDelayMsMin,
  resendDelayMs,
  type Wallet,
  type WalletEvents,
} from './wallet.js';
