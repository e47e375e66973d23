/**
 * A persistent first-in first-out queue (Okasaki's two-list queue): push and shift are
 * O(1) amortized and never change an existing version, so a pure function may keep old
 * versions. Items can also be put back at the front, in order.
 */

interface Cons<T> {
  readonly head: T;
  readonly tail: Cons<T> | undefined;
}

function reversed<T>(list: Cons<T> | undefined): Cons<T> | undefined {
  let out: Cons<T> | undefined;
  for (let at = list; at !== undefined; at = at.tail) out = { head: at.head, tail: out };
  return out;
}

/**
 * One version of a queue. The front list is empty only when the queue is.
 *
 * @example
 * ```ts
 * import { PersistentQueue } from '@trickle/protocol';
 * const queue = PersistentQueue.empty<number>().push(1).push(2);
 * queue.peek(); // 1
 * queue.shift().peek(); // 2
 * queue.length; // 2: the older version is unchanged
 * ```
 */
export class PersistentQueue<T> {
  private constructor(
    private readonly front: Cons<T> | undefined,
    private readonly back: Cons<T> | undefined,
    /** The number of items. */
    readonly length: number,
  ) {}

  /** A new empty queue. */
  static empty<T>(): PersistentQueue<T> {
    return new PersistentQueue<T>(undefined, undefined, 0);
  }

  /** A queue of `items`, first item at the front. */
  static of<T>(items: readonly T[]): PersistentQueue<T> {
    return PersistentQueue.empty<T>().unshiftAll(items);
  }

  /** The item at the front, or undefined when empty. */
  peek(): T | undefined {
    return this.front?.head;
  }

  /** This queue with `item` at the back. */
  push(item: T): PersistentQueue<T> {
    if (this.front === undefined) return new PersistentQueue({ head: item, tail: undefined }, undefined, 1);
    return new PersistentQueue(this.front, { head: item, tail: this.back }, this.length + 1);
  }

  /** This queue without its front item (itself when empty). */
  shift(): PersistentQueue<T> {
    if (this.front === undefined) return this;
    const rest = this.front.tail;
    if (rest !== undefined) return new PersistentQueue(rest, this.back, this.length - 1);
    return new PersistentQueue(reversed(this.back), undefined, this.length - 1);
  }

  /** This queue with `items` at the front, in their order. */
  unshiftAll(items: readonly T[]): PersistentQueue<T> {
    if (items.length === 0) return this;
    let front = this.front;
    for (let i = items.length - 1; i >= 0; i--) front = { head: items[i] as T, tail: front };
    return new PersistentQueue(front, this.back, this.length + items.length);
  }

  /** The items, front first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let at = this.front; at !== undefined; at = at.tail) out.push(at.head);
    const back: T[] = [];
    for (let at = this.back; at !== undefined; at = at.tail) back.push(at.head);
    for (let i = back.length - 1; i >= 0; i--) out.push(back[i] as T);
    return out;
  }

  /** The items `keep` accepts, in order, as a new queue (O(n)). */
  filter(keep: (item: T) => boolean): PersistentQueue<T> {
    return PersistentQueue.of(this.toArray().filter(keep));
  }
}
