/**
 * The payment log: a hash chain over a channel's payment entries. The newest voucher
 * signs the newest head, so one signature commits to the whole history:
 * head_0 = sha256(header(logGenesis) || channelId), head_n = sha256(head_{n-1} || entry_n).
 */
import { assertAmount } from './amount.js';
import { assertBytes, ByteWriter } from './bytes.js';
import { sha256 } from './crypto.js';
import { beginLayout, type Domain } from './domain.js';
import { byteSizes, type ChannelId, type InvoiceId, type LogHead, type PayeeId } from './ids.js';
import { sha256Digest } from './sha256.js';

/** One payment: who is paid, how much, for which invoice. */
export interface PaymentEntry {
  readonly payee: PayeeId;
  readonly invoiceId: InvoiceId;
  /** Minor units of the channel's asset, at least 1. */
  readonly amount: bigint;
}

/** Length of an encoded entry: payee (32) || invoiceId (16) || amount (u64). */
export const entryBytesLength = 32 + 16 + 8;

/**
 * The 56 bytes an entry contributes to the log: payee || invoiceId || amount (u64 BE).
 *
 * @example
 * ```ts
 * import { entryBytes } from '@trickle/protocol';
 * declare const entry: Parameters<typeof entryBytes>[0];
 * entryBytes(entry).length; // 56
 * ```
 */
export function entryBytes(entry: PaymentEntry): Uint8Array {
  assertAmount(entry.amount, 'entry.amount');
  if (entry.amount < 1n) throw new RangeError('entry.amount: must be at least 1');
  return new ByteWriter(entryBytesLength)
    .bytes(entry.payee, byteSizes.payeeId, 'entry.payee')
    .bytes(entry.invoiceId, byteSizes.invoiceId, 'entry.invoiceId')
    .u64(entry.amount)
    .finish();
}

/**
 * The head of an empty log for `channelId` on `domain`.
 *
 * @example
 * ```ts
 * import { logGenesis } from '@trickle/protocol';
 * declare const domain: Parameters<typeof logGenesis>[0], channelId: Parameters<typeof logGenesis>[1];
 * logGenesis(domain, channelId).length; // 32
 * ```
 */
export function logGenesis(domain: Domain, channelId: ChannelId): LogHead {
  const bytes = beginLayout('logGenesis', domain.networkId, 13 + 32 + 32)
    .bytes(domain.hubId, byteSizes.hubId, 'hubId')
    .bytes(channelId, byteSizes.channelId, 'channelId')
    .finish();
  return sha256(bytes) as LogHead;
}

/** head || entry for one step, reused: sha256Digest reads it synchronously and keeps nothing. */
const stepScratch = new Uint8Array(byteSizes.logHead + entryBytesLength);

/**
 * One step of the chain: sha256(head || entryBytes(entry)).
 *
 * @example
 * ```ts
 * import { logStep } from '@trickle/protocol';
 * declare const head: Parameters<typeof logStep>[0], entry: Parameters<typeof logStep>[1];
 * const next = logStep(head, entry);
 * ```
 */
export function logStep(head: LogHead, entry: PaymentEntry): LogHead {
  if (!(head instanceof Uint8Array) || head.length !== byteSizes.logHead) {
    return sha256(head, entryBytes(entry)) as LogHead;
  }
  // The hot path (one step per payment on both sides): head || entry in one buffer, hashed once.
  assertAmount(entry.amount, 'entry.amount');
  if (entry.amount < 1n) throw new RangeError('entry.amount: must be at least 1');
  const step = stepScratch;
  step.set(head, 0);
  step.set(assertBytes(entry.payee, byteSizes.payeeId, 'entry.payee'), 32);
  step.set(assertBytes(entry.invoiceId, byteSizes.invoiceId, 'entry.invoiceId'), 64);
  u64Into(step, 80, entry.amount);
  return sha256Digest(step) as LogHead;
}

/** Writes `value` (0..2^64-1) big-endian at `offset`. */
function u64Into(bytes: Uint8Array, offset: number, value: bigint): void {
  let high = Number(value >> 32n);
  let low = Number(value & 0xffff_ffffn);
  for (let i = 3; i >= 0; i--) {
    bytes[offset + i] = high & 0xff;
    bytes[offset + 4 + i] = low & 0xff;
    high >>>= 8;
    low >>>= 8;
  }
}

/**
 * The head after appending `entries` to a log whose head is `head`.
 *
 * @example
 * ```ts
 * import { logHeadAfter } from '@trickle/protocol';
 * declare const head: Parameters<typeof logHeadAfter>[0];
 * logHeadAfter(head, []) === head; // true
 * ```
 */
export function logHeadAfter(head: LogHead, entries: readonly PaymentEntry[]): LogHead {
  let next = head;
  for (const entry of entries) next = logStep(next, entry);
  return next;
}
