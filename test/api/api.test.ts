/**
 * The API reference (`docs/api/`, TypeDoc from the TSDoc comments) and the API surface
 * reports (`packages/<name>/api/<name>.api.md`) are generated, checked in, and cannot go
 * stale: both are regenerated here and must equal what is checked in (ADR 0406).
 * `pnpm api` regenerates both.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiSurface } from './apiSurface.js';

const root = resolve(import.meta.dirname, '..', '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the API reference and surface reports', () => {
  it('each package has its surface report, as generated from the sources', () => {
    const reports = apiSurface();
    expect(reports.size).toBe(readdirSync(join(root, 'packages')).length);
    for (const [path, text] of reports) {
      expect(existsSync(join(root, path)), `${path} is missing: run pnpm api`).toBe(true);
      expect(readFileSync(join(root, path), 'utf8'), `${path} is stale: run pnpm api`).toBe(text);
    }
  }, 180_000);

  it('docs/api is what TypeDoc generates from the TSDoc comments today', () => {
    const out = mkdtempSync(join(tmpdir(), 'trickle-api-'));
    try {
      const run = spawnSync('pnpm', ['exec', 'typedoc', '--out', out, '--logLevel', 'Error'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 400_000,
      });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      const generated = filesUnder(out)
        .map((path) => relative(out, path))
        .sort();
      const checkedIn = filesUnder(join(root, 'docs', 'api'))
        .map((path) => relative(join(root, 'docs', 'api'), path))
        .sort();
      expect(checkedIn, 'docs/api has other files than TypeDoc makes: run pnpm api').toEqual(generated);
      for (const path of generated) {
        expect(readFileSync(join(root, 'docs', 'api', path), 'utf8'), `docs/api/${path} is stale: run pnpm api`).toBe(
          readFileSync(join(out, path), 'utf8'),
        );
      }
      expect(generated).toContain(join('@trickle', 'client', 'node.md'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 420_000);
});
