/**
 * Property: whatever the connection does (dropped after any number of frames sent or
 * received, as often as fast-check likes), every payment ends with exactly one receipt,
 * nothing is charged twice, and the hub's state equals the wallet's.
 */

import { createWallet, memoryStore, type Transport } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { createHub, type Hub } from '@trickle/hub';
import { createSecretKey, publicKeyOf, toHex } from '@trickle/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testMerchant } from '../hub/fixtures.js';

let cutsDone = 0;

/** A transport that cuts the connection after the n-th frame sent or received, for each n in `cuts`. */
function flakyTransport(cuts: { readonly afterSent: boolean; readonly frames: number }[]): Transport {
  const inner = wsTransport();
  let next = 0;
  return {
    name: 'flaky',
    connect(url, handlers) {
      const cut = cuts[next++];
      let sent = 0;
      let received = 0;
      const connection = inner.connect(url, {
        onOpen: handlers.onOpen,
        onClose: handlers.onClose,
        onMessage(bytes) {
          received++;
          if (cut !== undefined && !cut.afterSent && received > cut.frames) {
            if (received === cut.frames + 1) cutsDone++;
            connection.close(4000, 'cut');
            return;
          }
          handlers.onMessage(bytes);
        },
      });
      return {
        send(bytes) {
          sent++;
          connection.send(bytes);
          if (cut?.afterSent && sent === cut.frames) {
            cutsDone++;
            connection.close(4000, 'cut');
          }
        },
        close: (code, reason) => connection.close(code, reason),
        get bufferedAmount() {
          return connection.bufferedAmount;
        },
      };
    },
  };
}

describe('payments over a connection that keeps failing', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  beforeAll(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId });
  });
  afterAll(async () => {
    await hub.close();
    dir.remove();
  });

  it('every payment gets one receipt, none is charged twice, hub and wallet agree (property)', async () => {
    const merchant = testMerchant('flaky', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ afterSent: fc.boolean(), frames: fc.integer({ min: 1, max: 5 }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 2, maxLength: 8 }),
        async (cuts, bursts) => {
          const key = createSecretKey((n) => crypto.getRandomValues(new Uint8Array(n)));
          await fund(hub, publicKeyOf(key), 1_000_000n);
          const wallet = await createWallet({
            key,
            hub: { url: hub.url, networkId },
            store: memoryStore(),
            transport: flakyTransport(cuts),
            reconnectDelayMsMin: 1,
            reconnectDelayMsMax: 5,
          });
          try {
            await wallet.openChannel({ deposit: 1_000_000n });
            const receipts = [];
            for (const size of bursts) {
              receipts.push(
                ...(await Promise.all(
                  Array.from({ length: size }, (_, i) => wallet.pay(merchant.request(BigInt(1 + i)))),
                )),
              );
            }
            const paid = receipts.reduce((sum, r) => sum + r.amount, 0n);
            expect(new Set(receipts.map((r) => toHex(r.invoiceId))).size).toBe(receipts.length);
            expect(wallet.balance()?.acknowledged).toBe(paid);
            expect(hub.channel(receipts[0]!.channelId)?.cumulative).toBe(paid);
            expect(hub.channel(receipts[0]!.channelId)?.seq).toBe(receipts.reduce((m, r) => Math.max(m, r.seq), 0));
          } finally {
            await wallet.stop();
          }
        },
      ),
      { numRuns: 15 },
    );
    // The property ran over connections that really failed.
    expect(cutsDone).toBeGreaterThan(12);
  }, 60_000);
});
