/**
 * No import cycles, in any package (type-only imports included: a cycle of types is still
 * two files that cannot be read one after the other). The graph is TypeScript's own module
 * resolution over every source file; cycles are its strongly connected components (Tarjan).
 */
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** Every import and re-export edge between this repository's source files. */
function moduleGraph(): Map<string, Set<string>> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (config === undefined) throw new Error('cannot read tsconfig.json');
  const files = config.fileNames.filter((f) => /\/packages\/[^/]+\/src\//.test(f) && !f.endsWith('.test.ts'));
  const graph = new Map<string, Set<string>>();
  const host = ts.createCompilerHost(config.options);
  for (const file of files) {
    const source = ts.createSourceFile(file, ts.sys.readFile(file) ?? '', ts.ScriptTarget.ES2022, false);
    const edges = new Set<string>();
    const add = (specifier: string) => {
      const resolved = ts.resolveModuleName(specifier, file, config.options, host).resolvedModule;
      if (resolved === undefined || resolved.isExternalLibraryImport) return;
      if (!resolved.resolvedFileName.startsWith(join(root, 'packages'))) return;
      edges.add(resolved.resolvedFileName);
    };
    source.forEachChild((node) => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) {
        if (ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text);
      }
    });
    graph.set(file, edges);
  }
  return graph;
}

/** The strongly connected components with more than one file (or a file importing itself). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indexOf.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indexOf.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node) as number, indexOf.get(next) as number));
    }
    if (low.get(node) !== indexOf.get(node)) return;
    const component: string[] = [];
    for (;;) {
      const member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1 || graph.get(node)?.has(node)) found.push(component.map((f) => relative(root, f)).sort());
  };
  for (const node of graph.keys()) if (!indexOf.has(node)) visit(node);
  return found;
}

describe('import graph', () => {
  const graph = moduleGraph();

  it('covers every package', () => {
    const packages = new Set([...graph.keys()].map((f) => relative(root, f).split('/')[1]));
    expect(packages.size).toBeGreaterThanOrEqual(5);
  });

  it('has no cycles', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('would find one (the check is live)', () => {
    const a = join(root, 'a.ts');
    const b = join(root, 'b.ts');
    expect(
      cycles(
        new Map([
          [a, new Set([b])],
          [b, new Set([a])],
        ]),
      ),
    ).toEqual([['a.ts', 'b.ts']]);
  });
});
