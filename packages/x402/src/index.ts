/**
 * `@trickle/x402`: Trickle as a payment scheme of x402 v2. Register scheme `trickle` with the
 * unmodified `@x402/*` packages: {@link TrickleServerScheme} and
 * {@link TrickleFacilitatorClient} on an `x402ResourceServer` (so `@x402/express`,
 * `@x402/hono`, `@x402/next` paywalls take Trickle payments), {@link TrickleClientScheme} on
 * an `x402Client` (so `@x402/fetch` pays through a Trickle wallet). The network id is
 * `trickle:<networkId>`. No chain is involved. See ADR 0310.
 *
 * @packageDocumentation
 */
export { TrickleClientScheme, type TrickleClientSchemeOptions, type TricklePayer } from './client.js';
export { X402TrickleError, type X402TrickleErrorCode } from './errors.js';
export { TrickleFacilitatorClient } from './facilitator.js';
export {
  type TrickleResourceNaming,
  TrickleServerScheme,
  type TrickleServerSchemeOptions,
  trickleDynamicExtraFields,
} from './server.js';
export { trickleEntryOf, tricklePaymentFlow, x402ReservedExtraKeys } from './wire.js';
