/**
 * Hub processes that are one hub (one key, one PostgreSQL database for channels, invoices
 * and the ledger), run as real child processes: what two processes must agree on is
 * decided by the database, never by one process's memory.
 */
import { fromHex, type HubId, type HubMessage, type PublicKey, publicKeyOf, toHex } from '@trickle/protocol';
import { dropSchema, type HubProcess, postgresUrl, rawClient, uniqueSchema } from '@trickle/testing/harness';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, within } from './clusterProcesses.js';
import { networkId, tempDir, testKey, testMerchant } from './fixtures.js';
import { advance, frameFor, openRaw, syncState } from './rawChannel.js';

/** Every request in these tests is answered within this bound, or the test fails. */
const answerBoundMs = 15_000;
const outcome = (m: HubMessage) => (m.type === 'reject' ? `${m.code}@${m.entry ?? '-'}` : m.type);

describe('a hub in several processes on one PostgreSQL', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function cluster(count: number, payers: string[]): Promise<HubProcess[]> {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const schema = uniqueSchema('trickle_cluster');
    cleanups.push(() => dropSchema(schema));
    cleanups.push(() => dropSchema(`${schema}_ledger`));
    // The merchant's key is testMerchant's: registered before the hub key exists.
    const merchantKey = publicKeyOf(testKey('merchant cluster'));
    const hubs = await startCluster(count, {
      dataDir: dir.path,
      networkId,
      merchants: [toHex(merchantKey)],
      fund: payers.map((label) => ({ clientKey: toHex(publicKeyOf(testKey(label))), amount: '1000000' })),
      postgres: { connectionString: postgresUrl, schema, ledgerSchema: `${schema}_ledger` },
    });
    for (const hub of hubs) {
      cleanups.push(async () => {
        hub.child.kill('SIGKILL');
        await hub.exited;
      });
    }
    return hubs;
  }
  async function connect(hub: HubProcess, label: string) {
    const c = await rawClient(hub.url, testKey(label));
    cleanups.push(() => c.close());
    return c;
  }

  it('one invoice paid through process A, then through process B by another payer: B refuses it INVOICE_ALREADY_PAID', async () => {
    const [a, b] = (await cluster(2, ['first payer', 'second payer'])) as [HubProcess, HubProcess];
    expect(b.hubId).toBe(a.hubId);
    const merchant = testMerchant('cluster', {
      publicKey: fromHex(a.publicKey, 33) as PublicKey,
      hubId: fromHex(a.hubId, 32) as HubId,
    });
    const [ca, cb] = [await connect(a, 'first payer'), await connect(b, 'second payer')];
    let cha = await openRaw(ca, 10_000n);
    const chb = await openRaw(cb, 10_000n);
    for (let round = 0; round < 5; round++) {
      const invoice = merchant.request(3n);
      const paid = frameFor(ca.domain, cha, [invoice], ca.signer);
      ca.send(paid);
      expect(outcome(await within(answerBoundMs, 'pay through A', ca.next()))).toBe('receipts');
      cha = advance(cha, paid);
      // B never saw the invoice: its memory cannot know; the store's unique index does.
      cb.send(frameFor(cb.domain, chb, [invoice], cb.signer));
      const answer = await within(answerBoundMs, 'pay through B', cb.next());
      expect(outcome(answer)).toBe('INVOICE_ALREADY_PAID@0');
    }
    expect((await syncState(cb, chb)).cumulative).toBe(0n);
    expect((await syncState(ca, cha)).cumulative).toBe(15n);
  }, 60_000);
});
