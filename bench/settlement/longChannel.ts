/**
 * Settlement at any size (issue 9), through a real hub in its own process on its default
 * SQLite store and ledger, with its default settlement policy:
 *
 * (a) One channel paid N payments (default 1,000,000; vouchers of 128 presigned entries
 *     from a raw client, resending what the hub asks to retry while its claims catch up),
 *     then closed cooperatively: the close's time (from the `close` frame to the hub's
 *     answer) and the hub's peak resident memory during the close (the peak is reset just
 *     before). Target: within 5 s, memory bounded by a page, not by the history.
 *     Baseline in the same run: the same with a channel of B payments (default 10,000),
 *     which fits one page, on a hub of its own.
 *     Worst case: a channel of 50,000 payments (`unclaimedEntriesMax`, the most a channel
 *     may hold unclaimed) paid with the hub's scheduler paused, so the close claims them all.
 * (b) The hub's start-up with N paid invoices on disk (the same data folder, the hub
 *     restarted): time from spawn to listening, and resident memory once listening, as the
 *     median of 3 starts; baseline: the same on the B-payment data folder, and on an empty one.
 *
 * After the close, with the hub stopped, the ledger is opened on its file: the channel is
 * finalized at its last voucher, the merchant holds gross minus fee, the payer the rest,
 * and the ledger's totals are conserved; with --audit, the full audit too (it re-reads every
 * entry: slow for a million). Never asserts a timing.
 *
 * Reproduce: node --import tsx bench/settlement/longChannel.ts [--quick] [--payments <n>] [--baseline <n>] [--worst <n>] [--audit] [--json <file>]
 * (--quick: 100,000 payments, baseline 10,000, worst case 5,000, one start each, with the audit.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sqliteLedger } from '@trickle/ledger/sqlite';
import {
  createSecretKey,
  deriveMerchantKey,
  feeOf,
  fromHex,
  type HubId,
  type PublicKey,
  payeeIdFromKey,
  publicKeyOf,
  signClose,
  toHex,
} from '@trickle/protocol';
import {
  expectConserved,
  type HubProcess,
  openRawChannel,
  payFrames,
  presignPayments,
  rawClient,
  spawnHub,
} from '@trickle/testing/harness';
import { figuresFile, numberArg } from '../support/figures.js';
import { count, machine, peakRssMiB, resetPeakRss, revision, rssMiB } from '../support/processFigures.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const audit = quick || argv.includes('--audit');
const payments = numberArg(argv, '--payments', quick ? 100_000 : 1_000_000);
const baselinePayments = numberArg(argv, '--baseline', 10_000);
/** The most entries a channel may hold unclaimed (the hub's `unclaimedEntriesMax`): the worst close. */
const worstUnclaimed = numberArg(argv, '--worst', quick ? 5_000 : 50_000);
const out = figuresFile(argv);
const root = fileURLToPath(new URL('../..', import.meta.url));
const networkId = 5;
const feePpm = 10_000;
const price = 1n;
const perVoucher = 128;
const starts = quick ? 1 : 3;
const progress = (line: string) => process.stderr.write(`${line}\n`);
// The hub processes run with a collectable heap, so their figures can count live objects only.
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim();
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

interface Closed {
  readonly payments: number;
  readonly payMs: number;
  readonly closeMs: number;
  readonly rssBeforeCloseMiB: number;
  readonly peakCloseMiB: number;
  readonly peakWhilePayingMiB: number;
  readonly backlogAtClose: { entries: number };
  /** The hub's live heap after paying (collected first), in MiB. */
  readonly heapAfterPayingMiB: number;
  readonly checks: string;
  readonly dir: string;
}

