/**
 * Writes packages/protocol/test/vectors/*.json. Deterministic: running it again writes
 * the same bytes (keys from labels, signatures with fixed extra entropy).
 * Run: pnpm --filter @trickle/protocol vectors
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonical, cat, rawMap, token, twice, withPairs, withValue } from '@trickle/testing/harness';
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
  type WireValue,
  writeCanonical,
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
    id: 6,
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
  { type: 'forceClose', id: 6, channelId, seq: 3, cumulative: 501n, logHead: steps[1]!.head, signature: sig },
  { type: 'forceClose', id: 7, channelId, seq: 0, cumulative: 0n, logHead: logGenesis(domain, channelId) },
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
  {
    type: 'closing',
    id: 6,
    channelId,
    state: { ...state, status: 'closing' },
    close: { by: 'client', seq: 3, cumulative: 501n, logHead: steps[1]!.head, endsAtMs: 1_700_003_600_000 },
  },
  { type: 'closed', channelId, state: { ...state, status: 'closed' }, seq: 3, cumulative: 501n, refund: 999_499n },
  // A clearing notice to a wallet-payee (section 8.2): the payer's vouchers 1..3 settled 2 payments to it.
  {
    type: 'cleared',
    seq: 7,
    channelId,
    afterVoucherSeq: 0,
    throughVoucherSeq: 3,
    asset: usd,
    payments: 2,
    amount: 501n,
    timeMs: 1_700_000_360_000,
  },
  // A reject of a pay frame: its id, channel and seq, and the hub's state.
  { type: 'reject', id: 8, channelId, seq: 5, code: 'SEQ_GAP', message: 'expected seq 4, got 5', state },
  // A reject of one entry of a voucher: its index too.
  {
    type: 'reject',
    id: 7,
    channelId,
    seq: 4,
    code: 'INVOICE_EXPIRED',
    message: 'entry 2: payment request expired',
    state,
    entry: 2,
  },
  // A reject of a request about a channel: its id and the hub's state.
  { type: 'reject', id: 2, code: 'TOPUP_NOT_INCREASING', message: 'the deposit is already 2000000', state },
  // A reject of a frame the hub could not decode, whose id it could still read (section 7.3).
  { type: 'reject', id: 6, code: 'MALFORMED_FRAME', message: 'client@260: a float: numbers are unsigned integers' },
  // A reject of a message without an id.
  { type: 'reject', code: 'AUTH_FAILED', message: 'the challenge signature does not verify under this key' },
];
const clientFrames = clientMessages.map((m) => ({ message: m, frame: encodeClientMessage(m) }));
const hubFrames = hubMessages.map((m) => ({ message: m, frame: encodeHubMessage(m) }));
const frameOf = (type: string) =>
  ([...clientFrames, ...hubFrames].find((f) => f.message.type === type) as { frame: Uint8Array }).frame;
const [payFrame, syncFrame, openFrame, topUpFrame, welcomeFrame, stateFrame] = [
  'pay',
  'sync',
  'open',
  'topUp',
  'welcome',
  'state',
].map(frameOf) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
const rejectFrame = frameOf('reject');
/** A frame a decoder of `side` refuses; for a client frame, the id the hub's reject echoes (section 7.3). */
type Invalid = { name: string; side: 'client' | 'hub'; frame: Uint8Array; code: string; requestId?: number };
const malformed = (side: 'client' | 'hub', name: string, frame: Uint8Array, requestId?: number): Invalid => ({
  name,
  side,
  frame,
  code: 'MALFORMED_FRAME',
  ...(requestId === undefined ? {} : { requestId }),
});
const invalid: Invalid[] = [
  // Floats, even integer-valued, and -0.0.
  malformed('client', 'pay seq as float 64', withValue(payFrame, ['seq'], token.f64(3)), 6),
  malformed('client', 'pay seq as float 32', withValue(payFrame, ['seq'], token.f32(3)), 6),
  malformed('client', 'pay seq as -0.0', withValue(payFrame, ['seq'], token.f64(-0)), 6),
  malformed('client', 'pay cum as float 64', withValue(payFrame, ['cum'], token.f64(501)), 6),
  malformed('client', 'entry amt as float 64', withValue(payFrame, ['entries', 0, 'amt'], token.f64(500)), 6),
  malformed('client', 'open dep as float 64', withValue(openFrame, ['dep'], token.f64(1_000_000)), 1),
  malformed('client', 'open exp as float 64', withValue(openFrame, ['exp'], token.f64(1_900_000_000_000)), 1),
  malformed('hub', 'welcome time as float 64', withValue(welcomeFrame, ['time'], token.f64(1_700_000_000_000))),
  malformed('hub', 'state exp as float 64', withValue(stateFrame, ['state', 'exp'], token.f64(1_900_000_000_000))),
  // Signed integer types and integers not in their shortest form.
  malformed('client', 'amount as int 64', withValue(topUpFrame, ['dep'], token.i64(2_000_000)), 2),
  malformed('client', 'a negative fixint', withValue(syncFrame, ['id'], token.negativeFixint(-1))),
  malformed('client', '4 as uint 8 (the id is still read)', withValue(syncFrame, ['id'], token.u8(4)), 4),
  malformed('client', '501 as uint 32', withValue(payFrame, ['cum'], token.u32(501)), 6),
  malformed(
    'client',
    '2^32-1 as uint 64 (the id is still read)',
    withValue(syncFrame, ['id'], token.u64(2 ** 32 - 1)),
    2 ** 32 - 1,
  ),
  // Headers not in their shortest form.
  malformed('client', 'the type as str 8', withValue(syncFrame, ['t'], token.str8('sync')), 4),
  malformed('client', '32 bytes as bin 16', withValue(syncFrame, ['ch'], token.bin16(channelId)), 4),
  // Keys twice (the first and the last value differ), out of order, not a string; nil; bad UTF-8; depth.
  malformed('client', 'seq twice', withPairs(payFrame, [], twice('seq', canonical(9))), 6),
  malformed('client', 'an entry key twice', withPairs(payFrame, ['entries', 0], twice('amt', canonical(1))), 6),
  malformed('client', 'id twice: no id is read', withPairs(syncFrame, [], twice('id', canonical(5)))),
  malformed(
    'client',
    'keys out of order (t first)',
    withPairs(syncFrame, [], ([ch, id, t]) => [t!, ch!, id!]),
    4,
  ),
  malformed(
    'client',
    'asset keys out of order',
    withPairs(openFrame, ['asset'], ([c, s]) => [s!, c!]),
    1,
  ),
  malformed('client', 'a key that is not a string', rawMap([[canonical(1), canonical(2)]])),
  malformed('hub', 'nil for sig', withValue(stateFrame, ['state', 'sig'], token.nil())),
  malformed('hub', 'a string that is not UTF-8', withValue(rejectFrame, ['msg'], token.strBytes([0x61, 0xff]))),
  malformed('client', 'maps nested 9 deep', cat(...new Array(8).fill([0x81, 0xa1, 0x61]), [0x80])),
  // Not one value of the protocol's msgpack.
  malformed('client', 'nil', new Uint8Array([0xc0])),
  malformed('client', 'timestamp extension', new Uint8Array([0x81, 0xa1, 0x74, 0xd6, 0xff, 0, 0, 0, 1])),
  malformed('client', 'trailing byte', cat(syncFrame, [0])),
  malformed('client', 'truncated', syncFrame.subarray(0, syncFrame.length - 1)),
  // The schema.
  malformed('client', 'unknown type', canonical({ id: 3, t: 'steal' }), 3),
  malformed('client', 'extra key', canonical({ t: 'sync', id: 4, ch: channelId, x: 0 }), 4),
  malformed('client', 'short channel id', canonical({ t: 'sync', id: 4, ch: channelId.subarray(0, 31) }), 4),
  malformed(
    'client',
    'pay without id',
    withPairs(payFrame, [], (pairs) => pairs.filter(([k]) => hex(k) !== 'a26964')),
  ),
  malformed('hub', 'state sig of 63 bytes', withValue(stateFrame, ['state', 'sig'], canonical(sig.subarray(0, 63)))),
  malformed('client', 'a hub frame read as a client frame', welcomeFrame),
];
// A hub frame is read by the hub-side decoder and vice versa.
invalid.push(malformed('hub', 'a client frame read as a hub frame', syncFrame));
write('frames.json', {
  description:
    'Messages in their typed form (bytes as hex, 64-bit ints as decimal) and their exact canonical msgpack frames (protocol.md 7.1); `invalid`: frames a decoder of `side` must refuse with `code`, echoing `requestId` in its reject when given (7.3); `encodings`: single values and their one encoding.',
  client: clientFrames,
  hub: hubFrames,
  invalid,
  encodings: [
    0,
    127,
    128,
    255,
    256,
    65_535,
    65_536,
    2 ** 32 - 1,
    2 ** 32,
    1_700_000_000_000,
    2 ** 53 - 1,
    2n ** 63n - 1n,
    2n ** 64n - 1n,
    true,
    '',
    'a'.repeat(31),
    'a'.repeat(32),
    'héllo ✓',
    new Uint8Array(0),
    new Uint8Array(255).fill(1),
    new Uint8Array(256).fill(1),
    [],
    new Array(16).fill(0),
    { time: 1, t: 'welcome', hubKey: 2, hub: 3 },
  ].map((value) => ({ value, bytes: writeCanonical(value as WireValue) })),
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
