/**
 * The hub's side of a channel as pure functions, one module per stage: open, top up,
 * vouchers (check, then settle once the newest signature is verified), receipts, close
 * and forced close. Each takes the channel and an input and returns the next channel plus
 * an outcome; none reads a clock, a socket or a disk. The hub shell persists the next
 * channel durably and only then sends what the outcome says (receipts, state). A reject
 * never changes state.
 */
export {
  type ChannelContext,
  channelStateOf,
  type HubChannel,
  type Rejection,
  type SignatureToCheck,
  type StageContext,
} from './channel.js';
export { type CloseOutcome, closeChannel, closeSignature, decideClose } from './close.js';
export {
  checkForceClose,
  decideForceClose,
  type ForceCloseContext,
  type ForceCloseDecisionContext,
  type ForceCloseOutcome,
  type ForceCloseRequest,
  forceCloseSignature,
} from './forceClose.js';
export {
  decideOpen,
  isSameOpen,
  type OpenContext,
  type OpenDecisionContext,
  type OpenPolicy,
  openChannel,
  openSignature,
} from './open.js';
export { type ReceiptContext, receiptMacsFor } from './receipts.js';
export { decideTopUp, type TopUpOutcome, topUpChannel, topUpSignature } from './topUp.js';
export {
  acceptVouchers,
  candidateSigningBytes,
  checkVouchers,
  invoiceTaken,
  type PayFrame,
  type ReserveInvoices,
  settleVouchers,
  type VoucherCheck,
  type VoucherContext,
  type VoucherOutcome,
  type VoucherRulesContext,
  type VoucherSettlement,
} from './vouchers.js';
