/**
 * The memory twin: the whole ledger in Maps, for tests and demos. Same logic, same
 * results as the SQL adapters (the conformance suite runs all three); nothing survives
 * the process.
 */
import { type ChannelLedgerOptions, createChannelLedger, type TrickleLedger } from '../createChannelLedger.js';
import type { StepHook } from '../store/txn.js';
import { memoryDriver } from './memoryDriver.js';
import type { MemoryStore } from './memoryStore.js';

/**
 * Options of {@link memoryLedger}.
 *
 * @example
 * ```ts
 * import { memoryLedger, type MemoryLedgerOptions } from '@trickle/ledger';
 * declare const domain: MemoryLedgerOptions['domain'];
 * const ledger = await memoryLedger({ domain, feePpm: 0, onStep: (e) => console.log(e.operation, e.label) });
 * ```
 */
export interface MemoryLedgerOptions extends ChannelLedgerOptions {
  /** Called at every store step (fault injection in tests). */
  readonly onStep?: StepHook;
}

/**
 * A ledger held in memory.
 *
 * @example
 * ```ts
 * import { memoryLedger } from '@trickle/ledger';
 * declare const domain: Parameters<typeof memoryLedger>[0]['domain'];
 * const ledger = await memoryLedger({ domain, feePpm: 10_000, clock: () => 1_700_000_000_000 });
 * ```
 */
export async function memoryLedger(
  options: MemoryLedgerOptions,
): Promise<TrickleLedger & { readonly store: MemoryStore }> {
  const driver = memoryDriver(undefined, options.onStep);
  return { ...createChannelLedger(driver, options), store: driver.store };
}
