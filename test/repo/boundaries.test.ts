/**
 * Package boundaries, checked on every source file of the repository: a relative import
 * never leaves the workspace package it is written in (no `../../packages/hub/src/...`,
 * no reaching into another package's test helpers), nothing is imported through a
 * `node_modules` path, and a package imports another `@trickle/*` package only by a name
 * its package.json declares. Shared test helpers live in `@trickle/testing` (ADR 0403).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const skipped = new Set(['node_modules', 'dist', '.git', '.data', '.tmp', 'vendor']);
const sourceFile = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

/** Every source file under `dir`, outside dependencies, builds and data. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (skipped.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return sourceFile.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The folder of the workspace package (or the root) that holds `path`. */
function projectOf(path: string): string {
  let dir = dirname(path);
  while (dir !== root && !existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

interface Manifest {
  readonly name?: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}
const manifests = new Map<string, Manifest>();
function manifestOf(project: string): Manifest {
  let manifest = manifests.get(project);
  if (manifest === undefined) {
    manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as Manifest;
    manifests.set(project, manifest);
  }
  return manifest;
}

/** What is wrong with one import of `file`, if anything. */
function violation(file: string, specifier: string): string | undefined {
  if (/(^|\/)node_modules\//.test(specifier)) return 'imports through node_modules';
  const project = projectOf(file);
  if (specifier.startsWith('.')) {
    const target = resolve(dirname(file), specifier);
    const owner = projectOf(target);
    if (owner !== project) return `reaches into ${relative(root, owner) || 'the root'} from ${relative(root, project)}`;
    return undefined;
  }
  const name = /^@trickle\/[^/]+/.exec(specifier)?.[0];
  if (name === undefined) return undefined;
  const manifest = manifestOf(project);
  const declared =
    manifest.name === name ||
    [manifest.dependencies, manifest.devDependencies, manifest.peerDependencies].some((deps) => deps?.[name]);
  return declared ? undefined : `${name} is not declared in ${relative(root, join(project, 'package.json'))}`;
}

/** Every import and export-from specifier of a file, static or dynamic (`import('x')`, in types too). */
function specifiers(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((imported) => imported.fileName);
}

function violations(files: readonly string[]): string[] {
  return files.flatMap((file) =>
    specifiers(file).flatMap((specifier) => {
      const problem = violation(file, specifier);
      return problem === undefined ? [] : [`${relative(root, file)}: '${specifier}' ${problem}`];
    }),
  );
}

describe('package boundaries', () => {
  it('no import leaves its package, goes through node_modules, or names an undeclared @trickle package', () => {
    const files = sources(root);
    expect(files.length).toBeGreaterThan(100);
    expect(violations(files)).toEqual([]);
  });

  it('catches each kind of violation', () => {
    const file = join(root, 'test/hub/example.test.ts');
    expect(violation(file, '../../packages/hub/src/index.js')).toMatch(/reaches into packages\/hub from test/);
    expect(violation(file, '../../packages/hub/test/rawClient.js')).toMatch(/reaches into packages\/hub/);
    expect(violation(file, '../../packages/protocol/node_modules/@noble/hashes/hmac.js')).toMatch(/node_modules/);
    expect(violation(join(root, 'packages/protocol/src/x.ts'), '@trickle/hub')).toMatch(/not declared/);
    expect(violation(file, './fixtures.js')).toBeUndefined();
    expect(violation(file, '@trickle/hub/sqlite')).toBeUndefined();
    expect(violation(join(root, 'packages/hub/test/x.test.ts'), '../src/index.js')).toBeUndefined();
  });
});
