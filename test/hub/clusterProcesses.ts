/**
 * Hub processes that are one hub: real child processes sharing one data folder (the hub
 * key) and one PostgreSQL database for channels, invoices and the ledger, each holding
 * channel leases (ADR 0231).
 */
import { fromHex, type HubId, type PublicKey, publicKeyOf, toHex } from '@trickle/protocol';
import {
  dropSchema,
  type HubProcess,
  type HubProcessConfig,
  postgresUrl,
  type RawClient,
  rawClient,
  spawnHub,
  uniqueSchema,
} from '@trickle/testing/harness';
import { tempDir, testKey, testMerchant } from './fixtures.js';

/** Leases of the test clusters' processes, in ms: short, so a test waits little for expiry. */
export const leaseTtlMs = 2_000;

/**
 * Every request of the cluster tests is answered within this bound, or the test fails:
 * the longest a request waits for a lease held elsewhere (TTL + idle release + 2 ticks,
 * leaseGate.ts: 4.5 s here) plus room for a loaded machine.
 */
export const answerBoundMs = 15_000;

/** A running cluster and what tears it down. */
export interface Cluster {
  readonly processes: HubProcess[];
  readonly config: HubProcessConfig;
  /** The PostgreSQL schema of the channel store. */
  readonly schema: string;
  /** The test merchant registered on every process. */
  readonly merchant: ReturnType<typeof testMerchant>;
  /** Starts one more process of the cluster. */
  spawn(): Promise<HubProcess>;
  stop(): Promise<void>;
}

/** Starts `count` processes of one hub with `payers` funded (1 USD each) and one merchant. */
export async function startCluster(count: number, payers: readonly string[]): Promise<Cluster> {
  const dir = tempDir();
  const schema = uniqueSchema('trickle_cluster');
  // The merchant's key is testMerchant's: registered by every process at its start.
  const config: HubProcessConfig = {
    dataDir: dir.path,
    networkId: 7,
    merchants: [toHex(publicKeyOf(testKey('merchant cluster')))],
    fund: payers.map((label) => ({ clientKey: toHex(publicKeyOf(testKey(label))), amount: '1000000' })),
    postgres: { connectionString: postgresUrl, schema, ledgerSchema: `${schema}_ledger`, leaseTtlMs },
  };
  const processes: HubProcess[] = [];
  const spawn = async () => {
    const started = await spawnHub(config);
    processes.push(started);
    return started;
  };
  const stop = async () => {
    for (const hub of processes) {
      hub.child.kill('SIGKILL');
      await hub.exited;
    }
    await dropSchema(schema);
    await dropSchema(`${schema}_ledger`);
    dir.remove();
  };
  try {
    await spawn(); // creates the key and the schemas, alone
    await Promise.all(Array.from({ length: count - 1 }, spawn));
  } catch (error) {
    await stop();
    throw error;
  }
  const first = processes[0] as HubProcess;
  const merchant = testMerchant('cluster', {
    publicKey: fromHex(first.publicKey, 33) as PublicKey,
    hubId: fromHex(first.hubId, 32) as HubId,
  });
  return { processes, config, schema, merchant, spawn, stop };
}

/** A raw client of payer `label` on `hub`. */
export function connect(hub: HubProcess, label: string): Promise<RawClient> {
  return rawClient(hub.url, testKey(label));
}

/** `promise`, or a failure naming `what` once `boundMs` has passed without an answer. */
export function within<T>(boundMs: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${boundMs} ms`)), boundMs);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
