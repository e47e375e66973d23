/**
 * The spending policy: caps per payment, per payee and in total over the wallet's life
 * (counted when a payment is signed). A payment that would break one fails with a
 * {@link PolicyError} before anything is signed.
 */
import { assertAmount } from '@trickle/protocol';
import { PolicyError } from './errors.js';

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

/** What has been spent so far. */
export interface Spent {
  total: bigint;
  readonly byPayee: Map<string, bigint>;
}

/**
 * Checks a policy's shape; throws titled TypeError/RangeError.
 *
 * @example
 * ```ts
 * import { checkPolicy } from '@trickle/client';
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

/**
 * Throws a PolicyError when paying `amount` to `payeeId` (hex) would break `policy`, given what
 * is spent already plus what is queued (`extraTotal`, `extraPayee`).
 */
export function enforcePolicy(
  policy: SpendingPolicy,
  spent: Spent,
  payeeId: string,
  amount: bigint,
  extraTotal: bigint,
  extraPayee: bigint,
): void {
  if (policy.paymentMax !== undefined && amount > policy.paymentMax) {
    throw new PolicyError('PAYMENT_CAP', `a payment may be at most ${policy.paymentMax}; this one is ${amount}`);
  }
  const id = payeeId;
  const payeeCap = policy.payees?.[id] ?? policy.payeeMax;
  const payeeSpent = (spent.byPayee.get(id) ?? 0n) + extraPayee;
  if (payeeCap !== undefined && payeeSpent + amount > payeeCap) {
    throw new PolicyError(
      'PAYEE_CAP',
      `paying ${amount} would take this payee to ${payeeSpent + amount}, over ${payeeCap}`,
    );
  }
  if (policy.totalMax !== undefined && spent.total + extraTotal + amount > policy.totalMax) {
    throw new PolicyError(
      'TOTAL_CAP',
      `paying ${amount} would take the total to ${spent.total + extraTotal + amount}, over ${policy.totalMax}`,
    );
  }
}
