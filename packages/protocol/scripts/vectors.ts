/**
 * Writes packages/protocol/test/vectors/*.json. Deterministic: running it again writes
 * the same bytes (keys from labels, signatures with fixed extra entropy).
 * Run: pnpm --filter @trickle/protocol vectors
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import {
  type Asset,
  asInvoiceId,
  asset,
  authSigningBytes,
  type ClientMessage,
  channelIdOf,
  closeSigningBytes,
  createPaymentRequest,
  createReceipt,
  type Domain,
  deriveMerchantKey,
  encodeClientMessage,
  encodeHubMessage,
  encodePaymentRequest,
  encodeReceipt,
  entryBytes,
  feeOf,
  formatAmount,
  type HubMessage,
  hubIdFromKey,
  logGenesis,
  logStep,
  openSigningBytes,
  type PaymentEntry,
  payeeIdFromKey,
  paymentRequestBytes,
  publicKeyOf,
  receiptBytes,
  resourceHash,
  type SecretKey,
  settle,
  sha256,
  signWithEntropy,
  topUpSigningBytes,
  voucherSigningBytes,
} from '../src/index.js';
import { testKey } from '../test/helpers.js';
import { hex, toJson } from '../test/vectorJson.js';

const out = join(import.meta.dirname, '..', 'test', 'vectors');
const write = (name: string, value: unknown) =>
  writeFileSync(join(out, name), `${JSON.stringify(toJson(value), null, 2)}\n`);
const entropyFor = (label: string) => sha256(new TextEncoder().encode(`entropy ${label}`));
const signed = (secretKey: SecretKey, bytes: Uint8Array, label: string) => ({
  signingBytes: bytes,
  secretKey,
  entropy: entropyFor(label),
  signature: signWithEntropy(secretKey, bytes, entropyFor(label)),
});

const usd = asset('USD', 6);
const networkId = 1;
const hubSecret = testKey('hub');
const hubKey = publicKeyOf(hubSecret);
const hubId = hubIdFromKey(hubKey);
const domain: Domain = { networkId, hubId };
const clientSecret = testKey('client');
const clientKey = publicKeyOf(clientSecret);
const merchantSecret = testKey('merchant');
const merchantKey = publicKeyOf(merchantSecret);
const payee = payeeIdFromKey(merchantKey);
const nonce = new Uint8Array(16).fill(0x11);
const channelId = channelIdOf(hubId, clientKey, nonce);
const macKey = deriveMerchantKey({ secretKey: hubSecret, peerKey: merchantKey, networkId, hubId, payeeId: payee });

// amounts.json
const assets: Asset[] = [usd, asset('JPY', 0), asset('SAT', 3), asset('ETH', 18)];
write('amounts.json', {
  description: 'Decimal text <-> minor units. Invalid texts give the AmountError code.',
  valid: [
    ['0', usd, 0n],
    ['0.0005', usd, 500n],
    ['0.0005 USD', usd, 500n],
    ['12.345678', usd, 12_345_678n],
    ['0.100000000', usd, 100_000n],
    ['9223372036854.775807', usd, 2n ** 63n - 1n],
    ['9007199254.740993', usd, 2n ** 53n + 1n],
    ['42', assets[1], 42n],
    ['1.5 SAT', assets[2], 1_500n],
    ['9.223372036854775807', assets[3], 2n ** 63n - 1n],
  ].map(([text, a, units]) => ({ text, asset: a, units })),
  invalid: [
    ['', 'AMOUNT_SYNTAX'],
    ['-1', 'AMOUNT_SYNTAX'],
    ['1e3', 'AMOUNT_SYNTAX'],
    ['.5', 'AMOUNT_SYNTAX'],
    ['01', 'AMOUNT_SYNTAX'],
    ['1  USD', 'AMOUNT_SYNTAX'],
    ['0.0000001', 'AMOUNT_PRECISION'],
    ['1 EUR', 'ASSET_MISMATCH'],
    ['9223372036854.775808', 'AMOUNT_RANGE'],
  ].map(([text, code]) => ({ text, asset: usd, code })),
  format: [0n, 1n, 500n, 1_000_000n, 2n ** 53n + 1n, 2n ** 63n - 1n].flatMap((units) => [
    { units, asset: usd, options: {}, text: formatAmount(units, usd) },
    {
      units,
      asset: usd,
      options: { withCode: true, fixed: true },
      text: formatAmount(units, usd, { withCode: true, fixed: true }),
    },
  ]),
});

// keys.json
write('keys.json', {
  description:
    'Secret key -> compressed public key, hub id and payee id; channel id; the hub-merchant MAC key from either side.',
  keys: ['hub', 'client', 'merchant', 'a', 'b'].map((label) => {
    const secretKey = testKey(label);
    const publicKey = publicKeyOf(secretKey);
    return { label, secretKey, publicKey, hubId: hubIdFromKey(publicKey), payeeId: payeeIdFromKey(publicKey) };
  }),
  channelIds: [nonce, new Uint8Array(16), new Uint8Array(16).fill(0xff)].map((n) => ({
    hubId,
    clientKey,
    nonce: n,
    channelId: channelIdOf(hubId, clientKey, n),
  })),
  merchantKeys: [1, 2].map((net) => ({
    hubSecretKey: hubSecret,
    hubPublicKey: hubKey,
    merchantSecretKey: merchantSecret,
    merchantPublicKey: merchantKey,
    networkId: net,
    hubId,
    payeeId: payee,
    key: deriveMerchantKey({ secretKey: hubSecret, peerKey: merchantKey, networkId: net, hubId, payeeId: payee }),
  })),
});

// log.json
const entries: PaymentEntry[] = [1n, 500n, 2n ** 63n - 1n].map((amount, i) => ({
  payee,
  invoiceId: asInvoiceId(sha256(new Uint8Array([i])).subarray(0, 16)),
  amount,
}));
let head = logGenesis(domain, channelId);
const steps = entries.map((entry) => {
  head = logStep(head, entry);
  return { entry, entryBytes: entryBytes(entry), head };
});
write('log.json', {
  description:
    'head_0 = sha256(header(logGenesis) || hubId || channelId); head_n = sha256(head_{n-1} || payee || invoiceId || amount u64).',
  domain,
  channelId,
  genesis: logGenesis(domain, channelId),
  steps,
});

// signing.json
const voucher = { channelId, seq: 3, cumulative: 501n, logHead: steps[1]!.head };
const open = { clientKey, nonce, asset: usd, deposit: 1_000_000n, expiresAtMs: 1_900_000_000_000 };
const topUp = { channelId, deposit: 2_000_000n };
const challenge = sha256(new TextEncoder().encode('challenge'));
const requestBody = {
  networkId,
  hubId,
  payee,
  invoiceId: entries[1]!.invoiceId,
  asset: usd,
  amount: 500n,
  expiresAtMs: 1_800_000_000_000,
  resource: resourceHash('GET /articles/42'),
};
const request = createPaymentRequest(macKey, requestBody);
const receiptBody = {
  networkId,
  hubId,
  channelId,
  seq: 3,
  payee,
  invoiceId: entries[1]!.invoiceId,
  asset: usd,
  amount: 500n,
};
const receipt = createReceipt(macKey, receiptBody);
write('signing.json', {
  description:
    'Signed layouts: signature = ECDSA-secp256k1(sha256(signingBytes)), RFC 6979 with `entropy` as extra data, compact 64 bytes, low-S. MAC layouts: HMAC-SHA256(key, bytes).',
  domain,
  voucher: { fields: voucher, ...signed(clientSecret, voucherSigningBytes(domain, voucher), 'voucher') },
  close: { fields: voucher, ...signed(clientSecret, closeSigningBytes(domain, voucher), 'close') },
  open: { fields: open, ...signed(clientSecret, openSigningBytes(domain, open), 'open') },
  topUp: { fields: topUp, ...signed(clientSecret, topUpSigningBytes(domain, topUp), 'topUp') },
  auth: {
    fields: { challenge, clientKey },
    ...signed(clientSecret, authSigningBytes(domain, challenge, clientKey), 'auth'),
  },
  paymentRequest: {
    resourceText: 'GET /articles/42',
    fields: requestBody,
    key: macKey,
    bytes: paymentRequestBytes(requestBody),
    mac: request.mac,
    token: encodePaymentRequest(request),
  },
  receipt: {
    fields: receiptBody,
    key: macKey,
    bytes: receiptBytes(receiptBody),
    mac: receipt.mac,
    token: encodeReceipt(receipt),
  },
});

// signatures.json
const message = voucherSigningBytes(domain, voucher);
const good = signWithEntropy(clientSecret, message, entropyFor('sig'));
const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const high = new Uint8Array(good);
high.set(Buffer.from((n - BigInt(`0x${hex(good.subarray(32))}`)).toString(16).padStart(64, '0'), 'hex'), 32);
const other = publicKeyOf(testKey('b'));
write('signatures.json', {
  description:
    'checkSignature outcomes: valid | malformed (not 64 bytes) | highS (s > n/2, or r/s out of range) | invalid.',
  message,
  publicKey: clientKey,
  cases: [
    { name: 'valid', signature: good, publicKey: clientKey, expected: 'valid' },
    { name: 'high-S twin of a valid signature', signature: high, publicKey: clientKey, expected: 'highS' },
    { name: 'another key', signature: good, publicKey: other, expected: 'invalid' },
    { name: '63 bytes', signature: good.subarray(0, 63), publicKey: clientKey, expected: 'malformed' },
    { name: '65 bytes', signature: new Uint8Array([...good, 1]), publicKey: clientKey, expected: 'malformed' },
    {
      name: 'r = 0',
      signature: new Uint8Array([...new Uint8Array(32), ...good.subarray(32)]),
      publicKey: clientKey,
      expected: 'highS',
    },
    {
      name: 'flipped bit',
      signature: new Uint8Array([...good.subarray(0, 63), (good[63] as number) ^ 1]),
      publicKey: clientKey,
      expected: 'invalid',
    },
  ],
});

// frames.json
const sig = signWithEntropy(clientSecret, message, entropyFor('frame'));
const state = {
  channelId,
  clientKey,
  asset: usd,
  deposit: 1_000_000n,
  expiresAtMs: 1_900_000_000_000,
  seq: 3,
  cumulative: 501n,
  logHead: steps[1]!.head,
  signature: sig,
  status: 'open' as const,
};
const clientMessages: ClientMessage[] = [
  { type: 'auth', clientKey, signature: sig },
  { type: 'open', id: 1, nonce, asset: usd, deposit: 1_000_000n, expiresAtMs: 1_900_000_000_000, signature: sig },
  { type: 'topUp', id: 2, channelId, deposit: 2_000_000n, signature: sig },
  {
    type: 'pay',
    channelId,
    seq: 3,
    cumulative: 501n,
    logHead: steps[1]!.head,
    signature: sig,
    entries: [
      {
        payee,
        invoiceId: entries[1]!.invoiceId,
        amount: 500n,
        expiresAtMs: 1_800_000_000_000,
        resource: requestBody.resource,
        mac: request.mac,
      },
    ],
  },
  { type: 'close', id: 3, channelId, seq: 3, cumulative: 501n, logHead: steps[1]!.head, signature: sig },
  { type: 'sync', id: 4, channelId },
  { type: 'log', id: 5, channelId, fromSeq: 1, limit: 100 },
];
const hubMessages: HubMessage[] = [
  { type: 'challenge', version: 1, networkId, hubId, hubKey, nonce: challenge },
  { type: 'welcome', timeMs: 1_700_000_000_000 },
  { type: 'state', id: 4, state },
  { type: 'receipts', channelId, seq: 3, macs: [receipt.mac] },
  {
    type: 'logPage',
    id: 5,
    channelId,
    vouchers: [{ seq: 3, cumulative: 501n, logHead: steps[1]!.head, entries: [entries[1]!], macs: [receipt.mac] }],
    more: false,
  },
  { type: 'reject', channelId, seq: 5, code: 'SEQ_GAP', message: 'expected seq 4, got 5', state },
  {
    type: 'reject',
    channelId,
    seq: 4,
    code: 'INVOICE_EXPIRED',
    message: 'entry 2: payment request expired',
    state,
    entry: 2,
  },
];
const raw = new Packr({ useRecords: false, variableMapSize: true });
write('frames.json', {
  description:
    'Messages in their typed form (bytes as hex, 64-bit ints as decimal) and their exact msgpack frames as this encoder writes them.',
  client: clientMessages.map((m) => ({ message: m, frame: encodeClientMessage(m) })),
  hub: hubMessages.map((m) => ({ message: m, frame: encodeHubMessage(m) })),
  invalid: [
    { name: 'nil', frame: new Uint8Array([0xc0]), code: 'MALFORMED_FRAME' },
    { name: 'unknown type', frame: raw.pack({ t: 'steal' }), code: 'MALFORMED_FRAME' },
    { name: 'extra key', frame: raw.pack({ t: 'sync', id: 1, ch: new Uint8Array(32), x: 0 }), code: 'MALFORMED_FRAME' },
    {
      name: 'short channel id',
      frame: raw.pack({ t: 'sync', id: 1, ch: new Uint8Array(31) }),
      code: 'MALFORMED_FRAME',
    },
    {
      name: 'timestamp extension',
      frame: new Uint8Array([0x81, 0xa1, 0x74, 0xd6, 0xff, 0, 0, 0, 1]),
      code: 'MALFORMED_FRAME',
    },
    {
      name: 'trailing byte',
      frame: new Uint8Array([...raw.pack({ t: 'sync', id: 1, ch: new Uint8Array(32) }), 0]),
      code: 'MALFORMED_FRAME',
    },
    {
      name: 'negative amount',
      frame: raw.pack({ t: 'topUp', id: 1, ch: new Uint8Array(32), dep: -1, sig: new Uint8Array(64) }),
      code: 'MALFORMED_FRAME',
    },
  ],
});

// settlement.json
const split = settle(1_000_000n, [...entries.slice(0, 2), { ...entries[0]!, payee: channelId as never }], 25_000);
write('settlement.json', {
  description: 'fee = floor(gross * feePpm / 1e6) per payee on its cumulative total; refund = deposit - paid.',
  fees: [0n, 1n, 39n, 40n, 1_000n, 2n ** 63n - 1n].map((gross) => ({
    gross,
    feePpm: 25_000,
    fee: feeOf(gross, 25_000),
  })),
  settlement: {
    deposit: 1_000_000n,
    feePpm: 25_000,
    entries: [...entries.slice(0, 2), { ...entries[0]!, payee: channelId }],
    result: split,
  },
});
console.log(`wrote vectors to ${out}`);
