/** Store records for the wallet store tests: a wallet record and a pending voucher at any seq. */
import type { PendingVoucherRecord, WalletRecord } from '../src/store/walletStore.js';

/** A wallet record with nothing spent. */
export const walletRecord: WalletRecord = {
  version: 1,
  networkId: 7,
  hubId: 'ab'.repeat(32),
  spent: { total: '0', byPayee: {} },
};

/** A pending voucher at `seq` with one entry of 10 (cumulative `seq * 10`). */
export function pendingVoucher(seq: number): PendingVoucherRecord {
  return {
    seq,
    cumulative: String(seq * 10),
    logHead: '11'.repeat(32),
    signature: '22'.repeat(64),
    entries: [
      {
        payee: 'cd'.repeat(32),
        invoiceId: '33'.repeat(16),
        amount: '10',
        expiresAtMs: 5,
        resource: '44'.repeat(32),
        mac: '55'.repeat(32),
      },
    ],
  };
}
