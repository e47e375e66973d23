import { describe, expect, it } from 'vitest';
import { nowMs, setup } from '../../../test/hubStage.js';
import { nobleVerifier, signTopUp, topUpChannel } from '../../index.js';

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
