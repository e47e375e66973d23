/**
 * Flame graphs of V8 CPU profiles, as standalone SVG files a reader opens in a browser (each
 * frame's name, time and share show on hover). The call tree is merged by function name and
 * place, so one function called along the same path is one frame; idle time is left out.
 * Frames are coloured by where their code lives: the packages, their dependencies, Node
 * itself, and V8 (garbage collection, compiled code it cannot attribute).
 *
 * Reproduce: node --import tsx bench/hotpath/flamegraph.ts <file.cpuprofile> [out.svg] [title]
 *
 * @example
 * ```ts
 * const svg = flameGraph(JSON.parse(readFileSync('hub.cpuprofile', 'utf8')), { title: 'P3 hub' });
 * writeFileSync('hub.svg', svg);
 * ```
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { escapeXml } from '../support/svg.js';
import { type CpuProfile, callTree, nameOf, type ProfileNode } from './readProfile.js';

/** What {@link flameGraph} draws. */
export interface FlameGraphOptions {
  readonly title: string;
  /** Image width in px. Default 1200. */
  readonly widthPx?: number;
  /** Frames narrower than this share of the busy time are not drawn (their time stays in their parent). Default 0.001. */
  readonly minShare?: number;
}

/** One merged frame: a function along one call path, with its time in ms. */
export interface Frame {
  readonly name: string;
  selfMs: number;
  totalMs: number;
  readonly children: Map<string, Frame>;
}

const rowPx = 16;
const charPx = 6.6;
const headPx = 52;

/** The call tree of `profile`, merged by name per path, idle time left out; the root's totalMs is the busy time. */
export function mergeFrames(profile: CpuProfile): Frame {
  const { byId, parent } = callTree(profile);
  const root: Frame = { name: 'all', selfMs: 0, totalMs: 0, children: new Map() };
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const leaf = byId.get(id) as ProfileNode;
    if (leaf.callFrame.functionName === '(idle)') return;
    const path: ProfileNode[] = [];
    // V8's own root node, "(root)", is the tree's root: it is not drawn.
    for (let at: number | undefined = id; at !== undefined && parent.has(at); at = parent.get(at))
      path.push(byId.get(at) as ProfileNode);
    let frame = root;
    frame.totalMs += ms;
    for (const node of path.reverse()) {
      const name = nameOf(node);
      let child = frame.children.get(name);
      if (child === undefined) {
        child = { name, selfMs: 0, totalMs: 0, children: new Map() };
        frame.children.set(name, child);
      }
      child.totalMs += ms;
      frame = child;
    }
    frame.selfMs += ms;
  });
  return root;
}

/** Where a frame's code lives, in the order tested: its legend name, colour and test on the frame's name. */
const categories: readonly {
  readonly name: string;
  readonly colour: string;
  readonly test: (frame: string) => boolean;
}[] = [
  { name: 'protocol', colour: '#e6894a', test: (f) => / packages\/protocol\//.test(f) },
  { name: 'hub', colour: '#d9534f', test: (f) => / packages\/hub\//.test(f) },
  { name: 'ledger', colour: '#c9a227', test: (f) => / packages\/ledger\//.test(f) },
  {
    name: 'client, merchant, test kit',
    colour: '#4a90d9',
    test: (f) => / packages\/(client|merchant|testing)\//.test(f),
  },
  { name: 'benchmark, tests', colour: '#7fa7c9', test: (f) => / (bench|test)\//.test(f) },
  { name: 'Node', colour: '#9e9e9e', test: (f) => / node:/.test(f) },
  // No file: V8 itself ((garbage collector), (program)) or a native built-in (runMicrotasks).
  { name: 'V8 and built-ins (GC, program)', colour: '#9b7fc9', test: (f) => f.startsWith('(') || f.endsWith(' ') },
  // Dependencies (node_modules) and anything else with a file.
  { name: 'dependencies', colour: '#5fae5f', test: () => true },
];

const colourOf = (name: string) => categories.find((c) => c.test(name))?.colour;

/** Renders `profile` as a flame graph (callers below, callees above), a standalone SVG document. */
export function flameGraph(profile: CpuProfile, options: FlameGraphOptions): string {
  const root = mergeFrames(profile);
  const width = options.widthPx ?? 1200;
  const minShare = options.minShare ?? 0.001;
  const busy = root.totalMs;
  const drawn = (frame: Frame) => busy > 0 && frame.totalMs / busy >= minShare;
  const depthOf = (frame: Frame): number =>
    Math.max(0, ...[...frame.children.values()].filter(drawn).map((child) => 1 + depthOf(child)));
  const height = headPx + (depthOf(root) + 1) * rowPx + 8;
  /** The bottom row (the root); callees one row above their callers. */
  const bottom = height - 8 - rowPx;
  const rects: string[] = [];
  const place = (frame: Frame, x: number, depth: number) => {
    const w = busy > 0 ? (frame.totalMs / busy) * width : 0;
    const y = bottom - depth * rowPx;
    const share = busy > 0 ? (frame.totalMs / busy) * 100 : 0;
    const tip = `${frame.name}: ${frame.totalMs.toFixed(1)} ms, ${share.toFixed(1)}% (self ${frame.selfMs.toFixed(1)} ms)`;
    const fits = Math.floor((w - 6) / charPx);
    const text =
      fits >= 3
        ? `<text x="${(x + 3).toFixed(1)}" y="${y}" dy="12">${escapeXml(frame.name.length > fits ? `${frame.name.slice(0, fits - 2)}..` : frame.name)}</text>`
        : '';
    rects.push(
      `<g><title>${escapeXml(tip)}</title><rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(w - 0.5, 0.5).toFixed(1)}" height="${rowPx - 1}" fill="${depth === 0 ? '#cfcfcf' : colourOf(frame.name)}" rx="1"/>${text}</g>`,
    );
    let at = x;
    const children = [...frame.children.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const child of children) {
      if (drawn(child)) place(child, at, depth + 1);
      at += busy > 0 ? (child.totalMs / busy) * width : 0;
    }
  };
  place(root, 0, 0);
  const body = rects.join('\n');
  let keyX = 8;
  const keys = categories
    .map(({ name, colour }) => {
      const key = `<rect x="${keyX}" y="28" width="10" height="10" fill="${colour}"/><text x="${keyX + 14}" y="37">${escapeXml(name)}</text>`;
      keyX += 14 + name.length * charPx + 18;
      return key;
    })
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<title>${escapeXml(`Flame graph: ${options.title}`)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="8" y="18" font-size="14" font-family="sans-serif">${escapeXml(`${options.title}: ${busy.toFixed(0)} ms busy (frames under ${(minShare * 100).toFixed(1)}% not drawn; hover for figures)`)}</text>`,
    keys,
    body,
    '</svg>',
    '',
  ].join('\n');
}

if (process.argv[1]?.endsWith('flamegraph.ts')) {
  const [path, out, title] = process.argv.slice(2);
  if (path === undefined) throw new Error('usage: flamegraph.ts <file.cpuprofile> [out.svg] [title]');
  const target = out ?? path.replace(/\.cpuprofile$/, '.svg');
  writeFileSync(target, flameGraph(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, { title: title ?? path }));
  console.log(`wrote ${target}`);
}
