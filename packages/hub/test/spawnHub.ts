/** Starts hubProcess.ts as a child process and waits for its address. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface HubProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  readonly hubId: string;
  readonly publicKey: string;
  /** Which ledger the hub runs on (its default one). */
  readonly ledger: 'sqlite';
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const script = fileURLToPath(new URL('./hubProcess.ts', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));

export async function spawnHub(config: Record<string, unknown>): Promise<HubProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end !== -1) resolve(out.slice(0, end));
    });
    void exited.then(({ code }) => reject(new Error(`hub process exited (${code}) before listening:\n${stderr}`)));
  });
  const info = JSON.parse(line) as {
    url: string;
    port: number;
    hubId: string;
    publicKey: string;
    ledger: 'sqlite';
  };
  return { child, exited, ...info };
}
