/**
 * How a handler learns what the paywall decided for its request, in every framework: the
 * adapters record the allowed decision against the framework's own request object.
 */
import type { PaywallAllowed } from './paywall.js';

const decisions = new WeakMap<object, PaywallAllowed>();

/**
 * Records the paywall's decision for a framework request object (adapters call this).
 *
 * @example
 * ```ts
 * import { recordPayment, type PaywallAllowed } from '@trickle/merchant';
 * declare const request: object, decision: PaywallAllowed;
 * recordPayment(request, decision);
 * ```
 */
export function recordPayment(request: object, decision: PaywallAllowed): void {
  decisions.set(request, decision);
}

/**
 * What the paywall decided for this request: how it was allowed, the receipt, the
 * entitlement. `undefined` when no paywall ran for it. Pass the framework's request object
 * (Express `req`, Fastify `request`, Hono `c`, `node:http` `req`).
 *
 * @example
 * ```ts
 * import { paymentOf } from '@trickle/merchant';
 * declare const req: object;
 * const payment = paymentOf(req);
 * if (payment?.via === 'payment') console.log('paid', payment.receipt?.amount);
 * ```
 */
export function paymentOf(request: object): PaywallAllowed | undefined {
  return decisions.get(request);
}
