/**
 * The spending policy: caps per payment, per payee and in total over the wallet's life
 * (counted when a payment is signed). A payment that would break one fails with a
 * {@link PolicyError} before anything is signed.
 */
import { assertAmount } from '../amount.js';
import { PolicyError } from './walletErrors.js';

/** Caps in minor units of the channel's asset. Each is optional: absent means no cap. */
export interface SpendingPolicy {
  /** Largest single payment. */
  readonly paymentMax?: bigint;
  /** Most paid to any one payee (over the wallet's life), unless `payees` names another cap. */
  readonly payeeMax?: bigint;
  /** Per-payee caps by payee id (hex), overriding `payeeMax`. */
  readonly payees?: Readonly<Record<string, bigint>>;
  /** Most paid in total (over the wallet's life). */
  readonly totalMax?: bigint;
}

/**
 * Checks a policy's shape; throws titled TypeError/RangeError.
 *
 * @example
 * ```ts
 * import { checkPolicy } from '@trickle/protocol';
 * checkPolicy({ paymentMax: 10_000n, totalMax: 5_000_000n });
 * ```
 */
export function checkPolicy(policy: SpendingPolicy | undefined): SpendingPolicy {
  if (policy === undefined) return {};
  if (typeof policy !== 'object' || policy === null) throw new TypeError('policy: expected an object');
  for (const name of ['paymentMax', 'payeeMax', 'totalMax'] as const) {
    if (policy[name] !== undefined) assertAmount(policy[name], `policy.${name}`);
  }
  for (const [payee, cap] of Object.entries(policy.payees ?? {})) {
    if (!/^[0-9a-f]{64}$/.test(payee)) throw new RangeError(`policy.payees: "${payee}" is not a 32-byte hex payee id`);
    assertAmount(cap, `policy.payees.${payee}`);
  }
  return policy;
}

/** What a payment is checked against: spent so far plus queued, in total and for its payee. */
export interface PolicyUse {
  readonly total: bigint;
  readonly payee: bigint;
}

/** True when the policy caps per payee (so per-payee sums must be looked up). */
export function capsPayees(policy: SpendingPolicy): boolean {
  return policy.payeeMax !== undefined || policy.payees !== undefined;
}

/** Throws a PolicyError when paying `amount` to `payeeId` (hex) would break `policy`, given `used`. */
export function enforcePolicy(policy: SpendingPolicy, payeeId: string, amount: bigint, used: PolicyUse): void {
  if (policy.paymentMax !== undefined && amount > policy.paymentMax) {
    throw new PolicyError('PAYMENT_CAP', `a payment may be at most ${policy.paymentMax}; this one is ${amount}`);
  }
  const payeeCap = policy.payees?.[payeeId] ?? policy.payeeMax;
  if (payeeCap !== undefined && used.payee + amount > payeeCap) {
    throw new PolicyError(
      'PAYEE_CAP',
      `paying ${amount} would take this payee to ${used.payee + amount}, over ${payeeCap}`,
    );
  }
  if (policy.totalMax !== undefined && used.total + amount > policy.totalMax) {
    throw new PolicyError(
      'TOTAL_CAP',
      `paying ${amount} would take the total to ${used.total + amount}, over ${policy.totalMax}`,
    );
  }
}
