/**
 * A data folder belongs to one hub process (ADR 0230), with real processes: a second hub
 * (and a second `pnpm demo`) on the folder of a running hub refuses to start with one
 * readable line; the lock goes with its holder, whether it exits or is SIGKILLed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type HubProcess, spawnHub } from '@trickle/testing/harness';
import { afterEach, describe, expect, it } from 'vitest';
import { networkId, tempDir } from './fixtures.js';

const root = join(import.meta.dirname, '..', '..');

/** Runs a command to its end: exit code and everything it printed. */
function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('one hub process per data folder', () => {
  const running: HubProcess[] = [];
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    for (const hub of running.splice(0)) {
      hub.child.kill('SIGKILL');
      await hub.exited;
    }
    for (const cleanup of cleanups.splice(0)) cleanup();
  });
  async function started(dataDir: string): Promise<HubProcess> {
    const hub = await spawnHub({ dataDir, networkId });
    running.push(hub);
    return hub;
  }

  it('a second hub on the folder is refused; after SIGKILL, and after a clean exit, the folder is free again', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const first = await started(dir.path);
    await expect(spawnHub({ dataDir: dir.path, networkId })).rejects.toThrow(
      /DATA_DIR_LOCKED|the data folder .* is in use by another hub process/,
    );

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // Nothing to wait for: the kernel dropped the lock with the process.
    const second = await started(dir.path);
    expect(second.hubId).toBe(first.hubId);

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    const third = await started(dir.path);
    expect(third.hubId).toBe(first.hubId);
  }, 60_000);

  it('a second `pnpm demo` on the folder of a running hub exits 1 with one line saying so', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    await started(dir.path);
    const demo = await run('pnpm', ['demo', '--once', '--data', dir.path, '--hub-port', '0', '--site-port', '0']);
    expect(demo.code, demo.stdout + demo.stderr).toBe(1);
    const failure = demo.stderr.split('\n').filter((line) => line.startsWith('demo failed'));
    expect(failure).toEqual([
      `demo failed: the data folder ${dir.path} is in use by another hub process; stop it, or give this hub another dataDir`,
    ]);
  }, 60_000);
});
