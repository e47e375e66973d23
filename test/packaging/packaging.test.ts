/**
 * The packages as a user gets them (ADR 0405): `pnpm pack` every package (which builds it),
 * install the tarballs into a scratch project in a temporary folder outside the workspace,
 * and there
 *   (a) run a plain Node ESM program that starts a hub, opens a channel, pays a merchant
 *       through `wallet.fetch` and closes;
 *   (b) type-check a TypeScript consumer, and the README's "Use it" snippets as copied,
 *       with `strict` and without skipLibCheck, against the published types;
 *   (c) bundle the wallet for the browser with esbuild: no `node:` module may leak in and
 *       the gzipped bundle must stay within `browserBundleGzipBytesMax`;
 *   (d) run the README's "Use it" snippets as copied, joined into one program (a SQLite hub
 *       with its defaults, an Express merchant, a wallet that pays through `wallet.fetch`);
 *   (e) check the hub's verifiers with and without the optional native addon (`secp256k1`):
 *       native inline and on the threads where it loads, WASM where it does not
 *       (`consumer/forbid-native-secp256k1.cjs`), and (a)'s program run without it.
 * The scratch project installs its third-party dependencies through pnpm from the same
 * store as the workspace (already downloaded), so it needs no network once the workspace is
 * installed; better-sqlite3 comes built from the store's side-effects cache. Run (a) refuses
 * to import better-sqlite3 (`consumer/forbid-sqlite.mjs`), which shows that a hub on
 * PostgreSQL never loads it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { postgresUrl } from '@trickle/testing/harness';
import { build, transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeProgram } from './readmeProgram.js';

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
const hubManifest = manifestOf(join(root, 'packages', 'hub'));

function run(command: string, args: string[], cwd: string, timeoutMs = 240_000): string {
  const env = { ...process.env, TRICKLE_PG_URL: postgresUrl };
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs });
  const output = `${result.stdout}\n${result.stderr}`;
  expect(result.status, `${command} ${args.join(' ')}\n${output}`).toBe(0);
  return result.stdout;
}

/** The README's `ts` blocks under "Use it", as written. */
function readmeBlocks(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it'), readme.indexOf('\n## ', readme.indexOf('## Use it') + 1));
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

/** The README's `ts` blocks under "Use it", each as a module with the names it assumes declared. */
function readmeSnippets(): string[] {
  const blocks = readmeBlocks();
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
        'better-sqlite3': hubManifest.devDependencies?.['better-sqlite3'],
      },
      devDependencies: {
        '@types/pg': ledgerManifest.devDependencies?.['@types/pg'],
        '@types/express': merchantManifest.devDependencies?.['@types/express'],
        '@types/node': rootManifest.devDependencies?.['@types/node'],
        typescript: rootManifest.devDependencies?.typescript,
      },
      // The tarballs name each other by version: point those at the tarballs, not a registry.
      pnpm: { overrides: packed, onlyBuiltDependencies: ['better-sqlite3'] },
    };
    writeFileSync(join(project, 'package.json'), `${JSON.stringify(consumer, null, 2)}\n`);
    for (const file of [
      'e2e.mjs',
      'forbid-sqlite.mjs',
      'forbid-native-secp256k1.cjs',
      'verifier.mjs',
      'consumer.ts',
      'browser.ts',
      'tsconfig.json',
    ]) {
      copyFileSync(join(fixtures, file), join(project, file));
    }
    readmeSnippets().forEach((snippet, index) => {
      writeFileSync(join(project, `readme-${index + 1}.ts`), snippet);
    });
    // Type-checked with the rest in (b), run as JavaScript in (d).
    writeFileSync(join(project, 'readme-program.ts'), readmeProgram(readmeBlocks()));
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
    const output = run(process.execPath, ['--import', './forbid-sqlite.mjs', 'e2e.mjs'], join(work, 'project'), 120_000)
      .trim()
      .split('\n');
    const result = JSON.parse(output.at(-1) ?? '{}');
    expect(result).toEqual({ status: 200, body: 'a paid article', refund: '98000', auditOk: true });
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

  it("(d) the README's Use it snippets, as copied, run: a SQLite hub, an Express merchant, a paid wallet.fetch", async () => {
    const project = join(work, 'project');
    const source = readFileSync(join(project, 'readme-program.ts'), 'utf8');
    const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'node20' });
    writeFileSync(join(project, 'readme-program.mjs'), code);
    const output = run(process.execPath, ['readme-program.mjs'], project, 120_000).trim().split('\n');
    expect(JSON.parse(output.at(-1) ?? '{}')).toEqual({ status: 200, body: 'article 42' });
  }, 150_000);

  it('(e) the verifiers: native inline and on the threads where the optional addon loads, WASM where it does not', () => {
    const project = join(work, 'project');
    const lastLine = (output: string) => JSON.parse(output.trim().split('\n').at(-1) ?? '{}');
    // The addon ships prebuilt for these; elsewhere both runs are on WASM.
    const prebuilt = ['linux-x64', 'darwin-arm64', 'win32-x64'].includes(`${process.platform}-${process.arch}`);
    expect(lastLine(run(process.execPath, ['verifier.mjs'], project, 60_000))).toEqual(
      prebuilt
        ? { inline: 'libsecp256k1-native', threads: 'libsecp256k1-native-workers(2)', right: true }
        : { inline: 'none', threads: 'tiny-secp256k1-workers(2)', right: true },
    );
    const withoutAddon = ['--require', './forbid-native-secp256k1.cjs'];
    expect(lastLine(run(process.execPath, [...withoutAddon, 'verifier.mjs'], project, 60_000))).toEqual({
      inline: 'none',
      threads: 'tiny-secp256k1-workers(2)',
      right: true,
    });
    const e2e = run(
      process.execPath,
      [...withoutAddon, '--import', './forbid-sqlite.mjs', 'e2e.mjs'],
      project,
      120_000,
    );
    expect(lastLine(e2e)).toEqual({ status: 200, body: 'a paid article', refund: '98000', auditOk: true });
  }, 300_000);
});
