/**
 * Trickle through x402's middleware versus Trickle's own, in one run, on one hub (its own
 * process), one merchant and one wallet:
 *
 * 1. a paid call end to end (unpaid request, `402`, payment through the hub, paid retry):
 *    `@x402/fetch` + `@x402/express` with scheme `trickle` versus `wallet.fetch` +
 *    `@trickle/merchant/express`;
 * 2. the server's side of a paid retry alone (headers paid beforehand, then sent once each),
 *    with a free route on the same server as the HTTP baseline;
 * 3. per-voucher verification: the Trickle scheme's `verify` (offline receipt check) versus
 *    x402's `batch-settlement` voucher check from `@x402/evm` (its server scheme's local
 *    verification: channel config, channel id, EIP-712 voucher signature, balance).
 *
 * Rounds alternate the two sides so load drifts hit both. Prints the figures and the command.
 * Never asserts a timing.
 *
 * Reproduce: node --import tsx bench/x402/x402.ts [--quick]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { expressPaywall } from '@trickle/merchant/express';
import {
  createTricklePaymentPayload,
  decodePaymentRequiredHeader,
  encodePaymentSignatureHeader,
  http402Headers,
  toHex,
  trickleOffersOf,
} from '@trickle/protocol';
import { TrickleClientScheme, TrickleFacilitatorClient, TrickleServerScheme } from '@trickle/x402';
import { x402Client, x402HTTPClient } from '@x402/core/client';
import { x402ResourceServer } from '@x402/core/server';
import type { Network, PaymentPayload, PaymentRequirements } from '@x402/core/types';
import { computeChannelId, signVoucher } from '@x402/evm/batch-settlement/client';
import { BatchSettlementEvmScheme, InMemoryChannelStorage } from '@x402/evm/batch-settlement/server';
import { paymentMiddleware } from '@x402/express';
import { wrapFetchWithPayment } from '@x402/fetch';
import express from 'express';
import { privateKeyToAccount } from 'viem/accounts';
import { startPayingHub } from '../support/payingHub.js';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const rounds = args.quick ? 2 : 5;
const callsPerRound = args.quick ? 40 : 200;
const verifyRounds = args.quick ? 3 : 9;
const verifyRoundMs = args.quick ? 50 : 250;

const hub = await startPayingHub(10_000_000n);
const { merchant, wallet } = hub;
const network = merchant.network as Network;
const price = '0.000001'; // 1 minor unit

// The x402 server: @x402/express's paymentMiddleware with the Trickle scheme registered.
const x402Server = new x402ResourceServer(new TrickleFacilitatorClient(merchant)).register(
  network,
  new TrickleServerScheme(merchant),
);
const x402App = express();
x402App.use(
  paymentMiddleware(
    { 'GET /call': { accepts: { scheme: 'trickle', network, price, payTo: toHex(merchant.payee) } } },
    x402Server,
  ),
);
x402App.get('/call', (_req, res) => {
  res.json({ ok: true });
});
// Trickle's own server: @trickle/merchant's Express paywall, per call (no entitlement).
const trickleApp = express();
trickleApp.get('/call', expressPaywall(merchant, { price, entitlement: false }), (_req, res) => {
  res.json({ ok: true });
});
for (const app of [x402App, trickleApp]) {
  app.get('/free', (_req, res) => {
    res.json({ ok: true });
  });
}
const listen = (app: express.Express) =>
  new Promise<{ url: string; close: () => void }>((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, close: () => server.close() });
    });
  });
const x402Url = (await listen(x402App)).url;
const trickleUrl = (await listen(trickleApp)).url;

const client = new x402Client().register(network, new TrickleClientScheme(wallet, { networkId: merchant.networkId }));
const httpClient = new x402HTTPClient(client);
const x402Fetch = wrapFetchWithPayment(fetch, client);

async function expectOk(response: Response): Promise<void> {
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}`);
  await response.arrayBuffer();
}

/** Mean ms per call of `call`, `n` times in sequence. */
async function timeCalls(n: number, call: (i: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) await call(i);
  return (performance.now() - started) / n;
}

/** A paid `PAYMENT-SIGNATURE` for one call to the x402 server, paid now, sent later. */
async function x402Header(): Promise<string> {
  const unpaid = await fetch(`${x402Url}/call`);
  const body = await unpaid.json().catch(() => undefined);
  const required = httpClient.getPaymentRequiredResponse((name) => unpaid.headers.get(name), body);
  const payload = await client.createPaymentPayload(required);
  const headers = httpClient.encodePaymentSignatureHeader(payload);
  return headers['PAYMENT-SIGNATURE'] as string;
}

