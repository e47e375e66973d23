/**
 * What every stage of the hub's channel rules shares: the channel as the hub holds it,
 * a rejection, and the channel's state as the hub reports it.
 */
import type { Asset } from '../../amount.js';
import type { Domain } from '../../domain.js';
import type { ChannelId, LogHead, PublicKey, Signature } from '../../ids.js';
import { checkSignature, type SignatureCheck, type Verifier } from '../../keys.js';
import type { ChannelState } from '../../messages.js';
import type { RejectCode } from '../../rejects.js';
import { channelStatus } from '../status.js';

/** Everything the hub holds about one channel. Plain data: safe to persist and reload. */
export interface HubChannel {
  readonly channelId: ChannelId;
  /** Pinned at open: every voucher must verify under it. */
  readonly clientKey: PublicKey;
  readonly asset: Asset;
  readonly deposit: bigint;
  readonly expiresAtMs: number;
  /** The latest accepted voucher's seq (0 before the first). */
  readonly seq: number;
  readonly cumulative: bigint;
  readonly logHead: LogHead;
  /** The client's signature on the latest accepted voucher (absent at seq 0). */
  readonly signature?: Signature;
  readonly closingSinceMs?: number;
  readonly closedAtMs?: number;
}

/** A refusal: the code, a message for humans, and the state to resync from. */
export interface Rejection {
  readonly kind: 'rejected';
  readonly code: RejectCode;
  readonly message: string;
  /** When one entry of a voucher is refused: its index, so the client can drop just that payment. */
  readonly entry?: number;
}

/** A {@link Rejection} (internal to the stages). */
export function reject(code: RejectCode, message: string, entry?: number): Rejection {
  return entry === undefined ? { kind: 'rejected', code, message } : { kind: 'rejected', code, message, entry };
}

/** The reject code of each failed signature check (internal to the stages). */
const signatureRejects: Record<Exclude<SignatureCheck, 'valid'>, RejectCode> = {
  malformed: 'SIGNATURE_MALFORMED',
  highS: 'SIGNATURE_HIGH_S',
  invalid: 'SIGNATURE_INVALID',
};

/**
 * The refusal of a failed signature check, or `undefined` when the check passed: the one
 * place that turns a {@link SignatureCheck} into a reject code for every stage (internal).
 */
export function signatureRejection(check: SignatureCheck, what: string): Rejection | undefined {
  return check === 'valid' ? undefined : reject(signatureRejects[check], `${what} signature: ${check}`);
}

/**
 * The channel's state as the hub reports it in `state` and `reject` messages.
 *
 * @example
 * ```ts
 * import { channelStateOf } from '@trickle/protocol';
 * declare const channel: Parameters<typeof channelStateOf>[0];
 * channelStateOf(channel, 0).status; // 'open' | 'closing' | 'closed' | 'expired'
 * ```
 */
export function channelStateOf(channel: HubChannel, nowMs: number): ChannelState {
  return {
    channelId: channel.channelId,
    clientKey: channel.clientKey,
    asset: channel.asset,
    deposit: channel.deposit,
    expiresAtMs: channel.expiresAtMs,
    seq: channel.seq,
    cumulative: channel.cumulative,
    logHead: channel.logHead,
    ...(channel.signature === undefined ? {} : { signature: channel.signature }),
    status: channelStatus(channel, nowMs),
  };
}

/** What every stage's decision needs: the domain signatures are bound to, and the time. */
export interface StageContext {
  readonly domain: Domain;
  readonly nowMs: number;
}

/** What top-up, close and voucher checks need when they verify signatures themselves. */
export interface ChannelContext extends StageContext {
  readonly verifier: Verifier;
}

/**
 * A signature a stage needs checked before it decides: the first step of a stage returns
 * it, the shell checks it with its verification port (possibly off the event loop), and
 * the second step decides from the {@link SignatureCheck}.
 */
export interface SignatureToCheck {
  readonly kind: 'verify';
  readonly signature: Uint8Array;
  readonly message: Uint8Array;
  readonly publicKey: PublicKey;
}

/** A {@link SignatureToCheck} (internal to the stages). */
export function toCheck(signature: Uint8Array, message: Uint8Array, publicKey: PublicKey): SignatureToCheck {
  return { kind: 'verify', signature, message, publicKey };
}

/** Checks a stage's signature with a synchronous verifier (internal to the stages). */
export function checkNow(verifier: Verifier, signed: SignatureToCheck): SignatureCheck {
  return checkSignature(verifier, signed.signature, signed.message, signed.publicKey);
}
