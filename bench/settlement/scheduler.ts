/**
 * The settlement scheduler is never on the payment path (issue 9, point 3): a wallet's
 * payment latency (p50, p99 of `wallet.pay()` through a hub process, each one signed,
 * verified, made durable and receipted) while other channels are paid in the background,
 * with the hub's scheduler off and with it claiming all the time.
 *
 * - off (the baseline): `settlement: { paused: true, intervalMs: 1 day }`: no run at all.
 * - on: `settlement: { intervalMs: 1_000, unclaimedAmountMax: 100 }`: a sane pace, the
 *   default run every second, claiming each background channel every few seconds.
 * - busy: `settlement: { intervalMs: 100, unclaimedAmountMax: 1 }`: a run every 100 ms that
 *   claims every channel with anything unclaimed (the most the scheduler can be asked to do).
 *
 * The same in each: a fresh hub process; K background channels (raw clients), each sending
 * a voucher of E presigned payments every P ms and waiting for its receipt; the wallet pays
 * M payments one after another. Phases alternate off, on (twice in the full run). After
 * each phase the hub reports its settlement backlog and last run (claimed while "on",
 * nothing while "off"). Never asserts a timing.
 *
 * Reproduce: node --import tsx bench/settlement/scheduler.ts [--quick] [--payments <m>] [--json <file>]
 * (--quick: 100 payments; full: 500 payments; one round of off, on, busy.)
 */
import { fileURLToPath } from 'node:url';
import {
  createSecretKey,
  deriveMerchantKey,
  fromHex,
  type HubId,
  type PublicKey,
  payeeIdFromKey,
  publicKeyOf,
  type SecretKey,
} from '@trickle/protocol';
import {
  openRawChannel,
  type PresignedFrame,
  presignPayments,
  type RawClient,
  rawClient,
} from '@trickle/testing/harness';
import { percentile } from '../hotpath/harness.js';
import { figuresFile, numberArg } from '../support/figures.js';
import { startPayingHub } from '../support/payingHub.js';
import { count, machine, revision } from '../support/processFigures.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const payments = numberArg(argv, '--payments', quick ? 100 : 500);
const out = figuresFile(argv);
/** Background channels, entries per voucher, ms between vouchers per channel. */
const background = { channels: 8, perVoucher: 16, everyMs: 50 };
const root = fileURLToPath(new URL('../..', import.meta.url));
const networkId = 5;
const progress = (line: string) => process.stderr.write(`${line}\n`);
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const policies = {
  off: { paused: true, intervalMs: 86_400_000 },
  on: { intervalMs: 1_000, unclaimedAmountMax: '100' },
  busy: { intervalMs: 100, unclaimedAmountMax: '1' },
} as const;
type Phase = keyof typeof policies;

interface Measured {
  readonly phase: Phase;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly backgroundVouchers: number;
  readonly backlogEntries: number;
  readonly lastRun: string;
}

/** Sends one voucher, waits for its receipt, keeps to one voucher every `everyMs`, until `stop`. */
async function pace(client: RawClient, frames: Iterator<PresignedFrame>, stop: () => boolean): Promise<number> {
  let sent = 0;
  while (!stop()) {
    const started = performance.now();
    const step = frames.next();
    if (step.done === true) break;
    client.send(step.value);
    const answer = await client.next();
    if (answer.type !== 'receipts') throw new Error(`background payment: ${answer.type}`);
    sent++;
    await sleep(Math.max(0, background.everyMs - (performance.now() - started)));
  }
  return sent;
}

