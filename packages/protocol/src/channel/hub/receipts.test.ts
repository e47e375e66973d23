import { describe, expect, it } from 'vitest';
import { setup } from '../../../test/hubStage.js';
import { acceptVouchers, checkReceiptMac, deriveMerchantKey, equalBytes, receiptMacsFor } from '../../index.js';

describe('receiptMacsFor', () => {
  it('recomputes exactly the receipts a voucher was accepted with, and they verify for the merchant', () => {
    const { f, context, frame } = setup();
    const first = acceptVouchers(f.channel, [frame([f.request(7n), f.request(9n)])], context);
    const second = acceptVouchers(first.channel, [frame([f.request(11n)])], context);
    const outcome = first.outcomes[0]!;
    expect(outcome.kind).toBe('accepted');
    if (outcome.kind !== 'accepted') return;
    // Recomputed later, against a channel that has moved on: the same MACs.
    const again = receiptMacsFor(second.channel, outcome.seq, outcome.entries, context);
    expect(again.map((mac, i) => equalBytes(mac, outcome.macs[i]!))).toEqual([true, true]);
    const merchantSide = deriveMerchantKey({
      secretKey: f.merchantSecret,
      peerKey: f.hubKey,
      networkId: f.domain.networkId,
      hubId: f.hubId,
      payeeId: f.payee,
    });
    const receipt = (i: number, seq: number) => ({
      networkId: f.domain.networkId,
      hubId: f.hubId,
      channelId: f.channelId,
      seq,
      payee: outcome.entries[i]!.payee,
      invoiceId: outcome.entries[i]!.invoiceId,
      asset: f.channel.asset,
      amount: outcome.entries[i]!.amount,
      mac: again[i]!,
    });
    expect(checkReceiptMac(merchantSide, receipt(0, 1))).toBe(true);
    expect(checkReceiptMac(merchantSide, receipt(1, 1))).toBe(true);
    // A receipt names its voucher's seq: moved to another seq it does not verify.
    expect(checkReceiptMac(merchantSide, receipt(0, 2))).toBe(false);
  });

  it('throws for a payee without a key rather than issuing a receipt under no key', () => {
    const { f, context, frame } = setup();
    const { outcomes } = acceptVouchers(f.channel, [frame([f.request(5n)])], context);
    const outcome = outcomes[0]!;
    if (outcome.kind !== 'accepted') throw new Error('expected accepted');
    expect(() => receiptMacsFor(f.channel, 1, outcome.entries, { ...context, payeeKey: () => undefined })).toThrow();
  });
});
