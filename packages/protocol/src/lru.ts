/** A bounded map that forgets the least recently used entry first: the one LRU of the workspace. */

/** Options of {@link LruMap}. */
export interface LruMapOptions<K, V> {
  /**
   * Told of each entry dropped for the bound (not of `delete`), after it is gone: e.g. to
   * release what the entry stood for.
   */
  readonly onEvict?: (key: K, value: V) => void;
}

interface Node<K, V> {
  readonly key: K;
  value: V;
  /** Less recently used neighbour; undefined at the oldest. */
  older: Node<K, V> | undefined;
  /** More recently used neighbour; undefined at the newest. */
  newer: Node<K, V> | undefined;
}

/**
 * A map holding at most `entriesMax` entries; reading or writing an entry makes it the most
 * recently used, and a write beyond the bound drops the least recently used one. Every
 * operation is O(1) whatever the bound and however many entries came and went: the entries
 * are a doubly linked list in recency order beside a `Map` of their nodes. (Dropping the
 * oldest key of a `Map` or `Set` found by iterating it is not: V8 leaves deleted entries in
 * place until the table grows, and each iteration steps over them, ~15 µs per operation at
 * 65,536 entries.)
 *
 * @example
 * ```ts
 * import { LruMap } from '@trickle/protocol';
 * const cache = new LruMap<string, number>(2, { onEvict: (key) => console.log('dropped', key) });
 * cache.set('a', 1);
 * cache.set('b', 2);
 * cache.get('a'); // 1, now the most recent
 * cache.set('c', 3); // drops 'b' (and logs it)
 * cache.has('b'); // false
 * ```
 */
export class LruMap<K, V> {
  readonly #nodes = new Map<K, Node<K, V>>();
  #oldest: Node<K, V> | undefined;
  #newest: Node<K, V> | undefined;
  readonly #onEvict: ((key: K, value: V) => void) | undefined;
  /** Most entries held. */
  readonly entriesMax: number;

  constructor(entriesMax: number, options: LruMapOptions<K, V> = {}) {
    if (!Number.isSafeInteger(entriesMax) || entriesMax < 1) {
      throw new RangeError(`LruMap: entriesMax must be a positive integer, got ${entriesMax}`);
    }
    this.entriesMax = entriesMax;
    this.#onEvict = options.onEvict;
  }

  /** Entries held now. */
  get size(): number {
    return this.#nodes.size;
  }

  /** Whether `key` is held (does not change its recency). */
  has(key: K): boolean {
    return this.#nodes.has(key);
  }

  /** The value under `key`, made the most recently used; `undefined` when absent. */
  get(key: K): V | undefined {
    const node = this.#nodes.get(key);
    if (node === undefined) return undefined;
    this.#unlink(node);
    this.#append(node);
    return node.value;
  }

  /** Stores `value` as the most recently used entry, dropping the least recently used beyond the bound. */
  set(key: K, value: V): this {
    const node = this.#nodes.get(key);
    if (node !== undefined) {
      node.value = value;
      this.#unlink(node);
      this.#append(node);
      return this;
    }
    const created: Node<K, V> = { key, value, older: undefined, newer: undefined };
    this.#nodes.set(key, created);
    this.#append(created);
    if (this.#nodes.size > this.entriesMax) {
      const oldest = this.#oldest as Node<K, V>; // size > entriesMax >= 1: the list is not empty
      this.#unlink(oldest);
      this.#nodes.delete(oldest.key);
      this.#onEvict?.(oldest.key, oldest.value);
    }
    return this;
  }

  /** Forgets `key`; whether it was held. */
  delete(key: K): boolean {
    const node = this.#nodes.get(key);
    if (node === undefined) return false;
    this.#unlink(node);
    this.#nodes.delete(key);
    return true;
  }

  #unlink(node: Node<K, V>): void {
    if (node.older === undefined) this.#oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.#newest = node.older;
    else node.newer.older = node.older;
    node.older = undefined;
    node.newer = undefined;
  }

  #append(node: Node<K, V>): void {
    node.older = this.#newest;
    if (this.#newest === undefined) this.#oldest = node;
    else this.#newest.newer = node;
    this.#newest = node;
  }
}
