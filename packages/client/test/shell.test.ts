/**
 * The client is the shell of protocol's wallet machine (ADR 0220): only the loop steps the
 * machine, and nothing else reads the machine's state except through protocol's views. A
 * transition written in the client would have to break one of these.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const srcDir = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The code without comments. */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
}

const files = sourceFiles(srcDir).map((path) => ({ name: relative(srcDir, path), code: code(path) }));
/** Fields of the machine's state: the client reads none of them directly. */
const stateRead = /\bstate\s*\.\s*(channel|payments|link|calls|pump|requests|recoveries|spent|domain|fatal|stopped)\b/;

describe('the client is a shell', () => {
  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('steps the machine in one place: the loop', () => {
    expect(files.filter((f) => /\bstepWallet\s*\(/.test(f.code)).map((f) => f.name)).toEqual(['walletLoop.ts']);
  });

  it("reads the machine's state only through protocol's views", () => {
    expect(files.filter((f) => stateRead.test(f.code)).map((f) => f.name)).toEqual([]);
  });

  it("imports the machine only through protocol's index", () => {
    expect(files.filter((f) => /from\s+['"]@trickle\/protocol\/.+['"]/.test(f.code)).map((f) => f.name)).toEqual([]);
  });

  it('would catch a violation (the patterns are live)', () => {
    expect(stateRead.test('if (loop.state.channel?.status === "open") pay();')).toBe(true);
    expect(/\bstepWallet\s*\(/.test('const next = stepWallet(state, input);')).toBe(true);
  });
});
