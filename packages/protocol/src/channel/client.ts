/**
 * The client's side of a channel as pure functions: build the next voucher from payment
 * requests, and reconcile with the state the hub reports. The wallet shell signs,
 * persists the signed voucher, and only then sends it.
 */
import { type Asset, sameAsset } from '../amount.js';
import { equalBytes } from '../bytes.js';
import type { Domain } from '../domain.js';
import { TrickleError } from '../errors.js';
import type { ChannelId, LogHead, PublicKey } from '../ids.js';
import { checkSignature, type Verifier } from '../keys.js';
import { entriesPerVoucherMax } from '../limits.js';
import { logStep, type PaymentEntry } from '../log.js';
import { invoiceMapKey } from '../mapKey.js';
import type { ChannelState, PayEntry } from '../messages.js';
import type { PaymentRequest } from '../paymentRequest.js';
import { type VoucherBody, voucherSigningBytes } from '../voucher.js';

/** The client's view of a channel: the latest state it has signed. */
export interface ClientChannel {
  readonly channelId: ChannelId;
  readonly asset: Asset;
  readonly deposit: bigint;
  readonly expiresAtMs: number;
  readonly seq: number;
  readonly cumulative: bigint;
  readonly logHead: LogHead;
}

/** Codes of {@link PaymentError}. */
export type PaymentErrorCode =
  | 'WRONG_HUB'
  | 'ASSET_MISMATCH'
  | 'INVOICE_EXPIRED'
  | 'DUPLICATE_INVOICE'
  | 'INSUFFICIENT_CHANNEL_BALANCE'
  | 'CHANNEL_EXPIRED';

/**
 * A payment the client refuses to sign, before anything is signed or sent.
 *
 * @example
 * ```ts
 * import { PaymentError } from '@trickle/protocol';
 * new PaymentError('INSUFFICIENT_CHANNEL_BALANCE', 'needs 5, has 3').code;
 * ```
 */
export class PaymentError extends TrickleError {
  override name = 'PaymentError';
  declare readonly code: PaymentErrorCode;
  constructor(code: PaymentErrorCode, message: string) {
    super(code, message);
  }
}

/** What {@link preparePayment} returns: the next channel, the voucher body to sign, and the frame's entries. */
export interface PreparedPayment {
  readonly channel: ClientChannel;
  readonly voucher: VoucherBody;
  readonly entries: readonly PayEntry[];
}

/**
 * Builds the next voucher covering `requests` (one or more payments, in order): checks
 * each request is for this hub, network and asset, unexpired, not repeated, and that the
 * total stays within the deposit; throws {@link PaymentError} otherwise. Pure: the caller
 * signs `voucher` and persists it before sending.
 *
 * @example
 * ```ts
 * import { preparePayment } from '@trickle/protocol';
 * declare const domain: Parameters<typeof preparePayment>[0], channel: Parameters<typeof preparePayment>[1];
 * declare const requests: Parameters<typeof preparePayment>[2];
 * const { voucher, entries } = preparePayment(domain, channel, requests, Date.now());
 * ```
 */
