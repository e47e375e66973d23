/**
 * The hub's side of a channel as pure functions, one module per stage: open, top up,
 * vouchers (check, then settle once the newest signature is verified), receipts, close
 * and forced close. Each takes the channel and an input and returns the next channel plus
 * an outcome; none reads a clock, a socket or a disk. The hub shell persists the next
 * channel durably and only then sends what the outcome says (receipts, state). A reject
 * never changes state.
 */
export { type ChannelContext, channelStateOf, type HubChannel, type Rejection } from './channel.js';
export { closeChannel } from './close.js';
export { checkForceClose, type ForceCloseContext, type ForceCloseRequest } from './forceClose.js';
export { isSameOpen, type OpenContext, type OpenPolicy, openChannel } from './open.js';
export { type ReceiptContext, receiptMacsFor } from './receipts.js';
export { topUpChannel } from './topUp.js';
export {
  acceptVouchers,
  candidateSigningBytes,
  checkVouchers,
  type PayFrame,
  settleVouchers,
  type VoucherCheck,
  type VoucherContext,
  type VoucherOutcome,
} from './vouchers.js';