/** Pays `n` payments on one channel of a fresh hub (with `settlement`, its policy) and closes it. */
async function payAndClose(n: number, settlement?: Record<string, number | string | boolean>): Promise<Closed> {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-bench-settle-'));
  const merchantKey = createSecretKey(random);
  const payer = createSecretKey(random);
  const deposit = BigInt(n) * price + 1_000n;
  let hub: HubProcess | undefined = await spawnHub({
    dataDir: dir,
    networkId,
    feePpm,
    merchants: [toHex(publicKeyOf(merchantKey))],
    fund: [{ clientKey: toHex(publicKeyOf(payer)), amount: (deposit * 2n).toString() }],
    ...(settlement === undefined ? {} : { settlement }),
  });
  try {
    const pid = hub.child.pid as number;
    const hubKey = fromHex(hub.publicKey, 33) as PublicKey;
    const hubId = fromHex(hub.hubId, 32) as HubId;
    const payee = payeeIdFromKey(publicKeyOf(merchantKey));
    const macKey = deriveMerchantKey({ secretKey: merchantKey, peerKey: hubKey, networkId, hubId, payeeId: payee });
    const client = await rawClient(hub.url, payer);
    const opened = await openRawChannel(client, deposit);
    const presigned = presignPayments(
      client.domain,
      opened,
      client.signer,
      { payee, macKey },
      {
        count: n,
        amount: price,
        perVoucher,
        nowMs: Date.now(),
      },
    );
    progress(`paying ${count(n)} payments...`);
    const payStart = performance.now();
    await payFrames(client, presigned.frames, 32);
    const payMs = performance.now() - payStart;
    const channel = presigned.channel;
    const peakWhilePayingMiB = peakRssMiB(pid);
    const { backlog, memory } = await hub.stats();
    progress(`paid in ${(payMs / 1000).toFixed(1)} s; closing with ${JSON.stringify(backlog)} unclaimed`);

    resetPeakRss(pid);
    const rssBeforeCloseMiB = rssMiB(pid);
    const closeStart = performance.now();
    client.send({ type: 'close', id: 9, ...signClose(client.domain, channel, client.signer) });
    const answer = await client.next();
    const closeMs = performance.now() - closeStart;
    const peakCloseMiB = peakRssMiB(pid);
    if (answer.type !== 'state' || answer.state.status !== 'closed') {
      throw new Error(`close failed: ${JSON.stringify(answer, (_k, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
    }
    client.close();
    hub.child.kill('SIGTERM');
    await hub.exited;
    hub = undefined;

    // The ledger, read on its file with the hub stopped.
    const ledger = await sqliteLedger({ filename: join(dir, 'ledger.sqlite'), domain: client.domain, feePpm });
    try {
      const held = await ledger.channel(channel.channelId);
      const gross = BigInt(n) * price;
      const merchant = (await ledger.payeeAccount(payee, { code: 'USD', scale: 6 }))?.balance;
      const payerBalance = (await ledger.payerAccount(client.signer.publicKey, { code: 'USD', scale: 6 }))?.balance;
      const settled =
        held?.finalizedAtMs !== undefined &&
        held.claimed.seq === channel.seq &&
        held.claimed.cumulative === gross &&
        merchant === gross - feeOf(gross, feePpm) &&
        payerBalance === deposit * 2n - gross;
      if (!settled) throw new Error(`the channel did not settle as paid: ${held?.claimed.seq} of ${channel.seq}`);
      // Throws naming what broke: conservation per asset, and with --audit the full audit.
      const auditStart = performance.now();
      await expectConserved(ledger, { audit });
      let checks = `finalized at seq ${count(channel.seq)}, ${count(gross)} paid, merchant ${count(merchant as bigint)} (gross - fee), payer refunded; conservation holds`;
      if (audit) checks += `; audit 0 mismatches (${((performance.now() - auditStart) / 1000).toFixed(1)} s)`;
      return {
        payments: n,
        payMs,
        closeMs,
        rssBeforeCloseMiB,
        peakCloseMiB,
        peakWhilePayingMiB,
        backlogAtClose: backlog as { entries: number },
        heapAfterPayingMiB: memory.heapUsed / 2 ** 20,
        checks,
        dir,
      };
    } finally {
      await ledger.close();
    }
  } catch (error) {
    if (hub !== undefined) {
      hub.child.kill('SIGKILL');
      await hub.exited;
    }
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Starts a hub on `dir` `starts` times: medians of time to listening and resident memory then. */
async function startUp(dir: string): Promise<{ ms: number; rssMiB: number }> {
  const times: number[] = [];
  const memory: number[] = [];
  for (let i = 0; i < starts; i++) {
    const start = performance.now();
    const hub = await spawnHub({ dataDir: dir, networkId, feePpm });
    times.push(performance.now() - start);
    memory.push(rssMiB(hub.child.pid as number));
    hub.child.kill('SIGTERM');
    await hub.exited;
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return { ms: median(times), rssMiB: median(memory) };
}

const mib = (value: number) => `${value.toFixed(0)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const baseline = await payAndClose(baselinePayments);
  const long = await payAndClose(payments);
  progress(`worst case: ${count(worstUnclaimed)} unclaimed, the scheduler paused...`);
  const worst = await payAndClose(worstUnclaimed, { paused: true });
  const empty = mkdtempSync(join(tmpdir(), 'trickle-bench-settle-'));
  try {
    progress('starting hubs...');
    const startEmpty = await startUp(empty);
    const startBaseline = await startUp(baseline.dir);
    const startLong = await startUp(long.dir);

    const flags = [quick ? '--quick' : '', argv.includes('--payments') ? `--payments ${payments}` : '']
      .filter(Boolean)
      .join(' ');
    console.log('# Settlement at any size: a long channel closed, and start-up with its paid invoices on disk\n');
    console.log(`${startedAt}, ${machine()}`);
    console.log(`Tree: ${revision(root)}. The machine was shared with other work: timings are noisy.`);
    console.log(`Reproduce: node --import tsx bench/settlement/longChannel.ts ${flags}`.trimEnd());
    console.log(
      `\nA hub process on its default SQLite store and ledger and default settlement policy (claims of up to 10,000 entries, at most 50,000 unclaimed per channel), fee ${feePpm} ppm; one channel paid ${perVoucher} presigned payments of ${price} per voucher by a raw client, then closed cooperatively. Peak memory: the hub process's VmHWM, reset just before the close.\n`,
    );
    console.log('## (a) Closing a long channel\n');
    console.log(
      '| channel | paying took | unclaimed at close | close took | hub RSS before close | hub peak RSS during close | hub peak RSS while paying | hub live heap after paying | target |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const [name, run] of [
      ['baseline', baseline],
      ['long', long],
      ['worst case, scheduler paused', worst],
    ] as const) {
      console.log(
        `| ${name}: ${count(run.payments)} payments | ${seconds(run.payMs)} (${count(Math.round((run.payments / run.payMs) * 1000))}/s) | ${count(run.backlogAtClose.entries)} entries | ${seconds(run.closeMs)} | ${mib(run.rssBeforeCloseMiB)} | ${mib(run.peakCloseMiB)} | ${mib(run.peakWhilePayingMiB)} | ${mib(run.heapAfterPayingMiB)} | ${name === 'baseline' ? '' : 'close within 5 s; peak bounded by a page'} |`,
      );
    }
    console.log(
      `\nThe long channel's close took ${(long.closeMs / baseline.closeMs).toFixed(1)}x the baseline's and its peak during the close was ${(long.peakCloseMiB - long.rssBeforeCloseMiB).toFixed(0)} MiB above its resident memory before it (baseline: ${(baseline.peakCloseMiB - baseline.rssBeforeCloseMiB).toFixed(0)} MiB), for ${(long.payments / baseline.payments).toFixed(0)}x the history.\n`,
    );
    console.log(
      `## (b) Hub start-up with the paid invoices on disk (median of ${starts} start${starts === 1 ? '' : 's'})\n`,
    );
    console.log('| data folder | paid invoices on disk | start to listening | RSS once listening |');
    console.log('| --- | --- | --- | --- |');
    console.log(`| empty | 0 | ${Math.round(startEmpty.ms)} ms | ${mib(startEmpty.rssMiB)} |`);
    console.log(
      `| baseline | ${count(baseline.payments)} | ${Math.round(startBaseline.ms)} ms | ${mib(startBaseline.rssMiB)} |`,
    );
    console.log(`| long | ${count(long.payments)} | ${Math.round(startLong.ms)} ms | ${mib(startLong.rssMiB)} |`);
    console.log('\n## Checks (the ledger read after each close, the hub stopped)\n');
    console.log(`- baseline: ${baseline.checks}`);
    console.log(`- long: ${long.checks}`);
    console.log(`- worst case: ${worst.checks}`);
    const closeBaseline = { label: `close of ${count(baseline.payments)} payments`, value: baseline.closeMs / 1000 };
    const peakAbove = (run: Closed) => run.peakCloseMiB - run.rssBeforeCloseMiB;
    out.add(
      {
        id: 'P10.close',
        label: `Close of a ${count(long.payments)}-payment channel (${count(long.backlogAtClose.entries)} unclaimed)`,
        value: long.closeMs / 1000,
        unit: 's',
        target: { op: '<=', value: 5 },
        baseline: closeBaseline,
      },
      {
        id: 'P10.closeWorst',
        label: `Close with ${count(worst.backlogAtClose.entries)} unclaimed entries (scheduler paused)`,
        value: worst.closeMs / 1000,
        unit: 's',
        target: { op: '<=', value: 5 },
        baseline: closeBaseline,
      },
      {
        id: 'P10.closePeak',
        label: 'Hub peak RSS during the long close, above RSS before it',
        value: peakAbove(long),
        unit: 'MiB',
        baseline: { label: `the ${count(baseline.payments)}-payment close`, value: peakAbove(baseline) },
      },
      {
        id: 'P10.closePeakWorst',
        label: 'Hub peak RSS during the worst-case close, above RSS before it',
        value: peakAbove(worst),
        unit: 'MiB',
        baseline: { label: `the ${count(baseline.payments)}-payment close`, value: peakAbove(baseline) },
      },
    );
    out.write('longChannel');
  } finally {
    for (const dir of [empty, baseline.dir, long.dir, worst.dir]) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
