/**
 * Hostile vouchers over a real socket: forged, replayed, stale, over-deposit,
 * cross-channel, cross-hub and high-S. Each is refused with its typed code and leaves the
 * channel's state unchanged.
 */

import { createHub, type Hub } from '@trickle/hub';
import {
  type ClientChannel,
  createSigner,
  type Domain,
  type HubId,
  type HubMessage,
  logGenesis,
  normalizeS,
  publicKeyOf,
  type Signature,
  sha256,
  signVoucher,
} from '@trickle/protocol';
import { type RawClient, rawClient } from '@trickle/testing/harness';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from './fixtures.js';
import { advance, frameFor, openRaw, type PayFrame, syncState } from './rawChannel.js';

const curveOrder = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

function expectReject(message: HubMessage, code: string): void {
  expect(message.type).toBe('reject');
  if (message.type === 'reject') expect(message.code).toBe(code);
}

describe('hostile vouchers', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let alice: RawClient;
  let bob: RawClient;
  let merchant: ReturnType<typeof testMerchant>;
  let channel: ClientChannel;
  let second: ClientChannel;
  let bobChannel: ClientChannel;
  let accepted: PayFrame;

  beforeAll(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId });
    await fund(hub, publicKeyOf(testKey('alice')), 10_000_000n);
    await fund(hub, publicKeyOf(testKey('bob')), 10_000_000n);
    merchant = testMerchant('hostile', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    alice = await rawClient(hub.url, testKey('alice'));
    bob = await rawClient(hub.url, testKey('bob'));
    channel = await openRaw(alice, 1_000_000n);
    second = await openRaw(alice, 1_000_000n);
    bobChannel = await openRaw(bob, 1_000_000n);
    accepted = frameFor(alice.domain, channel, [merchant.request(100n)], alice.signer);
    alice.send(accepted);
    expect((await alice.next()).type).toBe('receipts');
    channel = advance(channel, accepted);
  });
  afterAll(async () => {
    alice.close();
    bob.close();
    await hub.close();
    dir.remove();
  });

  async function refused(frame: PayFrame, code: string, client = alice, on = channel): Promise<void> {
    const before = await syncState(client, on);
    client.send(frame);
    const answer = await client.next();
    expectReject(answer, code);
    const after = await syncState(client, on);
    expect(after).toEqual(before);
  }

  it('forged: signed by another key', async () => {
    const mallory = createSigner(testKey('mallory'), { randomBytes });
    await refused(frameFor(alice.domain, channel, [merchant.request(5n)], mallory), 'SIGNATURE_INVALID');
  });

  it('replayed: an accepted voucher sent again gets its original receipts and changes nothing', async () => {
    const before = await syncState(alice, channel);
    alice.send(accepted);
    const first = await alice.next();
    alice.send(accepted);
    const again = await alice.next();
    expect(first.type).toBe('receipts');
    expect(again).toEqual(first);
    expect(await syncState(alice, channel)).toEqual(before);
  });

  it('stale: a different voucher at an used seq', async () => {
    const stale = frameFor(
      alice.domain,
      { ...channel, seq: 0, cumulative: 0n, logHead: logGenesis(alice.domain, channel.channelId) },
      [merchant.request(7n)],
      alice.signer,
    );
    await refused(stale, 'STALE_VOUCHER');
  });

  it('over-deposit: a correctly signed voucher past the deposit', async () => {
    const rich: ClientChannel = { ...channel, deposit: 10n ** 12n };
    await refused(frameFor(alice.domain, rich, [merchant.request(1_000_000n)], alice.signer), 'EXCEEDS_DEPOSIT');
  });

  it('cross-channel: a voucher for one channel sent on another of the same key', async () => {
    const forFirst = frameFor(alice.domain, channel, [merchant.request(9n)], alice.signer);
    await refused({ ...forFirst, channelId: second.channelId }, 'SEQ_GAP', alice, second);
    const genesis = { ...channel, seq: 0, cumulative: 0n, logHead: logGenesis(alice.domain, channel.channelId) };
    const atSecondSeq = frameFor(alice.domain, genesis, [merchant.request(9n)], alice.signer);
    await refused({ ...atSecondSeq, channelId: second.channelId }, 'LOG_HEAD_MISMATCH', alice, second);
    await refused({ ...accepted, channelId: second.channelId }, 'INVOICE_ALREADY_PAID', alice, second);
  });

  it("cross-channel: another key's channel is unknown to this session", async () => {
    const onBobs = frameFor(alice.domain, bobChannel, [merchant.request(9n)], alice.signer);
    alice.send(onBobs);
    expectReject(await alice.next(), 'UNKNOWN_CHANNEL');
    expect(await syncState(bob, bobChannel)).toMatchObject({ seq: 0, cumulative: 0n });
  });

  it('cross-hub: signed for the same channel under another hub id', async () => {
    const otherHub: Domain = { networkId, hubId: sha256(new Uint8Array([1, 2, 3])) as HubId };
    const frame = frameFor(alice.domain, channel, [merchant.request(11n)], alice.signer);
    const foreign = signVoucher(
      otherHub,
      { channelId: frame.channelId, seq: frame.seq, cumulative: frame.cumulative, logHead: frame.logHead },
      alice.signer,
    );
    await refused({ ...frame, signature: foreign.signature }, 'SIGNATURE_INVALID');
    const otherNetwork = signVoucher({ ...alice.domain, networkId: networkId + 1 }, frame, alice.signer);
    await refused({ ...frame, signature: otherNetwork.signature }, 'SIGNATURE_INVALID');
  });

  it('high-S: the same signature with s replaced by n - s', async () => {
    const frame = frameFor(alice.domain, channel, [merchant.request(13n)], alice.signer);
    const s = BigInt(`0x${Buffer.from(frame.signature.subarray(32)).toString('hex')}`);
    const high = new Uint8Array(frame.signature);
    high.set(Buffer.from((curveOrder - s).toString(16).padStart(64, '0'), 'hex'), 32);
    expect(normalizeS(high as Signature)).toEqual(frame.signature);
    await refused({ ...frame, signature: high as Signature }, 'SIGNATURE_HIGH_S');
    await refused(
      { ...frame, signature: new Uint8Array(frame.signature.subarray(0, 63)) as Signature },
      'SIGNATURE_MALFORMED',
    );
  });

  it('any single-byte mutation of a valid voucher is refused and changes nothing (property)', async () => {
    const fields = ['signature', 'logHead', 'cumulative', 'seq', 'invoice', 'amount', 'mac'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fields),
        fc.nat(63),
        fc.integer({ min: 1, max: 255 }),
        async (field, index, xor) => {
          const frame = frameFor(alice.domain, channel, [merchant.request(3n)], alice.signer);
          const flip = (bytes: Uint8Array) => {
            const out = new Uint8Array(bytes);
            const at = index % out.length;
            out[at] = (out[at] as number) ^ xor;
            return out;
          };
          const entry = frame.entries[0]!;
          const mutated: PayFrame =
            field === 'signature'
              ? { ...frame, signature: flip(frame.signature) as Signature }
              : field === 'logHead'
                ? { ...frame, logHead: flip(frame.logHead) as never }
                : field === 'cumulative'
                  ? { ...frame, cumulative: frame.cumulative ^ BigInt(xor) }
                  : field === 'seq'
                    ? { ...frame, seq: frame.seq + xor }
                    : field === 'invoice'
                      ? { ...frame, entries: [{ ...entry, invoiceId: flip(entry.invoiceId) as never }] }
                      : field === 'amount'
                        ? { ...frame, entries: [{ ...entry, amount: entry.amount + BigInt(xor) }] }
                        : { ...frame, entries: [{ ...entry, mac: flip(entry.mac) as never }] };
          const before = await syncState(alice, channel);
          alice.send(mutated);
          const answer = await alice.next();
          expect(answer.type).toBe('reject');
          expect(await syncState(alice, channel)).toEqual(before);
        },
      ),
      { numRuns: 60 },
    );
  });
});
