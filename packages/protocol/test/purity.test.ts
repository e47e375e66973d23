/**
 * The protocol package is sans-I/O and browser-safe. Biome's noRestrictedImports and a
 * tsconfig without Node or DOM types enforce it at lint and typecheck time; this test
 * enforces it again at test time, including for globals that need no import.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const srcDir = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

const forbidden: [RegExp, string][] = [
  [/from\s+['"]node:/, 'a node: import'],
  [/from\s+['"](ws|better-sqlite3|pg|fs|path|crypto|net|http|https|os|child_process)['"]/, 'an I/O module'],
  [/from\s+['"]@trickle\//, 'another Trickle package'],
  [/\bBuffer\b/, 'Buffer'],
  [/\bprocess\./, 'process'],
  [/\bDate\.now\b|\bnew Date\(/, 'the clock'],
  [/\bMath\.random\b|getRandomValues|randomSecretKey\(\)|extraEntropy:\s*true/, 'randomness of its own'],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\b/, 'timers'],
  [/\b(fetch|WebSocket|XMLHttpRequest|indexedDB|localStorage)\s*\(/, 'browser I/O'],
  [/\brequire\(/, 'CommonJS require'],
];

describe('protocol purity', () => {
  const files = sourceFiles(srcDir);

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files.map((f) => [f.slice(srcDir.length + 1), f]))('%s does no I/O', (_name, file) => {
    const code = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    for (const [pattern, what] of forbidden) {
      expect(pattern.test(code), `${what} in ${file}`).toBe(false);
    }
  });

  it('would catch a violation (the patterns are live)', () => {
    const sample = "import { readFileSync } from 'node:fs'; const b = Buffer.from('x'); Date.now();";
    expect(forbidden.filter(([p]) => p.test(sample)).length).toBe(3);
  });
});
