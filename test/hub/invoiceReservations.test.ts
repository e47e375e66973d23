/**
 * A batch that fails unexpectedly (here the verifier throws) leaves no invoice behind:
 * invoices are taken only by the commit that writes their vouchers (the store's unique
 * index, ADR 0210), so the client's resend of the same payment is accepted, not refused
 * INVOICE_ALREADY_PAID until the invoice expires.
 */

import { type AsyncVerifier, asAsyncVerifier, createHub, type Hub } from '@trickle/hub';
import { nobleVerifier, publicKeyOf } from '@trickle/protocol';
import { type RawClient, rawClient } from '@trickle/testing/harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from './fixtures.js';
import { frameFor, openRaw } from './rawChannel.js';

describe('invoice reservations', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let client: RawClient;
  let failNext = false;
  const errors: unknown[] = [];
  const key = testKey('invoice reservations');

  beforeEach(async () => {
    dir = tempDir();
    const inner = asAsyncVerifier(nobleVerifier);
    const verifier: AsyncVerifier = {
      name: 'flaky',
      verify(signature, message, publicKey) {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('verifier service unavailable (simulated)'));
        }
        return inner.verify(signature, message, publicKey);
      },
    };
    hub = await createHub({ dataDir: dir.path, networkId, verifier, onError: (error) => errors.push(error) });
    await fund(hub, publicKeyOf(key), 1_000_000n);
    client = await rawClient(hub.url, key);
  });
  afterEach(async () => {
    client.close();
    await hub.close();
    dir.remove();
  });

  it('takes no invoice for a batch that failed while verifying, so the resend is accepted', async () => {
    const merchant = testMerchant('invoice reservations', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    const channel = await openRaw(client, 10_000n);
    const frame = frameFor(client.domain, channel, [merchant.request(5n)], client.signer);

    failNext = true;
    client.send(frame);
    const failed = await client.next();
    expect(failed.type === 'reject' && failed.code).toBe('INTERNAL');
    expect(errors).toHaveLength(1);

    client.send(frame);
    const resent = await client.next();
    expect(resent.type === 'reject' ? resent.code : resent.type).toBe('receipts');
    expect(hub.channel(channel.channelId)?.cumulative).toBe(5n);
  });
});
