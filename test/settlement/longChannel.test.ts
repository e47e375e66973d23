/**
 * A channel with more than the ledger's 100,000 entries per operation settles: 100,100
 * payments through the real hub and ledger (vouchers of 128 pre-signed entries from a raw
 * client), claimed by the scheduler while the channel stays open and in pages before the
 * close, then closed cooperatively. Conservation and the audit hold; on SQLite and
 * PostgreSQL. (The 1,000,000-payment figure is a benchmark: bench/settlement.)
 */

import { feeOf, signClose } from '@trickle/protocol';
import { payFrames, type RawClient, rawClient } from '@trickle/testing/harness';
import { afterEach, describe, expect, it } from 'vitest';
import { testKey } from '../hub/fixtures.js';
import { openRaw } from '../hub/rawChannel.js';
import { type Backend, expectSound, funded, presign, type SettlementHub, settlementHub } from './settlementHub.js';

const payments = 100_100;
const price = 3n;
const feePpm = 10_000;

describe.each<Backend>(['sqlite', 'postgres'])('a channel of 100,100 payments on %s', (backend) => {
  let s: SettlementHub | undefined;
  let client: RawClient | undefined;
  afterEach(async () => {
    client?.close();
    await s?.cleanup();
  });

  it('is claimed while open, closes, and settles every unit', async () => {
    s = await settlementHub(backend, { feePpm, settlement: { intervalMs: 100 } });
    const { hub, merchant } = s;
    const key = testKey(`long ${backend}`);
    await funded(hub.ledger, `long ${backend}`, 1_000_000_000n);
    client = await rawClient(hub.url, key);
    const opened = await openRaw(client, 500_000n);
    const { frames, channel } = presign(client.domain, opened, client.signer, merchant, {
      count: payments,
      amount: price,
      perVoucher: 128,
      nowMs: Date.now(),
    });
    await payFrames(client, frames);
    expect(hub.channel(channel.channelId)?.cumulative).toBe(BigInt(payments) * price);

    const close = signClose(client.domain, channel, client.signer);
    client.send({ type: 'close', id: 9, ...close });
    const answer = await client.next();
    expect(answer.type === 'state' && answer.state.status).toBe('closed');

    const ledger = hub.ledger;
    const held = await ledger.channel(channel.channelId);
    expect(held?.finalizedAtMs).toBeDefined();
    expect(held?.claimed).toMatchObject({ seq: channel.seq, cumulative: BigInt(payments) * price });
    const gross = BigInt(payments) * price;
    expect((await ledger.payeeAccount(merchant.payee, { code: 'USD', scale: 6 }))?.balance).toBe(
      gross - feeOf(gross, feePpm),
    );
    expect((await ledger.payerAccount(client.signer.publicKey, { code: 'USD', scale: 6 }))?.balance).toBe(
      1_000_000_000n - gross,
    );
    // No single ledger operation carried the whole segment: it was claimed in pages. The
    // backlog is what the store held at the end of the scheduler's last run (ADR 0419).
    await hub.settlement.runOnce();
    expect(hub.settlement.backlog()).toMatchObject({ channels: 0, entries: 0 });
    await expectSound(ledger);
  }, 180_000);
});
