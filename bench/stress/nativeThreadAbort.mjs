// Reproduces (or rules out) the abort of ADR 0416: libsecp256k1's native addon (npm
// secp256k1 5.0.2) in worker threads that are ended while they use it. Each scenario runs in
// a child process of its own, many rounds, so an abort shows as SIGABRT (exit 134) and is
// counted instead of ending this script.
//
//   node bench/stress/nativeThreadAbort.mjs [scenario ...] [--runs N] [--rounds N]
//
// Scenarios:
//   busy       terminate() a thread while it verifies in a tight loop (random delay)
//   busyfast   the same, each check refused at parsing (r and s out of range), so the thread
//              spends its time entering and leaving the addon
//   exit       process.exit() with threads in a tight loop (as busyfast)
//   load       terminate() a thread while it loads the addon (random delay from start)
//   idle       terminate() a thread that loaded the addon and waits for messages
//   graceful   (as busyfast) the fix's pattern: a stop flag the thread reads between checks, then terminate()
//              once it says it is outside the addon (bounded wait)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(new URL('../../packages/hub/package.json', import.meta.url));
const nativePath = require.resolve('secp256k1/bindings');

const threadSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const gate = workerData.gate === undefined ? undefined : new Int32Array(workerData.gate);
const enter = () => { if (gate === undefined) return true; Atomics.store(gate, 0, 1); if (Atomics.load(gate, 1) === 1) { Atomics.store(gate, 0, 0); Atomics.notify(gate, 0); return false; } return true; };
const leave = () => { if (gate === undefined) return; Atomics.store(gate, 0, 0); Atomics.notify(gate, 0); };
(function main() {
if (!enter()) return;
const native = require(workerData.native);
leave();
const key = Buffer.from(workerData.key, 'hex');
// busyfast: a signature r = s = 2^256 - 1 (not a scalar): refused at parsing, so nearly all of
// the thread's time is spent entering and leaving the addon, where the abort happens.
const sig = workerData.fast ? Buffer.alloc(64, 0xff) : Buffer.from(workerData.sig, 'hex');
const digest = createHash('sha256').update('x').digest();
parentPort.postMessage('loaded');
parentPort.on('message', (m) => {
  if (m !== 'spin') return;
  for (;;) {
    if (!enter()) return;
    try { native.ecdsaVerify(sig, digest, key); } catch {}
    leave();
  }
});
})();
`;

function material() {
  const native = require(nativePath);
  const { createHash, randomBytes } = require('node:crypto');
  let secret;
  do secret = randomBytes(32);
  while (!native.privateKeyVerify(secret));
  const digest = createHash('sha256').update('x').digest();
  const { signature } = native.ecdsaSign(digest, secret);
  return {
    key: Buffer.from(native.publicKeyCreate(secret, true)).toString('hex'),
    sig: Buffer.from(signature).toString('hex'),
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const randomMs = (max) => Math.random() * max;

function spawnThread(extra = {}) {
  return new Worker(threadSource, { eval: true, workerData: { native: nativePath, ...material(), ...extra } });
}
const once = (worker, event) => new Promise((r) => worker.once(event, r));

async function child(scenario, rounds) {
  for (let i = 0; i < rounds; i++) {
    if (scenario === 'busy' || scenario === 'busyfast') {
      const workers = [spawnThread({ fast: scenario === 'busyfast' }), spawnThread({ fast: scenario === 'busyfast' })];
      await Promise.all(workers.map((w) => once(w, 'message')));
      for (const w of workers) w.postMessage('spin');
      await sleep(randomMs(3));
      await Promise.all(workers.map((w) => w.terminate()));
    } else if (scenario === 'load') {
      const w = spawnThread();
      await sleep(randomMs(40));
      await w.terminate();
    } else if (scenario === 'idle') {
      const w = spawnThread();
      await once(w, 'message');
      await w.terminate();
    } else if (scenario === 'graceful') {
      const gates = [0, 1].map(() => new Int32Array(new SharedArrayBuffer(8)));
      const workers = gates.map((g) => spawnThread({ gate: g.buffer, fast: true }));
      if (Math.random() < 0.5) await Promise.all(workers.map((w) => once(w, 'message')));
      for (const w of workers) w.postMessage('spin');
      await sleep(randomMs(3));
      for (const g of gates) Atomics.store(g, 1, 1);
      for (const g of gates) while (Atomics.load(g, 0) === 1) Atomics.wait(g, 0, 1, 1000);
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }
  if (scenario === 'exit') {
    const workers = [spawnThread({ fast: true }), spawnThread({ fast: true })];
    await Promise.all(workers.map((w) => once(w, 'message')));
    for (const w of workers) w.postMessage('spin');
    await sleep(randomMs(3));
    process.exit(0);
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  await child(args[1], Number(args[2]));
} else {
  const flag = (name, fallback) => {
    const at = args.indexOf(name);
    return at === -1 ? fallback : Number(args[at + 1]);
  };
  const runs = flag('--runs', 10);
  const rounds = flag('--rounds', 200);
  const scenarios = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  for (const scenario of scenarios.length > 0 ? scenarios : ['busy', 'exit', 'load', 'idle', 'graceful']) {
    const codes = new Map();
    const started = Date.now();
    for (let run = 0; run < runs; run++) {
      const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--child', scenario, String(rounds)], {
        encoding: 'utf8',
      });
      const key = r.signal ?? String(r.status);
      codes.set(key, (codes.get(key) ?? 0) + 1);
      if (r.status !== 0 && run === 0) process.stderr.write(r.stderr.slice(-400));
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `${scenario}: ${runs} processes x ${scenario === 'exit' ? 1 : rounds} rounds, ${seconds} s, exits ${JSON.stringify(Object.fromEntries(codes))}`,
    );
  }
}
