import { describe, expect, it } from 'vitest';
import { counterRandom, fixture, testKey } from '../../test/helpers.js';
import {
  acceptVouchers,
  type ClientChannel,
  channelStateOf,
  createSigner,
  equalBytes,
  logHeadAfter,
  nobleVerifier,
  PaymentError,
  preparePayment,
  reconcile,
  signVoucher,
} from '../index.js';

const nowMs = 1_000_000;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof PaymentError) return error.code;
    throw error;
  }
  return undefined;
}

describe('preparePayment', () => {
  it('covers several requests with one voucher whose head chains the entries', () => {
    const f = fixture();
    const requests = [f.request(3n), f.request(4n)];
    const { channel, voucher, entries } = preparePayment(f.domain, f.channel, requests, nowMs);
    expect(voucher).toMatchObject({ seq: 1, cumulative: 7n });
    expect(voucher.logHead).toEqual(logHeadAfter(f.channel.logHead, entries));
    expect(channel.seq).toBe(1);
    expect(entries).toHaveLength(2);
  });

  it('refuses before signing: other hub, other asset, expired, repeated invoice, over the deposit, expired channel', () => {
    const f = fixture();
    const r = f.request(5n);
    expect(code(() => preparePayment(f.domain, f.channel, [{ ...r, networkId: 99 }], nowMs))).toBe('WRONG_HUB');
    expect(code(() => preparePayment(f.domain, f.channel, [{ ...r, hubId: new Uint8Array(32) as never }], nowMs))).toBe(
      'WRONG_HUB',
    );
    expect(code(() => preparePayment(f.domain, f.channel, [{ ...r, asset: { code: 'EUR', scale: 6 } }], nowMs))).toBe(
      'ASSET_MISMATCH',
    );
    expect(code(() => preparePayment(f.domain, f.channel, [f.request(5n, nowMs)], nowMs))).toBe('INVOICE_EXPIRED');
    expect(code(() => preparePayment(f.domain, f.channel, [r, r], nowMs))).toBe('DUPLICATE_INVOICE');
    expect(code(() => preparePayment(f.domain, f.channel, [f.request(f.channel.deposit + 1n)], nowMs))).toBe(
      'INSUFFICIENT_CHANNEL_BALANCE',
    );
    expect(code(() => preparePayment(f.domain, { ...f.channel, expiresAtMs: nowMs }, [r], nowMs))).toBe(
      'CHANNEL_EXPIRED',
    );
    expect(() => preparePayment(f.domain, f.channel, [], nowMs)).toThrow(RangeError);
  });
});

describe('reconcile', () => {
  function accepted(count: number) {
    const f = fixture();
    let client: ClientChannel = { ...f.channel };
    let hub = f.channel;
    const context = {
      domain: f.domain,
      nowMs,
      verifier: nobleVerifier,
      payeeKey: () => f.macKey,
      isInvoicePaid: () => false,
    };
    const states: ClientChannel[] = [client];
    for (let i = 0; i < count; i++) {
      const prepared = preparePayment(f.domain, client, [f.request(10n)], nowMs);
      client = prepared.channel;
      states.push(client);
      const frame = { ...signVoucher(f.domain, prepared.voucher, f.client), entries: [...prepared.entries] };
      hub = acceptVouchers(hub, [frame], context).channel;
    }
    return { f, client, hub, states };
  }

  it('is in sync when both sides hold the same state', () => {
    const { f, client, hub } = accepted(2);
    expect(reconcile(f.domain, client, channelStateOf(hub, nowMs), f.client.publicKey, nobleVerifier).kind).toBe(
      'inSync',
    );
  });

  it('says the hub is behind when the client signed more than the hub holds', () => {
    const { f, client, hub, states } = accepted(1);
    const ahead = preparePayment(f.domain, client, [f.request(1n)], nowMs).channel;
    const result = reconcile(f.domain, ahead, channelStateOf(hub, nowMs), f.client.publicKey, nobleVerifier);
    expect(result).toMatchObject({ kind: 'hubBehind', hubSeq: 1 });
    expect(states).toHaveLength(2);
  });

  it('adopts a newer hub state signed by this client (a restored backup), and takes a higher deposit', () => {
    const { f, hub, states } = accepted(3);
    const old = states[1]!;
    const remote = { ...channelStateOf(hub, nowMs), deposit: hub.deposit + 5n };
    const result = reconcile(f.domain, old, remote, f.client.publicKey, nobleVerifier);
    expect(result.kind).toBe('adopt');
    if (result.kind !== 'adopt') return;
    expect(result.channel).toMatchObject({ seq: 3, cumulative: 30n, deposit: hub.deposit + 5n });
    expect(equalBytes(result.channel.logHead, hub.logHead)).toBe(true);
  });

  it('never adopts a state the client did not sign', () => {
    const { f, hub, states } = accepted(2);
    const remote = channelStateOf(hub, nowMs);
    const forgedByHub = createSigner(testKey('hub'), { randomBytes: counterRandom() });
    const body = { channelId: hub.channelId, seq: 5, cumulative: 900n, logHead: hub.logHead };
    const forged = {
      ...remote,
      seq: 5,
      cumulative: 900n,
      signature: signVoucher(f.domain, body, forgedByHub).signature,
    };
    expect(reconcile(f.domain, states[0]!, forged, f.client.publicKey, nobleVerifier).kind).toBe('untrusted');
    const { signature: _omit, ...unsigned } = remote;
    expect(reconcile(f.domain, states[0]!, unsigned, f.client.publicKey, nobleVerifier).kind).toBe('untrusted');
    expect(
      reconcile(
        f.domain,
        states[0]!,
        { ...remote, cumulative: remote.cumulative + 1n },
        f.client.publicKey,
        nobleVerifier,
      ).kind,
    ).toBe('untrusted');
    const otherChannel = { ...remote, channelId: new Uint8Array(32) as never };
    expect(reconcile(f.domain, states[0]!, otherChannel, f.client.publicKey, nobleVerifier).kind).toBe('untrusted');
  });
});
