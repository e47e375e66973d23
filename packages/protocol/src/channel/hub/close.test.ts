import { describe, expect, it } from 'vitest';
import { nowMs, setup } from '../../../test/hubStage.js';
import {
  acceptVouchers,
  channelStateOf,
  closeChannel,
  closeSignature,
  decideClose,
  nobleVerifier,
  type Signature,
  signClose,
} from '../../index.js';

describe('closeChannel', () => {
  it('closes only at the latest accepted state, once', () => {
    const { f, context, frame } = setup();
    const accepted = acceptVouchers(f.channel, [frame([f.request(40n)])], context).channel;
    const close = signClose(f.domain, accepted, f.client);
    const outcome = closeChannel(accepted, close, context);
    expect(outcome).toMatchObject({ kind: 'closing' });
    if (outcome.kind !== 'closing') return;
    expect(channelStateOf(outcome.channel, nowMs).status).toBe('closing');
    expect(closeChannel(outcome.channel, close, context).kind).toBe('duplicate');
    const stale = signClose(f.domain, f.channel, f.client);
    expect(closeChannel(accepted, stale, context)).toMatchObject({ code: 'CLOSE_STATE_MISMATCH' });
    // A voucher signature is not a close signature: the kinds are domain-separated.
    expect(closeChannel(accepted, { ...close, signature: accepted.signature! }, context)).toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
  });
});

describe('the close stage in two steps (closeSignature, then decideClose)', () => {
  it('asks for the close signature under the channel key and decides from its check', () => {
    const { f, context, frame } = setup();
    const accepted = acceptVouchers(f.channel, [frame([f.request(40n)])], context).channel;
    const close = signClose(f.domain, accepted, f.client);
    const step = closeSignature(accepted, close, { domain: f.domain });
    expect(nobleVerifier.verify(step.signature as Signature, step.message, step.publicKey)).toBe(true);
    expect(decideClose(accepted, close, 'valid', { nowMs })).toEqual(closeChannel(accepted, close, context));
    expect(decideClose(accepted, close, 'malformed', { nowMs })).toMatchObject({ code: 'SIGNATURE_MALFORMED' });
    const stale = signClose(f.domain, f.channel, f.client);
    expect(decideClose(accepted, stale, 'valid', { nowMs })).toMatchObject({ code: 'CLOSE_STATE_MISMATCH' });
  });
});
