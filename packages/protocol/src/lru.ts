/** A bounded map that forgets the least recently used entry first: the one LRU of the workspace. */

/**
 * A map holding at most `entriesMax` entries; reading or writing an entry makes it the most
 * recently used, and a write beyond the bound drops the least recently used one.
 *
 * @example
 * ```ts
 * import { LruMap } from '@trickle/protocol';
 * const cache = new LruMap<string, number>(2);
 * cache.set('a', 1);
 * cache.set('b', 2);
 * cache.get('a'); // 1, now the most recent
 * cache.set('c', 3); // drops 'b'
 * cache.has('b'); // false
 * ```
 */
export class LruMap<K, V> {
  readonly #entries = new Map<K, V>();
  /** Most entries held. */
  readonly entriesMax: number;

  constructor(entriesMax: number) {
    if (!Number.isSafeInteger(entriesMax) || entriesMax < 1) {
      throw new RangeError(`LruMap: entriesMax must be a positive integer, got ${entriesMax}`);
    }
    this.entriesMax = entriesMax;
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether `key` is held (does not change its recency). */
  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** The value under `key`, made the most recently used; `undefined` when absent. */
  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key) as V; // present: checked above (V may include undefined)
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Stores `value` as the most recently used entry, dropping the least recently used beyond the bound. */
  set(key: K, value: V): this {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.entriesMax) break;
      this.#entries.delete(oldest);
    }
    return this;
  }

  /** Forgets `key`; whether it was held. */
  delete(key: K): boolean {
    return this.#entries.delete(key);
  }
}
