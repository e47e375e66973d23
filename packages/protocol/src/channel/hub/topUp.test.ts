import { describe, expect, it } from 'vitest';
import { nowMs, setup } from '../../../test/hubStage.js';
import { decideTopUp, nobleVerifier, type Signature, signTopUp, topUpChannel, topUpSignature } from '../../index.js';

describe('topUpChannel', () => {
  it('tops up to a new total, treats a resend as a duplicate and refuses a decrease', () => {
    const { f } = setup();
    const context = { domain: f.domain, nowMs, verifier: nobleVerifier };
    const up = signTopUp(f.domain, { channelId: f.channelId, deposit: 2_000_000n }, f.client);
    const outcome = topUpChannel(f.channel, up, context);
    expect(outcome).toMatchObject({ kind: 'toppedUp', increase: 1_000_000n });
    if (outcome.kind !== 'toppedUp') return;
    expect(topUpChannel(outcome.channel, up, context).kind).toBe('duplicate');
    const down = signTopUp(f.domain, { channelId: f.channelId, deposit: 500n }, f.client);
    expect(topUpChannel(outcome.channel, down, context)).toMatchObject({ code: 'TOPUP_NOT_INCREASING' });
    expect(topUpChannel({ ...f.channel, closedAtMs: 1 }, up, context)).toMatchObject({ code: 'CHANNEL_CLOSED' });
  });
});

describe('the top-up stage in two steps (topUpSignature, then decideTopUp)', () => {
  it('refuses a channel that is not open before any signature; decides from the check alone', () => {
    const { f } = setup();
    const up = signTopUp(f.domain, { channelId: f.channelId, deposit: 2_000_000n }, f.client);
    const step = topUpSignature(f.channel, up, { domain: f.domain, nowMs });
    expect(step.kind).toBe('verify');
    if (step.kind !== 'verify') return;
    expect(nobleVerifier.verify(step.signature as Signature, step.message, step.publicKey)).toBe(true);
    expect(topUpSignature(f.channel, up, { domain: f.domain, nowMs: f.channel.expiresAtMs })).toMatchObject({
      code: 'CHANNEL_EXPIRED',
    });
    expect(decideTopUp(f.channel, up, 'valid')).toMatchObject({ kind: 'toppedUp', increase: 1_000_000n });
    expect(decideTopUp(f.channel, up, 'invalid')).toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(decideTopUp(f.channel, up, 'highS')).toMatchObject({ code: 'SIGNATURE_HIGH_S' });
    // Deciding never touches the channel it was given.
    expect(f.channel.deposit).toBe(1_000_000n);
  });
});
