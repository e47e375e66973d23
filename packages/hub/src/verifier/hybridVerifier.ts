/**
 * The hub's default verifier: inline with the fastest synchronous backend while nothing
 * else is being verified (lowest latency for one payment at a time: no thread hop), and
 * on the libuv threadpool once verifications overlap (every core, event loop free).
 * "Overlap" is: a pool verification still running, or another verification already
 * asked for in this turn of the event loop (frames of several channels read together).
 * Measured in ADR 0201.
 */
import type { Verifier } from '@trickle/protocol';
import type { AsyncVerifier } from './asyncVerifier.js';

/** Options of {@link createHybridVerifier}. */
export interface HybridVerifierOptions {
  /** Used when no other verification is in flight. */
  readonly inline: Verifier;
  /** Used when verifications overlap. */
  readonly pool: AsyncVerifier;
}

/**
 * An {@link AsyncVerifier} that verifies inline when idle and on `pool` under load.
 *
 * @example
 * ```ts
 * import { createHybridVerifier, createThreadPoolVerifier, tinySecp256k1Verifier } from '@trickle/hub';
 * const verifier = createHybridVerifier({ inline: tinySecp256k1Verifier, pool: createThreadPoolVerifier() });
 * ```
 */
export function createHybridVerifier(options: HybridVerifierOptions): AsyncVerifier {
  let inFlight = 0;
  let busyTurn = false;
  const aside: AsyncVerifier['verify'] = async (signature, message, publicKey) => {
    inFlight++;
    try {
      return await options.pool.verify(signature, message, publicKey);
    } finally {
      inFlight--;
    }
  };
  return {
    name: `${options.inline.name}+${options.pool.name}`,
    async verify(signature, message, publicKey) {
      if (inFlight === 0 && !busyTurn) {
        busyTurn = true;
        setImmediate(() => {
          busyTurn = false;
        });
        return options.inline.verify(signature, message, publicKey);
      }
      return aside(signature, message, publicKey);
    },
    verifyAside: aside,
    async close() {
      await options.pool.close?.();
    },
  };
}
