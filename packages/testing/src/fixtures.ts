/**
 * `@trickle/testing/fixtures`: deterministic inputs and nothing else. Keys and payees from
 * labels, a domain, a payer's channel signed by hand (`ClientChannel`), a manual clock,
 * counter-based and seeded randomness. It loads no I/O module (no sockets, no database,
 * no workers), so a child-process script can bundle it and start fast. Everything here is
 * also in `@trickle/testing/harness`.
 *
 * @packageDocumentation
 */
export {
  ClientChannel,
  client,
  counterRandom,
  domain,
  eur,
  hubKey,
  type ManualClock,
  manualClock,
  networkId,
  payee,
  testKey,
  usd,
} from './harness/fixtures.js';
export { type SeededRandom, seededRandom } from './sim/random.js';
