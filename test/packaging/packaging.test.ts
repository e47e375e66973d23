/**
 * The packages as a user gets them (ADR 0405): `pnpm pack` every package (which builds it),
 * install the tarballs into a scratch project in a temporary folder outside the workspace,
 * and there
 *   (a) run a plain Node ESM program that starts a hub, opens a channel, pays a merchant
 *       through `wallet.fetch` and closes;
 *   (b) type-check a TypeScript consumer, and the README's "Use it" snippets as copied,
 *       with `strict` and without skipLibCheck, against the published types;
 *   (c) bundle the wallet for the browser with esbuild: no `node:` module may leak in and
 *       the gzipped bundle must stay within `browserBundleGzipBytesMax`.
 * The scratch project installs its third-party dependencies through pnpm from the same
 * store as the workspace (already downloaded), so it needs no network once the workspace is
 * installed. It runs no dependency build scripts (pnpm's default): `better-sqlite3`, a
 * dependency of the test kit, stays unbuilt, which also shows that a hub on PostgreSQL
 * never loads it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { postgresUrl } from '@trickle/testing/harness';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The wallet's browser bundle, minified and gzipped, in bytes: 42,903 on 2026-12-04, plus room to grow. */
const browserBundleGzipBytesMax = 48_000;

const root = resolve(import.meta.dirname, '..', '..');
const fixtures = join(import.meta.dirname, 'consumer');
const packageDirs = readdirSync(join(root, 'packages'));
type Manifest = {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
const rootManifest = manifestOf(root);
const ledgerManifest = manifestOf(join(root, 'packages', 'ledger'));
const merchantManifest = manifestOf(join(root, 'packages', 'merchant'));

function run(command: string, args: string[], cwd: string, timeoutMs = 240_000): string {
  const env = { ...process.env, TRICKLE_PG_URL: postgresUrl };
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs });
  const output = `${result.stdout}\n${result.stderr}`;
  expect(result.status, `${command} ${args.join(' ')}\n${output}`).toBe(0);
  return result.stdout;
}

/** The README's `ts` blocks under "Use it", each as a module with the names it assumes declared. */
function readmeSnippets(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it'), readme.indexOf('\n## ', readme.indexOf('## Use it') + 1));
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  const prelude = [
    "import type { PublicKey, SecretKey } from '@trickle/protocol';",
    "import type { Express, Request } from 'express';",
    'declare const secretKey: SecretKey;',
    'declare const hubPublicKey: PublicKey;',
    'declare const merchantPublicKey: PublicKey;',
    'declare const clientKey: PublicKey;',
    'declare const app: Express;',
    'declare function article(req: Request): string;',
    '',
  ].join('\n');
  return blocks.map((block) => `${prelude}${block}export {};\n`);
}

describe('the packed packages, installed outside the workspace', () => {
  let work = '';

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'trickle-packaging-'));
    const tarballs = join(work, 'tarballs');
    mkdirSync(tarballs);
    const project = join(work, 'project');
    mkdirSync(project);
    const packed: Record<string, string> = {};
    for (const dir of packageDirs) {
      const manifest = manifestOf(join(root, 'packages', dir));
      run('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', dir));
      packed[manifest.name] =
        `file:${join(tarballs, `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`)}`;
    }
    const consumer = {
      name: 'trickle-consumer',
      private: true,
      type: 'module',
      dependencies: {
        ...packed,
        pg: ledgerManifest.devDependencies?.pg,
        express: merchantManifest.devDependencies?.express,
      },
      devDependencies: {
        '@types/pg': ledgerManifest.devDependencies?.['@types/pg'],
        '@types/express': merchantManifest.devDependencies?.['@types/express'],
        '@types/node': rootManifest.devDependencies?.['@types/node'],
        typescript: rootManifest.devDependencies?.typescript,
      },
      // The tarballs name each other by version: point those at the tarballs, not a registry.
      pnpm: { overrides: packed },
    };
    writeFileSync(join(project, 'package.json'), `${JSON.stringify(consumer, null, 2)}\n`);
    for (const file of ['e2e.mjs', 'consumer.ts', 'browser.ts', 'tsconfig.json']) {
      copyFileSync(join(fixtures, file), join(project, file));
    }
    readmeSnippets().forEach((snippet, index) => {
      writeFileSync(join(project, `readme-${index + 1}.ts`), snippet);
    });
    run('pnpm', ['install', '--prefer-offline', '--config.confirmModulesPurge=false'], project);
  }, 600_000);

  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('installed the built files, not the sources', () => {
    const client = JSON.parse(
      readFileSync(join(work, 'project', 'node_modules', '@trickle', 'client', 'package.json'), 'utf8'),
    );
    expect(client.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect(client.dependencies['@trickle/protocol']).toBe(client.version);
  });

  it('(a) plain Node: starts a hub, opens a channel, pays through wallet.fetch, closes', () => {
    const output = run(process.execPath, ['e2e.mjs'], join(work, 'project'), 120_000).trim().split('\n');
    const result = JSON.parse(output.at(-1) ?? '{}');
    expect(result).toEqual({ status: 200, body: 'a paid article', refund: '98000', auditOk: true });
    // better-sqlite3 is installed (the test kit depends on it) but unbuilt: loading it would have thrown.
  }, 150_000);

  it("(b) strict TypeScript: a consumer and the README's Use it snippets type-check against the published types", () => {
    expect(readmeSnippets().length).toBe(3);
    run(join(work, 'project', 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], join(work, 'project'));
  }, 150_000);

  it('(c) a browser bundle of the wallet: no node: module, within its gzip budget', async () => {
    const result = await build({
      entryPoints: [join(work, 'project', 'browser.ts')],
      absWorkingDir: join(work, 'project'),
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((path) => path.startsWith('node:') || /node_modules\/ws\//.test(path))).toEqual([]);
    expect(inputs.some((path) => path.includes('@trickle/client/dist/'))).toBe(true);
    const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
    expect(imports).toEqual([]);
    const code = result.outputFiles[0]?.contents ?? new Uint8Array();
    expect(new TextDecoder().decode(code)).not.toMatch(/["']node:[a-z_/]+["']/);
    const gzipBytes = gzipSync(code, { level: 9 }).byteLength;
    console.log(
      `browser bundle of the wallet: ${code.byteLength.toLocaleString('en')} bytes minified, ` +
        `${gzipBytes.toLocaleString('en')} bytes gzipped (budget ${browserBundleGzipBytesMax.toLocaleString('en')})`,
    );
    expect(gzipBytes).toBeLessThanOrEqual(browserBundleGzipBytesMax);
  }, 60_000);
});