/** The same for Trickle's own server. */
async function trickleHeader(): Promise<string> {
  const unpaid = await fetch(`${trickleUrl}/call`);
  await unpaid.arrayBuffer();
  const [offer] = trickleOffersOf(
    decodePaymentRequiredHeader(unpaid.headers.get(http402Headers.paymentRequired) as string),
  );
  if (offer === undefined) throw new Error('no Trickle offer');
  const receipt = await wallet.pay(offer.request);
  return encodePaymentSignatureHeader(createTricklePaymentPayload({ accepted: offer.requirements, receipt }));
}

const sendPaid = (url: string, header: string) =>
  fetch(`${url}/call`, { headers: { [http402Headers.paymentSignature]: header } }).then(expectOk);

// Warm both paths up (JIT, sockets, the hub's caches).
for (let i = 0; i < 20; i++) {
  await x402Fetch(`${x402Url}/call`).then(expectOk);
  await wallet.fetch(`${trickleUrl}/call`).then(expectOk);
  await sendPaid(x402Url, await x402Header());
  await sendPaid(trickleUrl, await trickleHeader());
}

const endToEnd = { x402: [] as number[], trickle: [] as number[] };
const retry = { x402: [] as number[], trickle: [] as number[] };
const free = { x402: [] as number[], trickle: [] as number[] };
for (let round = 0; round < rounds; round++) {
  endToEnd.x402.push(await timeCalls(callsPerRound, () => x402Fetch(`${x402Url}/call`).then(expectOk)));
  endToEnd.trickle.push(await timeCalls(callsPerRound, () => wallet.fetch(`${trickleUrl}/call`).then(expectOk)));
  const x402Headers: string[] = [];
  const trickleHeaders: string[] = [];
  for (let i = 0; i < callsPerRound; i++) {
    x402Headers.push(await x402Header());
    trickleHeaders.push(await trickleHeader());
  }
  retry.x402.push(await timeCalls(callsPerRound, (i) => sendPaid(x402Url, x402Headers[i] as string)));
  retry.trickle.push(await timeCalls(callsPerRound, (i) => sendPaid(trickleUrl, trickleHeaders[i] as string)));
  free.x402.push(await timeCalls(callsPerRound, () => fetch(`${x402Url}/free`).then(expectOk)));
  free.trickle.push(await timeCalls(callsPerRound, () => fetch(`${trickleUrl}/free`).then(expectOk)));
}

// Per-voucher verification. Trickle: the facilitator's verify of one real paid payload
// (verify never redeems, so it can be repeated).
const facilitator = new TrickleFacilitatorClient(merchant);
const paidPayload = JSON.parse(Buffer.from(await x402Header(), 'base64').toString('utf8')) as PaymentPayload;
const trickleRequirements = paidPayload.accepted;
if (!(await facilitator.verify(paidPayload, trickleRequirements)).isValid) throw new Error('trickle verify failed');

