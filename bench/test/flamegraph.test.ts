import { describe, expect, it } from 'vitest';
import { flameGraph, mergeFrames } from '../hotpath/flamegraph.js';
import type { CpuProfile } from '../hotpath/readProfile.js';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });
/**
 * (root) → main (packages/hub) → verify (packages/protocol) and hash <&> (node_modules);
 * (root) → (garbage collector); (root) → (idle). Samples: 1 ms each.
 */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
    { id: 2, callFrame: frame('main', 'file:///r/packages/hub/src/hub.ts'), children: [3, 4] },
    { id: 3, callFrame: frame('verify', 'file:///r/packages/protocol/src/sign.ts') },
    { id: 4, callFrame: frame('hash<&>', 'file:///r/node_modules/.pnpm/x@1/node_modules/x/i.js') },
    { id: 5, callFrame: frame('(garbage collector)') },
    { id: 6, callFrame: frame('(idle)') },
  ],
  // main self 1, verify 4, hash 2, GC 3, idle 10 (left out).
  samples: [2, 3, 3, 3, 3, 4, 4, 5, 5, 5, ...Array.from({ length: 10 }, () => 6)],
  timeDeltas: Array.from({ length: 20 }, () => 1000),
};

describe('flame graphs', () => {
  it('merges the call tree by path and leaves idle time out', () => {
    const root = mergeFrames(profile);
    expect(root.totalMs).toBe(10);
    const main = root.children.get('main packages/hub/src/hub.ts:1');
    expect(main?.totalMs).toBe(7);
    expect(main?.selfMs).toBe(1);
    expect(main?.children.get('verify packages/protocol/src/sign.ts:1')?.totalMs).toBe(4);
    expect(root.children.get('(garbage collector) ')?.totalMs).toBe(3);
    expect([...root.children.keys()].some((k) => k.startsWith('(idle)'))).toBe(false);
  });

  it('draws each frame as wide as its share, with its figures on hover, escaped', () => {
    const svg = flameGraph(profile, { title: 'test <profile>', widthPx: 1000 });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('test &#60;profile&#62;: 10 ms busy');
    const widthOf = (name: string) => {
      const at = svg.indexOf(`<title>${name}`);
      expect(at, name).toBeGreaterThan(-1);
      return Number(/width="([\d.]+)"/.exec(svg.slice(at))?.[1]);
    };
    expect(widthOf('main packages/hub/src/hub.ts:1: 7.0 ms, 70.0%')).toBeCloseTo(699.5, 1);
    expect(widthOf('verify packages/protocol/src/sign.ts:1: 4.0 ms, 40.0%')).toBeCloseTo(399.5, 1);
    expect(widthOf('hash&#60;&#38;&#62; x/i.js:1: 2.0 ms, 20.0%')).toBeCloseTo(199.5, 1);
    expect(widthOf('(garbage collector) : 3.0 ms, 30.0%')).toBeCloseTo(299.5, 1);
    // Callees sit one row above their callers.
    const yOf = (name: string) => Number(/ y="(\d+)"/.exec(svg.slice(svg.indexOf(`<title>${name}`)))?.[1]);
    expect(yOf('main') - yOf('verify')).toBe(16);
    expect(svg).not.toContain('(idle)');
  });

  it('leaves out frames under minShare, keeping their time in the parent', () => {
    const svg = flameGraph(profile, { title: 't', minShare: 0.25 });
    expect(svg).not.toContain('<title>hash');
    expect(svg).toContain('<title>verify');
    expect(svg).toContain('<title>main packages/hub/src/hub.ts:1: 7.0 ms');
  });
});
