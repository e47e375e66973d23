/**
 * Reads a V8 `.cpuprofile` and prints where the time goes: self time and inclusive time
 * per function (file:line), as a share of the samples.
 *
 * Reproduce: node --import tsx bench/hotpath/readProfile.ts <file.cpuprofile> [rows]
 */
import { readFileSync } from 'node:fs';

/** A node of a V8 `.cpuprofile`: one function at one place in the call tree. */
export interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}

/** A V8 `.cpuprofile` (what `--cpu-prof` and the inspector's `Profiler.stop` write). */
export interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** One function's share of the profile. */
export interface FunctionTime {
  readonly name: string;
  readonly selfMs: number;
  readonly totalMs: number;
}

/** `function file:line`, with the file shortened to its package or `node_modules` path. */
export function nameOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\//, '').replace(/.*\/(node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?)/, '');
  const short = file.replace(/^.*\/(packages|bench|test)\//, '$1/');
  return `${functionName || '(anonymous)'} ${short}${url ? `:${lineNumber + 1}` : ''}`;
}

/** The profile's nodes by id, and each node's parent id (V8's root has none). */
export function callTree(profile: CpuProfile): { byId: Map<number, ProfileNode>; parent: Map<number, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  return { byId, parent };
}

/** Self and inclusive time per function, busiest first by self time. */
export function readProfile(profile: CpuProfile): { functions: FunctionTime[]; totalMs: number; idleMs: number } {
  const { byId, parent } = callTree(profile);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id) as ProfileNode;
    totalMs += ms;
    if (node.callFrame.functionName === '(idle)') {
      idleMs += ms;
      return;
    }
    const name = nameOf(node);
    self.set(name, (self.get(name) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = nameOf(byId.get(at) as ProfileNode);
      if (seen.has(n)) continue;
      seen.add(n);
      total.set(n, (total.get(n) ?? 0) + ms);
    }
  });
  const functions = [...total.entries()].map(([name, t]) => ({ name, selfMs: self.get(name) ?? 0, totalMs: t }));
  functions.sort((a, b) => b.selfMs - a.selfMs);
  return { functions, totalMs, idleMs };
}

/** The report as text: the top `rows` by self time, then by inclusive time. */
export function profileReport(path: string, rows = 25): string {
  const { functions, totalMs, idleMs } = readProfile(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile);
  const busy = totalMs - idleMs;
  const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1)}%`;
  const lines = [`${path}: ${totalMs.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms busy (${pct(busy)} of busy)`];
  lines.push('', 'self | inclusive | function');
  for (const f of functions.slice(0, rows)) lines.push(`${pct(f.selfMs)} | ${pct(f.totalMs)} | ${f.name}`);
  const inclusive = [...functions].sort((a, b) => b.totalMs - a.totalMs);
  lines.push('', 'inclusive | self | function');
  for (const f of inclusive.slice(0, rows * 2)) lines.push(`${pct(f.totalMs)} | ${pct(f.selfMs)} | ${f.name}`);
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('readProfile.ts')) {
  const [path, rows] = process.argv.slice(2);
  if (path === undefined) throw new Error('usage: readProfile.ts <file.cpuprofile> [rows]');
  console.log(profileReport(path, rows === undefined ? 25 : Number(rows)));
}
