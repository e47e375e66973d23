/**
 * Floods against a hub in its own process, and what an honest wallet sees meanwhile: its
 * payments' p50 and p99 (each one a pay() through the hub, made durable before the receipt)
 * in calm, with idle authenticated sockets held open, under connection churn, and under a
 * flood of invalid signatures; plus the hub's resident memory per idle socket. The attacks
 * run in a second child process (`--attacker`), so the wallet's measurements share no
 * event loop with them. Reports timings; asserts none (the CI test is
 * packages/testing/test/flood.test.ts).
 *
 * Reproduce: node --import tsx bench/flood/flood.ts [--quick] [--sockets <n>] [--payments <n>] [--concurrency <n>]
 *   [--limits <json>]   (overrides of the hub's limits, e.g. '{"authFailuresPerAddressMax":1000000000}'
 *                        to see the floods without the failed-auth budget of ADR 0226)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { badSignatureFlood, churnConnections, openIdleSockets } from '@trickle/testing';
import { figuresFile } from '../support/figures.js';
import { startPayingHub } from '../support/payingHub.js';
import { cpuMs } from '../support/processFigures.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sockets: { type: 'string' },
    payments: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    attacker: { type: 'string' },
    url: { type: 'string' },
    json: { type: 'string' },
    limits: { type: 'string' },
  },
});
/**
 * Loopback addresses to spread `count` sockets over, under the hub's 64 per address; each
 * flood has its own block (`127.<block>.x.y`), so an address the hub refuses after one
 * flood starts the next one fresh. The honest wallet connects from 127.0.0.1.
 */
const addressesFor = (count: number, block: number) =>
  Array.from({ length: Math.ceil(count / 60) + 1 }, (_, i) => `127.${block}.${Math.floor(i / 250)}.${(i % 250) + 2}`);
const blocks: Record<string, number> = { idle: 1, churn: 2, badsig: 3 };

if (values.attacker !== undefined) {
  await attacker(values.attacker, values.url as string);
} else {
  await main();
}

/** The attacker process: runs one flood until SIGTERM, then prints its report. */
async function attacker(kind: string, url: string): Promise<void> {
  const stop = new AbortController();
  process.on('SIGTERM', () => stop.abort());
  const concurrency = Number(values.concurrency);
  if (kind === 'idle') {
    const count = Number(values.sockets);
    const idle = await openIdleSockets({ url, localAddresses: addressesFor(count, blocks.idle as number) }, count, {
      authenticate: true,
    });
    process.stdout.write(`ready ${JSON.stringify(idle.report)}\n`);
    await new Promise((resolve) => stop.signal.addEventListener('abort', resolve));
    idle.close();
    process.exit(0);
  }
  const source = { url, localAddresses: addressesFor(concurrency * 4, blocks[kind] as number) };
  process.stdout.write('ready {}\n');
  const report =
    kind === 'churn'
      ? await churnConnections(source, concurrency, stop.signal)
      : await badSignatureFlood(source, concurrency, stop.signal);
  process.stdout.write(`done ${JSON.stringify(report)}\n`);
  process.exit(0);
}

interface Attacker {
  readonly child: ChildProcess;
  readonly ready: Promise<string>;
  readonly done: Promise<string>;
}

function startAttacker(kind: string, url: string, extra: string[] = []): Attacker {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--attacker', kind, '--url', url, ...extra],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const lines: ((line: string) => void)[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (let end = out.indexOf('\n'); end !== -1; end = out.indexOf('\n')) {
      const line = out.slice(0, end);
      out = out.slice(end + 1);
      lines.shift()?.(line);
    }
  });
  const next = () => new Promise<string>((resolve) => lines.push(resolve));
  const ready = next();
  const done = ready.then(() => next());
  return { child, ready, done };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

