/**
 * The wire messages: a closed union each way. Every message is a msgpack map whose `t`
 * names its type; the other keys are exact. docs/protocol.md ("Messages") is the spec.
 */
import type { ChannelId, HubId, InvoiceId, LogHead, Mac, PayeeId, PublicKey, Signature } from './ids.js';
import { byteSizes } from './ids.js';
import {
  entriesPerVoucherMax,
  logVouchersPerPageMax,
  memoCharsMax,
  requestIdMax,
  seqMax,
  textCharsMax,
  timeMsMax,
} from './limits.js';
import { type RejectCode, rejectCodes } from './rejects.js';
import {
  amount,
  arrayOf,
  assetCodec,
  boolean,
  bytes,
  type Codec,
  oneOf,
  optional,
  type RecordOf,
  record,
  required,
  text,
  uint,
} from './schema.js';

const requestId = uint(0, requestIdMax);
const seq = uint(0, seqMax);
const timeMs = uint(0, timeMsMax);
const channelId = bytes<ChannelId>(byteSizes.channelId);
const logHead = bytes<LogHead>(byteSizes.logHead);
const publicKey = bytes<PublicKey>(byteSizes.publicKey);
/** Signatures are read with any length up to a DER signature's 72 so that a wrong length gets its own reject code. */
const signature = bytes<Signature>(1, 72);
const mac = bytes<Mac>(byteSizes.mac);
const payee = bytes<PayeeId>(byteSizes.payeeId);
const invoiceId = bytes<InvoiceId>(byteSizes.invoiceId);

/** Lifecycle of a channel as the hub reports it (derived by the hub when it answers). */
export const channelStatuses = ['open', 'closing', 'closed', 'expired'] as const;
/** A channel's status. */
export type ChannelStatus = (typeof channelStatuses)[number];

const channelStateFields = {
  channelId: required('ch', channelId),
  clientKey: required('key', publicKey),
  asset: required('asset', assetCodec),
  deposit: required('dep', amount()),
  expiresAtMs: required('exp', timeMs),
  seq: required('seq', seq),
  cumulative: required('cum', amount()),
  logHead: required('head', logHead),
  /** The client's signature on the latest voucher (64 bytes: the hub accepted it); absent while seq is 0. */
  signature: optional('sig', bytes<Signature>(byteSizes.signature)),
  status: required('st', oneOf(...channelStatuses)),
};
const channelStateCodec = record(channelStateFields);
/** A channel's latest accepted state as the hub reports it. */
export type ChannelState = RecordOf<typeof channelStateFields>;

const payEntryFields = {
  payee: required('payee', payee),
  invoiceId: required('inv', invoiceId),
  amount: required('amt', amount(1n)),
  expiresAtMs: required('exp', timeMs),
  resource: required('res', bytes(byteSizes.resource)),
  mac: required('mac', mac),
};
/** One entry of a `pay` frame: the payment entry plus the rest of its payment request. */
export type PayEntry = RecordOf<typeof payEntryFields>;

const loggedEntryFields = {
  payee: required('payee', payee),
  invoiceId: required('inv', invoiceId),
  amount: required('amt', amount(1n)),
};

const loggedVoucherFields = {
  seq: required('seq', uint(1, seqMax)),
  cumulative: required('cum', amount()),
  logHead: required('head', logHead),
  entries: required('entries', arrayOf(record(loggedEntryFields), 1, entriesPerVoucherMax)),
  macs: required('macs', arrayOf(mac, 1, entriesPerVoucherMax)),
};
/** One accepted voucher in a log page, with its entries and their receipt MACs. */
export type LoggedVoucher = RecordOf<typeof loggedVoucherFields>;

/** How a channel's close was started, as the ledger records it. */
export const closeKinds = ['cooperative', 'client', 'hub', 'expiry'] as const;
/** How a channel's close was started. */
export type CloseKind = (typeof closeKinds)[number];

const recordedCloseFields = {
  /** Who started the close. */
  by: required('by', oneOf(...closeKinds)),
  /** The state the ledger holds for the close now (the newest submitted in the window). */
  seq: required('seq', seq),
  cumulative: required('cum', amount()),
  logHead: required('head', logHead),
  /** When the challenge window ends: from then on nothing replaces the state, and it is settled. */
  endsAtMs: required('ends', timeMs),
};
/** A close as the ledger records it: who started it, the state it holds, when its window ends. */
export type RecordedClose = RecordOf<typeof recordedCloseFields>;

