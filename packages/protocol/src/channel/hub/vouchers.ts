/**
 * The voucher stage: a queue of `pay` frames of one channel checked by every rule, in two
 * steps so the shell can verify the newest signature off the event loop.
 */

import { equalBytes } from '../../bytes.js';
import type { Domain } from '../../domain.js';
import { present } from '../../errors.js';
import type { InvoiceId, LogHead, Mac, PayeeId } from '../../ids.js';
import { checkSignature, isLowS, type Verifier } from '../../keys.js';
import { logStep, type PaymentEntry } from '../../log.js';
import { invoiceMapKey } from '../../mapKey.js';
import type { ClientMessageOf, PayEntry } from '../../messages.js';
import { checkPaymentRequestMac } from '../../paymentRequest.js';
import type { RejectCode } from '../../rejects.js';
import { voucherSigningBytes } from '../../voucher.js';
import { channelStatus } from '../status.js';
import { type HubChannel, type Rejection, reject, type StageContext } from './channel.js';
import { type ReceiptContext, receiptMacs } from './receipts.js';

/** What the voucher rules need to know about payees and invoices (no verifier: the shell verifies). */
export interface VoucherRulesContext extends StageContext, ReceiptContext {
  /** True when this payee's invoice has been paid already, on any channel. */
  isInvoicePaid(payee: PayeeId, invoiceId: InvoiceId): boolean;
  /** The accepted state at an older seq, to recognise a resent voucher; omit if not kept. */
  acceptedAt?(seq: number): { readonly cumulative: bigint; readonly logHead: LogHead } | undefined;
}

/** What {@link acceptVouchers} needs: the rules' context and a synchronous verifier. */
export interface VoucherContext extends VoucherRulesContext {
  readonly verifier: Verifier;
}

/**
 * What the shell does about invoices once a decision is durable: the entries' invoices are
 * taken (the shell adds them to its cache of paid invoices, which the next decision reads
 * through `isInvoicePaid`). Nothing is reserved before the commit, so nothing is released
 * when a commit fails: the shell just drops the effects (the store's unique invoice index
 * is what makes an invoice single-use).
 */
export interface ReserveInvoices {
  readonly kind: 'reserveInvoices';
  /** The voucher the invoices were paid by. */
  readonly seq: number;
  readonly entries: readonly Pick<PaymentEntry, 'payee' | 'invoiceId'>[];
}

/** The voucher and entries of a `pay` frame: what the rules read (its `id` only correlates replies). */
export type PayFrame = Omit<ClientMessageOf<'pay'>, 'type' | 'id'>;

/** What happened to one voucher. */
export type VoucherOutcome =
  | {
      readonly kind: 'accepted';
      readonly seq: number;
      readonly entries: readonly PaymentEntry[];
      /** One receipt MAC per entry, in entry order. */
      readonly macs: readonly Mac[];
      /** The channel right after this voucher. */
      readonly channel: HubChannel;
    }
  | { readonly kind: 'duplicate'; readonly seq: number }
  | (Rejection & { readonly seq: number });

/** A voucher that passed every rule except its signature, with the state it leads to. */
export interface Candidate {
  readonly index: number;
  readonly frame: PayFrame;
  readonly entries: readonly PaymentEntry[];
  readonly next: HubChannel;
}

/**
 * Every voucher rule except the signature check, against `channel`: open, next seq,
 * entries valid (payee registered, request MAC right, unexpired, unpaid), cumulative =
 * previous + sum and within the deposit, entries hash to the log head, signature shaped
 * right (64 bytes, low-S). Returns the next channel, or a duplicate or a rejection.
 */
