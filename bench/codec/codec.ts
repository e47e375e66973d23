/**
 * Frame codec micro-benchmark: encode and decode the frames of the hot path (`pay` with 1,
 * 16 and 128 entries, `receipts`) and a `state`, in ns per frame, median of several rounds.
 * With `--baseline <dir>`, the protocol package of another checkout (`<dir>/packages/protocol`,
 * e.g. the commit before a codec change) is measured in the same run, side by side. Never
 * asserts a timing.
 *
 * Reproduce: node --import tsx bench/codec/codec.ts [--quick] [--baseline <checkout>]
 */
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as current from '@trickle/protocol';

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, baseline: { type: 'string' } },
});
const rounds = args.quick ? 3 : 9;
const roundMs = args.quick ? 40 : 250;

type Protocol = typeof current;

/** Deterministic filler bytes. */
function filled(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 31 + i * 7) & 0xff;
  return out;
}

/** The messages measured, built from plain values so that any protocol version can encode them. */
function messages() {
  const entry = (i: number) => ({
    payee: filled(32, 1),
    invoiceId: filled(16, i),
    amount: 500n + BigInt(i),
    expiresAtMs: 1_900_000_000_000 + i,
    resource: filled(32, 3),
    mac: filled(32, i + 4),
  });
  const pay = (entries: number) => ({
    type: 'pay',
    id: 77,
    channelId: filled(32, 5),
    seq: 123_456,
    cumulative: 98_765_432n,
    logHead: filled(32, 6),
    signature: filled(64, 7),
    entries: Array.from({ length: entries }, (_, i) => entry(i)),
  });
  const state = {
    channelId: filled(32, 5),
    clientKey: filled(33, 8),
    asset: { code: 'USD', scale: 6 },
    deposit: 1_000_000_000n,
    expiresAtMs: 1_900_000_000_000,
    seq: 123_456,
    cumulative: 98_765_432n,
    logHead: filled(32, 6),
    signature: filled(64, 7),
    status: 'open',
  };
  return {
    client: { 'pay, 1 entry': pay(1), 'pay, 16 entries': pay(16), 'pay, 128 entries': pay(128) },
    hub: {
      receipts: { type: 'receipts', channelId: filled(32, 5), seq: 123_456, macs: [filled(32, 9)] },
      state: { type: 'state', id: 9, state },
    },
  };
}

/** Median ns per call of `fn` over `rounds` rounds of about `roundMs` each. */
function measure(fn: () => unknown): number {
  let perRound = 1;
  for (;;) {
    const started = performance.now();
    for (let i = 0; i < perRound; i++) fn();
    if (performance.now() - started >= roundMs / 4) break;
    perRound *= 2;
  }
  perRound *= 4;
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    for (let i = 0; i < perRound; i++) fn();
    samples.push(((performance.now() - started) * 1e6) / perRound);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

interface Row {
  frame: string;
  bytes: number;
  encodeNs: number;
  decodeNs: number;
}

function run(protocol: Protocol): Row[] {
  const { client, hub } = messages();
  const sides: [Record<string, unknown>, (m: never) => Uint8Array, (f: Uint8Array) => unknown][] = [
    [client, protocol.encodeClientMessage, protocol.decodeClientMessage],
    [hub, protocol.encodeHubMessage, protocol.decodeHubMessage],
  ];
  const rows: Row[] = [];
  for (const [messagesOfSide, encode, decode] of sides) {
    for (const [name, message] of Object.entries(messagesOfSide)) {
      const frame = encode(message as never);
      decode(frame);
      rows.push({
        frame: name,
        bytes: frame.length,
        encodeNs: measure(() => encode(message as never)),
        decodeNs: measure(() => decode(frame)),
      });
    }
  }
  return rows;
}

const format = (ns: number) => Math.round(ns).toLocaleString('en-US');

async function main(): Promise<void> {
  const subjects: [string, Protocol][] = [['this tree', current]];
  if (args.baseline !== undefined) {
    const entry = resolve(args.baseline, 'packages/protocol/src/index.ts');
    subjects.push([`baseline ${args.baseline}`, (await import(pathToFileURL(entry).href)) as Protocol]);
  }
  console.log(
    `# codec micro-benchmark, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ` +
      `${cpus().length} cores, load ${loadavg()[0]?.toFixed(2)}${args.quick ? ', --quick' : ''}`,
  );
  console.log('');
  console.log('| subject | frame | bytes | encode ns | decode ns |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  // Interleaved (this tree, baseline, this tree, ...) so that load drifting during the run hits both.
  const results = subjects.map(() => [] as Row[][]);
  for (let pass = 0; pass < 2; pass++) {
    subjects.forEach(([, protocol], i) => {
      results[i]?.push(run(protocol));
    });
  }
  subjects.forEach(([name], i) => {
    const [first, second] = results[i] as [Row[], Row[]];
    first.forEach((row, r) => {
      const other = second[r] as Row;
      const encodeNs = Math.min(row.encodeNs, other.encodeNs);
      const decodeNs = Math.min(row.decodeNs, other.decodeNs);
      console.log(`| ${name} | ${row.frame} | ${row.bytes} | ${format(encodeNs)} | ${format(decodeNs)} |`);
    });
  });
}

await main();
