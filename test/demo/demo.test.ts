/**
 * `pnpm demo --once`, the README's main command, run as a user runs it: a child process on
 * a fresh data folder and ports of its choosing. It must exit 0 after the scripted reader bought three articles,
 * read one again for free, closed its channel and the ledger audit passed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe('pnpm demo --once', () => {
  it('buys three articles, reads one again for free, settles and audits, then exits 0', async () => {
    const data = mkdtempSync(join(tmpdir(), 'trickle-demo-'));
    const [sitePort, hubPort] = [await freePort(), await freePort()];
    try {
      const ports = ['--site-port', String(sitePort), '--hub-port', String(hubPort)];
      const run = spawnSync('pnpm', ['demo', '--once', '--data', data, ...ports], {
        cwd: root,
        encoding: 'utf8',
        timeout: 120_000,
      });
      const output = `${run.stdout}\n${run.stderr}`;
      expect(run.status, output).toBe(0);
      // --once honours the ports it is given, as the demo without --once does.
      expect(output).toMatch(new RegExp(`site +http://127\\.0\\.0\\.1:${sitePort}\\n`));
      expect(output).toMatch(new RegExp(`hub +ws://127\\.0\\.0\\.1:${hubPort} `));
      expect(output.match(/^ {2}\S.* 0\.\d+ USD .* ms .*receipt for invoice/gm) ?? [], output).toHaveLength(3);
      expect(output).toMatch(/^ {2}Why the tide comes in twice a day +nothing .*entitlement/m);
      expect(output).toMatch(/closed +paid 0\.0065 USD, refunded 0\.0935 USD/);
      expect(output).toMatch(/audit +ok: 0 mismatches/);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 150_000);
});
