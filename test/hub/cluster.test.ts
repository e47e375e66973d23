/**
 * Hub processes that are one hub (one key, one PostgreSQL database for channels, invoices
 * and the ledger, channel leases: ADR 0231), run as real child processes: what two
 * processes must agree on is decided by the database, never by one process's memory.
 */
import { type HubMessage, signClose } from '@trickle/protocol';
import type { HubProcess, RawClient } from '@trickle/testing/harness';
import { afterEach, describe, expect, it } from 'vitest';
import { answerBoundMs, type Cluster, connect, startCluster, within } from './clusterProcesses.js';
import { advance, frameFor, openRaw, syncState } from './rawChannel.js';

const outcome = (m: HubMessage) => (m.type === 'reject' ? `${m.code}@${m.entry ?? '-'}` : m.type);

describe('a hub in three processes on one PostgreSQL', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function cluster(payers: string[]): Promise<Cluster & { processes: [HubProcess, HubProcess, HubProcess] }> {
    const started = await startCluster(3, payers);
    cleanups.push(started.stop);
    return started as Cluster & { processes: [HubProcess, HubProcess, HubProcess] };
  }
  async function client(hub: HubProcess, label: string): Promise<RawClient> {
    const c = await connect(hub, label);
    cleanups.push(() => c.close());
    return c;
  }

  it('one invoice paid through process A, then through process B by another payer: B refuses it INVOICE_ALREADY_PAID', async () => {
    const { processes, merchant } = await cluster(['first payer', 'second payer']);
    const [a, b] = processes;
    expect(b.hubId).toBe(a.hubId);
    const [ca, cb] = [await client(a, 'first payer'), await client(b, 'second payer')];
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

  it('a payer moves A -> B, pays, goes back to A (still connected): every request answered, A serves the channel as B left it, close completes', async () => {
    const { processes, merchant } = await cluster(['mover']);
    const [a, b, c] = processes;
    const onA = await client(a, 'mover');
    let channel = await openRaw(onA, 10_000n);
    const pay = async (on: RawClient, where: string, amount: bigint) => {
      const frame = frameFor(on.domain, channel, [merchant.request(amount)], on.signer);
      on.send(frame);
      expect(outcome(await within(answerBoundMs, `seq ${frame.seq} through ${where}`, on.next()))).toBe('receipts');
      channel = advance(channel, frame);
    };
    await pay(onA, 'A', 1n);
    await pay(onA, 'A', 2n);
    // A's connection stays open, its memory at seq 2.
    const onB = await client(b, 'mover');
    await pay(onB, 'B', 3n);
    await pay(onB, 'B', 4n);
    await pay(onA, 'A again', 5n);
    const state = await within(answerBoundMs, 'sync through A', syncState(onA, channel));
    expect([state.seq, state.cumulative]).toEqual([5, 15n]);
    // And once more on B, whose memory is at seq 4, then on C, which never served it.
    await pay(onB, 'B again', 6n);
    const onC = await client(c, 'mover');
    await pay(onC, 'C', 7n);
    const { channelId, seq, cumulative, logHead } = channel;
    onA.send({ type: 'close', id: 7, ...signClose(onA.domain, { channelId, seq, cumulative, logHead }, onA.signer) });
    const closed = await within(answerBoundMs, 'close through A', onA.next());
    expect(closed.type === 'state' && closed.state.status).toBe('closed');
    const seen = await within(answerBoundMs, 'sync through B', syncState(onB, channel));
    expect([seen.seq, seen.cumulative, seen.status]).toEqual([7, 28n, 'closed']);
  }, 90_000);
});
