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
        const evicted: [number, number][] = [];
        const cache = new LruMap<number, number>(max, { onEvict: (k, v) => evicted.push([k, v]) });
        let model: [number, number][] = []; // least recent first
        let modelEvicted: [number, number][] = [];
        for (const { write, key, value } of ops) {
          const found = model.find(([k]) => k === key);
          if (write) {
            const entry: [number, number] = [key, value];
            const next = [...model.filter(([k]) => k !== key), entry];
            modelEvicted = [...modelEvicted, ...next.slice(0, Math.max(0, next.length - max))];
            model = next.slice(-max);
            cache.set(key, value);
          } else {
            if (found !== undefined) model = [...model.filter(([k]) => k !== key), found];
            expect(cache.get(key)).toBe(found?.[1]);
          }
          expect(cache.size).toBe(model.length);
          expect(cache.size).toBeLessThanOrEqual(max);
          expect(evicted).toEqual(modelEvicted);
        }
      }),
    );
  });

  it('evicts exactly what a plain Map in recency order would, through a history 25x its bound', () => {
    const max = 4_096;
    const evicted: number[] = [];
    const cache = new LruMap<number, number>(max, { onEvict: (k) => evicted.push(k) });
    const reference = new Map<number, number>(); // insertion order = recency order
    const referenceEvicted: number[] = [];
    const touch = (k: number, v: number) => {
      reference.delete(k);
      reference.set(k, v);
      if (reference.size > max) {
        const oldest = reference.keys().next().value as number;
        reference.delete(oldest);
        referenceEvicted.push(oldest);
      }
    };
    for (let k = 0; k < 100_000; k++) {
      cache.set(k, k);
      touch(k, k);
      if (k % 7 === 0 && k >= 10) expect(cache.delete(k - 10)).toBe(reference.delete(k - 10));
      if (k % 3 === 0 && k >= 2_000) {
        const back = k - 2_000;
        const held = reference.get(back);
        expect(cache.get(back)).toBe(held);
        if (held !== undefined) touch(back, held);
      }
    }
    expect(evicted).toEqual(referenceEvicted);
    expect(cache.size).toBe(reference.size);
    for (const k of reference.keys()) expect(cache.has(k)).toBe(true);
  });

  it('deletes without telling onEvict, and reads or rewrites without reordering others', () => {
    const evicted: string[] = [];
    const cache = new LruMap<string, number>(3, { onEvict: (k) => evicted.push(k) });
    cache.set('a', 1).set('b', 2).set('c', 3);
    expect(cache.delete('b')).toBe(true);
    expect(cache.delete('b')).toBe(false);
    cache.set('a', 10); // a is now the newest: c, a
    cache.set('d', 4).set('e', 5); // c, a, d, e: c goes
    expect(evicted).toEqual(['c']);
    expect(cache.get('a')).toBe(10);
    cache.set('f', 6); // d goes (a was read)
    expect(evicted).toEqual(['c', 'd']);
    expect([cache.has('a'), cache.has('e'), cache.has('f')]).toEqual([true, true, true]);
  });
});
