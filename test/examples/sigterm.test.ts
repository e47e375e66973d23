/**
 * SIGTERM drains every example and exits 0 (stopOnSignals): the paid API mid-run stops
 * taking calls, closes its channel and is refunded exactly what was not acknowledged; the
 * embedded hub and the content site, serving, release their data folder, whose ledger
 * holds every acknowledged payment (audit ok); p2p and the attack stop mid-run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub } from '@trickle/hub';
import type { TrickleLedger } from '@trickle/ledger';
import { asset, parseAmount } from '@trickle/protocol';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const usd = asset('USD', 6);

/** Runs an example's entry with tsx in its folder, as its start script does (without pnpm between). */
function start(example: string, entry: string, args: string[]) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: join(root, 'examples', example),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => output,
    async waitFor(pattern: RegExp) {
      for (let i = 0; i < 1_200 && !pattern.test(output); i++) {
        if (child.exitCode !== null) throw new Error(`exited before ${pattern}:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (!pattern.test(output)) throw new Error(`no ${pattern} in:\n${output}`);
    },
  };
}

describe('SIGTERM in the examples', () => {
  it('paid-api: stops taking calls, closes the channel, refund = deposit - acknowledged, exit 0', async () => {
    const run = start('paid-api', 'src/main.ts', ['--calls', '1000000', '--concurrency', '8']);
    await run.waitFor(/^channel /m);
    await run.waitFor(/^hub /m);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    run.child.kill('SIGTERM');
    expect(await run.exited, run.output()).toBe(0);
    const out = run.output();
    const deposit = parseAmount(/^channel ([\d.]+) USD/m.exec(out)?.[1] as string, usd);
    const stopped = /stopped +after (\d+) calls \(SIGTERM\): paid ([\d.]+) USD/.exec(out);
    expect(stopped, out).not.toBeNull();
    const calls = BigInt(stopped?.[1] as string);
    const paid = parseAmount(stopped?.[2] as string, usd);
    expect(calls).toBeGreaterThan(0n);
    expect(paid).toBe(calls * 100n); // 0.0001 USD each, every one acknowledged
    const refund = parseAmount(/closed +refund ([\d.]+) USD/.exec(out)?.[1] as string, usd);
    // The hub closed at what it acknowledged: nothing acknowledged was lost, nothing more charged.
    expect(refund + paid).toBe(deposit);
  }, 120_000);

  it('embedded-hub: serving, SIGTERM drains and exits 0; the data folder is free again', async () => {
    const data = mkdtempSync(join(tmpdir(), 'trickle-embedded-sigterm-'));
    try {
      const run = start('embedded-hub', 'src/server.ts', ['--data', data, '--port', '0', '--hub-port', '0']);
      await run.waitFor(/^API http/m);
      run.child.kill('SIGTERM');
      expect(await run.exited, run.output()).toBe(0);
      const hub = await createHub({ dataDir: data, networkId: 2, listen: false, assets: [usd] });
      expect(hub.merchants().map((m) => m.name)).toContain('Fortune API');
      await hub.close();
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 120_000);

  it('content-site: the reader paid, SIGTERM while serving exits 0; the ledger holds what it paid', async () => {
    const data = mkdtempSync(join(tmpdir(), 'trickle-demo-sigterm-'));
    try {
      const run = start('content-site', 'src/demo.ts', ['--data', data, '--site-port', '0', '--hub-port', '0']);
      await run.waitFor(/Press Ctrl-C to stop/);
      run.child.kill('SIGTERM');
      expect(await run.exited, run.output()).toBe(0);
      const earned = parseAmount(/the site earned ([\d.]+) USD/.exec(run.output())?.[1] as string, usd);
      expect(earned).toBeGreaterThan(0n);
      const hub = await createHub<TrickleLedger>({ dataDir: data, networkId: 2, listen: false, assets: [usd] });
      const [site] = hub.merchants();
      expect((await hub.ledger.payeeAccount(site?.payeeId as never, usd))?.balance).toBe(earned);
      expect((await hub.ledger.audit()).ok).toBe(true);
      await hub.close();
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 120_000);

  it('p2p: SIGTERM while Alice pays Bob drains the hub and exits 0', async () => {
    const run = start('p2p', 'src/demo.ts', ['--payments', '1000']);
    await run.waitFor(/^hub ws:/m);
    run.child.kill('SIGTERM');
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).toMatch(/SIGTERM: draining, then exiting/);
    expect(run.output()).not.toMatch(/Bob received/);
  }, 120_000);

  it('attack-your-merchant: SIGTERM mid-attack drains the deployment and exits 0', async () => {
    const run = start('attack-your-merchant', 'src/main.ts', ['--frames', '1000000', '--headers', '1000000']);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGTERM');
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).toMatch(/SIGTERM: draining, then exiting/);
  }, 120_000);
});