function checkStructure(
  channel: HubChannel,
  frame: PayFrame,
  context: VoucherRulesContext,
  batchInvoices: Set<string>,
  pendingBySeq: ReadonlyMap<number, HubChannel> | undefined,
): { kind: 'candidate'; entries: readonly PaymentEntry[]; next: HubChannel } | { kind: 'duplicate' } | Rejection {
  if (!equalBytes(frame.channelId, channel.channelId))
    return reject('UNKNOWN_CHANNEL', 'voucher names another channel');
  const status = channelStatus(channel, context.nowMs);
  if (status !== 'open')
    return reject(status === 'expired' ? 'CHANNEL_EXPIRED' : 'CHANNEL_CLOSED', `channel is ${status}`);
  if (frame.seq <= channel.seq) {
    // A resend of an accepted voucher, or of one earlier in this same queue, is a duplicate.
    // Seq 0 is the genesis state, which no voucher carries: never a duplicate.
    const accepted =
      frame.seq === 0
        ? undefined
        : frame.seq === channel.seq
          ? channel
          : (pendingBySeq?.get(frame.seq) ?? context.acceptedAt?.(frame.seq));
    if (accepted && accepted.cumulative === frame.cumulative && equalBytes(accepted.logHead, frame.logHead)) {
      return { kind: 'duplicate' };
    }
    return reject('STALE_VOUCHER', `seq ${frame.seq} is already used; the latest is ${channel.seq}`);
  }
  if (frame.seq !== channel.seq + 1) return reject('SEQ_GAP', `expected seq ${channel.seq + 1}, got ${frame.seq}`);
  if (frame.entries.length === 0) return reject('EMPTY_VOUCHER', 'a voucher must carry at least one entry');
  if (frame.signature.length !== 64) return reject('SIGNATURE_MALFORMED', 'signature must be 64 bytes');
  if (!isLowS(frame.signature)) return reject('SIGNATURE_HIGH_S', 'signature must be low-S');

  let sum = 0n;
  let head = channel.logHead;
  // Invoices of this voucher (a one-entry voucher cannot repeat one of its own).
  const local = frame.entries.length > 1 ? new Set<string>() : undefined;
  const keys: string[] = [];
  for (let i = 0; i < frame.entries.length; i++) {
    const entry = present(frame.entries[i], 'an entry per index');
    const problem = checkEntry(entry, channel, context);
    if (problem !== undefined) return reject(problem.code, `entry ${i}: ${problem.message}`, i);
    const key = invoiceMapKey(entry.payee, entry.invoiceId);
    if (local?.has(key) || batchInvoices.has(key) || context.isInvoicePaid(entry.payee, entry.invoiceId)) {
      return reject('INVOICE_ALREADY_PAID', `entry ${i}: invoice already paid`, i);
    }
    local?.add(key);
    keys.push(key);
    sum += entry.amount;
    // A pay entry is a log entry plus its request's fields: it is hashed and kept as is.
    head = logStep(head, entry);
  }
  const expected = channel.cumulative + sum;
  if (expected > channel.deposit) {
    return reject('EXCEEDS_DEPOSIT', `cumulative ${expected} would exceed the deposit ${channel.deposit}`);
  }
  if (frame.cumulative !== expected) {
    return reject('CUMULATIVE_MISMATCH', `cumulative must be ${expected}, got ${frame.cumulative}`);
  }
  if (!equalBytes(head, frame.logHead))
    return reject('LOG_HEAD_MISMATCH', 'entries do not hash to the signed log head');
  for (const key of keys) batchInvoices.add(key);
  return {
    kind: 'candidate',
    entries: frame.entries,
    next: { ...channel, seq: frame.seq, cumulative: expected, logHead: head, signature: frame.signature },
  };
}

function checkEntry(
  entry: PayEntry,
  channel: HubChannel,
  context: VoucherRulesContext,
): { code: RejectCode; message: string } | undefined {
  const key = context.payeeKey(entry.payee);
  if (key === undefined) return { code: 'UNKNOWN_PAYEE', message: 'payee is not registered here' };
  const request = {
    networkId: context.domain.networkId,
    hubId: context.domain.hubId,
    payee: entry.payee,
    invoiceId: entry.invoiceId,
    asset: channel.asset,
    amount: entry.amount,
    expiresAtMs: entry.expiresAtMs,
    resource: entry.resource,
    mac: entry.mac,
  };
  if (!checkPaymentRequestMac(key, request))
    return { code: 'REQUEST_INVALID', message: 'payment request MAC does not verify' };
  if (entry.expiresAtMs <= context.nowMs) return { code: 'INVOICE_EXPIRED', message: 'payment request expired' };
  return undefined;
}

