/**
 * What a known channel costs the hub, object by object: the profile behind P5 (hub memory
 * per known channel, docs/benchmarks.md). Starts a hub in this process on an empty data
 * folder and on one holding `--channels` open channels, takes a V8 heap snapshot of each
 * after a full collection, and prints the difference per channel grouped by what V8 calls
 * the objects (constructor or kind), largest first.
 *
 * Reproduce: node --expose-gc --import tsx bench/memory/channelHeap.ts [--channels <n>] (default 20,000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { getHeapSnapshot } from 'node:v8';
import { createHub } from '@trickle/hub';
import { count, machine } from '../support/processFigures.js';
import { fillChannelStore } from './fillChannels.js';

const { values } = parseArgs({ options: { channels: { type: 'string', default: '20000' } } });
const channels = Number(values.channels);
if (!Number.isInteger(channels) || channels < 1) throw new Error('--channels: a positive integer');
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

/** Bytes of live objects by kind (`type:name`, names of plain objects, arrays and code collapsed by type). */
async function heapByKind(): Promise<Map<string, { bytes: number; objects: number }>> {
  gc?.();
  let json = '';
  for await (const chunk of getHeapSnapshot()) json += chunk;
  const snapshot = JSON.parse(json) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const [types] = snapshot.snapshot.meta.node_types;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const kinds = new Map<string, { bytes: number; objects: number }>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt] ?? 0] ?? '?';
    // Strings, code and numbers are named by their content: group them by type alone.
    const named = type === 'object' || type === 'closure' || type === 'native' || type === 'array';
    const kind = named ? `${type}:${snapshot.strings[snapshot.nodes[i + nameAt] ?? 0]}` : type;
    const entry = kinds.get(kind) ?? { bytes: 0, objects: 0 };
    entry.bytes += snapshot.nodes[i + sizeAt] ?? 0;
    entry.objects++;
    kinds.set(kind, entry);
  }
  return kinds;
}

/** The heap of a hub started on `dir` (not listening: sockets are not what is measured). */
async function hubHeap(dir: string) {
  const hub = await createHub({ dataDir: dir, networkId: 1, listen: false });
  try {
    return await heapByKind();
  } finally {
    await hub.close();
  }
}

const empty = mkdtempSync(join(tmpdir(), 'trickle-bench-p5-heap-empty-'));
const full = mkdtempSync(join(tmpdir(), 'trickle-bench-p5-heap-'));
try {
  await fillChannelStore(full, channels);
  const before = await hubHeap(empty);
  const after = await hubHeap(full);
  const rows = [...after]
    .map(([kind, { bytes, objects }]) => {
      const base = before.get(kind) ?? { bytes: 0, objects: 0 };
      return { kind, bytes: (bytes - base.bytes) / channels, objects: (objects - base.objects) / channels };
    })
    .filter((row) => row.bytes >= 1)
    .sort((a, b) => b.bytes - a.bytes);
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  console.log('# P5 profile: live heap per known channel, by kind of object\n');
  console.log(machine());
  console.log(`Reproduce: node --expose-gc --import tsx bench/memory/channelHeap.ts --channels ${channels}\n`);
  console.log(`${count(channels)} open channels in the store; a hub started on it, against one on an empty store.\n`);
  console.log('| kind (V8 type:name) | bytes per channel | objects per channel | share |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const row of rows.slice(0, 20)) {
    const share = `${((100 * row.bytes) / total).toFixed(1)}%`;
    console.log(`| ${row.kind} | ${row.bytes.toFixed(0)} | ${row.objects.toFixed(2)} | ${share} |`);
  }
  console.log(`\nTotal: ${total.toFixed(0)} bytes of live heap per channel (target <= 250 bytes of memory in all).`);
} finally {
  rmSync(empty, { recursive: true, force: true });
  rmSync(full, { recursive: true, force: true });
}
