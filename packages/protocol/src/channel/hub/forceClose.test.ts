import { describe, expect, it } from 'vitest';
import { counterRandom, fixture, testKey } from '../../../test/helpers.js';
import {
  acceptVouchers,
  type ClientChannel,
  checkForceClose,
  createSigner,
  decideForceClose,
  equalBytes,
  type ForceCloseContext,
  type ForceCloseRequest,
  forceCloseSignature,
  type HubChannel,
  logGenesis,
  nobleVerifier,
  preparePayment,
  type Signature,
  signClose,
  signVoucher,
  type VoucherBody,
} from '../../index.js';

const nowMs = 1_000_000;

/** A channel with three accepted vouchers, and what the hub kept of each. */
function setup() {
  const f = fixture();
  let client: ClientChannel = { ...f.channel };
  let hub: HubChannel = f.channel;
  const accepted = new Map<number, VoucherBody>();
  for (let i = 0; i < 3; i++) {
    const prepared = preparePayment(f.domain, client, [f.request(10n + BigInt(i))], nowMs);
    client = prepared.channel;
    const frame = { ...signVoucher(f.domain, prepared.voucher, f.client), entries: [...prepared.entries] };
    hub = acceptVouchers(hub, [frame], {
      domain: f.domain,
      nowMs,
      verifier: nobleVerifier,
      payeeKey: (payee) => (equalBytes(payee, f.payee) ? f.macKey : undefined),
      isInvoicePaid: () => false,
    }).channel;
    accepted.set(hub.seq, { channelId: hub.channelId, seq: hub.seq, cumulative: hub.cumulative, logHead: hub.logHead });
  }
  const context: ForceCloseContext = {
    domain: f.domain,
    nowMs,
    verifier: nobleVerifier,
    acceptedAt: (seq) => accepted.get(seq),
  };
  const signed = (seq: number): ForceCloseRequest => signVoucher(f.domain, accepted.get(seq) as VoucherBody, f.client);
  return { f, hub, context, signed };
}

describe('checkForceClose', () => {
  it('marks the channel closing at the latest state, an older accepted one, or the genesis state', () => {
    const { f, hub, context, signed } = setup();
    for (const request of [signed(3), signed(1)]) {
      const outcome = checkForceClose(hub, request, context);
      expect(outcome).toMatchObject({ kind: 'closing', channel: { closingSinceMs: nowMs, seq: 3 } });
    }
    const zero = { channelId: hub.channelId, seq: 0, cumulative: 0n, logHead: logGenesis(f.domain, hub.channelId) };
    expect(checkForceClose(hub, zero, context).kind).toBe('closing');
    expect(checkForceClose({ ...hub, closingSinceMs: 5 }, signed(2), context).kind).toBe('duplicate');
  });

  it('refuses a state the hub never accepted, a bad signature, another key, and a closed channel', () => {
    const { f, hub, context, signed } = setup();
    const code = (request: ForceCloseRequest, channel = hub) => {
      const outcome = checkForceClose(channel, request, context);
      return outcome.kind === 'rejected' ? outcome.code : outcome.kind;
    };
    const beyond = signVoucher(f.domain, { ...signed(3), seq: 4, cumulative: 99n }, f.client);
    expect(code(beyond)).toBe('UNKNOWN_STATE');
    const forked = signVoucher(f.domain, { ...signed(2), cumulative: 999n }, f.client);
    expect(code(forked)).toBe('UNKNOWN_STATE');
    const { signature: _dropped, ...unsigned } = signed(3);
    expect(code(unsigned)).toBe('SIGNATURE_MALFORMED');
    const flipped = new Uint8Array(signed(3).signature as Signature);
    flipped[7] = (flipped[7] as number) ^ 1;
    expect(code({ ...signed(3), signature: flipped as Signature })).toBe('SIGNATURE_INVALID');
    const mallory = createSigner(testKey('mallory'), { randomBytes: counterRandom(3) });
    expect(code(signVoucher(f.domain, signed(3), mallory))).toBe('SIGNATURE_INVALID');
    // A close signature is not a voucher signature: kinds never mix.
    expect(code(signClose(f.domain, signed(3), f.client))).toBe('SIGNATURE_INVALID');
    expect(code(signed(3), { ...hub, closingSinceMs: 1, closedAtMs: 2 })).toBe('CHANNEL_CLOSED');
  });
});

describe('the forced close stage in two steps (forceCloseSignature, then decideForceClose)', () => {
  it('needs no signature at seq 0, refuses a closed channel first, and decides from the check', () => {
    const { f, hub, context, signed } = setup();
    const zero = { channelId: hub.channelId, seq: 0, cumulative: 0n, logHead: logGenesis(f.domain, hub.channelId) };
    expect(forceCloseSignature(hub, zero, context).kind).toBe('none');
    expect(forceCloseSignature({ ...hub, closedAtMs: 2 }, signed(3), context)).toMatchObject({
      code: 'CHANNEL_CLOSED',
    });
    const step = forceCloseSignature(hub, signed(2), context);
    expect(step.kind).toBe('verify');
    if (step.kind !== 'verify') return;
    expect(nobleVerifier.verify(step.signature as Signature, step.message, step.publicKey)).toBe(true);
    expect(decideForceClose(hub, signed(2), 'valid', context)).toEqual(checkForceClose(hub, signed(2), context));
    expect(decideForceClose(hub, signed(2), 'invalid', context)).toMatchObject({ code: 'SIGNATURE_INVALID' });
  });
});