async function measure(phase: Phase): Promise<Measured> {
  const payers: SecretKey[] = Array.from({ length: background.channels }, () => createSecretKey(random));
  const target = await startPayingHub(1_000_000_000n, { settlement: policies[phase], payers });
  try {
    const hubKey = fromHex(target.hub.publicKey, 33) as PublicKey;
    const hubId = fromHex(target.hub.hubId, 32) as HubId;
    const payee = payeeIdFromKey(publicKeyOf(target.merchantKey));
    const macKey = deriveMerchantKey({
      secretKey: target.merchantKey,
      peerKey: hubKey,
      networkId,
      hubId,
      payeeId: payee,
    });
    const clients = await Promise.all(payers.map((key) => rawClient(target.hub.url, key)));
    const streams = await Promise.all(
      clients.map(async (client) => {
        const opened = await openRawChannel(client, 1_000_000_000n);
        return presignPayments(
          client.domain,
          opened,
          client.signer,
          { payee, macKey },
          {
            count: 1_000_000,
            amount: 1n,
            perVoucher: background.perVoucher,
            nowMs: Date.now(),
          },
        ).frames[Symbol.iterator]();
      }),
    );
    for (let i = 0; i < 50; i++) await target.pay(); // warm-up
    let stopped = false;
    const load = clients.map((client, i) => pace(client, streams[i] as Iterator<PresignedFrame>, () => stopped));
    await sleep(500); // the background and (when on) the scheduler under way
    const times: number[] = [];
    for (let i = 0; i < payments; i++) {
      const start = performance.now();
      await target.pay();
      times.push(performance.now() - start);
    }
    stopped = true;
    const backgroundVouchers = (await Promise.all(load)).reduce((a, b) => a + b, 0);
    const { backlog, lastRun } = await target.hub.stats();
    for (const client of clients) client.close();
    times.sort((a, b) => a - b);
    const run = lastRun as { claimed?: { channels: number; entries: number }; durationMs?: number } | undefined;
    return {
      phase,
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      max: times[times.length - 1] as number,
      backgroundVouchers,
      backlogEntries: (backlog as { entries: number }).entries,
      lastRun:
        run?.claimed === undefined
          ? 'no run'
          : `${run.claimed.channels} channels, ${count(run.claimed.entries)} entries claimed in ${run.durationMs} ms`,
    };
  } finally {
    await target.close();
  }
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const results: Measured[] = [];
  for (const phase of ['off', 'on', 'busy'] as const) {
    progress(`scheduler ${phase}...`);
    results.push(await measure(phase));
  }
  const flags = [quick ? '--quick' : '', argv.includes('--payments') ? `--payments ${payments}` : '']
    .filter(Boolean)
    .join(' ');
  console.log('# The settlement scheduler and payment latency\n');
  console.log(`${startedAt}, ${machine()}`);
  console.log(`Tree: ${revision(root)}. The machine was shared with other work: timings are noisy.`);
  console.log(`Reproduce: node --import tsx bench/settlement/scheduler.ts ${flags}`.trimEnd());
  console.log(
    `\nA hub process on its default SQLite store and ledger; ${background.channels} background channels, each a voucher of ${background.perVoucher} payments every ${background.everyMs} ms (about ${count((background.channels * background.perVoucher * 1000) / background.everyMs)} payments/s); a wallet pays ${count(payments)} payments one after another. Scheduler off: paused, no runs (the baseline). On (a sane pace): a run every second claiming channels with 100 units unclaimed. Busy: a run every 100 ms claiming every channel with anything unclaimed.\n`,
  );
  console.log(
    '| scheduler | wallet p50 | wallet p99 | max | p99 / off p99 | background vouchers | unclaimed entries at the end | last run |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const off = results[0] as Measured;
  for (const r of results) {
    console.log(
      `| ${r.phase} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.max.toFixed(1)} ms | ${(r.p99 / off.p99).toFixed(2)}x | ${count(r.backgroundVouchers)} | ${count(r.backlogEntries)} | ${r.lastRun} |`,
    );
  }
  for (const r of results.slice(1)) {
    out.add({
      id: `P11.p99.${r.phase}`,
      label: `Wallet payment p99 with the scheduler ${r.phase === 'on' ? 'on (a run per second)' : 'busy (a run per 100 ms, claiming everything)'}`,
      value: r.p99,
      unit: 'ms',
      baseline: { label: 'scheduler off', value: off.p99 },
    });
  }
  out.write('scheduler');
}

await main();
