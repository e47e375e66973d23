/**
 * P5 of docs/benchmarks.md: hub memory per known channel (target <= 250 bytes at 1,000,000).
 *
 * Fills a hub data folder's channel store directly (the SQLite store's own `commit`, in large
 * batches: far faster than opening channels over the wire), then starts a hub process on it and
 * on an empty folder, and compares their memory after a full garbage collection: resident
 * memory (RSS) and the live V8 heap, each divided by the channel count. Measured twice on the
 * full folder: once listening (an idle start), and after traffic has touched more channels
 * than the hub's lane cache holds (`channelsCachedMax`, ADR 0419): `--touch` wallets (default
 * twice the bound) each connect, authenticate and `sync` their channel, which brings it into
 * memory (read back from the store), then disconnect. The figures after traffic are P5's.
 * `--cached <n>` sets the hub's bound (pnpm bench --quick: 500, so that 1,000 wallets exceed it).
 *
 * Reproduce: node --import tsx bench/memory/channels.ts [--quick] [--channels <n>] [--touch <n>] [--cached <n>] [--json <file>]
 * (--quick: 20,000 channels; default 1,000,000.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { channelsCachedMax } from '@trickle/hub';
import type { ChannelId } from '@trickle/protocol';
import { type HubProcess, rawClient, spawnHub } from '@trickle/testing/harness';
import { figuresFile } from '../support/figures.js';
import { count, machine, rssMiB } from '../support/processFigures.js';
import { channelOf, fillChannelStore, walletKeyOf } from './fillChannels.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    channels: { type: 'string' },
    touch: { type: 'string' },
    cached: { type: 'string' },
    json: { type: 'string' },
  },
});
const channels = Number(values.channels ?? (values.quick ? 20_000 : 1_000_000));
if (!Number.isInteger(channels) || channels < 1) throw new Error('--channels: a positive integer');
/** The hub's lane cache bound (`limits.channelsCachedMax`): the hub's default unless `--cached`. */
const cached = Number(values.cached ?? channelsCachedMax);
if (!Number.isInteger(cached) || cached < 1) throw new Error('--cached: a positive integer');
const limits = values.cached === undefined ? {} : { limits: { channelsCachedMax: cached } };
const touched = Number(values.touch ?? Math.min(channels, 2 * cached));
if (!Number.isInteger(touched) || touched < 0 || touched > channels) throw new Error('--touch: 0..channels');
/** Wallets speaking at once while touching. */
const touchConcurrency = 8;

/** The hub's RSS and live heap (MiB, after a full collection). */
async function memoryOf(hub: HubProcess): Promise<{ rssMiB: number; heapMiB: number }> {
  const { memory } = await hub.stats();
  return { rssMiB: rssMiB(hub.child.pid as number), heapMiB: memory.heapUsed / 2 ** 20 };
}

async function stopHub(hub: HubProcess): Promise<void> {
  hub.child.kill('SIGTERM');
  await hub.exited;
}

/** Wallets 0..touched-1 each connect, authenticate and sync their channel, then disconnect. */
async function touch(hub: HubProcess): Promise<number> {
  const start = performance.now();
  let next = 0;
  async function wallet(): Promise<void> {
    for (let i = next++; i < touched; i = next++) {
      const client = await rawClient(hub.url, walletKeyOf(i));
      try {
        client.send({ type: 'sync', id: 1, channelId: channelOf(i).channelId as ChannelId });
        const answer = await client.next();
        if (answer.type !== 'state') throw new Error(`wallet ${i}: ${JSON.stringify(answer.type)} to its sync`);
      } finally {
        client.close();
      }
      if (i % 5_000 === 0 && i > 0) progress(`${count(i)} channels touched...`);
    }
  }
  await Promise.all(Array.from({ length: touchConcurrency }, () => wallet()));
  // The hub lets the sessions go before it is measured.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  return performance.now() - start;
}

const progress = (line: string) => process.stderr.write(`${line}\n`);
// Live objects only: the hub collects before it reports its memory (SIGUSR1).
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim();

