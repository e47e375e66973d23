/**
 * The payer's wallet as a pure state machine (ADR 0220): `stepWallet(state, input)` gives
 * the next state and the effects; `@trickle/client` is the shell that feeds it inputs and
 * carries out its effects.
 */
export { PersistentMap } from './persistentMap.js';
export { PersistentQueue } from './persistentQueue.js';
export { checkPolicy, type SpendingPolicy } from './policy.js';
export type { KillFollowUp, SignPurpose, WritePurpose } from './purposes.js';
export { receivedPayments } from './receiving.js';
export type {
  ChannelRecord,
  ChannelRecordStatus,
  ClearingDetails,
  EntryRecord,
  HistoryRecord,
  IncomingDetails,
  PendingVoucherRecord,
  StatePoint,
  StoredWallet,
  WalletChange,
  WalletRecord,
} from './records.js';
export { stepWallet } from './stepWallet.js';
export { PolicyError, type PolicyErrorCode, WalletError, type WalletErrorCode } from './walletErrors.js';
export type {
  CallResult,
  EmitEffect,
  WalletEffect,
  WalletInput,
  WalletInputBody,
  WalletStep,
  WalletTimer,
} from './walletIo.js';
export {
  balanceLowPercentDefault,
  channelLifetimeMs,
  clearedChannelsMax,
  inFlightVouchersMax,
  paymentAttemptsMax,
  queuedPaymentsMax,
  reconnectDelayMsMax,
  reconnectDelayMsMin,
  recoveryLogPagesMax,
  resendDelayMs,
  walletRequestIdMax,
} from './walletLimits.js';
export {
  type Batch,
  type Calls,
  type CloseRun,
  type ForceCloseRun,
  type HubRequest,
  initialWalletState,
  type Link,
  type LinkPhase,
  type LiveVoucher,
  type OpenRun,
  type Payment,
  type PaymentBook,
  type PeerPaymentCall,
  type Recovery,
  type RequestBook,
  type RequestMessage,
  type RequestType,
  type SpendReceivedCall,
  type Spent,
  type TopUpStage,
  type TopUpTurn,
  type WaitingCall,
  type WalletChannel,
  type WalletState,
} from './walletState.js';
export type {
  Balance,
  CloseResult,
  ForceCloseResult,
  IncomingPayment,
  PaymentsCleared,
  WalletConfig,
  WalletEvents,
} from './walletTypes.js';
export {
  historyReceipt,
  type WalletStatus,
  walletBalance,
  walletConnected,
  walletHubId,
  walletStatus,
} from './walletView.js';
