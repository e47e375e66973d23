/**
 * Every published package is set up to be installed from a registry (ADR 0404): in the
 * workspace its `exports` point at the TypeScript sources (development needs no build), and
 * its `publishConfig.exports`, which pnpm puts in place of `exports` when it packs, points
 * at the built `dist/` files of the same entries, types first. Each has `files`,
 * `sideEffects`, `engines`, `license`, `repository`, a README, a changelog, and a build
 * that `tsconfig.build.json` at the root reaches. The packaging test
 * (ADR 0405) installs the packed tarballs and uses them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly license?: string;
  readonly type?: string;
  readonly engines?: { node?: string };
  readonly sideEffects?: boolean | string[];
  readonly files?: string[];
  readonly repository?: { type: string; url: string; directory?: string };
  /** Each entry: the built file under the `trickle-dist` condition (ADR 0420), else the source. */
  readonly exports: Record<string, { 'trickle-dist': string; default: string }>;
  readonly publishConfig?: { access?: string; exports?: Record<string, Record<string, string>> };
  readonly scripts?: Record<string, string>;
}

const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
const packages = readdirSync(join(root, 'packages')).map((dir) => ({
  dir,
  manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as Manifest,
}));
/** tsconfig files carry comments; drop the whole-line ones before parsing. */
const readConfig = (path: string) =>
  JSON.parse(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => !line.trim().startsWith('//'))
      .join('\n'),
  ) as { references?: { path: string }[] };

describe('published packages', () => {
  it('are every folder under packages/, all public, all at one version', () => {
    expect(packages.map((p) => p.manifest.name).sort()).toEqual(packages.map((p) => `@trickle/${p.dir}`).sort());
    expect(packages.filter((p) => p.manifest.private === true)).toEqual([]);
    expect(new Set(packages.map((p) => p.manifest.version)).size).toBe(1);
  });

  it.each(packages)(
    '$manifest.name: publish exports mirror the source exports, built files, types first',
    ({ manifest }) => {
      const published = manifest.publishConfig?.exports ?? {};
      expect(Object.keys(published)).toEqual(Object.keys(manifest.exports));
      for (const [entry, conditionsInWorkspace] of Object.entries(manifest.exports)) {
        // In the workspace: the sources by default, the built files under `trickle-dist` (ADR 0420).
        expect(Object.keys(conditionsInWorkspace), entry).toEqual(['trickle-dist', 'default']);
        const source = conditionsInWorkspace.default;
        expect(source, entry).toMatch(/^\.\/src\/.+\.ts$/);
        const built = source.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.js');
        expect(conditionsInWorkspace['trickle-dist'], entry).toBe(built);
        const conditions = published[entry] ?? {};
        expect(Object.keys(conditions)[0], entry).toBe('types');
        expect(conditions.types, entry).toBe(built.replace(/\.js$/, '.d.ts'));
        const targets = Object.entries(conditions).filter(([condition]) => condition !== 'types');
        expect(targets.length, entry).toBeGreaterThan(0);
        for (const [condition, target] of targets) {
          expect(['import', 'node', 'browser', 'default'], entry).toContain(condition);
          expect(target, `${entry} ${condition}`).toBe(built);
        }
      }
      expect(manifest.publishConfig?.access).toBe('public');
    },
  );

  it.each(packages)(
    '$manifest.name: files, sideEffects, engines, license, repository, README, changelog, build',
    ({ dir, manifest }) => {
      expect(manifest.type).toBe('module');
      expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'src', '!src/**/*.test.ts']));
      expect(manifest.sideEffects).toBeDefined();
      expect(manifest.engines?.node).toBe(rootManifest.engines?.node);
      expect(manifest.license).toBe(rootManifest.license);
      expect(manifest.repository).toEqual({ ...rootManifest.repository, directory: `packages/${dir}` });
      expect(existsSync(join(root, 'packages', dir, 'README.md'))).toBe(true);
      expect(existsSync(join(root, 'packages', dir, 'CHANGELOG.md'))).toBe(true);
      expect(manifest.scripts?.build).toBe('tsc -b tsconfig.build.json');
      expect(manifest.scripts?.prepack).toBe('tsc -b tsconfig.build.json');
      expect(existsSync(join(root, 'packages', dir, 'tsconfig.build.json'))).toBe(true);
    },
  );

  it('are all built by the root tsconfig.build.json', () => {
    const references = (readConfig(join(root, 'tsconfig.build.json')).references ?? []).map((r) => r.path);
    expect(references.sort()).toEqual(packages.map((p) => `packages/${p.dir}/tsconfig.build.json`).sort());
  });

  it('are versioned together by changesets', () => {
    const config = JSON.parse(readFileSync(join(root, '.changeset', 'config.json'), 'utf8')) as {
      fixed: string[][];
      access: string;
    };
    expect(config.access).toBe('public');
    expect([...(config.fixed[0] ?? [])].sort()).toEqual(packages.map((p) => p.manifest.name).sort());
  });
});
