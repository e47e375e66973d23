/**
 * No import cycles inside any workspace package's `src` (issue 11): a cycle hides the order in
 * which modules run and lets two files grow into one. The graph is built by `dpdm` over every
 * source file (type-only imports included: a type cycle still ties two files together), so a
 * file that no `index.ts` reaches is checked too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { globFiles, parseCircular, parseDependencyTree } from 'dpdm';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

/** The import cycles among `packages/* /src` files, each as the list of files on the loop. */
async function cycles(context: string, pattern: string): Promise<{ files: number; loops: string[][] }> {
  const files = (await globFiles(pattern, context)).filter((file) => !file.endsWith('.d.ts'));
  const tree = await parseDependencyTree(files, {
    context,
    cwd: context,
    transform: false,
    exclude: /node_modules/,
    tsconfig: resolve(root, 'tsconfig.json'),
  });
  return { files: files.length, loops: parseCircular(tree) };
}

describe('import graph', () => {
  it('has no cycle in any package source', async () => {
    const { files, loops } = await cycles(root, 'packages/*/src/**/*.{ts,tsx}');
    expect(files).toBeGreaterThan(200);
    expect(loops.map((loop) => [...loop, loop[0]].join(' -> '))).toEqual([]);
  }, 60_000);

  it('finds a cycle when one exists (the check can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trickle-cycles-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport interface A { b?: B }\n");
      writeFileSync(join(dir, 'b.ts'), "import type { A } from './a.js';\nexport interface B { a?: A }\n");
      const { loops } = await cycles(dir, '*.ts');
      expect(loops).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
