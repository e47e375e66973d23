/** How a refused transfer inside a channel operation becomes a {@link LedgerError}. */
import type { LedgerErrorCode } from '../channelLedger.js';
import { LedgerError } from '../ledgerError.js';
import type { TransferErrorCode } from '../transfer.js';

const codes: Partial<Record<TransferErrorCode, LedgerErrorCode>> = {
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  OVERFLOW: 'OVERFLOW',
  EXISTS_WITH_DIFFERENT_FIELDS: 'EXISTS_WITH_DIFFERENT_FIELDS',
  DEBIT_ACCOUNT_NOT_FOUND: 'UNKNOWN_ACCOUNT',
  CREDIT_ACCOUNT_NOT_FOUND: 'UNKNOWN_ACCOUNT',
};

/** The ledger error for a transfer refused with `code`. */
export function ledgerErrorOf(code: TransferErrorCode, transferId: string): LedgerError {
  const mapped = codes[code] ?? 'TRANSFER_FAILED';
  return new LedgerError(mapped, `transfer ${transferId} was refused: ${code}`, { details: code });
}
