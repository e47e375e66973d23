/**
 * The crash scenarios, deterministic so that the parent (setup and the memory twin) and
 * the child process (the run that gets killed) build the very same signed states.
 */

import { ClientChannel, client, payee, usd } from '@trickle/testing/fixtures';
import type { TrickleLedger } from '../../src/index.js';

/** The clock at setup, and when the scenario runs (every window has ended by then). */
export const setupAtMs = 1_700_000_000_000;
export const runAtMs = setupAtMs + 10 * 60_000;

/** Ledger options shared by every process of a scenario. */
export const scenarioOptions = { feePpm: 25_000, challengeWindowMs: 60_000, finalizeBatchChannels: 2 };

/** One scenario: what to set up, which operation gets killed, and the run to repeat. */
export interface Scenario {
  readonly name: string;
  /** The driver operation whose steps are counted (and killed at). */
  readonly operation: string;
  setup(ledger: TrickleLedger): Promise<void>;
  run(ledger: TrickleLedger): Promise<unknown>;
}

const A = payee('crash a');
const B = payee('crash b');

function channels(): ClientChannel[] {
  const list = [0, 1, 2, 3].map((i) => new ClientChannel(client(`crash ${i}`), 9_000 + i));
  for (const [i, c] of list.entries()) {
    c.pay(A, 100n + BigInt(i))
      .pay(B, 41n)
      .sign();
    c.pay(B, 7n * BigInt(i + 1)).sign();
    c.pay(A, 13n).sign();
  }
  return list;
}

async function openAll(
  ledger: TrickleLedger,
  list: readonly ClientChannel[],
  expiresAtMs = setupAtMs + 120_000,
): Promise<void> {
  for (const [i, c] of list.entries()) {
    await ledger.fundPayer({ clientKey: c.clientKey, asset: usd, amount: 2_000n, reference: `crash-fund-${i}` });
    await ledger.openChannel({
      channelId: c.channelId,
      clientKey: c.clientKey,
      asset: usd,
      deposit: 1_000n + BigInt(i),
      expiresAtMs,
    });
  }
}

/** finalizeDue over four channels in two transactions: a client close, a hub challenge, two expiries. */
const finalize: Scenario = {
  name: 'finalize',
  operation: 'finalizeDue',
  async setup(ledger) {
    const list = channels();
    await openAll(ledger, list);
    const [c0, c1, c2] = list as [ClientChannel, ClientChannel, ClientChannel];
    await ledger.claim(c0.state(1));
    await ledger.startClose({ ...c0.state(2, 1), by: 'client' });
    await ledger.startClose({ ...c0.state(3, 1), by: 'hub' });
    await ledger.startClose({ ...c1.state(3), by: 'client' });
    await ledger.claim(c2.state(2));
  },
  run: (ledger) => ledger.finalizeDue(),
};

/** A cooperative close of a claimed channel. */
const cooperative: Scenario = {
  name: 'cooperative',
  operation: 'closeCooperative',
  async setup(ledger) {
    const list = channels().slice(0, 1);
    await openAll(ledger, list, runAtMs + 3_600_000);
    await ledger.claim((list[0] as ClientChannel).state(1));
  },
  run: (ledger) => ledger.closeCooperative((channels()[0] as ClientChannel).state(3, 1)),
};

/** Two payouts of what two payees earned. */
const payout: Scenario = {
  name: 'payout',
  operation: 'payout',
  async setup(ledger) {
    const list = channels().slice(0, 2);
    await openAll(ledger, list);
    for (const c of list) await ledger.closeCooperative(c.state(3));
  },
  async run(ledger) {
    await ledger.payout({ payee: A, asset: usd, amount: 150n, reference: 'crash-out-a' });
    await ledger.payout({ payee: B, asset: usd, amount: 90n, reference: 'crash-out-b' });
  },
};

/** Every scenario by name. */
export const scenarios: Record<string, Scenario> = { finalize, cooperative, payout };
