/**
 * Seeded randomness for simulations: one generator (pure-rand's xoroshiro128+) decides
 * every choice of a run, so a seed replays the run exactly.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A seeded source of choices. */
export interface SeededRandom {
  /** The seed this generator started from. */
  readonly seed: number;
  /** An integer in min..max, both included. */
  int(min: number, max: number): number;
  /** True with probability `p` (0..1). */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** `length` random bytes. */
  bytes(length: number): Uint8Array;
  /** An independent generator derived from this one (its own stream of choices). */
  fork(): SeededRandom;
}

/**
 * A generator for `seed` (any 32-bit integer).
 *
 * @example
 * ```ts
 * import { seededRandom } from '@trickle/testing';
 * const random = seededRandom(42);
 * random.int(1, 6); // the same number on every run with seed 42
 * ```
 */
export function seededRandom(seed: number): SeededRandom {
  if (!Number.isSafeInteger(seed)) throw new TypeError(`seededRandom: seed must be an integer, got ${String(seed)}`);
  const generator = xoroshiro128plus(seed | 0);
  const int = (min: number, max: number) => uniformInt(generator, min, max);
  const random: SeededRandom = {
    seed,
    int,
    chance: (p) => p > 0 && (p >= 1 || int(0, 999_999) < p * 1_000_000),
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick: no items');
      return items[int(0, items.length - 1)] as T;
    },
    bytes(length) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = int(0, 255);
      return out;
    },
    fork: () => seededRandom(int(-0x8000_0000, 0x7fff_ffff)),
  };
  return random;
}
