/**
 * The wallet machine's persistent structures against plain models: every version, old or
 * new, reads as if it were a copy, however the versions are branched and revisited.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PersistentMap } from './persistentMap.js';
import { PersistentQueue } from './persistentQueue.js';

type MapOp =
  | { readonly op: 'set'; readonly key: number; readonly value: number }
  | { readonly op: 'delete'; readonly key: number };

const mapOp: fc.Arbitrary<MapOp> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key: fc.integer({ min: 0, max: 20 }), value: fc.integer() }),
  fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 20 }) }),
);

describe('PersistentMap', () => {
  it('every version reads like its own copy, whichever version each write starts from (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), mapOp), { maxLength: 200 }), (steps) => {
        const versions: PersistentMap<number, number>[] = [PersistentMap.empty()];
        const models: Map<number, number>[] = [new Map()];
        for (const [pick, step] of steps) {
          const at = pick % versions.length;
          const base = versions[at] as PersistentMap<number, number>;
          const model = new Map(models[at]);
          const next = step.op === 'set' ? base.set(step.key, step.value) : base.delete(step.key);
          if (step.op === 'set') model.set(step.key, step.value);
          else model.delete(step.key);
          versions.push(next);
          models.push(model);
          // Revisit an older version now and then: it must still read as it did.
          const old = pick % 3 === 0 ? (pick >> 2) % versions.length : at;
          expect(new Map(versions[old]?.entries())).toEqual(models[old]);
        }
        versions.forEach((version, i) => {
          const model = models[i] as Map<number, number>;
          expect(version.size).toBe(model.size);
          for (let key = 0; key <= 20; key++) {
            expect(version.get(key)).toBe(model.get(key));
            expect(version.has(key)).toBe(model.has(key));
          }
        });
      }),
    );
  });

  it('a write of the same value, or a delete of an absent key, returns the same version', () => {
    const one = PersistentMap.empty<string, number>().set('a', 1);
    expect(one.set('a', 1)).toBe(one);
    expect(one.delete('b')).toBe(one);
  });

  it('a long chain of versions is revisited without recursion', () => {
    const first = PersistentMap.empty<number, number>();
    let map = first;
    for (let i = 0; i < 200_000; i++) map = map.set(i, i);
    expect(first.size).toBe(0);
    expect(map.get(199_999)).toBe(199_999);
  });
});

describe('PersistentQueue', () => {
  type QueueOp =
    | { readonly op: 'push'; readonly value: number }
    | { readonly op: 'shift' }
    | { readonly op: 'unshiftAll'; readonly values: number[] };
  const queueOp: fc.Arbitrary<QueueOp> = fc.oneof(
    fc.record({ op: fc.constant('push' as const), value: fc.integer() }),
    fc.constant({ op: 'shift' as const }),
    fc.record({ op: fc.constant('unshiftAll' as const), values: fc.array(fc.integer(), { maxLength: 5 }) }),
  );

  it('every version reads like its own array (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), queueOp), { maxLength: 200 }), (steps) => {
        const versions: PersistentQueue<number>[] = [PersistentQueue.empty()];
        const models: number[][] = [[]];
        for (const [pick, step] of steps) {
          const at = pick % versions.length;
          const base = versions[at] as PersistentQueue<number>;
          const model = [...(models[at] as number[])];
          let next: PersistentQueue<number>;
          if (step.op === 'push') {
            next = base.push(step.value);
            model.push(step.value);
          } else if (step.op === 'shift') {
            next = base.shift();
            model.shift();
          } else {
            next = base.unshiftAll(step.values);
            model.unshift(...step.values);
          }
          versions.push(next);
          models.push(model);
        }
        versions.forEach((version, i) => {
          expect(version.toArray()).toEqual(models[i]);
          expect(version.length).toBe(models[i]?.length);
          expect(version.peek()).toBe(models[i]?.[0]);
        });
      }),
    );
  });

  it('filters in order', () => {
    expect(
      PersistentQueue.of([1, 2, 3, 4])
        .filter((n) => n % 2 === 0)
        .toArray(),
    ).toEqual([2, 4]);
  });
});