/** Result of {@link checkVouchers}: what is decided without signatures, and what waits on one. */
export interface VoucherCheck {
  /** Outcomes decided already (duplicates and rejections), by frame index. */
  readonly decided: ReadonlyMap<number, VoucherOutcome>;
  /** Vouchers valid but for their signature, chained in order. */
  readonly candidates: readonly Candidate[];
}

/**
 * Step one of acceptance: applies every rule except the signature to a queue of frames
 * of one channel, chaining each candidate on the previous. Then verify the newest
 * candidate's signature (it commits to all earlier entries through the log head) and call
 * {@link settleVouchers}. Split in two so the shell can verify off the event loop.
 *
 * @example
 * ```ts
 * import { checkVouchers, settleVouchers } from '@trickle/protocol';
 * declare const channel: Parameters<typeof checkVouchers>[0], frames: Parameters<typeof checkVouchers>[1];
 * declare const context: Parameters<typeof checkVouchers>[2];
 * const check = checkVouchers(channel, frames, context);
 * // verify check.candidates' newest signature (possibly off the event loop), then:
 * const { outcomes } = settleVouchers(channel, frames.length, check, () => true, context);
 * ```
 */
export function checkVouchers(
  channel: HubChannel,
  frames: readonly PayFrame[],
  context: VoucherRulesContext,
): VoucherCheck {
  const decided = new Map<number, VoucherOutcome>();
  const candidates: Candidate[] = [];
  const batchInvoices = new Set<string>();
  // A resend of a voucher earlier in this same queue is recognised too (a queue of one has none).
  const pendingBySeq = frames.length > 1 ? new Map<number, HubChannel>() : undefined;
  let state = channel;
  for (let index = 0; index < frames.length; index++) {
    const frame = present(frames[index], 'a frame per index');
    const result = checkStructure(state, frame, context, batchInvoices, pendingBySeq);
    if (result.kind === 'candidate') {
      candidates.push({ index, frame, entries: result.entries, next: result.next });
      pendingBySeq?.set(frame.seq, result.next);
      state = result.next;
    } else if (result.kind === 'duplicate') {
      decided.set(index, { kind: 'duplicate', seq: frame.seq });
    } else {
      decided.set(index, { ...result, seq: frame.seq });
    }
  }
  return { decided, candidates };
}

/**
 * The signing bytes of a candidate's voucher, for the shell's verifier.
 *
 * @example
 * ```ts
 * import { candidateSigningBytes, checkVouchers } from '@trickle/protocol';
 * declare const domain: Parameters<typeof candidateSigningBytes>[0], check: ReturnType<typeof checkVouchers>;
 * const newest = check.candidates.at(-1);
 * if (newest) candidateSigningBytes(domain, newest).length; // 125
 * ```
 */
export function candidateSigningBytes(domain: Domain, candidate: Candidate): Uint8Array {
  return voucherSigningBytes(domain, candidate.frame);
}

/**
 * Step two: given which candidate signatures verify, decides every frame. `verified(i)`
 * answers for candidate i (in candidates order); it is asked for the newest first and,
 * only if that fails, for each from the oldest until one fails, so a bad last frame
 * cannot take good earlier payments down with it. Returns the final channel, one
 * outcome per frame, and the effects to carry out once the accepted vouchers are durable
 * (one {@link ReserveInvoices} per accepted voucher).
 *
 * @example
 * ```ts
 * import { settleVouchers } from '@trickle/protocol';
 * declare const args: Parameters<typeof settleVouchers>;
 * const { channel, outcomes } = settleVouchers(...args);
 * ```
 */
