import { describe, expect, it } from 'vitest';
import {
  acceptVouchers,
  type ClientChannel,
  decodeClientMessage,
  encodeClientMessage,
  equalBytes,
  nobleVerifier,
  preparePayment,
  signVoucher,
  type VoucherContext,
} from '../src/index.js';
import { fixture } from './helpers.js';

describe('end to end through the pure functions', () => {
  it('a client voucher is accepted by the hub and yields receipts', () => {
    const f = fixture();
    const local: ClientChannel = { ...f.channel };
    const prepared = preparePayment(f.domain, local, [f.request(500n), f.request(250n)], 1_000);
    const voucher = signVoucher(f.domain, prepared.voucher, f.client);
    const frame = encodeClientMessage({ type: 'pay', ...voucher, entries: [...prepared.entries] });
    const decoded = decodeClientMessage(frame);
    if (decoded.type !== 'pay') throw new Error('wrong type');
    const context: VoucherContext = {
      domain: f.domain,
      nowMs: 1_000,
      verifier: nobleVerifier,
      payeeKey: (p) => (equalBytes(p, f.payee) ? f.macKey : undefined),
      isInvoicePaid: () => false,
    };
    const { channel, outcomes } = acceptVouchers(f.channel, [decoded], context);
    expect(outcomes[0]?.kind).toBe('accepted');
    expect(channel.cumulative).toBe(750n);
    expect(channel.seq).toBe(1);
  });
});
