/**
 * A `pay` frame the hub cannot decode is answered with a reject that carries only the frame's
 * `id` (protocol.md 7.3). The wallet matches it to its voucher by that id, fails the voucher's
 * payment with the reject's code instead of waiting forever, charges nothing, and pays on.
 */

import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { createHub, type Hub } from '@trickle/hub';
import { decodeClientMessage, publicKeyOf, RejectError } from '@trickle/protocol';
import { token, withValue } from '@trickle/testing/harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';
import { filteringTransport } from './filteringTransport.js';

/** A `ws` transport that, when armed, sends the next `pay` frame with its seq as a float (unreadable). */
function garblingTransport() {
  const link = {
    armed: false,
    transport: filteringTransport('garbling', {
      outgoing(bytes) {
        const message = decodeClientMessage(bytes);
        if (!link.armed || message.type !== 'pay') return bytes;
        link.armed = false;
        return withValue(bytes, ['seq'], token.f64(message.seq));
      },
    }).transport,
  };
  return link;
}

describe('a pay frame the hub cannot read', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let wallet: Wallet;
  let merchant: ReturnType<typeof testMerchant>;
  const link = garblingTransport();

  beforeAll(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId });
    const key = testKey('garbled wallet');
    await fund(hub, publicKeyOf(key), 1_000_000n);
    merchant = testMerchant('garbled', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    wallet = await createWallet({
      key,
      hub: { url: hub.url, networkId },
      store: memoryStore(),
      transport: link.transport,
    });
    await wallet.openChannel({ deposit: 100_000n });
  });
  afterAll(async () => {
    await wallet.stop();
    await hub.close();
    dir.remove();
  });

  it('fails that payment with the reject code (matched by the frame id), charges nothing, and pays on', async () => {
    await wallet.pay(merchant.request(10n));
    link.armed = true;
    const refused = await wallet.pay(merchant.request(20n)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(RejectError);
    expect(refused).toMatchObject({ code: 'MALFORMED_FRAME' });
    await wallet.pay(merchant.request(30n));
    const channelId = wallet.balance()?.channelId;
    expect(wallet.balance()?.acknowledged).toBe(40n);
    expect(hub.channel(channelId as never)?.cumulative).toBe(40n);
  });
});
