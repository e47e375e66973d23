import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LruMap } from './lru.js';

describe('LruMap', () => {
  it('drops the least recently used entry, counting reads as uses', () => {
    const cache = new LruMap<string, number>(2);
    cache.set('a', 1).set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
    expect(cache.size).toBe(2);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new LruMap(0)).toThrow(RangeError);
    expect(() => new LruMap(1.5)).toThrow(RangeError);
  });

  it('matches a model list under any sequence of reads and writes, and never exceeds its bound', () => {
    const op = fc.record({ write: fc.boolean(), key: fc.integer({ min: 0, max: 6 }), value: fc.integer() });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (max, ops) => {
        const cache = new LruMap<number, number>(max);
        let model: [number, number][] = []; // least recent first
        for (const { write, key, value } of ops) {
          const found = model.find(([k]) => k === key);
          if (write) {
            const entry: [number, number] = [key, value];
            model = [...model.filter(([k]) => k !== key), entry].slice(-max);
            cache.set(key, value);
          } else {
            if (found !== undefined) model = [...model.filter(([k]) => k !== key), found];
            expect(cache.get(key)).toBe(found?.[1]);
          }
          expect(cache.size).toBe(model.length);
          expect(cache.size).toBeLessThanOrEqual(max);
        }
      }),
    );
  });
});
