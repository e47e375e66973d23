/**
 * `@trickle/protocol`: everything Trickle's parties must agree on, and nothing else.
 * Amounts, keys and ids, the signed layouts, the wire codec and the channel state
 * machine, as pure functions: no sockets, disks, clocks or randomness of its own.
 *
 * @packageDocumentation
 */
export * from './amount.js';
export * from './bytes.js';
export { compareKeys, readCanonical, type WireMap, type WireValue, writeCanonical } from './canonicalMsgpack.js';
export * from './channel/client.js';
export * from './channel/hub/index.js';
export * from './channel/status.js';
export * from './channelRequests.js';
export type { Clock } from './clock.js';
export * from './codec.js';
export { hmacSha256, sha256 } from './crypto.js';
export * from './domain.js';
export * from './errors.js';
export { FrameError } from './frameError.js';
export * from './http402/index.js';
export * from './ids.js';
export * from './keys.js';
export * from './limits.js';
export * from './log.js';
export { LruMap, type LruMapOptions } from './lru.js';
export * from './messages.js';
export * from './moneyRequest.js';
export * from './paymentRequest.js';
export * from './receipt.js';
export * from './rejects.js';
export * from './settlement.js';
export * from './voucher.js';
export * from './wallet/index.js';
