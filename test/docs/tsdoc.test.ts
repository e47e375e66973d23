/**
 * Every public export of every package is documented: a TSDoc comment on each, and an
 * `@example` on each function and class, including constants that hold one. Types, interfaces and plain constants need the comment only.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
/**
 * Each package's public entry points, read from its package.json `exports` (the main one
 * and every subpath), so a new package or subpath is checked without being listed here.
 */
const entries: [string, string][] = readdirSync(join(root, 'packages')).flatMap((dir) => {
  const manifest = join(root, 'packages', dir, 'package.json');
  if (!existsSync(manifest)) return [];
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, unknown> };
  return Object.entries(exports ?? {}).flatMap(([subpath, conditions]) => {
    // The source is the `default` condition (the built file is under `trickle-dist`, ADR 0420).
    const target = (conditions as { default?: unknown }).default;
    return typeof target === 'string' && target.endsWith('.ts')
      ? [[`${dir}${subpath.slice(1)}`, join('packages', dir, target)] as [string, string]]
      : [];
  });
});

/** Functions and classes need an example, and so do constants that hold a function. */
function needsExample(symbol: ts.Symbol, declaration: ts.Declaration, checker: ts.TypeChecker): boolean {
  if (symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class)) return true;
  if (symbol.flags & ts.SymbolFlags.Variable) {
    return checker.getTypeOfSymbolAtLocation(symbol, declaration).getCallSignatures().length > 0;
  }
  return false;
}

interface DocReport {
  missingDoc: string[];
  missingExample: string[];
  examples: { name: string; code: string }[];
  count: number;
}

function undocumented(entry: string): DocReport {
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (source === undefined) throw new Error(`cannot read ${entry}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) throw new Error(`no module symbol for ${entry}`);
  const missingDoc: string[] = [];
  const missingExample: string[] = [];
  const examples: { name: string; code: string }[] = [];
  const exports = checker.getExportsOfModule(moduleSymbol);
  for (const exported of exports) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declaration = symbol.declarations?.[0];
    if (declaration === undefined) continue;
    const docs = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
    if (docs.length === 0) missingDoc.push(exported.name);
    const exampleTags = symbol.getJsDocTags(checker).filter((tag) => tag.name === 'example');
    if (needsExample(symbol, declaration, checker) && exampleTags.length === 0) missingExample.push(exported.name);
    for (const tag of exampleTags) {
      const text = ts.displayPartsToString(tag.text);
      const code = /```(?:ts|typescript)?\n([\s\S]*?)```/.exec(text)?.[1];
      if (code !== undefined) examples.push({ name: exported.name, code });
    }
  }
  return { missingDoc, missingExample, examples, count: exports.length };
}

/** Type-checks each example as its own module, resolved as from inside its package. */
function exampleErrors(name: string, entry: string, examples: { name: string; code: string }[]): string[] {
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    noUnusedLocals: false,
  };
  // Virtual files inside the package: its own name and its dependencies resolve as for its users.
  const packageDir = join(root, entry.split('/src/')[0] as string, 'src');
  const files = new Map(examples.map((e, i) => [join(packageDir, `__example-${name.replace('/', '-')}-${i}.ts`), e]));
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (file) => (files.has(file) ? `${files.get(file)!.code}\nexport {};\n` : readFile(file));
  host.fileExists = (file) => files.has(file) || fileExists(file);
  host.getSourceFile = (file, language, onError, create) =>
    files.has(file)
      ? ts.createSourceFile(file, host.readFile(file)!, language, true)
      : getSourceFile(file, language, onError, create);
  const program = ts.createProgram([...files.keys()], options, host);
  return [...files.keys()].flatMap((file) =>
    ts
      .getPreEmitDiagnostics(program, program.getSourceFile(file))
      .map((d) => `${files.get(file)!.name}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`),
  );
}

it('finds every package entry point', () => {
  expect(entries.map(([name]) => name)).toEqual(expect.arrayContaining(['protocol', 'hub/sqlite', 'ledger/postgres']));
});

describe.each(entries)('@trickle/%s public API docs', (name, entry) => {
  const result = undocumented(join(root, entry));

  it('exports something', () => {
    expect(result.count).toBeGreaterThan(0);
  });

  it('has a TSDoc comment on every export', () => {
    expect(result.missingDoc).toEqual([]);
  });

  it('has an @example on every exported function and class', () => {
    expect(result.missingExample).toEqual([]);
  });

  it('has examples that compile', () => {
    expect(result.examples.length).toBeGreaterThan(0);
    expect(exampleErrors(name, entry, result.examples)).toEqual([]);
  }, 60_000);
});
