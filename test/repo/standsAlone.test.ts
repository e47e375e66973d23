/**
 * The repository stands alone: no document, comment, test or benchmark names a Markdown
 * file the repository does not have, or a path on the machine it was written on. A name
 * with a folder must resolve from the file that names it or from the root; a bare name
 * (`hub.md`) must be the name of some Markdown file in the repository. Links to other
 * sites (`https://...`) are not checked.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const scanned = ['README.md', 'docs', 'packages', 'examples', 'bench', 'test', '.ci', '.changeset'];
const skipped = new Set(['node_modules', 'dist', '.git', '.data', '.tmp', 'public']);
const textFile = /\.(md|ts|tsx|mts|cts|js|mjs|cjs|json|ya?ml|txt)$|^run$/;
const markdownName = /[\w./@-]*[\w-]\.md\b/g;
const url = /\b[a-z][a-z+.-]*:\/\/\S+/gi;

/** Every file under `path` (or `path` itself), outside dependencies and builds. */
function files(path: string): string[] {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    return [];
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => (skipped.has(name) ? [] : files(join(path, name))));
}

const all = scanned.flatMap((entry) => files(join(root, entry)));
const markdownNames = new Set(
  [...all, ...files(join(root, 'docs'))].filter((path) => path.endsWith('.md')).map((path) => basename(path)),
);
const existing = new Set(all.map((path) => relative(root, path)));

/** Whether the Markdown file `name`, written in `from`, is one the repository has. */
function resolves(name: string, from: string): boolean {
  // `<name>.api.md`, `*.test.md`: a pattern of names, not a name.
  if (/^\.[^./]/.test(name)) return true;
  const clean = name.replace(/^\.\//, '');
  if (!clean.includes('/')) return markdownNames.has(clean);
  return [resolve(dirname(from), clean), resolve(root, clean)].some((path) => existing.has(relative(root, path)));
}

describe('the repository stands alone', () => {
  const texts = all
    .filter((path) => textFile.test(basename(path)))
    .map((path) => ({ path, text: readFileSync(path, 'utf8') }));

  it('scans the docs, the packages, the examples, the tests and the benchmarks', () => {
    expect(texts.length).toBeGreaterThan(300);
    expect(texts.some(({ path }) => path === join(root, 'README.md'))).toBe(true);
  });

  it('names only Markdown files it has', () => {
    const missing: string[] = [];
    for (const { path, text } of texts) {
      for (const [index, line] of text.split('\n').entries()) {
        for (const name of line.replace(url, '').match(markdownName) ?? []) {
          if (!resolves(name, path)) missing.push(`${relative(root, path)}:${index + 1} names ${name}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('names no path on the machine it was written on', () => {
    const machinePaths = /(?<![\w.])\/(work|home|Users|root)\/[\w.-]+/;
    const found = texts.flatMap(({ path, text }) =>
      text
        .split('\n')
        .flatMap((line, index) =>
          machinePaths.test(line) ? [`${relative(root, path)}:${index + 1}: ${line.trim()}`] : [],
        ),
    );
    expect(found).toEqual([]);
  });

  it('would catch a name it does not have', () => {
    expect(resolves('hub.md', join(root, 'README.md'))).toBe(true);
    expect(resolves('docs/hub.md', join(root, 'README.md'))).toBe(true);
    expect(resolves(['..', 'docs', 'hub.md'].join('/'), join(root, 'docs', 'hub.md'))).toBe(true);
    expect(resolves(['NOT', 'HERE', '.md'].join(''), join(root, 'README.md'))).toBe(false);
    expect(resolves(`docs/nowhere${'.md'}`, join(root, 'README.md'))).toBe(false);
  });
});
