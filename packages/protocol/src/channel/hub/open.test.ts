import { describe, expect, it } from 'vitest';
import { counterRandom, testKey } from '../../../test/helpers.js';
import { nowMs, setup } from '../../../test/hubStage.js';
import {
  channelStateOf,
  createSigner,
  decideOpen,
  equalBytes,
  isSameOpen,
  nobleVerifier,
  type OpenPolicy,
  openChannel,
  openSignature,
  type Signature,
  signOpenRequest,
} from '../../index.js';

describe('openChannel', () => {
  const policy: OpenPolicy = {
    assets: [{ code: 'USD', scale: 6 }],
    depositMax: 10_000_000n,
    lifetimeMsMin: 60_000,
    lifetimeMsMax: 30 * 86_400_000,
  };

  it('opens a channel whose id is derived from hub, key and nonce; a resend is the same open', () => {
    const { f } = setup();
    const request = signOpenRequest(
      f.domain,
      { nonce: f.nonce, asset: f.channel.asset, deposit: 5_000n, expiresAtMs: nowMs + 3_600_000 },
      f.client,
    );
    const context = { domain: f.domain, nowMs, verifier: nobleVerifier, sessionKey: f.client.publicKey, policy };
    const outcome = openChannel(request, context);
    expect(outcome.kind).toBe('opened');
    if (outcome.kind !== 'opened') return;
    expect(outcome.channel.channelId).toEqual(f.channelId);
    expect(outcome.channel).toMatchObject({ seq: 0, cumulative: 0n, deposit: 5_000n });
    expect(isSameOpen(f.domain, outcome.channel, request)).toBe(true);
    expect(channelStateOf(outcome.channel, nowMs)).toMatchObject({ status: 'open', seq: 0 });
    expect(channelStateOf(outcome.channel, nowMs)).not.toHaveProperty('signature');
  });

  it('refuses opens with another key, a bad signature, or outside the policy', () => {
    const { f } = setup();
    const base = { nonce: f.nonce, asset: f.channel.asset, deposit: 5_000n, expiresAtMs: nowMs + 3_600_000 };
    const context = { domain: f.domain, nowMs, verifier: nobleVerifier, sessionKey: f.client.publicKey, policy };
    const other = createSigner(testKey('other'), { randomBytes: counterRandom() });
    expect(openChannel(signOpenRequest(f.domain, base, other), context)).toMatchObject({ code: 'AUTH_FAILED' });
    const good = signOpenRequest(f.domain, base, f.client);
    expect(openChannel({ ...good, deposit: 5_001n }, context)).toMatchObject({ code: 'SIGNATURE_INVALID' });
    for (const body of [
      { ...base, deposit: 0n },
      { ...base, deposit: 10_000_001n },
      { ...base, asset: { code: 'EUR', scale: 6 } },
      { ...base, expiresAtMs: nowMs + 1_000 },
      { ...base, expiresAtMs: nowMs + 31 * 86_400_000 },
    ]) {
      expect(openChannel(signOpenRequest(f.domain, body, f.client), context)).toMatchObject({ code: 'BAD_OPEN' });
    }
  });
});

describe('the open stage in two steps (openSignature, then decideOpen)', () => {
  const policy: OpenPolicy = {
    assets: [{ code: 'USD', scale: 6 }],
    depositMax: 10_000_000n,
    lifetimeMsMin: 60_000,
    lifetimeMsMax: 30 * 86_400_000,
  };

  it('asks for the request signature under the session key, and decides as openChannel does', () => {
    const { f } = setup();
    const base = { nonce: f.nonce, asset: f.channel.asset, deposit: 5_000n, expiresAtMs: nowMs + 3_600_000 };
    const request = signOpenRequest(f.domain, base, f.client);
    const step = openSignature(request, { domain: f.domain, sessionKey: f.client.publicKey });
    expect(step.kind).toBe('verify');
    if (step.kind !== 'verify') return;
    expect(equalBytes(step.publicKey, f.client.publicKey)).toBe(true);
    expect(nobleVerifier.verify(step.signature as Signature, step.message, step.publicKey)).toBe(true);
    const context = { domain: f.domain, nowMs, policy };
    const decided = decideOpen(request, 'valid', context);
    expect(decided).toEqual(
      openChannel(request, { ...context, verifier: nobleVerifier, sessionKey: f.client.publicKey }),
    );
    for (const check of ['malformed', 'highS', 'invalid'] as const) {
      expect(decideOpen(request, check, context)).toMatchObject({ kind: 'rejected' });
    }
    const other = createSigner(testKey('other'), { randomBytes: counterRandom() });
    expect(openSignature(request, { domain: f.domain, sessionKey: other.publicKey })).toMatchObject({
      code: 'AUTH_FAILED',
    });
  });
});