export function preparePayment(
  domain: Domain,
  channel: ClientChannel,
  requests: readonly PaymentRequest[],
  nowMs: number,
): PreparedPayment {
  if (requests.length < 1 || requests.length > entriesPerVoucherMax) {
    throw new RangeError(`requests: expected 1..${entriesPerVoucherMax}, got ${requests.length}`);
  }
  if (nowMs >= channel.expiresAtMs) throw new PaymentError('CHANNEL_EXPIRED', 'the channel has expired');
  const seen = new Set<string>();
  const entries: PayEntry[] = [];
  let head = channel.logHead;
  let cumulative = channel.cumulative;
  for (const request of requests) {
    if (request.networkId !== domain.networkId || !equalBytes(request.hubId, domain.hubId)) {
      throw new PaymentError('WRONG_HUB', 'the payment request is for another hub or network');
    }
    if (!sameAsset(request.asset, channel.asset)) {
      throw new PaymentError(
        'ASSET_MISMATCH',
        `the request is in ${request.asset.code}, the channel in ${channel.asset.code}`,
      );
    }
    if (request.expiresAtMs <= nowMs) throw new PaymentError('INVOICE_EXPIRED', 'the payment request has expired');
    const key = invoiceMapKey(request.payee, request.invoiceId);
    if (seen.has(key)) throw new PaymentError('DUPLICATE_INVOICE', 'the same invoice appears twice');
    seen.add(key);
    cumulative += request.amount;
    const entry: PaymentEntry = { payee: request.payee, invoiceId: request.invoiceId, amount: request.amount };
    head = logStep(head, entry);
    entries.push({
      payee: request.payee,
      invoiceId: request.invoiceId,
      amount: request.amount,
      expiresAtMs: request.expiresAtMs,
      resource: request.resource,
      mac: request.mac,
    });
  }
  if (cumulative > channel.deposit) {
    throw new PaymentError(
      'INSUFFICIENT_CHANNEL_BALANCE',
      `needs ${cumulative - channel.cumulative}, the channel has ${channel.deposit - channel.cumulative} left`,
    );
  }
  const voucher: VoucherBody = { channelId: channel.channelId, seq: channel.seq + 1, cumulative, logHead: head };
  return { channel: { ...channel, seq: voucher.seq, cumulative, logHead: head }, voucher, entries };
}

/** How the client's state relates to the hub's. */
export type Reconciliation =
  /** Same state on both sides. */
  | { readonly kind: 'inSync'; readonly channel: ClientChannel }
  /** The hub is behind: resend the signed vouchers after `hubSeq`. */
  | { readonly kind: 'hubBehind'; readonly hubSeq: number; readonly channel: ClientChannel }
  /** The hub holds a newer (or different) state signed by this client: adopt it. */
  | { readonly kind: 'adopt'; readonly channel: ClientChannel }
  /** The hub's state is not signed by this client's key: do not trust it. */
  | { readonly kind: 'untrusted'; readonly reason: string };

/**
 * Compares the client's latest signed state with the hub's report. A hub state is only
 * adopted when it carries this client's own valid signature, so a hub cannot invent
 * payments. The deposit is taken from the hub when higher (a top-up the client made).
 *
 * @example
 * ```ts
 * import { reconcile, nobleVerifier } from '@trickle/protocol';
 * declare const args: [Parameters<typeof reconcile>[0], Parameters<typeof reconcile>[1], Parameters<typeof reconcile>[2], Parameters<typeof reconcile>[3]];
 * const result = reconcile(args[0], args[1], args[2], args[3], nobleVerifier);
 * ```
 */
export function reconcile(
  domain: Domain,
  local: ClientChannel,
  remote: ChannelState,
  clientKey: PublicKey,
  verifier: Verifier,
): Reconciliation {
  if (!equalBytes(remote.channelId, local.channelId) || !equalBytes(remote.clientKey, clientKey)) {
    return { kind: 'untrusted', reason: 'the state is for another channel or key' };
  }
  // biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigints.
  const deposit = remote.deposit > local.deposit ? remote.deposit : local.deposit;
  const withDeposit: ClientChannel = { ...local, deposit };
  const same =
    remote.seq === local.seq && remote.cumulative === local.cumulative && equalBytes(remote.logHead, local.logHead);
  if (same) return { kind: 'inSync', channel: withDeposit };
  if (remote.seq < local.seq) return { kind: 'hubBehind', hubSeq: remote.seq, channel: withDeposit };
  if (remote.signature === undefined) return { kind: 'untrusted', reason: 'a newer state without a signature' };
  const body: VoucherBody = {
    channelId: remote.channelId,
    seq: remote.seq,
    cumulative: remote.cumulative,
    logHead: remote.logHead,
  };
  const check = checkSignature(verifier, remote.signature, voucherSigningBytes(domain, body), clientKey);
  if (check !== 'valid') return { kind: 'untrusted', reason: `the hub's state signature is ${check}` };
  return {
    kind: 'adopt',
    channel: { ...withDeposit, seq: remote.seq, cumulative: remote.cumulative, logHead: remote.logHead },
  };
}