async function main(): Promise<void> {
  const sockets = Number(values.sockets ?? (values.quick ? 300 : 2_000));
  const payments = Number(values.payments ?? (values.quick ? 100 : 500));
  const limits = values.limits === undefined ? undefined : (JSON.parse(values.limits) as Record<string, number>);
  const target = await startPayingHub(100_000_000n, limits === undefined ? {} : { limits });
  const url = target.hub.url;
  try {
    const hubPid = target.hub.child.pid as number;
    /** The honest wallet's `count` payments, and the CPU the hub (and the attacker) used meanwhile, in ms per second. */
    const measure = async (count: number, attackerPid?: number) => {
      const times: number[] = [];
      const began = { wall: performance.now(), hub: cpuMs(hubPid), attacker: attackerPid && cpuMs(attackerPid) };
      for (let i = 0; i < count; i++) {
        const start = performance.now();
        await target.pay();
        times.push(performance.now() - start);
      }
      const seconds = (performance.now() - began.wall) / 1000;
      times.sort((a, b) => a - b);
      return {
        p50: quantile(times, 0.5),
        p99: quantile(times, 0.99),
        hubCpu: (cpuMs(hubPid) - began.hub) / seconds,
        attackerCpu: attackerPid ? (cpuMs(attackerPid) - (began.attacker as number)) / seconds : undefined,
      };
    };
    await measure(50); // warm up
    const rows: {
      phase: string;
      p50: number;
      p99: number;
      hubCpu: number;
      attackerCpu?: number | undefined;
      note: string;
    }[] = [];
    const calm = await measure(payments);
    rows.push({ phase: 'calm', ...calm, note: '' });

    const rssBefore = target.rssMiB();
    const idle = startAttacker('idle', url, ['--sockets', String(sockets)]);
    const idleReport = JSON.parse((await idle.ready).slice('ready '.length)) as { connections: number };
    const rssAfter = target.rssMiB();
    const perSocketKiB = ((rssAfter - rssBefore) * 1024) / Math.max(1, idleReport.connections);
    rows.push({
      phase: `${idleReport.connections} idle authenticated sockets`,
      ...(await measure(payments, idle.child.pid)),
      note: `hub RSS ${rssBefore.toFixed(1)} -> ${rssAfter.toFixed(1)} MiB, ${perSocketKiB.toFixed(1)} KiB per socket`,
    });
    idle.child.kill('SIGTERM');
    await new Promise((resolve) => idle.child.once('exit', resolve));

    for (const kind of ['churn', 'badsig'] as const) {
      const flood = startAttacker(kind, url, ['--concurrency', values.concurrency as string]);
      await flood.ready;
      const measured = await measure(payments, flood.child.pid);
      flood.child.kill('SIGTERM');
      const report = JSON.parse((await flood.done).slice('done '.length)) as {
        connections: number;
        refused: number;
        frames: number;
      };
      rows.push({
        phase:
          kind === 'churn'
            ? `connection churn, ${values.concurrency} at a time`
            : `invalid auth signatures, ${values.concurrency} at a time`,
        ...measured,
        note:
          kind === 'churn'
            ? `${report.connections} connections opened and dropped, ${report.refused} refused`
            : `${report.frames} invalid signatures sent and refused, ${report.refused} connections refused before`,
      });
    }
    rows.push({ phase: 'calm again', ...(await measure(payments)), note: '' });

    console.log(
      `# Floods against a hub process (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)}, ${payments} payments per phase${values.limits === undefined ? '' : `, limits ${values.limits}`})\n`,
    );
    console.log('| phase | honest p50 | honest p99 | p99 / calm p99 | hub CPU | attacker CPU | |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    const perSecond = (ms: number | undefined) => (ms === undefined ? '' : `${Math.round(ms)} ms/s`);
    for (const row of rows) {
      console.log(
        `| ${row.phase} | ${row.p50.toFixed(2)} ms | ${row.p99.toFixed(2)} ms | ${(row.p99 / calm.p99).toFixed(2)}x | ${perSecond(row.hubCpu)} | ${perSecond(row.attackerCpu)} | ${row.note} |`,
      );
    }
    const out = figuresFile(process.argv.slice(2));
    const [, idleRow, churnRow, badRow] = rows;
    const vsCalm = { label: 'calm hub', value: calm.p99 };
    if (idleRow !== undefined)
      out.add(
        {
          // P6: connected idle wallets (one generator process holds the sockets, spread over loopback addresses).
          id: 'P6.p99',
          label: `P6 a paying wallet's p99 with ${idleRow.phase} (target: 2x the calm hub's)`,
          value: idleRow.p99,
          unit: 'ms',
          target: { op: '<=', value: 2 * calm.p99 },
          baseline: vsCalm,
        },
        {
          id: 'P6.rss',
          label: `P6 hub RSS with ${idleRow.phase}`,
          value: rssAfter,
          unit: 'MiB',
          target: { op: '<=', value: 1024 },
          baseline: { label: 'hub before they connected', value: rssBefore },
        },
      );
    // Issue 10: under floods a paying wallet's p99 stays within 2x of calm (ADR 0226).
    for (const [id, row] of [
      ['flood.churnP99', churnRow],
      ['flood.badSignatureP99', badRow],
    ] as const) {
      if (row === undefined) continue;
      out.add({
        id,
        label: `a wallet's p99 under ${row.phase} (target: 2x the calm hub's)`,
        value: row.p99,
        unit: 'ms',
        target: { op: '<=', value: 2 * calm.p99 },
        baseline: vsCalm,
      });
    }
    out.add({
      id: 'flood.idleSocketKiB',
      label: 'hub RSS per idle authenticated socket',
      value: perSocketKiB,
      unit: 'KiB',
    });
    out.write('flood');
  } finally {
    await target.close();
  }
}
