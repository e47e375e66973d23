/**
 * Figures for the hot path, measured in one run so they can be compared:
 *  1. signature verification per backend (the hub's hot path), and the receipt cost
 *     (HMAC vs an ECDSA signature per receipt);
 *  2. end to end over a real socket, hub in its own process (durable SQLite store,
 *     synchronous = FULL), wallet in this one: sequential pay latency (p50/p99) and
 *     pipelined throughput, with the fast verifier and with noble as the baseline.
 *
 * Reproduce: node --import tsx bench/hotpath/hotpath.ts [--quick]
 * Absolute numbers drift between runs on shared machines; compare the ratios of one run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWallet, memoryStore } from '../../packages/client/src/index.js';
import { fileStore } from '../../packages/client/src/node.js';
import {
  createNodeCryptoVerifier,
  createThreadPoolVerifier,
  tinySecp256k1Verifier,
} from '../../packages/hub/src/index.js';
import { spawnHub } from '../../packages/hub/test/spawnHub.js';
import {
  asInvoiceId,
  asSecretKey,
  createPaymentRequest,
  createReceipt,
  createSecretKey,
  createSigner,
  deriveMerchantKey,
  fromHex,
  type HubId,
  nobleVerifier,
  type PublicKey,
  payeeIdFromKey,
  publicKeyOf,
  resourceHash,
  sha256,
  toHex,
} from '../../packages/protocol/src/index.js';

const quick = process.argv.includes('--quick');
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const networkId = 1;

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function verifiers(): Promise<void> {
  const signer = createSigner(createSecretKey(randomBytes), { randomBytes });
  const messages = Array.from({ length: 256 }, () => randomBytes(125));
  const signatures = messages.map((m) => signer.sign(m));
  const rows: [string, string][] = [];
  const sync = async (name: string, verify: (i: number) => boolean, count: number) => {
    for (let i = 0; i < 50; i++) verify(i % 256);
    const start = performance.now();
    for (let i = 0; i < count; i++) if (!verify(i % 256)) throw new Error(`${name} failed`);
    rows.push([name, rate(count, performance.now() - start)]);
  };
  const n = quick ? 500 : 3_000;
  await sync(
    'noble (reference, pure JS)',
    (i) => nobleVerifier.verify(signatures[i]!, messages[i]!, signer.publicKey),
    n / 5,
  );
  const node = createNodeCryptoVerifier();
  await sync('node:crypto, cached KeyObject', (i) => node.verify(signatures[i]!, messages[i]!, signer.publicKey), n);
  await sync(
    'tiny-secp256k1 (WASM libsecp256k1)',
    (i) => tinySecp256k1Verifier.verify(signatures[i]!, messages[i]!, signer.publicKey),
    n,
  );
  const pool = createThreadPoolVerifier();
  for (const inFlight of [1, 64]) {
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < n) {
          const i = next++ % 256;
          if (!(await pool.verify(signatures[i]!, messages[i]!, signer.publicKey))) throw new Error('pool failed');
        }
      }),
    );
    rows.push([`node:crypto on the libuv threadpool, ${inFlight} in flight`, rate(n, performance.now() - start)]);
  }
  const key = randomBytes(32) as never;
  const body = {
    networkId,
    hubId: randomBytes(32) as HubId,
    channelId: randomBytes(32) as never,
    seq: 1,
    payee: randomBytes(32) as never,
    invoiceId: randomBytes(16) as never,
    asset: { code: 'USD', scale: 6 },
    amount: 100n,
  };
  let start = performance.now();
  for (let i = 0; i < n * 5; i++) createReceipt(key, { ...body, seq: i + 1 });
  rows.push(['receipt as HMAC-SHA256 (what the hub does)', rate(n * 5, performance.now() - start)]);
  start = performance.now();
  for (let i = 0; i < n / 2; i++) signer.sign(messages[i % 256]!);
  rows.push(['receipt as an ECDSA signature (noble, hedged)', rate(n / 2, performance.now() - start)]);
  console.log('\n## Primitives (one core unless stated)\n');
  console.log('| operation | rate |\n| --- | --- |');
  for (const [name, value] of rows) console.log(`| ${name} | ${value} |`);
}

async function endToEnd(verifier: 'fast' | 'noble', store: 'memory' | 'file'): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-hotpath-'));
  const payerKey = createSecretKey(randomBytes);
  const merchantSecret = asSecretKey(sha256(new TextEncoder().encode(`bench merchant ${Math.random()}`)));
  const merchantKey = publicKeyOf(merchantSecret);
  const hub = await spawnHub({
    dataDir: join(dir, 'hub'),
    networkId,
    port: 0,
    merchants: [toHex(merchantKey)],
    fund: [{ clientKey: toHex(publicKeyOf(payerKey)), amount: '9000000000000' }],
    ledger: 'default',
    ...(verifier === 'noble' ? { verifier: 'noble' } : {}),
  });
  try {
    const hubId = fromHex(hub.hubId, 32) as HubId;
    const payee = payeeIdFromKey(merchantKey);
    const macKey = deriveMerchantKey({
      secretKey: merchantSecret,
      peerKey: fromHex(hub.publicKey, 33) as PublicKey,
      networkId,
      hubId,
      payeeId: payee,
    });
    let invoice = 0;
    const request = () =>
      createPaymentRequest(macKey, {
        networkId,
        hubId,
        payee,
        invoiceId: asInvoiceId(sha256(new TextEncoder().encode(`invoice ${invoice++}`)).subarray(0, 16)),
        asset: { code: 'USD', scale: 6 },
        amount: 1n + BigInt(invoice % 7),
        expiresAtMs: Date.now() + 3_600_000,
        resource: resourceHash('/bench'),
      });
    const wallet = await createWallet({
      key: payerKey,
      hub: { url: hub.url, networkId },
      store: store === 'memory' ? memoryStore() : fileStore({ path: join(dir, 'wallet.jsonl') }),
    });
    await wallet.openChannel({ deposit: 8_000_000_000_000n });
    const sequential = quick ? 100 : verifier === 'noble' ? 300 : 1_000;
    for (let i = 0; i < 20; i++) await wallet.pay(request());
    const latencies: number[] = [];
    for (let i = 0; i < sequential; i++) {
      const r = request();
      const start = performance.now();
      await wallet.pay(r);
      latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);
    const pipelined = quick ? 5_000 : 50_000;
    const requests = Array.from({ length: pipelined }, request);
    const start = performance.now();
    const receipts = await Promise.all(requests.map((r) => wallet.pay(r)));
    const ms = performance.now() - start;
    if (receipts.length !== pipelined) throw new Error('missing receipts');
    await wallet.stop();
    return [
      verifier === 'fast'
        ? 'fast (default: tiny-secp256k1 inline, node:crypto threadpool under load)'
        : 'noble (baseline)',
      store,
      `${percentile(latencies, 50).toFixed(2)} ms`,
      `${percentile(latencies, 99).toFixed(2)} ms`,
      rate(pipelined, ms),
      hub.ledger,
    ];
  } finally {
    hub.child.kill('SIGTERM');
    await hub.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Many channels, one payment in flight on each: nothing to batch, one verification per payment. */
