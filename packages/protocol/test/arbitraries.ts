/** fast-check arbitraries for every wire message, used by codec and fuzz tests. */
import fc from 'fast-check';
import {
  amountMax,
  type ChannelState,
  type ClientMessage,
  channelStatuses,
  entriesPerVoucherMax,
  type HubMessage,
  memoCharsMax,
  type RejectCode,
  rejectCodes,
  seqMax,
  timeMsMax,
} from '../src/index.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const amount = fc.bigInt({ min: 0n, max: amountMax });
const positive = fc.bigInt({ min: 1n, max: amountMax });
const seq = fc.integer({ min: 0, max: seqMax });
const timeMs = fc.integer({ min: 0, max: timeMsMax });
const id = fc.integer({ min: 0, max: 0xffff_ffff });
const asset = fc.record({
  code: fc.stringMatching(/^[A-Z][A-Z0-9]{0,11}$/),
  scale: fc.integer({ min: 0, max: 18 }),
});

const state: fc.Arbitrary<ChannelState> = fc.record(
  {
    channelId: bytes(32),
    clientKey: bytes(33),
    asset,
    deposit: amount,
    expiresAtMs: timeMs,
    seq,
    cumulative: amount,
    logHead: bytes(32),
    signature: bytes(64),
    status: fc.constantFrom(...channelStatuses),
  },
  {
    requiredKeys: [
      'channelId',
      'clientKey',
      'asset',
      'deposit',
      'expiresAtMs',
      'seq',
      'cumulative',
      'logHead',
      'status',
    ],
  },
) as fc.Arbitrary<ChannelState>;

const payEntry = fc.record({
  payee: bytes(32),
  invoiceId: bytes(16),
  amount: positive,
  expiresAtMs: timeMs,
  resource: bytes(32),
  mac: bytes(32),
});

/** A memo of up to memoCharsMax characters (UTF-16 code units), any text. */
const memo = fc.string({ maxLength: memoCharsMax, unit: 'grapheme' }).filter((m) => m.length <= memoCharsMax);

/** Any valid client-to-hub message. */
export const clientMessage = fc.oneof(
  fc.record({ type: fc.constant('auth' as const), clientKey: bytes(33), signature: bytes(64) }),
  fc.record({
    type: fc.constant('open' as const),
    id,
    nonce: bytes(16),
    asset,
    deposit: amount,
    expiresAtMs: timeMs,
    signature: bytes(64),
  }),
  fc.record({ type: fc.constant('topUp' as const), id, channelId: bytes(32), deposit: amount, signature: bytes(64) }),
  fc.record({
    type: fc.constant('pay' as const),
    id,
    channelId: bytes(32),
    seq,
    cumulative: amount,
    logHead: bytes(32),
    signature: fc.uint8Array({ minLength: 1, maxLength: 72 }),
    entries: fc.array(payEntry, { minLength: 0, maxLength: 8 }),
  }),
  fc.record({
    type: fc.constant('close' as const),
    id,
    channelId: bytes(32),
    seq,
    cumulative: amount,
    logHead: bytes(32),
    signature: bytes(64),
  }),
  fc.record({ type: fc.constant('sync' as const), id, channelId: bytes(32) }),
  fc.record({
    type: fc.constant('log' as const),
    id,
    channelId: bytes(32),
    fromSeq: fc.integer({ min: 1, max: seqMax }),
    limit: fc.integer({ min: 1, max: 256 }),
  }),
  fc.record({ type: fc.constant('receive' as const), id, after: seq }),
  fc.record({ type: fc.constant('ack' as const), seq: fc.integer({ min: 1, max: seqMax }) }),
  fc.record({ type: fc.constant('spend' as const), id, ref: bytes(16), asset, amount: positive }),
  fc.record({
    type: fc.constant('invoice' as const),
    id,
    payee: bytes(32),
    asset,
    amount: positive,
    memo,
    reveal: fc.boolean(),
  }),
) as fc.Arbitrary<ClientMessage>;

const loggedVoucher = fc.integer({ min: 1, max: 4 }).chain((count) =>
  fc.record({
    seq: fc.integer({ min: 1, max: seqMax }),
    cumulative: amount,
    logHead: bytes(32),
    entries: fc.array(fc.record({ payee: bytes(32), invoiceId: bytes(16), amount: positive }), {
      minLength: count,
      maxLength: count,
    }),
    macs: fc.array(bytes(32), { minLength: count, maxLength: count }),
  }),
);

/** Any valid hub-to-client message. */
export const hubMessage = fc.oneof(
  fc.record({
    type: fc.constant('challenge' as const),
    version: fc.integer({ min: 0, max: 255 }),
    networkId: fc.integer({ min: 0, max: 0xffff_ffff }),
    hubId: bytes(32),
    hubKey: bytes(33),
    nonce: bytes(32),
  }),
  fc.record({ type: fc.constant('welcome' as const), timeMs }),
  fc.record({ type: fc.constant('state' as const), id, state }),
  fc.record({
    type: fc.constant('receipts' as const),
    channelId: bytes(32),
    seq,
    macs: fc.array(bytes(32), { minLength: 1, maxLength: entriesPerVoucherMax }),
  }),
  fc.record({
    type: fc.constant('logPage' as const),
    id,
    channelId: bytes(32),
    vouchers: fc.array(loggedVoucher, { maxLength: 3 }),
    more: fc.boolean(),
  }),
  fc.record({ type: fc.constant('receiving' as const), id, payee: bytes(32), acked: seq }),
  fc.record({ type: fc.constant('spent' as const), id, amount: positive }),
  fc.record({
    type: fc.constant('invoiced' as const),
    id,
    payee: bytes(32),
    invoiceId: bytes(16),
    asset,
    amount: positive,
    expiresAtMs: timeMs,
    resource: bytes(32),
    mac: bytes(32),
  }),
  fc.record(
    {
      type: fc.constant('incoming' as const),
      seq: fc.integer({ min: 1, max: seqMax }),
      channelId: bytes(32),
      voucherSeq: fc.integer({ min: 1, max: seqMax }),
      invoiceId: bytes(16),
      asset,
      amount: positive,
      memo,
      from: bytes(32),
      mac: bytes(32),
      timeMs,
    },
    {
      requiredKeys: ['type', 'seq', 'channelId', 'voucherSeq', 'invoiceId', 'asset', 'amount', 'memo', 'mac', 'timeMs'],
    },
  ),
  fc.record({
    type: fc.constant('cleared' as const),
    seq: fc.integer({ min: 1, max: seqMax }),
    channelId: bytes(32),
    afterVoucherSeq: seq,
    throughVoucherSeq: fc.integer({ min: 1, max: seqMax }),
    asset,
    payments: fc.integer({ min: 1, max: seqMax }),
    amount: positive,
    timeMs,
  }),
  fc.record(
    {
      type: fc.constant('reject' as const),
      id,
      channelId: bytes(32),
      seq,
      code: fc.constantFrom(...(Object.keys(rejectCodes) as RejectCode[])),
      message: fc.string({ maxLength: 100 }),
      state,
      entry: fc.integer({ min: 0, max: entriesPerVoucherMax - 1 }),
    },
    { requiredKeys: ['type', 'code', 'message'] },
  ),
) as fc.Arbitrary<HubMessage>;
