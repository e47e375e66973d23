/**
 * The examples run as their READMEs say, as child processes: the paid API pays per call
 * and closes its channel; the embedded hub serves, takes three paid calls and exits. Every
 * example answers a port in use with one line, no stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function run(args: string[]): string {
  const result = spawnSync('pnpm', args, { cwd: root, encoding: 'utf8', timeout: 120_000 });
  const output = `${result.stdout}\n${result.stderr}`;
  expect(result.status, output).toBe(0);
  return output;
}

describe('examples', () => {
  it('paid-api: calls the API, pays 0.0001 USD per call, closes with the refund', () => {
    const output = run(['--filter', '@trickle/example-paid-api', 'start', '--calls', '200', '--concurrency', '8']);
    expect(output).toMatch(/200 calls at 0\.0001 USD, 8 at a time/);
    expect(output).toMatch(/paid +0\.02024 USD in total/);
    expect(output).toMatch(/batch +3 places for 0\.00024 USD/);
    expect(output).toMatch(/closed +refund 0\.47976 USD/);
  }, 150_000);

  // The README's `--calls 5000 --concurrency 64` in small: a deposit that holds exactly the
  // calls (200 x 0.0001 = 0.02) used to leave nothing for the batch call after them.
  it('paid-api: a deposit of exactly the calls grows to cover the batch call too', () => {
    const args = ['--calls', '200', '--concurrency', '64', '--deposit', '0.02'];
    const output = run(['--filter', '@trickle/example-paid-api', 'start', ...args]);
    expect(output).toMatch(/channel 0\.02024 USD for 200 calls and one batch call/);
    expect(output).toMatch(/paid +0\.02024 USD in total/);
    expect(output).toMatch(/closed +refund 0 USD/);
  }, 150_000);

  it('p2p: Alice pays Bob by payee id and by a money request; both views agree and Bob is paid on the ledger', () => {
    const output = run(['--filter', '@trickle/example-p2p', 'start', '--payments', '5']);
    expect(output.match(/^ {2}paid /gm) ?? []).toHaveLength(6);
    expect(output.match(/^ {2}#\d /gm) ?? []).toHaveLength(6);
    expect(output).toMatch(/#1 +0\.000137 USD from [0-9a-f]{12}… +"coffee #1"/);
    expect(output).toMatch(/#2 +0\.000174 USD from someone +"coffee #2"/);
    expect(output).toMatch(/#6 +0\.0025 USD from [0-9a-f]{12}… +"pizza"/);
    expect(output).toMatch(/Alice closed: refund 0\.096445 USD; cleared at close/);
    expect(output).toMatch(/Bob received 0\.003555 USD; his ledger account holds 0\.003555 USD/);
    expect(output).toMatch(/Bob was told all 6 cleared: \d+ to \d+ ms from payment to settlement/);
  }, 150_000);

  it('embedded-hub: the API and the hub in one process take three paid calls', () => {
    const data = mkdtempSync(join(tmpdir(), 'trickle-embedded-'));
    try {
      const output = run(['--filter', '@trickle/example-embedded-hub', 'start', '--once', '--data', data]);
      expect(output.match(/^ {2}"/gm) ?? []).toHaveLength(3);
      expect(output).toMatch(/paid 0\.0015 USD, refunded 0\.0085 USD/);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 150_000);
});

describe('a port in use', () => {
  let busy: Server;
  let port = 0;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((ready) => busy.listen(0, '127.0.0.1', ready));
    port = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((done) => busy.close(() => done())));

  it.each([
    ['embedded-hub', '--port', 'examples/embedded-hub/src/server.ts', /try --port or --hub-port/],
    ['embedded-hub', '--hub-port', 'examples/embedded-hub/src/server.ts', /try --port or --hub-port/],
    ['paid-api', '--api-port', 'examples/paid-api/src/main.ts', /try --hub-port or --api-port/],
    ['paid-api', '--hub-port', 'examples/paid-api/src/main.ts', /try --hub-port or --api-port/],
    ['demo', '--site-port', 'examples/content-site/src/demo.ts', /try --site-port or --hub-port/],
    ['demo', '--hub-port', 'examples/content-site/src/demo.ts', /try --site-port or --hub-port/],
    [
      'attack-your-merchant',
      '--site-port',
      'examples/attack-your-merchant/src/main.ts',
      /try --hub-port or --site-port/,
    ],
  ])(
    '%s %s <busy>: one line naming the port, exit 1',
    (_name, flag, file, hint) => {
      const data = mkdtempSync(join(tmpdir(), 'trickle-busy-'));
      try {
        const args = [file, flag, String(port), ...(/demo|embedded/.test(file) ? ['--data', data] : [])];
        const result = spawnSync(process.execPath, ['--import', 'tsx', ...args], {
          cwd: root,
          encoding: 'utf8',
          timeout: 60_000,
        });
        const lines = result.stderr.split('\n').filter((text) => text.trim() !== '');
        expect(result.status, result.stderr).toBe(1);
        expect(lines, result.stderr).toHaveLength(1);
        expect(lines[0]).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
        expect(lines[0]).toMatch(hint);
      } finally {
        rmSync(data, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
