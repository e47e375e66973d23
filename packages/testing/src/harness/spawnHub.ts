/** Starts a hub in a child process (hubProcess) and waits for its address. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What the hub process is started with. */
export interface HubProcessConfig {
  /** The hub's data folder (key, channel store, ledger). */
  readonly dataDir: string;
  readonly networkId: number;
  /** Default 0: the OS chooses (read it from {@link HubProcess.port}). */
  readonly port?: number;
  /** Merchants to register at start: hex public keys. */
  readonly merchants?: readonly string[];
  /** Payers to fund on the hub's ledger: hex public key and an amount in USD minor units (decimal string). */
  readonly fund?: readonly { readonly clientKey: string; readonly amount: string }[];
  /** Verify with noble instead of the hub's default verifiers. */
  readonly verifier?: 'noble';
  /** Overrides of the hub's limits. */
  readonly limits?: Record<string, number>;
  /** Write a CPU profile to this file: from SIGUSR2 (or from listening, without one) to SIGTERM. */
  readonly cpuProfile?: string;
  /**
   * The settlement policy (`createHub({ settlement })`); amounts (`unclaimedAmountMax`,
   * `liabilityMax`) as decimal strings.
   */
  readonly settlement?: Record<string, number | string | boolean>;
  /** The hub fee of the ledger, in parts per million. Default 0. */
  readonly feePpm?: number;
  /**
   * Keep channels in PostgreSQL instead of the default SQLite file; with `ledgerSchema` the
   * ledger too (`postgresLedger`), so several processes sharing `dataDir` (its `hub.key`)
   * are one hub on one database.
   */
  readonly postgres?: {
    readonly connectionString: string;
    readonly schema: string;
    readonly ledgerSchema?: string;
    /** One process of a hub cluster: channel leases of this time to live, in ms (ADR 0231). */
    readonly leaseTtlMs?: number;
  };
}

/**
 * What a hub process prints on SIGUSR1, one JSON line: its settlement's backlog and last
 * run (amounts as decimal strings), and its memory (`process.memoryUsage()`).
 */
export interface HubProcessStats {
  readonly stats: {
    readonly backlog: unknown;
    readonly lastRun: unknown;
    readonly memory: NodeJS.MemoryUsage;
  };
}

/** A running hub process. */
export interface HubProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  /** Hex. */
  readonly hubId: string;
  /** Hex. */
  readonly publicKey: string;
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Asks the process for its figures (SIGUSR1) and resolves with the line it prints. */
  stats(): Promise<HubProcessStats['stats']>;
}

// From source (the workspace) the script is TypeScript, run through tsx; built, it is JavaScript.
const fromSource = import.meta.url.endsWith('.ts');
const script = fileURLToPath(new URL(fromSource ? './hubProcess.ts' : './hubProcess.js', import.meta.url));

/**
 * Starts a hub process and resolves once it listens; it fails with the child's stderr if
 * the child exits first. Kill it with `child.kill('SIGKILL')` (a crash) or SIGTERM (a
 * graceful stop), then await `exited`.
 *
 * @example
 * ```ts
 * import { spawnHub } from '@trickle/testing/harness';
 * const hub = await spawnHub({ dataDir: '/tmp/hub-1', networkId: 1 });
 * hub.child.kill('SIGKILL');
 * await hub.exited;
 * ```
 */
export async function spawnHub(config: HubProcessConfig): Promise<HubProcess> {
  const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), script, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const waiting: ((stats: HubProcessStats['stats']) => void)[] = [];
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    let first = true;
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      for (let end = out.indexOf('\n'); end !== -1; end = out.indexOf('\n')) {
        const text = out.slice(0, end);
        out = out.slice(end + 1);
        if (first) {
          first = false;
          resolve(text);
        } else if (text.startsWith('{"stats"')) {
          waiting.shift()?.((JSON.parse(text) as HubProcessStats).stats);
        }
      }
    });
    void exited.then(({ code }) => reject(new Error(`hub process exited (${code}) before listening:\n${stderr}`)));
  });
  const info = JSON.parse(line) as { url: string; port: number; hubId: string; publicKey: string };
  const stats = () =>
    new Promise<HubProcessStats['stats']>((resolve) => {
      waiting.push(resolve);
      child.kill('SIGUSR1');
    });
  return { child, exited, stats, ...info };
}
