/**
 * The bounded caches of the hub and the merchant in steady state (full, each add forgetting
 * the oldest): cost per operation of `LruMap`, which holds the hub's paid invoices
 * (`paidInvoicesCachedMax`, 65,536, keys of 48 bytes as latin1 strings), its lanes' idle lists
 * (`channelsCachedMax`, 10,000), its admission and key caches and the merchant's verified
 * entitlements, against the way they forgot their oldest entry before 2026-12-05 (iterating
 * a Set or Map to its first key), measured in the same run. Histories 10x the bound; no
 * timing is asserted anywhere.
 *
 * Reproduce: node --import tsx bench/hotpath/caches.ts [--quick]
 */
import { LruMap } from '@trickle/protocol';

const quick = process.argv.includes('--quick');

/** µs per operation of `run(i)` for i in [0, ops). */
function perOp(ops: number, run: (i: number) => void): number {
  const start = performance.now();
  for (let i = 0; i < ops; i++) run(i);
  return ((performance.now() - start) * 1000) / ops;
}

/** Keys as the paid-invoice cache builds them: payee (32 bytes) and invoice id (16), latin1. */
const invoiceKeys = (count: number) => {
  const payee = String.fromCharCode(...new Uint8Array(32).fill(1));
  return Array.from({ length: count }, (_, i) => payee + i.toString(16).padStart(16, '0'));
};

const rows: string[][] = [];
for (const max of quick ? [10_000] : [10_000, 65_536]) {
  const ops = max * 10;
  const keys = invoiceKeys(ops);
  const setBefore = (() => {
    const held = new Set<string>();
    return perOp(ops, (i) => {
      held.add(keys[i] as string);
      if (held.size > max) held.delete(held.values().next().value as string);
    });
  })();
  const setNow = (() => {
    const cache = new LruMap<string, true>(max);
    return perOp(ops, (i) => {
      const key = keys[i] as string;
      if (!cache.has(key)) cache.set(key, true);
    });
  })();
  rows.push([
    `first in, first out (paid invoices), bound ${max.toLocaleString('en-US')}`,
    setBefore.toFixed(2),
    setNow.toFixed(2),
  ]);

  const lruBefore = (() => {
    const map = new Map<string, true>();
    return perOp(ops, (i) => {
      const key = keys[i % (max * 2)] as string; // half of them seen before: moved to the end
      map.delete(key);
      map.set(key, true);
      for (const oldest of map.keys()) {
        if (map.size <= max) break;
        map.delete(oldest);
      }
    });
  })();
  const lruNow = (() => {
    const cache = new LruMap<string, true>(max);
    return perOp(ops, (i) => cache.set(keys[i % (max * 2)] as string, true));
  })();
  rows.push([
    `least recently used (idle lanes, admission), bound ${max.toLocaleString('en-US')}`,
    lruBefore.toFixed(2),
    lruNow.toFixed(2),
  ]);
}

console.log(`# Bounded caches, full, each add forgetting the oldest (${new Date().toISOString()})\n`);
console.log('| cache | before: oldest found by iterating (µs/op) | now: LruMap, a linked list (µs/op) |');
console.log('| --- | ---: | ---: |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log(`\nReproduce: node --import tsx bench/hotpath/caches.ts${quick ? ' --quick' : ''}`);