/** Every client-to-hub message's fields, by type. */
const clientSchemas = {
  auth: {
    clientKey: required('key', publicKey),
    signature: required('sig', signature),
  },
  open: {
    id: required('id', requestId),
    nonce: required('nonce', bytes(byteSizes.channelNonce)),
    asset: required('asset', assetCodec),
    deposit: required('dep', amount()),
    expiresAtMs: required('exp', timeMs),
    signature: required('sig', signature),
  },
  topUp: {
    id: required('id', requestId),
    channelId: required('ch', channelId),
    deposit: required('dep', amount()),
    signature: required('sig', signature),
  },
  pay: {
    /** Echoed in a reject of this frame, so a client with several vouchers in flight can tell which one it is about. */
    id: required('id', requestId),
    channelId: required('ch', channelId),
    seq: required('seq', seq),
    cumulative: required('cum', amount()),
    logHead: required('head', logHead),
    signature: required('sig', signature),
    entries: required('entries', arrayOf(record(payEntryFields), 0, entriesPerVoucherMax)),
  },
  close: {
    id: required('id', requestId),
    channelId: required('ch', channelId),
    seq: required('seq', seq),
    cumulative: required('cum', amount()),
    logHead: required('head', logHead),
    signature: required('sig', signature),
  },
  /**
   * A unilateral close: the client's state (a voucher signature over seq, cumulative and
   * log head; none for seq 0), recorded on the ledger, settled when the window ends.
   */
  forceClose: {
    id: required('id', requestId),
    channelId: required('ch', channelId),
    seq: required('seq', seq),
    cumulative: required('cum', amount()),
    logHead: required('head', logHead),
    signature: optional('sig', signature),
  },
  sync: {
    id: required('id', requestId),
    channelId: required('ch', channelId),
  },
  log: {
    id: required('id', requestId),
    channelId: required('ch', channelId),
    fromSeq: required('from', uint(1, seqMax)),
    limit: required('limit', uint(1, logVouchersPerPageMax)),
  },
  /**
   * Registers the session's key as a payee (a wallet that can be paid; its payee id is
   * derived from the key, the session's authentication is the key's signature) and asks for
   * the incoming payments after inbox seq `after`, then each new one as it arrives.
   */
  receive: {
    id: required('id', requestId),
    after: required('after', seq),
  },
  /** The client holds every incoming payment up to inbox seq `seq` durably: the hub's cursor moves there. */
  ack: {
    seq: required('seq', uint(1, seqMax)),
  },
  /**
   * Asks the hub for a payment request to pay a wallet-payee `payee` `amount` in `asset`,
   * with a memo; `reveal`: tell the payee the payer's payee id.
   */
  invoice: {
    id: required('id', requestId),
    payee: required('payee', payee),
    asset: required('asset', assetCodec),
    amount: required('amt', amount(1n)),
    memo: required('memo', text(memoCharsMax)),
    reveal: required('reveal', boolean),
    /** Paying a money request: its id (`moneyRequestId`); the hub then makes the same invoice every time, so it is paid once. */
    request: optional('req', invoiceId),
  },
  /**
   * Moves `amount` of what this payee received into the session key's payer account, so
   * its own channel can be topped up with it: the hub first claims the channels that paid
   * it (ADR 0242). `ref` names the move: asked again, it moves nothing more.
   */
  spend: {
    id: required('id', requestId),
    ref: required('ref', bytes(16)),
    asset: required('asset', assetCodec),
    amount: required('amt', amount(1n)),
  },
};

