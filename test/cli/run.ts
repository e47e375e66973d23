/** Runs the real `trickle` bin, as an operator would, and starts `trickle hub start` in a child process. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { asHubId, asPublicKey, fromHex, publicKeyOf, toHex } from '@trickle/protocol';
import { expect } from 'vitest';
import { testKey, testMerchant } from '../hub/fixtures.js';

// The package's entry is src/index.ts (in the workspace); its bin sits beside src/.
const bin = join(dirname(createRequire(import.meta.url).resolve('@trickle/cli')), '..', 'bin', 'trickle.js');

/** What one run printed and how it ended. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `trickle ...args` to its end, in `cwd` (default this process's). */
export function trickle(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    const options = { env: { ...process.env, ...env }, timeout: 60_000, ...(cwd === undefined ? {} : { cwd }) };
    execFile(process.execPath, [bin, ...args], options, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A `trickle hub start` child process. */
export interface HubChild {
  readonly child: ChildProcess;
  readonly info: { url: string; adminUrl: string; hubId: string; publicKey: string };
  readonly exited: Promise<number | null>;
  stderr(): string;
}

/** Starts `trickle hub start --data-dir dataDir ...extra` on free ports and waits until it says where it listens. */
export async function startHub(dataDir: string, extra: readonly string[] = []): Promise<HubChild> {
  const child = spawn(
    process.execPath,
    [
      bin,
      'hub',
      'start',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--admin-port',
      '0',
      '--network-id',
      '7',
      '--log-level',
      'warn',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const infoPath = join(dataDir, 'hub.json');
  for (;;) {
    if (gone) throw new Error(`trickle hub start exited before listening:\n${err}`);
    if (existsSync(infoPath) && err.includes('SIGTERM stops it')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const info = JSON.parse(readFileSync(infoPath, 'utf8')) as HubChild['info'];
  return { child, info, exited, stderr: () => err };
}

/** Kills (SIGKILL) the hubs of a test that are still running, and waits for them: for afterAll. */
export async function killHubs(children: readonly HubChild[]): Promise<void> {
  for (const child of children) {
    if (child.child.exitCode === null) {
      child.child.kill('SIGKILL');
      await child.exited;
    }
  }
}

/** Funds a payer and registers a merchant through the CLI; returns the merchant. */
export async function fundAndRegister(hub: HubChild, dataDir: string, label: string, env: NodeJS.ProcessEnv = {}) {
  const payerKey = testKey(`${label} payer`);
  const cli = (args: string[]) => trickle([...args, '--data-dir', dataDir], env);
  const funded = await cli([
    'ledger',
    'fund',
    '--client',
    toHex(publicKeyOf(payerKey)),
    '--amount',
    '1',
    '--reference',
    `${label}-1`,
  ]);
  expect(funded.code, funded.stderr).toBe(0);
  const shop = testMerchant(`${label} shop`, {
    publicKey: asPublicKey(fromHex(hub.info.publicKey)),
    hubId: asHubId(fromHex(hub.info.hubId)),
  });
  const added = await cli(['merchant', 'add', '--public-key', toHex(shop.publicKey)]);
  expect(added.code, added.stderr).toBe(0);
  return { payerKey, shop, cli };
}
