/**
 * What the hub tells its observer besides the messages it sends (metrics, ADR 0412): how
 * long signature checks, store commits and pay frames take, and how long payments wait
 * for their claim on the ledger. Timed with `performance.now()` (monotonic), apart from
 * clearing, which spans restarts and is read from the hub's clock.
 */
import { performance } from 'node:perf_hooks';
import type { Asset, HubMessage, RejectCode } from '@trickle/protocol';
import type { Lanes, PayMessage } from './lanes.js';
import type { Reply } from './refusal.js';
import type { AsyncVerifier } from './verifier/asyncVerifier.js';

/**
 * A pay frame the hub answered: its channel's asset (undefined for a channel the hub does
 * not hold), the seconds from reading the frame to sending its answer, the outcome
 * (`'paid'` for receipts, else the reject's code) and the entries the frame carried.
 *
 * @example
 * ```ts
 * import type { PaymentObservation } from '@trickle/hub';
 * const seen: PaymentObservation = { asset: { code: 'USD', scale: 6 }, seconds: 0.002, outcome: 'paid', entries: 1 };
 * ```
 */
export interface PaymentObservation {
  readonly asset: Asset | undefined;
  readonly seconds: number;
  readonly outcome: 'paid' | RejectCode;
  readonly entries: number;
}

/**
 * A claim the ledger accepted for one channel: its asset, the entries it settled, and the
 * seconds from the oldest payment it covers to the claim (every other payment of the
 * claim waited less).
 *
 * @example
 * ```ts
 * import type { ClearingObservation } from '@trickle/hub';
 * const seen: ClearingObservation = { asset: { code: 'USD', scale: 6 }, seconds: 42, entries: 120 };
 * ```
 */
export interface ClearingObservation {
  readonly asset: Asset;
  readonly seconds: number;
  readonly entries: number;
}

/** The verification port, timed: `verified(seconds)` after each check (queueing included). */
export function timedVerifier(verifier: AsyncVerifier, verified: (seconds: number) => void): AsyncVerifier {
  const timed =
    (verify: AsyncVerifier['verify']): AsyncVerifier['verify'] =>
    async (signature, message, publicKey) => {
      const startedAt = performance.now();
      try {
        return await verify(signature, message, publicKey);
      } finally {
        verified((performance.now() - startedAt) / 1000);
      }
    };
  const { verifyAside } = verifier;
  return {
    name: verifier.name,
    verify: timed((signature, message, publicKey) => verifier.verify(signature, message, publicKey)),
    ...(verifyAside === undefined
      ? {}
      : {
          verifyAside: timed((signature, message, publicKey) =>
            verifyAside.call(verifier, signature, message, publicKey),
          ),
        }),
    ...(verifier.close === undefined ? {} : { close: () => verifier.close?.() ?? Promise.resolve() }),
  };
}

/**
 * Times pay frames: returns a reply that tells `paid` about the frame's answer (once: a pay
 * frame has exactly one answer) before passing it on.
 */
export function payTimer(
  lanes: Lanes,
  paid: (payment: PaymentObservation) => void,
): (frame: PayMessage, reply: Reply) => Reply {
  return (frame, reply) => {
    const startedAt = performance.now();
    return (message: HubMessage) => {
      const outcome = message.type === 'receipts' ? 'paid' : message.type === 'reject' ? message.code : undefined;
      if (outcome !== undefined) {
        paid({
          asset: lanes.get(frame.channelId)?.channel?.asset,
          seconds: (performance.now() - startedAt) / 1000,
          outcome,
          entries: frame.entries.length,
        });
      }
      reply(message);
    };
  };
}
