/**
 * The audit catches tampering done directly in the store, behind the ledger's back: a
 * posting changed, an entry changed, a signature changed. Each is reported precisely
 * (kind, channel, payee or seq, expected and actual).
 */
import { feeOf, toHex } from '@trickle/protocol';
import { ClientChannel, client, domain, manualClock, payee, usd } from '@trickle/testing/harness';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditMismatch, TrickleLedger } from '../../src/index.js';
import type { Adapter, TestStore } from '../helpers/adapters.js';

export function auditConformance(makeAdapter: () => Adapter): void {
  const adapter = makeAdapter();
  describe(`Audit on ${adapter.name}`, () => {
    const clock = manualClock();
    const A = payee('a');
    const B = payee('b');
    const feePpm = 25_000;
    let store: TestStore;
    let ledger: TrickleLedger;
    let c: ClientChannel;
    let nonce = 100;
    afterAll(() => adapter.cleanup());
    beforeEach(async () => {
      store = await adapter.open({ domain, feePpm, clock: clock.read, challengeWindowMs: 1_000 });
      ledger = store.ledger;
      c = new ClientChannel(client('audited'), ++nonce);
      await ledger.fundPayer({ clientKey: c.clientKey, asset: usd, amount: 10_000n, reference: 'in-1' });
      await ledger.openChannel({
        channelId: c.channelId,
        clientKey: c.clientKey,
        asset: usd,
        deposit: 5_000n,
        expiresAtMs: clock.now + 100_000,
      });
      c.pay(A, 400n).pay(B, 120n).sign();
      await ledger.claim(c.state(1));
      c.pay(A, 80n).sign();
      c.pay(B, 1_000n).sign();
      await ledger.closeCooperative(c.state(3, 1));
      await ledger.payout({ payee: A, asset: usd, amount: 100n, reference: 'out-1' });
      const clean = await ledger.audit();
      expect(clean).toMatchObject({ ok: true, channels: 1, signatures: 2, mismatches: [] });
    });
    const channel = () => toHex(c.channelId);
    const find = (mismatches: readonly AuditMismatch[], kind: AuditMismatch['kind']) =>
      mismatches.filter((m) => m.kind === kind);

    it('catches a changed posting: the payee, what was expected and what was posted', async () => {
      await store.tamper.transferAmount(`ch:${channel()}:final:net:${toHex(B)}`, 7n);
      const report = await ledger.audit();
      expect(report.ok).toBe(false);
      const gross = 1_120n;
      const net = gross - feeOf(gross, feePpm);
      expect(find(report.mismatches, 'payee-net')).toEqual([
        expect.objectContaining({ channelId: channel(), payee: toHex(B), expected: `${net}`, actual: `${net + 7n}` }),
      ]);
      expect(find(report.mismatches, 'account-balance').map((m) => m.accountId)).toEqual(
        expect.arrayContaining([`escrow:${channel()}`, `payee:${toHex(B)}:USD:6`]),
      );
    });

    it('catches a changed entry: the log no longer hashes to the signed head', async () => {
      await store.tamper.entryAmount(channel(), 2, 121n);
      const report = await ledger.audit();
      expect(report.ok).toBe(false);
      const heads = find(report.mismatches, 'log-head');
      expect(heads.map((m) => [m.channelId, m.seq])).toEqual([
        [channel(), 1],
        [channel(), 3],
      ]);
      expect(heads[0]?.expected).toBe(toHex(c.voucher(1).logHead));
      expect(find(report.mismatches, 'payee-net')[0]).toMatchObject({ channelId: channel(), payee: toHex(B) });
    });

    it('catches a changed signature', async () => {
      await store.tamper.signature(channel(), 3);
      const report = await ledger.audit();
      expect(report.ok).toBe(false);
      expect(report.mismatches).toEqual([
        expect.objectContaining({ kind: 'signature', channelId: channel(), seq: 3, expected: 'valid' }),
      ]);
    });

    it('catches money created outside the rules: conservation per asset', async () => {
      await store.tamper.transferAmount('fund:in-1', 1n);
      const report = await ledger.audit();
      expect(find(report.mismatches, 'account-balance').map((m) => m.accountId)).toEqual(
        expect.arrayContaining(['external:USD:6']),
      );
      expect(report.assets[0]).toMatchObject({ asset: 'USD:6', moneyIn: 10_001n, moneyOut: 100n });
      expect(find(report.mismatches, 'conservation')).toEqual([
        expect.objectContaining({ asset: 'USD:6', expected: '9901', actual: '9900' }),
      ]);
    });
  });
}