const empty = mkdtempSync(join(tmpdir(), 'trickle-bench-p5-empty-'));
const full = mkdtempSync(join(tmpdir(), 'trickle-bench-p5-'));
try {
  progress(`storing ${count(channels)} channels...`);
  const fillMs = await fillChannelStore(full, channels, progress, touched);
  let started = performance.now();
  const emptyHub = await spawnHub({ dataDir: empty, networkId: 1, ...limits });
  const emptyStartMs = performance.now() - started;
  const idle = await memoryOf(emptyHub);
  await stopHub(emptyHub);
  started = performance.now();
  const hub = await spawnHub({ dataDir: full, networkId: 1, ...limits });
  const startMs = performance.now() - started;
  let atStart: { rssMiB: number; heapMiB: number };
  let afterTraffic: { rssMiB: number; heapMiB: number };
  let touchMs: number;
  try {
    atStart = await memoryOf(hub);
    progress(`touching ${count(touched)} channels...`);
    touchMs = await touch(hub);
    afterTraffic = await memoryOf(hub);
  } finally {
    await stopHub(hub);
  }
  const per = (at: { rssMiB: number; heapMiB: number }) => ({
    rss: ((at.rssMiB - idle.rssMiB) * 2 ** 20) / channels,
    heap: ((at.heapMiB - idle.heapMiB) * 2 ** 20) / channels,
  });
  const startPer = per(atStart);
  const trafficPer = per(afterTraffic);
  const flags = [
    values.quick ? '--quick' : '',
    values.channels === undefined ? '' : `--channels ${channels}`,
    values.touch === undefined ? '' : `--touch ${touched}`,
    values.cached === undefined ? '' : `--cached ${cached}`,
  ]
    .filter(Boolean)
    .join(' ');
  console.log('# P5: hub memory per known channel\n');
  console.log(machine());
  console.log(`Reproduce: node --import tsx bench/memory/channels.ts ${flags}`.trimEnd());
  console.log(
    `\n${count(channels)} open channels put in the SQLite channel store in ${Math.round(fillMs)} ms; a hub process started on it and on an empty folder, memory read after a full collection once listening, and again after ${count(touched)} wallets (the hub caches ${count(cached)} idle open channels) each synced its channel over the wire (${Math.round(touchMs)} ms, ${touchConcurrency} at a time).\n`,
  );
  console.log('| data folder | start to listening | hub RSS | hub live heap |');
  console.log('| --- | --- | --- | --- |');
  console.log(
    `| empty | ${Math.round(emptyStartMs)} ms | ${idle.rssMiB.toFixed(1)} MiB | ${idle.heapMiB.toFixed(1)} MiB |`,
  );
  console.log(
    `| ${count(channels)} channels, at start | ${Math.round(startMs)} ms | ${atStart.rssMiB.toFixed(1)} MiB | ${atStart.heapMiB.toFixed(1)} MiB |`,
  );
  console.log(
    `| ${count(channels)} channels, after ${count(touched)} touched | | ${afterTraffic.rssMiB.toFixed(1)} MiB | ${afterTraffic.heapMiB.toFixed(1)} MiB |`,
  );
  console.log(
    `\nPer channel after traffic: ${Math.round(trafficPer.rss)} bytes of RSS, ${Math.round(trafficPer.heap)} bytes of live heap (target <= 250 bytes); at start: ${Math.round(startPer.rss)} and ${Math.round(startPer.heap)}.`,
  );
  const out = figuresFile(process.argv.slice(2));
  out.add(
    {
      id: 'P5.rssPerChannel',
      label: `P5 hub RSS per known channel (${count(channels)} channels, ${count(touched)} touched)`,
      value: trafficPer.rss,
      unit: 'bytes',
      target: { op: '<=', value: 250 },
    },
    {
      id: 'P5.heapPerChannel',
      label: `P5 hub live heap per known channel (${count(channels)} channels, ${count(touched)} touched)`,
      value: trafficPer.heap,
      unit: 'bytes',
      target: { op: '<=', value: 250 },
    },
    {
      id: 'P5.rssPerChannelAtStart',
      label: `P5 hub RSS per known channel at start (${count(channels)} channels, before traffic)`,
      value: startPer.rss,
      unit: 'bytes',
    },
    {
      id: 'P5.start',
      label: `hub start with ${count(channels)} channels in its store`,
      value: startMs,
      unit: 'ms',
      baseline: { label: 'empty store', value: emptyStartMs },
    },
  );
  out.write('channels');
} finally {
  rmSync(empty, { recursive: true, force: true });
  rmSync(full, { recursive: true, force: true });
}
