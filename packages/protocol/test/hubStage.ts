/** The set-up the hub stages' tests share: a fixture, a voucher context, a wallet-side signer of vouchers. */

import {
  type ClientChannel,
  equalBytes,
  nobleVerifier,
  type PayFrame,
  type PaymentRequest,
  preparePayment,
  signVoucher,
  type Verifier,
  type VoucherContext,
} from '../src/index.js';
import { fixture } from './helpers.js';

export const nowMs = 1_000_000;

export function setup() {
  const f = fixture();
  const paid = new Set<string>();
  let verifications = 0;
  const countingVerifier: Verifier = {
    name: 'counting',
    verify: (sig, msg, key) => {
      verifications++;
      return nobleVerifier.verify(sig, msg, key);
    },
  };
  const context: VoucherContext = {
    domain: f.domain,
    nowMs,
    verifier: countingVerifier,
    payeeKey: (payee) => (equalBytes(payee, f.payee) ? f.macKey : undefined),
    isInvoicePaid: (payee, invoice) => paid.has(Buffer.from([...payee, ...invoice]).toString('hex')),
  };
  let client: ClientChannel = { ...f.channel };
  /** Signs the next voucher on the client's side, as the wallet would. */
  const frame = (requests: PaymentRequest[]): PayFrame => {
    const prepared = preparePayment(f.domain, client, requests, nowMs);
    client = prepared.channel;
    return { ...signVoucher(f.domain, prepared.voucher, f.client), entries: [...prepared.entries] };
  };
  return { f, context, frame, paid, verifications: () => verifications };
}