/** Every hub-to-client message's fields, by type. */
const hubSchemas = {
  challenge: {
    version: required('v', uint(0, 255)),
    networkId: required('net', uint(0, 0xffff_ffff)),
    hubId: required('hub', bytes<HubId>(byteSizes.hubId)),
    hubKey: required('hubKey', publicKey),
    nonce: required('nonce', bytes(byteSizes.challengeNonce)),
  },
  welcome: {
    timeMs: required('time', timeMs),
  },
  state: {
    id: required('id', requestId),
    state: required('state', channelStateCodec),
  },
  receipts: {
    channelId: required('ch', channelId),
    seq: required('seq', seq),
    macs: required('macs', arrayOf(mac, 1, entriesPerVoucherMax)),
  },
  logPage: {
    id: required('id', requestId),
    channelId: required('ch', channelId),
    vouchers: required('vouchers', arrayOf(record(loggedVoucherFields), 0, logVouchersPerPageMax)),
    more: required('more', boolean),
  },
  /**
   * A close is recorded on the ledger (or its state replaced): the answer to `forceClose`
   * (with its id), or a notice to the owner's connections (without).
   */
  closing: {
    id: optional('id', requestId),
    channelId: required('ch', channelId),
    state: required('state', channelStateCodec),
    close: required('close', record(recordedCloseFields)),
  },
  /** A notice: the channel was finalized on the ledger at (seq, cumulative); `refund` went back to the payer. */
  closed: {
    channelId: required('ch', channelId),
    state: required('state', channelStateCodec),
    seq: required('seq', seq),
    cumulative: required('cum', amount()),
    refund: required('refund', amount()),
  },
  /** The answer to `receive`: the payee id registered, and the inbox seq the hub holds acknowledged. */
  receiving: {
    id: required('id', requestId),
    payee: required('payee', payee),
    acked: required('acked', seq),
  },
  /** The answer to `spend`: `amount` is in the payer account now (or was already, for the same `ref`). */
  spent: {
    id: required('id', requestId),
    amount: required('amt', amount(1n)),
  },
  /** The answer to `invoice`: the payment request the hub made for the wallet-payee (MAC'd with its key). */
  invoiced: {
    id: required('id', requestId),
    payee: required('payee', payee),
    invoiceId: required('inv', invoiceId),
    asset: required('asset', assetCodec),
    amount: required('amt', amount(1n)),
    expiresAtMs: required('exp', timeMs),
    resource: required('res', bytes(byteSizes.resource)),
    mac: required('mac', mac),
  },
  /**
   * A payment to this session's payee, durable at the hub: its inbox seq (1, 2, 3... per
   * payee, pushed in order), the payer's channel and voucher, the invoice, amount and memo,
   * the receipt MAC, when it was accepted, and the payer's payee id when the payer revealed it.
   */
  incoming: {
    seq: required('seq', uint(1, seqMax)),
    channelId: required('ch', channelId),
    voucherSeq: required('vseq', uint(1, seqMax)),
    invoiceId: required('inv', invoiceId),
    asset: required('asset', assetCodec),
    amount: required('amt', amount(1n)),
    memo: required('memo', text(memoCharsMax)),
    from: optional('from', payee),
    mac: required('mac', mac),
    timeMs: required('time', timeMs),
  },
  /**
   * Payments to this session's payee were settled on the ledger (ADR 0243): an inbox item
   * like `incoming`, under the payee's next inbox seq (the two share the seqs, the cursor and
   * `ack`), after the payments it covers. They are those of the payer's channel in its
   * vouchers after `after` up to `vseq`: `n` payments, `amt` in all, cleared at `time`.
   */
  cleared: {
    seq: required('seq', uint(1, seqMax)),
    channelId: required('ch', channelId),
    afterVoucherSeq: required('after', seq),
    throughVoucherSeq: required('vseq', uint(1, seqMax)),
    asset: required('asset', assetCodec),
    payments: required('n', uint(1, seqMax)),
    amount: required('amt', amount(1n)),
    timeMs: required('time', timeMs),
  },
  reject: {
    id: optional('id', requestId),
    channelId: optional('ch', channelId),
    seq: optional('seq', seq),
    code: required('code', oneOf(...(Object.keys(rejectCodes) as RejectCode[]))),
    message: required('msg', text(textCharsMax)),
    state: optional('state', channelStateCodec),
    /** For a refusal of one entry of a voucher: its index in the voucher's entries. */
    entry: optional('entry', uint(0, entriesPerVoucherMax - 1)),
  },
};

type Messages<S> = { [K in keyof S]: { readonly type: K } & RecordOf<S[K]> }[keyof S];

/** A message from a client to the hub. */
export type ClientMessage = Messages<typeof clientSchemas>;
/** A message from the hub to a client. */
export type HubMessage = Messages<typeof hubSchemas>;
/** A client message of one type, e.g. `ClientMessageOf<'pay'>`. */
export type ClientMessageOf<T extends ClientMessage['type']> = Extract<ClientMessage, { type: T }>;
/** A hub message of one type, e.g. `HubMessageOf<'receipts'>`. */
export type HubMessageOf<T extends HubMessage['type']> = Extract<HubMessage, { type: T }>;

function codecsOf<S extends Record<string, Record<string, never> | object>>(schemas: S) {
  const out: Record<string, Codec<unknown>> = {};
  for (const [type, fields] of Object.entries(schemas)) {
    out[type] = record(fields as never, { t: type }) as Codec<unknown>;
  }
  return out;
}

/** Codecs by message type, client-to-hub. */
export const clientMessageCodecs = codecsOf(clientSchemas);
/** Codecs by message type, hub-to-client. */
export const hubMessageCodecs = codecsOf(hubSchemas);
