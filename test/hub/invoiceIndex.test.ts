/**
 * Invoices are single-use by the store's unique index, not by a set loaded into memory
 * (ADR 0210): two channels racing on one invoice, a replay after a restart (nothing was
 * loaded), and two hub processes sharing one PostgreSQL store and ledger each pay it once.
 */

import { type ChannelStore, createHub, type Hub, loadOrCreateHubKey, systemRandomBytes } from '@trickle/hub';
import { postgresChannelStore } from '@trickle/hub/postgres';
import type { TrickleLedger } from '@trickle/ledger';
import { postgresLedger } from '@trickle/ledger/postgres';
import {
  type ChannelState,
  type ClientChannel,
  type HubMessage,
  hubIdFromKey,
  type PaymentRequest,
  publicKeyOf,
} from '@trickle/protocol';
import { dropSchema, postgresUrl, type RawClient, rawClient, uniqueSchema } from '@trickle/testing/harness';
import { afterEach, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from './fixtures.js';
import { advance, frameFor, openRaw, syncState } from './rawChannel.js';

const outcome = (m: HubMessage) => (m.type === 'reject' ? `${m.code}@${m.entry ?? '-'}` : m.type);
const resynced = (channel: ClientChannel, state: ChannelState): ClientChannel => ({
  ...channel,
  seq: state.seq,
  cumulative: state.cumulative,
  logHead: state.logHead,
});

describe('single-use invoices by the store index', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function started(dir: string, more: { ledger?: TrickleLedger; store?: ChannelStore } = {}): Promise<Hub> {
    const hub = await createHub<TrickleLedger>({ dataDir: dir, networkId, ...more });
    cleanups.push(() => hub.close());
    return hub;
  }
  async function client(hub: Hub, label: string): Promise<RawClient> {
    const c = await rawClient(hub.url, testKey(label));
    cleanups.push(() => c.close());
    return c;
  }

  it('two channels racing on one invoice: one is paid, the other refused at that entry', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const hub = await started(dir.path);
    await fund(hub, publicKeyOf(testKey('race')), 1_000_000n);
    const merchant = testMerchant('race', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    const c = await client(hub, 'race');
    let [one, two] = [await openRaw(c, 10_000n), await openRaw(c, 10_000n)];
    const invoice = merchant.request(7n);
    for (let round = 0; round < 20; round++) {
      const fresh = merchant.request(1n);
      const shared = round === 0 ? invoice : merchant.request(2n);
      // Both in one turn: neither is known paid when the other is checked.
      c.send(frameFor(c.domain, one, [shared], c.signer));
      c.send(frameFor(c.domain, two, [fresh, shared], c.signer));
      const answers = [await c.next(), await c.next()].map(outcome).sort();
      expect(answers).toEqual(['INVOICE_ALREADY_PAID@1', 'receipts']);
      one = resynced(one, await syncState(c, one));
      two = resynced(two, await syncState(c, two));
    }
    // Every shared invoice was paid once (7 + 19 x 2) and no fresh one (the voucher carrying it was refused).
    expect(one.cumulative + two.cumulative).toBe(7n + 19n * 2n);
  });

  it('a replay after a restart is refused although nothing was loaded; the vouchers before it are paid', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    let hub = await started(dir.path);
    await fund(hub, publicKeyOf(testKey('replay')), 1_000_000n);
    const merchant = testMerchant('replay', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    let c = await client(hub, 'replay');
    const first = await openRaw(c, 10_000n);
    const paid: PaymentRequest[] = [merchant.request(5n), merchant.request(6n)];
    const frame = frameFor(c.domain, first, paid, c.signer);
    c.send(frame);
    expect(outcome(await c.next())).toBe('receipts');
    c.close();
    await hub.close();

    hub = await started(dir.path);
    c = await client(hub, 'replay');
    let other = await openRaw(c, 10_000n);
    const fresh = frameFor(c.domain, other, [merchant.request(1n)], c.signer);
    other = advance(other, fresh);
    const replay = frameFor(c.domain, other, [merchant.request(2n), paid[1] as PaymentRequest], c.signer);
    c.send(fresh);
    c.send(replay);
    expect([outcome(await c.next()), outcome(await c.next())]).toEqual(['receipts', 'INVOICE_ALREADY_PAID@1']);
    expect((await syncState(c, other)).cumulative).toBe(1n);
  });

  it('two hub processes on one PostgreSQL store and ledger pay an invoice once between them', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const schema = uniqueSchema('trickle_invoice_index');
    cleanups.push(() => dropSchema(schema));
    cleanups.push(() => dropSchema(`${schema}_ledger`));
    const hubKey = publicKeyOf(loadOrCreateHubKey(dir.path, systemRandomBytes));
    const domain = { networkId, hubId: hubIdFromKey(hubKey) };
    const process = async () => {
      const ledger = await postgresLedger({
        connectionString: postgresUrl,
        schema: `${schema}_ledger`,
        domain,
        feePpm: 0,
      });
      cleanups.push(() => ledger.close());
      const store = await postgresChannelStore({ connectionString: postgresUrl, schema });
      cleanups.push(() => store.close());
      return started(dir.path, { ledger, store });
    };
    const a = await process();
    const b = await process();
    const merchant = testMerchant('two processes', a);
    await a.registerMerchant({ publicKey: merchant.publicKey });
    await b.registerMerchant({ publicKey: merchant.publicKey });
    await fund(a, publicKeyOf(testKey('pa')), 1_000_000n);
    await fund(a, publicKeyOf(testKey('pb')), 1_000_000n);
    const [ca, cb] = [await client(a, 'pa'), await client(b, 'pb')];
    let [cha, chb] = [await openRaw(ca, 10_000n), await openRaw(cb, 10_000n)];
    let paidOnce = 0;
    for (let round = 0; round < 10; round++) {
      const invoice = merchant.request(3n);
      ca.send(frameFor(ca.domain, cha, [invoice], ca.signer));
      cb.send(frameFor(cb.domain, chb, [invoice], cb.signer));
      const answers = [outcome(await ca.next()), outcome(await cb.next())].sort();
      expect(answers).toEqual(['INVOICE_ALREADY_PAID@0', 'receipts']);
      paidOnce++;
      cha = resynced(cha, await syncState(ca, cha));
      chb = resynced(chb, await syncState(cb, chb));
    }
    expect(cha.cumulative + chb.cumulative).toBe(BigInt(paidOnce) * 3n);
  });
});
