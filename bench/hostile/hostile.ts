/**
 * Hostile frames, the figures of docs/security.md: grammar-aware and byte-level mutations of
 * every client message type through the codec, then through a live hub in its own process
 * while an honest wallet pays through it, with the hub's resident memory before and after.
 * Crashes, wrong answers and failed honest payments are reported as faults (0 expected).
 *
 * Reproduce: node --import tsx bench/hostile/hostile.ts [--quick] [--codec <n>] [--frames <n>] [--seed <n>]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { attackHub, fuzzCodec } from '@trickle/testing';
import { startPayingHub } from '../support/payingHub.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    codec: { type: 'string' },
    frames: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
const seed = Number(values.seed);
const codecCount = Number(values.codec ?? (values.quick ? 10_000 : 200_000));
const frameCount = Number(values.frames ?? (values.quick ? 500 : 5_000));
console.log(
  `# Hostile frames (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)}, seed ${seed})\n`,
);
const started = performance.now();
const codec = fuzzCodec({ seed, count: codecCount });
const grammar = Object.keys(codec.byMutation).filter((m) => m.startsWith('grammar:')).length;
const bytes = Object.keys(codec.byMutation).filter((m) => m.startsWith('bytes:')).length;
console.log(
  `codec: ${codec.tried} frames (${grammar} grammar mutations, ${bytes} byte-level) in ${((performance.now() - started) / 1000).toFixed(1)} s; ${codec.invalidRefused}/${codec.invalid} invalid refused with their code; ${codec.accepted} byte-level mutations still valid frames, all canonical; faults (crashes, other exceptions, wrong codes, accepted invalid, non-canonical): ${codec.faults.length}`,
);

let paid = 0;
// The attacker's frames before auth end its connections: one address would be refused after
// authFailuresPerAddressMax of them (ADR 0226); this run measures frame handling, not that.
const target = await startPayingHub(10_000_000n, { limits: { authFailuresPerAddressMax: 1_000_000 } });
try {
  const rssBefore = target.rssMiB();
  let rssPeak = rssBefore;
  const t = performance.now();
  const report = await attackHub({
    url: target.hub.url,
    seed,
    count: frameCount,
    probeEvery: 100,
    probe: async () => {
      await target.pay();
      paid++;
      rssPeak = Math.max(rssPeak, target.rssMiB());
    },
  });
  const seconds = (performance.now() - t) / 1000;
  const alive = target.hub.child.exitCode === null;
  console.log(
    `live hub: ${report.tried} frames in ${seconds.toFixed(1)} s over ${report.connections} connections; ${report.invalidRejected}/${report.invalid} invalid answered with their typed reject; ${paid}/${report.probes} honest payments went through; hub ${alive ? 'up' : 'DOWN'}; hub RSS ${rssBefore.toFixed(1)} MiB before, ${rssPeak.toFixed(1)} MiB at most, ${target.rssMiB().toFixed(1)} MiB after; faults: ${report.faults.length}`,
  );
  console.log(`answers: ${JSON.stringify(report.answers)}; closes by the hub: ${JSON.stringify(report.closes)}`);
  for (const fault of report.faults.slice(0, 20)) console.log(`FAULT ${fault.mutation}: ${fault.problem}`);
} finally {
  await target.close();
}
