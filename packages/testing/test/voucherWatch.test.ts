/**
 * The voucher watch's rule, frame by frame: a wallet may sign a seq again only where the
 * state it replaces chains on a voucher whose entry the hub refused for good (that voucher
 * itself, or one pipelined on it), and never at a seq the hub acknowledged.
 */
import {
  asMerchantKey,
  type ClientChannel,
  encodeClientMessage,
  encodeHubMessage,
  logGenesis,
  payeeIdFromKey,
  publicKeyOf,
} from '@trickle/protocol';
import { client, domain, type PresignedFrame, presignPayments, testKey } from '@trickle/testing/harness';
import { describe, expect, it } from 'vitest';
import { createVoucherWatch } from '../src/index.js';

const signer = client('watch');
const merchant = {
  payee: payeeIdFromKey(publicKeyOf(testKey('watch merchant'))),
  macKey: asMerchantKey(new Uint8Array(32)),
};
const channelId = new Uint8Array(32).fill(7) as ClientChannel['channelId'];
const opened: ClientChannel = {
  channelId,
  asset: { code: 'USD', scale: 6 },
  deposit: 1_000_000n,
  expiresAtMs: Date.now() + 3_600_000,
  seq: 0,
  cumulative: 0n,
  logHead: logGenesis(domain, channelId),
};
const afterFrame = (frame: PresignedFrame): ClientChannel => ({
  ...opened,
  seq: frame.seq,
  cumulative: frame.cumulative,
  logHead: frame.logHead,
});
/** `count` vouchers of one payment each of `amount`, from `from` on. */
const vouchers = (from: ClientChannel, count: number, amount: bigint) => [
  ...presignPayments(domain, from, signer, merchant, { count, amount, perVoucher: 1, nowMs: Date.now() }).frames,
];
const refusedEntry = (seq: number) =>
  encodeHubMessage({ type: 'reject', channelId, seq, code: 'INVOICE_ALREADY_PAID', message: 'paid', entry: 0 });
const receipts = (seq: number) =>
  encodeHubMessage({ type: 'receipts', channelId, seq, macs: [new Uint8Array(32)] as never });

describe('the voucher watch', () => {
  it('allows seqs chained on a refused entry to be signed again, once per refusal, and nothing else', () => {
    const watch = createVoucherWatch();
    const [one, two, three] = vouchers(opened, 3, 10n) as [PresignedFrame, PresignedFrame, PresignedFrame];
    for (const frame of [one, two, three]) watch.observe(encodeClientMessage(frame));
    watch.observeHub(receipts(1));
    // Seq 2 is refused for an entry; seq 3 was pipelined on it: both may be signed again.
    watch.observeHub(refusedEntry(2));
    const [again2, again3] = vouchers(afterFrame(one), 2, 20n) as [PresignedFrame, PresignedFrame];
    watch.observe(encodeClientMessage(again2));
    watch.observe(encodeClientMessage(again3));
    watch.observe(encodeClientMessage(again3)); // a resend is no new signature
    expect(watch.violations).toEqual([]);
    expect(watch.resigned).toBe(2);
    // A third state at seq 3: the one it would replace (again3) chains on no refused entry.
    const [third3] = vouchers(afterFrame(again2), 1, 30n) as [PresignedFrame];
    watch.observe(encodeClientMessage(third3));
    expect(watch.violations.map((v) => v.message)).toEqual([
      expect.stringContaining('/3 (cumulative 30 and 60) where the first chains on no refused entry'),
    ]);
  });

  it('reports a second state at a seq the hub acknowledged, even after a refusal', () => {
    const watch = createVoucherWatch();
    const [one] = vouchers(opened, 1, 10n) as [PresignedFrame];
    watch.observe(encodeClientMessage(one));
    watch.observeHub(receipts(1));
    watch.observeHub(refusedEntry(1)); // a late copy of an older refusal changes nothing
    const [other] = vouchers(opened, 1, 11n) as [PresignedFrame];
    watch.observe(encodeClientMessage(other));
    expect(watch.violations.map((v) => v.message)).toEqual([
      expect.stringContaining('after the hub acknowledged the first'),
    ]);
  });
});
