/**
 * P5 of docs/benchmarks.md: hub memory per known channel (target <= 250 bytes at 1,000,000).
 *
 * Fills a hub data folder's channel store directly (the SQLite store's own `commit`, in large
 * batches: far faster than opening channels over the wire), then starts a hub process on it and
 * on an empty folder, and compares their memory once listening, after a full garbage collection:
 * resident memory (RSS) and the live V8 heap, each divided by the channel count. The hub loads
 * every open channel at start (its lanes), so this is the memory of channels it knows.
 *
 * Reproduce: node --import tsx bench/memory/channels.ts [--quick] [--channels <n>] [--json <file>]
 * (--quick: 20,000 channels; default 1,000,000.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnHub } from '@trickle/testing/harness';
import { figuresFile } from '../support/figures.js';
import { count, machine, rssMiB } from '../support/processFigures.js';
import { fillChannelStore } from './fillChannels.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    channels: { type: 'string' },
    json: { type: 'string' },
  },
});
const channels = Number(values.channels ?? (values.quick ? 20_000 : 1_000_000));
if (!Number.isInteger(channels) || channels < 1) throw new Error('--channels: a positive integer');

/** A hub process on `dir`, once listening: RSS and live heap (MiB), and how long it took to start. */
async function measure(dir: string): Promise<{ rssMiB: number; heapMiB: number; startMs: number }> {
  const start = performance.now();
  const hub = await spawnHub({ dataDir: dir, networkId: 1 });
  const startMs = performance.now() - start;
  try {
    const { memory } = await hub.stats();
    return { rssMiB: rssMiB(hub.child.pid as number), heapMiB: memory.heapUsed / 2 ** 20, startMs };
  } finally {
    hub.child.kill('SIGTERM');
    await hub.exited;
  }
}

const progress = (line: string) => process.stderr.write(`${line}\n`);
// Live objects only: the hub collects before it reports its memory (SIGUSR1).
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim();

const empty = mkdtempSync(join(tmpdir(), 'trickle-bench-p5-empty-'));
const full = mkdtempSync(join(tmpdir(), 'trickle-bench-p5-'));
try {
  progress(`storing ${count(channels)} channels...`);
  const fillMs = await fillChannelStore(full, channels, progress);
  const idle = await measure(empty);
  const loaded = await measure(full);
  const rssPer = ((loaded.rssMiB - idle.rssMiB) * 2 ** 20) / channels;
  const heapPer = ((loaded.heapMiB - idle.heapMiB) * 2 ** 20) / channels;
  const flags = [values.quick ? '--quick' : '', values.channels === undefined ? '' : `--channels ${channels}`]
    .filter(Boolean)
    .join(' ');
  console.log('# P5: hub memory per known channel\n');
  console.log(machine());
  console.log(`Reproduce: node --import tsx bench/memory/channels.ts ${flags}`.trimEnd());
  console.log(
    `\n${count(channels)} open channels put in the SQLite channel store in ${Math.round(fillMs)} ms; a hub process started on it and on an empty folder, memory read after a full collection once listening.\n`,
  );
  console.log('| data folder | start to listening | hub RSS | hub live heap |');
  console.log('| --- | --- | --- | --- |');
  console.log(
    `| empty | ${Math.round(idle.startMs)} ms | ${idle.rssMiB.toFixed(1)} MiB | ${idle.heapMiB.toFixed(1)} MiB |`,
  );
  console.log(
    `| ${count(channels)} channels | ${Math.round(loaded.startMs)} ms | ${loaded.rssMiB.toFixed(1)} MiB | ${loaded.heapMiB.toFixed(1)} MiB |`,
  );
  console.log(
    `\nPer channel: ${Math.round(rssPer)} bytes of RSS, ${Math.round(heapPer)} bytes of live heap (target <= 250 bytes).`,
  );
  const out = figuresFile(process.argv.slice(2));
  out.add(
    {
      id: 'P5.rssPerChannel',
      label: `P5 hub RSS per known channel (${count(channels)} channels)`,
      value: rssPer,
      unit: 'bytes',
      target: { op: '<=', value: 250 },
    },
    {
      id: 'P5.heapPerChannel',
      label: `P5 hub live heap per known channel (${count(channels)} channels)`,
      value: heapPer,
      unit: 'bytes',
      target: { op: '<=', value: 250 },
    },
    {
      id: 'P5.start',
      label: `hub start with ${count(channels)} channels in its store`,
      value: loaded.startMs,
      unit: 'ms',
      baseline: { label: 'empty store', value: idle.startMs },
    },
  );
  out.write('channels');
} finally {
  rmSync(empty, { recursive: true, force: true });
  rmSync(full, { recursive: true, force: true });
}
