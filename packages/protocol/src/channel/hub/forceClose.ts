/**
 * The hub's side of a forced (unilateral) close, as a pure function: the client names a
 * state it signed (a voucher signature over seq, cumulative and log head), the hub checks
 * that it is one it accepted, so that it can prove it on the ledger, and marks the channel
 * closing. The shell then records the close on the ledger, where the challenge window
 * runs: the hub answers a stale state with its newer one, and the ledger settles whatever
 * it holds when the window ends (docs/protocol.md 10.5).
 */
import { equalBytes } from '../../bytes.js';
import type { LogHead, Signature } from '../../ids.js';
import type { SignatureCheck, Verifier } from '../../keys.js';
import { logGenesis } from '../../log.js';
import type { ClientMessageOf } from '../../messages.js';
import { voucherSigningBytes } from '../../voucher.js';
import { channelStatus } from '../status.js';
import {
  checkNow,
  type HubChannel,
  type Rejection,
  type SignatureToCheck,
  type StageContext,
  signatureRejection,
  toCheck,
} from './channel.js';

/** A `forceClose` message without its type and id. */
export type ForceCloseRequest = Omit<ClientMessageOf<'forceClose'>, 'type' | 'id'>;

/** What {@link decideForceClose} needs besides the channel, the request and the signature's check. */
export interface ForceCloseDecisionContext extends StageContext {
  /** The accepted state at an older seq (below the channel's latest), if the hub has it. */
  acceptedAt(seq: number): { readonly cumulative: bigint; readonly logHead: LogHead } | undefined;
}

/** What {@link checkForceClose} needs besides the channel and the request. */
export interface ForceCloseContext extends ForceCloseDecisionContext {
  readonly verifier: Verifier;
}

/** What a forced close stage decides. */
export type ForceCloseOutcome = { kind: 'closing'; channel: HubChannel } | { kind: 'duplicate' } | Rejection;

/**
 * The forced close stage's first step: a closed channel is refused (CHANNEL_CLOSED); a
 * state of seq 0 needs no signature (`none`); any other needs its voucher signature
 * checked under the channel key.
 *
 * @example
 * ```ts
 * import { forceCloseSignature } from '@trickle/protocol';
 * declare const args: Parameters<typeof forceCloseSignature>;
 * const step = forceCloseSignature(...args); // 'verify', 'none' or 'rejected'
 * ```
 */
export function forceCloseSignature(
  channel: HubChannel,
  request: ForceCloseRequest,
  context: StageContext,
): SignatureToCheck | { readonly kind: 'none' } | Rejection {
  if (channelStatus(channel, context.nowMs) === 'closed')
    return { kind: 'rejected', code: 'CHANNEL_CLOSED', message: 'the channel is closed' };
  if (request.seq === 0) return { kind: 'none' };
  const signature = request.signature ?? (new Uint8Array(0) as Signature);
  return toCheck(signature, voucherSigningBytes(context.domain, request), channel.clientKey);
}

/**
 * The forced close stage's second step: given the signature's check (`valid` when none
 * was needed), the state must be one the hub accepted (the latest, or an older one
 * `acceptedAt` knows). Returns the channel marked closing, or a `duplicate` for a channel
 * that is closing already (the shell answers with the close it recorded), or a rejection:
 * SIGNATURE_*, UNKNOWN_STATE.
 *
 * @example
 * ```ts
 * import { decideForceClose } from '@trickle/protocol';
 * declare const args: Parameters<typeof decideForceClose>;
 * const outcome = decideForceClose(...args);
 * ```
 */
export function decideForceClose(
  channel: HubChannel,
  request: ForceCloseRequest,
  check: SignatureCheck,
  context: ForceCloseDecisionContext,
): ForceCloseOutcome {
  const refused = signatureRejection(check, 'forced close');
  if (refused !== undefined) return refused;
  const accepted =
    request.seq === 0
      ? { cumulative: 0n, logHead: logGenesis(context.domain, channel.channelId) }
      : request.seq === channel.seq
        ? channel
        : request.seq < channel.seq
          ? context.acceptedAt(request.seq)
          : undefined;
  if (
    accepted === undefined ||
    accepted.cumulative !== request.cumulative ||
    !equalBytes(accepted.logHead, request.logHead)
  ) {
    return {
      kind: 'rejected',
      code: 'UNKNOWN_STATE',
      message: `seq ${request.seq} is not a state this hub accepted (its latest is seq ${channel.seq})`,
    };
  }
  if (channelStatus(channel, context.nowMs) === 'closing') return { kind: 'duplicate' };
  return { kind: 'closing', channel: { ...channel, closingSinceMs: context.nowMs } };
}

/**
 * Checks a forced close (both steps of the stage with `context.verifier`): the channel is
 * not closed; the state is signed by the channel key (a voucher signature; seq 0 needs
 * none and names the genesis state); and it is a state the hub accepted (the latest, or
 * an older one `acceptedAt` knows). Returns the channel marked closing, or a `duplicate`
 * for a channel that is closing already, or a rejection: CHANNEL_CLOSED, SIGNATURE_*,
 * UNKNOWN_STATE.
 *
 * @example
 * ```ts
 * import { checkForceClose } from '@trickle/protocol';
 * declare const args: Parameters<typeof checkForceClose>;
 * const outcome = checkForceClose(...args);
 * if (outcome.kind === 'closing') console.log(outcome.channel.closingSinceMs);
 * ```
 */
export function checkForceClose(
  channel: HubChannel,
  request: ForceCloseRequest,
  context: ForceCloseContext,
): ForceCloseOutcome {
  const signed = forceCloseSignature(channel, request, context);
  if (signed.kind === 'rejected') return signed;
  return decideForceClose(
    channel,
    request,
    signed.kind === 'none' ? 'valid' : checkNow(context.verifier, signed),
    context,
  );
}
