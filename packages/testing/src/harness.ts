/**
 * `@trickle/testing/harness`: the pieces the project's own tests are built from, for
 * anyone testing against Trickle. A raw hub client that sends exactly the frames it is
 * given, a hub in a child process, a PostgreSQL harness (a fresh schema per run), a proxy
 * that loses one COMMIT's reply, a byte-level msgpack writer for non-canonical frames,
 * deterministic keys and a payer's channel made by hand, a manual clock, conservation
 * checks, a memory twin of the hub's channel store, and many payments presigned cheaply with
 * a raw payer that sends them. Node only.
 *
 * @packageDocumentation
 */
export { bundleChild } from './harness/bundleChild.js';
export { commitReplyEater } from './harness/commitReplyEater.js';
export { type ConservationTotals, conservationOf, expectConserved } from './harness/conservation.js';
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
export {
  type MemoryChannelData,
  type MemoryChannelStoreOptions,
  memoryChannelData,
  memoryChannelStore,
} from './harness/memoryChannelStore.js';
export { dropSchema, postgresQuery, postgresUrl, uniqueSchema } from './harness/postgres.js';
export {
  openRawChannel,
  type Presigned,
  type PresignedFrame,
  type PresignMerchant,
  type PresignOptions,
  payFrames,
  presignPayments,
} from './harness/presigned.js';
export { type RawClient, rawClient } from './harness/rawClient.js';
export { type HubProcess, type HubProcessConfig, type HubProcessStats, spawnHub } from './harness/spawnHub.js';
export {
  canonical,
  cat,
  type Path,
  rawArray,
  rawMap,
  token,
  twice,
  withPairs,
  withValue,
} from './rawMsgpack.js';
