/**
 * The adapters are on subpaths (ADR 0402): importing `@trickle/hub` or `@trickle/ledger`
 * loads no database driver, a hub given its ledger and store never loads better-sqlite3,
 * and one that needs the SQLite defaults without better-sqlite3 installed says what to do.
 * Each case runs in a fresh Node process, so "loaded" means loaded by that case alone.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dropSchema, postgresUrl, uniqueSchema } from '@trickle/testing/harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const hubPackage = fileURLToPath(new URL('..', import.meta.url));

/** Drivers (CommonJS) loaded so far in the child, from its require cache. */
const loadedDrivers = `
import { createRequire } from 'node:module';
const loaded = () => Object.keys(createRequire(import.meta.url).cache)
  .flatMap((path) => /[\\\\/]node_modules[\\\\/](better-sqlite3|pg)[\\\\/]/.exec(path)?.[1] ?? [])
  .filter((name, i, all) => all.indexOf(name) === i).sort();
`;

/** Runs an ES module in a child Node (with tsx, from this package) and returns what it printed as JSON. */
async function runChild(source: string, importFirst: readonly string[] = []): Promise<unknown> {
  const imports = importFirst.flatMap((specifier) => ['--import', specifier]);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', ...imports, '--input-type=module', '-e', loadedDrivers + source],
    { cwd: hubPackage },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null');
}

describe('adapters behind subpaths', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'trickle-subpaths-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('the main entries of @trickle/hub and @trickle/ledger load no driver', async () => {
    const result = await runChild(`
      await import('@trickle/hub');
      await import('@trickle/ledger');
      const before = loaded();
      await import('@trickle/ledger/sqlite');
      console.log(JSON.stringify({ before, after: loaded() }));
    `);
    expect(result).toEqual({ before: [], after: ['better-sqlite3'] });
  });

  it('a hub on PostgreSQL with its own ledger never loads better-sqlite3; one on the defaults does', async () => {
    const schema = uniqueSchema('trickle_subpaths');
    try {
      const result = await runChild(`
        import { createHub } from '@trickle/hub';
        import { postgresChannelStore } from '@trickle/hub/postgres';
        import { memoryLedger } from '@trickle/ledger';
        const store = await postgresChannelStore({ connectionString: ${JSON.stringify(postgresUrl)}, schema: ${JSON.stringify(schema)} });
        const domain = { networkId: 1, hubId: new Uint8Array(32) };
        const hub = await createHub({ dataDir: ${JSON.stringify(dataDir)}, networkId: 1, store, ledger: await memoryLedger({ domain, feePpm: 0 }) });
        await hub.close();
        await store.close();
        const onPostgres = loaded();
        const embedded = await createHub({ dataDir: ${JSON.stringify(join(dataDir, 'embedded'))}, networkId: 1 });
        await embedded.close();
        console.log(JSON.stringify({ onPostgres, embedded: loaded() }));
      `);
      expect(result).toEqual({ onPostgres: ['pg'], embedded: ['better-sqlite3', 'pg'] });
    } finally {
      await dropSchema(schema);
    }
  });

  it('without better-sqlite3 installed, the default ledger fails with what to do', async () => {
    // A resolve hook that answers for better-sqlite3 as Node does for a package that is not installed.
    const notInstalled = `data:text/javascript,${encodeURIComponent(`
      import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(\`
        export async function resolve(specifier, context, next) {
          if (specifier === 'better-sqlite3') {
            throw Object.assign(new Error("Cannot find package 'better-sqlite3' imported from " + context.parentURL), { code: 'ERR_MODULE_NOT_FOUND' });
          }
          return next(specifier, context);
        }\`));
    `)}`;
    const result = await runChild(
      `
      import { createHub } from '@trickle/hub';
      const error = await createHub({ dataDir: ${JSON.stringify(dataDir)}, networkId: 1 }).catch((e) => e);
      console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message, loaded: loaded() }));
    `,
      [notInstalled],
    );
    expect(result).toEqual({
      name: 'HubError',
      code: 'LEDGER_FAILED',
      message:
        'the default ledger is SQLite and needs the optional peer dependency better-sqlite3: install it, or pass options.ledger',
      loaded: [],
    });
  });
});