// x402 batch-settlement: its server scheme's local voucher check (onBeforeVerify), with the
// channel's on-chain state mirrored fresh in its storage so no facilitator or chain is asked.
const evmNetwork: Network = 'eip155:84532';
const payerAuthorizer = privateKeyToAccount(`0x${'22'.repeat(32)}`);
const receiver = '0x3333333333333333333333333333333333333333' as const;
const receiverAuthorizer = '0x4444444444444444444444444444444444444444' as const;
const usdc = '0x036CbD53842c5426634e7929541eC2318f3dCF7e' as const;
const channelConfig = {
  payer: payerAuthorizer.address,
  payerAuthorizer: payerAuthorizer.address,
  receiver,
  receiverAuthorizer,
  token: usdc,
  withdrawDelay: 900,
  salt: `0x${'00'.repeat(32)}` as const,
};
const channelId = computeChannelId(channelConfig, evmNetwork);
const storage = new InMemoryChannelStorage();
await storage.updateChannel(channelId, () => ({
  channelId,
  channelConfig,
  chargedCumulativeAmount: '5000',
  signedMaxClaimable: '5000',
  signature: '0x',
  balance: '1000000000',
  totalClaimed: '0',
  withdrawRequestedAt: 0,
  refundNonce: 0,
  onchainSyncedAt: Date.now() + 3_600_000,
  lastRequestTimestamp: Date.now(),
}));
const batchScheme = new BatchSettlementEvmScheme(receiver, { storage, onchainStateTtlMs: 86_400_000 });
const voucher = await signVoucher(payerAuthorizer as never, channelId, '6000', evmNetwork);
const batchRequirements: PaymentRequirements = {
  scheme: 'batch-settlement',
  network: evmNetwork,
  asset: usdc,
  amount: '1000',
  payTo: receiver,
  maxTimeoutSeconds: 300,
  extra: { receiverAuthorizer, withdrawDelay: 900 },
};
const batchPayload: PaymentPayload = {
  x402Version: 2,
  accepted: batchRequirements,
  payload: { type: 'voucher', channelConfig, voucher },
};
const beforeVerify = batchScheme.schemeHooks.onBeforeVerify;
if (beforeVerify === undefined) throw new Error('batch-settlement has no onBeforeVerify hook');
const batchCheck = async () => {
  const outcome = (await beforeVerify({ paymentPayload: batchPayload, requirements: batchRequirements } as never)) as
    | { skip?: boolean; result?: { isValid: boolean; invalidReason?: string } }
    | undefined;
  if (outcome?.skip !== true || outcome.result?.isValid !== true) {
    throw new Error(`batch-settlement local check did not pass: ${JSON.stringify(outcome)}`);
  }
};
await batchCheck();
const trickleCheck = async () => {
  if (!(await facilitator.verify(paidPayload, trickleRequirements)).isValid) throw new Error('trickle verify failed');
};

/** Median µs per call of an async `fn` over rounds of about `verifyRoundMs`. */
async function measureAsync(fn: () => Promise<void>): Promise<number> {
  const perRound: number[] = [];
  for (let r = 0; r < verifyRounds; r++) {
    let n = 0;
    const started = performance.now();
    while (performance.now() - started < verifyRoundMs) {
      await fn();
      n++;
    }
    perRound.push(((performance.now() - started) * 1000) / n);
  }
  return median(perRound);
}
const verifyTrickle: number[] = [];
const verifyBatch: number[] = [];
for (let pass = 0; pass < 2; pass++) {
  verifyTrickle.push(await measureAsync(trickleCheck));
  verifyBatch.push(await measureAsync(batchCheck));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
const fixed = (n: number, digits = 2) => n.toFixed(digits);
const best = (values: number[]) => Math.min(...values);

console.log(
  `# Trickle through x402's middleware vs Trickle's own\n\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(2)} (shared machine: compare within the run).`,
);
console.log(`Reproduce: node --import tsx bench/x402/x402.ts${args.quick ? ' --quick' : ''}`);
console.log(
  `\n${rounds} rounds of ${callsPerRound} sequential calls per side, interleaved; median of the rounds (best in brackets).\n`,
);
console.log('| per call, ms | x402 middleware + @x402/fetch | Trickle paywall + wallet.fetch | x402 − Trickle |');
console.log('| --- | ---: | ---: | ---: |');
const row = (label: string, a: number[], b: number[]) =>
  console.log(
    `| ${label} | ${fixed(median(a))} (${fixed(best(a))}) | ${fixed(median(b))} (${fixed(best(b))}) | ${fixed(median(a) - median(b))} |`,
  );
row('paid call end to end (402, pay via hub, retry)', endToEnd.x402, endToEnd.trickle);
row('paid retry at the server (verify, redeem, serve)', retry.x402, retry.trickle);
row('free route, same server (HTTP baseline)', free.x402, free.trickle);
const overhead = (side: 'x402' | 'trickle') => median(retry[side]) - median(free[side]);
console.log(
  `\nServer-side cost of a paid retry over a free request: x402 ${fixed(overhead('x402') * 1000, 0)} µs, Trickle's paywall ${fixed(overhead('trickle') * 1000, 0)} µs.`,
);
console.log(
  `\n| per voucher, µs (median of ${verifyRounds} rounds, better of 2 passes) | |\n| --- | ---: |\n| Trickle scheme verify (TrickleFacilitatorClient.verify: decode, 2 HMAC-SHA256) | ${fixed(best(verifyTrickle), 1)} |\n| x402 batch-settlement local voucher check (@x402/evm server onBeforeVerify: channel id, EIP-712 secp256k1 recovery) | ${fixed(best(verifyBatch), 1)} |\n\nRatio: ${fixed(best(verifyBatch) / best(verifyTrickle), 1)}x.`,
);

await hub.close();
process.exit(0);
