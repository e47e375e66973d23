/**
 * Hub processes that are one hub: real child processes sharing one data folder (the hub
 * key) and one PostgreSQL database for channels, invoices and the ledger.
 */
import { type HubProcess, type HubProcessConfig, spawnHub } from '@trickle/testing/harness';

/** Starts `count` processes of one hub; all of them listen before it resolves. */
export async function startCluster(
  count: number,
  config: HubProcessConfig & { postgres: { connectionString: string; schema: string; ledgerSchema: string } },
): Promise<HubProcess[]> {
  const first = await spawnHub(config); // creates the key and the schemas, alone
  const rest = await Promise.all(Array.from({ length: count - 1 }, () => spawnHub(config)));
  return [first, ...rest];
}

/** `promise`, or a failure naming `what` once `boundMs` has passed without an answer. */
export function within<T>(boundMs: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${boundMs} ms`)), boundMs);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