async function manyChannels(verifier: 'fast' | 'noble'): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-hotpath-'));
  const channels = quick ? 8 : 32;
  const perChannel = quick ? 10 : verifier === 'noble' ? 15 : 40;
  const payers = Array.from({ length: channels }, () => createSecretKey(randomBytes));
  const merchantSecret = asSecretKey(sha256(new TextEncoder().encode(`bench merchant ${Math.random()}`)));
  const merchantKey = publicKeyOf(merchantSecret);
  const hub = await spawnHub({
    dataDir: join(dir, 'hub'),
    networkId,
    port: 0,
    merchants: [toHex(merchantKey)],
    fund: payers.map((k) => ({ clientKey: toHex(publicKeyOf(k)), amount: '1000000000' })),
    ledger: 'default',
    ...(verifier === 'noble' ? { verifier: 'noble' } : {}),
  });
  try {
    const hubId = fromHex(hub.hubId, 32) as HubId;
    const payee = payeeIdFromKey(merchantKey);
    const macKey = deriveMerchantKey({
      secretKey: merchantSecret,
      peerKey: fromHex(hub.publicKey, 33) as PublicKey,
      networkId,
      hubId,
      payeeId: payee,
    });
    let invoice = 0;
    const request = () =>
      createPaymentRequest(macKey, {
        networkId,
        hubId,
        payee,
        invoiceId: asInvoiceId(sha256(new TextEncoder().encode(`many ${invoice++}`)).subarray(0, 16)),
        asset: { code: 'USD', scale: 6 },
        amount: 1n,
        expiresAtMs: Date.now() + 3_600_000,
        resource: resourceHash('/bench'),
      });
    const wallets = await Promise.all(
      payers.map((key) => createWallet({ key, hub: { url: hub.url, networkId }, store: memoryStore() })),
    );
    await Promise.all(wallets.map((w) => w.openChannel({ deposit: 100_000_000n })));
    const start = performance.now();
    await Promise.all(
      wallets.map(async (w) => {
        for (let i = 0; i < perChannel; i++) await w.pay(request());
      }),
    );
    const ms = performance.now() - start;
    await Promise.all(wallets.map((w) => w.stop()));
    return [
      verifier === 'fast' ? 'fast (default)' : 'noble (baseline)',
      String(channels),
      rate(channels * perChannel, ms),
    ];
  } finally {
    hub.child.kill('SIGTERM');
    await hub.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `# Trickle hot path figures\n\n${new Date().toISOString()}, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
);
console.log(`Reproduce: node --import tsx bench/hotpath/hotpath.ts${quick ? ' --quick' : ''}`);
await verifiers();
console.log('\n## One channel end to end (hub in its own process, SQLite store with synchronous = FULL)\n');
console.log('Sequential: one pay() at a time, the client signs live, the hub verifies and fsyncs before the receipt.');
console.log('Pipelined: all pay() calls at once; the wallet coalesces up to 128 payments per signed voucher.\n');
console.log(
  '| hub verifier | wallet store | sequential p50 | sequential p99 | pipelined | ledger |\n| --- | --- | --- | --- | --- | --- |',
);
for (const [verifier, store] of [
  ['fast', 'memory'],
  ['noble', 'memory'],
  ['fast', 'file'],
] as const) {
  console.log(`| ${(await endToEnd(verifier, store)).join(' | ')} |`);
}
console.log('\n## Many channels, one payment in flight each (one verification per payment, wallets in one process)\n');
console.log('| hub verifier | channels | payments/s |\n| --- | --- | --- |');
for (const verifier of ['fast', 'noble'] as const) console.log(`| ${(await manyChannels(verifier)).join(' | ')} |`);
