/**
 * Failover of a hub cluster (ADR 0231) with real processes: three hub processes on one
 * PostgreSQL under load from several payers; one is SIGKILLed each round and started
 * again. Its payers reconnect to another process, which serves their channels once the
 * dead process's leases expire. Checked every round: every request is answered (or its
 * connection drops) within `answerBoundMs`; no acknowledged payment is lost; no invoice
 * is paid twice; each channel's state equals its stored vouchers.
 *
 * Rounds: `TRICKLE_FAILOVER_ROUNDS` (default 3, about a minute in CI), e.g.
 * `TRICKLE_FAILOVER_ROUNDS=20 pnpm exec vitest run test/hub/failover.test.ts`.
 */
import { type ClientChannel, type HubMessage, type PaymentRequest, toHex } from '@trickle/protocol';
import { type HubProcess, postgresQuery, type RawClient } from '@trickle/testing/harness';
import { afterAll, describe, expect, it } from 'vitest';
import { answerBoundMs, type Cluster, connect, startCluster, within } from './clusterProcesses.js';
import { advance, frameFor, openRaw, syncState } from './rawChannel.js';

const rounds = Number(process.env.TRICKLE_FAILOVER_ROUNDS ?? 3);
const payersCount = 6;
const paymentsPerRound = 6;

interface Payer {
  readonly label: string;
  client: RawClient;
  channel: ClientChannel;
  /** Invoices acknowledged with receipts, by seq. */
  readonly acked: Map<number, PaymentRequest>;
  nextId: number;
}

/** The next message, or 'closed' when the connection drops first (its process died). */
function answerOf(client: RawClient): Promise<HubMessage | 'closed'> {
  return Promise.race([client.next(), client.closed.then(() => 'closed' as const)]);
}

describe(`failover: three hub processes, one SIGKILLed per round (${rounds} rounds)`, () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it(
    'loses no acknowledged payment, pays no invoice twice, leaves no request unanswered',
    async () => {
      const labels = Array.from({ length: payersCount }, (_, i) => `failover payer ${i}`);
      cluster = await startCluster(3, labels);
      const { merchant } = cluster;
      const killed = new Set<HubProcess>();
      let reconnects = 0;
      const live = () => cluster?.processes.filter((p) => !killed.has(p)) ?? [];
      const payers: Payer[] = [];
      for (const [i, label] of labels.entries()) {
        const client = await connect(cluster.processes[i % 3] as HubProcess, label);
        payers.push({ label, client, channel: await openRaw(client, 100_000n), acked: new Map(), nextId: 1000 });
      }

      /** After a dropped connection: another live process, and the channel as the cluster has it. */
      async function reconnect(payer: Payer): Promise<void> {
        const choices = live();
        payer.client = await connect(choices[Math.floor(Math.random() * choices.length)] as HubProcess, payer.label);
        const state = await within(
          answerBoundMs,
          `${payer.label}: sync after reconnect`,
          syncState(payer.client, payer.channel),
        );
        const { seq, cumulative, logHead } = state;
        payer.channel = { ...payer.channel, seq, cumulative, logHead };
      }

      async function payOnce(payer: Payer): Promise<void> {
        const request = merchant.request(1n);
        const frame = frameFor(payer.client.domain, payer.channel, [request], payer.client.signer);
        payer.client.send(frame);
        const answer = await within(answerBoundMs, `${payer.label}: seq ${frame.seq}`, answerOf(payer.client));
        if (answer !== 'closed' && answer.type === 'receipts') {
          payer.acked.set(frame.seq, request);
          payer.channel = advance(payer.channel, frame);
          return;
        }
        if (answer === 'closed') {
          reconnects++;
          await reconnect(payer); // the voucher may or may not have become durable: the state says
          return;
        }
        // Refused while a lease moved (CHANNEL_BUSY, INTERNAL: retryable): take the cluster's state.
        expect(
          answer.type === 'reject' && ['CHANNEL_BUSY', 'INTERNAL', 'SEQ_GAP'].includes(answer.code),
          JSON.stringify(answer, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
        ).toBe(true);
        const state = await within(answerBoundMs, `${payer.label}: sync`, syncState(payer.client, payer.channel));
        payer.channel = { ...payer.channel, seq: state.seq, cumulative: state.cumulative, logHead: state.logHead };
      }

      for (let round = 0; round < rounds; round++) {
        const victim = live()[round % 3] as HubProcess;
        killed.add(victim);
        const load = Promise.all(
          payers.map(async (payer) => {
            for (let k = 0; k < paymentsPerRound; k++) await payOnce(payer);
          }),
        );
        // In the middle of the load: a crash.
        await new Promise((resolve) => setTimeout(resolve, 200));
        victim.child.kill('SIGKILL');
        await victim.exited;
        await load;
        await cluster.spawn();
      }

      // Every acknowledged payment is in the cluster's state, and the state is what was paid.
      for (const payer of payers) {
        payer.client.close();
        const onAny = await connect(live()[0] as HubProcess, payer.label);
        const state = await within(answerBoundMs, `${payer.label}: final sync`, syncState(onAny, payer.channel));
        onAny.close();
        for (const seq of payer.acked.keys()) expect(seq).toBeLessThanOrEqual(state.seq);
        expect(state.cumulative).toBe(BigInt(state.seq)); // one unit per accepted voucher
        expect(payer.acked.size).toBeGreaterThan(0);
        const stored = await postgresQuery(
          `SELECT count(*)::int AS n FROM ${cluster.schema}.vouchers WHERE channel_id = $1`,
          [Buffer.from(payer.channel.channelId)],
        );
        expect(stored.rows[0].n).toBe(state.seq);
        for (const [seq, request] of payer.acked) {
          const entry = await postgresQuery(
            `SELECT seq FROM ${cluster.schema}.entries WHERE channel_id = $1 AND invoice_id = $2`,
            [Buffer.from(payer.channel.channelId), Buffer.from(request.invoiceId)],
          );
          expect(
            entry.rows.map((row) => Number(row.seq)),
            `${payer.label} ${toHex(request.invoiceId)}`,
          ).toEqual([seq]);
        }
      }
      // Payers of every killed process were moved over (their connections dropped).
      expect(reconnects).toBeGreaterThanOrEqual(rounds);
      // No invoice paid twice, across every channel and process.
      const twice = await postgresQuery(
        `SELECT payee, invoice_id FROM ${cluster.schema}.entries GROUP BY payee, invoice_id HAVING count(*) > 1`,
      );
      expect(twice.rows).toEqual([]);
    },
    30_000 + rounds * 30_000,
  );
});