export function settleVouchers(
  channel: HubChannel,
  frameCount: number,
  check: VoucherCheck,
  verified: (candidateIndex: number) => boolean,
  context: VoucherRulesContext,
): VoucherSettlement {
  const outcomes: VoucherOutcome[] = new Array(frameCount);
  for (const [index, outcome] of check.decided) outcomes[index] = outcome;
  const { candidates } = check;
  let acceptedCount = candidates.length;
  if (candidates.length > 0 && !verified(candidates.length - 1)) {
    acceptedCount = 0;
    while (acceptedCount < candidates.length - 1 && verified(acceptedCount)) acceptedCount++;
  }
  let state = channel;
  const effects: ReserveInvoices[] = [];
  candidates.forEach((candidate, i) => {
    if (i < acceptedCount) {
      const macs = receiptMacs(candidate.next, candidate.frame.seq, candidate.entries, context);
      state = candidate.next;
      effects.push({ kind: 'reserveInvoices', seq: candidate.frame.seq, entries: candidate.entries });
      outcomes[candidate.index] = {
        kind: 'accepted',
        seq: candidate.frame.seq,
        entries: candidate.entries,
        macs,
        channel: state,
      };
    } else if (i === acceptedCount) {
      outcomes[candidate.index] = {
        ...reject('SIGNATURE_INVALID', 'voucher signature does not verify'),
        seq: candidate.frame.seq,
      };
    } else {
      outcomes[candidate.index] = {
        ...reject('SEQ_GAP', `voucher ${candidates[acceptedCount]?.frame.seq} before it was rejected`),
        seq: candidate.frame.seq,
      };
    }
  });
  // Frames decided in step one against a chain that included a rejected candidate are
  // re-decided against the real state: a "duplicate" of an unaccepted voucher is not one.
  for (const [index, outcome] of check.decided) {
    if (outcome.kind === 'duplicate' && outcome.seq > state.seq) {
      outcomes[index] = { ...reject('SEQ_GAP', `seq ${outcome.seq} was not accepted`), seq: outcome.seq };
    }
  }
  return { channel: state, outcomes, effects };
}

/** What {@link settleVouchers} decides. */
export interface VoucherSettlement {
  /** The channel after the last accepted voucher. */
  readonly channel: HubChannel;
  /** One per frame, in frame order. */
  readonly outcomes: VoucherOutcome[];
  /** To carry out once the accepted vouchers are durable, never before. */
  readonly effects: readonly ReserveInvoices[];
}

/**
 * When the store left a batch's write out because one of its invoices was paid already
 * (on another channel or by another hub process): the invoice to reserve before the batch
 * is decided again. `paid` names the entry as the store does (voucher seq, entry index).
 * Returns undefined when the outcomes hold no such entry (a store bug: answer INTERNAL).
 *
 * @example
 * ```ts
 * import { invoiceTaken } from '@trickle/protocol';
 * declare const outcomes: Parameters<typeof invoiceTaken>[0];
 * const effect = invoiceTaken(outcomes, { seq: 4, entry: 0 });
 * if (effect) console.log(effect.entries.length); // 1
 * ```
 */
export function invoiceTaken(
  outcomes: readonly VoucherOutcome[],
  paid: { readonly seq: number; readonly entry: number },
): ReserveInvoices | undefined {
  for (const outcome of outcomes) {
    if (outcome.kind !== 'accepted' || outcome.seq !== paid.seq) continue;
    const entry = outcome.entries[paid.entry];
    return entry === undefined ? undefined : { kind: 'reserveInvoices', seq: paid.seq, entries: [entry] };
  }
  return undefined;
}

/**
 * Accepts a queue of `pay` frames for one channel synchronously, verifying with
 * `context.verifier`: one signature check when the newest voucher is good.
 *
 * @example
 * ```ts
 * import { acceptVouchers } from '@trickle/protocol';
 * declare const channel: Parameters<typeof acceptVouchers>[0];
 * declare const frames: Parameters<typeof acceptVouchers>[1], context: Parameters<typeof acceptVouchers>[2];
 * const { channel: next, outcomes } = acceptVouchers(channel, frames, context);
 * ```
 */
export function acceptVouchers(
  channel: HubChannel,
  frames: readonly PayFrame[],
  context: VoucherContext,
): VoucherSettlement {
  const check = checkVouchers(channel, frames, context);
  const cache = new Map<number, boolean>();
  const verified = (i: number): boolean => {
    let ok = cache.get(i);
    if (ok === undefined) {
      const candidate = present(check.candidates[i], 'a candidate per index asked');
      ok =
        checkSignature(
          context.verifier,
          candidate.frame.signature,
          candidateSigningBytes(context.domain, candidate),
          channel.clientKey,
        ) === 'valid';
      cache.set(i, ok);
    }
    return ok;
  };
  return settleVouchers(channel, frames.length, check, verified, context);
}
