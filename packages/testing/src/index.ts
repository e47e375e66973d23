/**
 * `@trickle/testing`: run against Trickle what the project runs against itself. A seeded
 * simulator of wallets, hub, ledger and merchants over a network that loses, duplicates,
 * reorders and delays frames, with crashes and restarts; the invariant checks it applies
 * after every step; the fault-injecting network and crashable stores on their own; and
 * hostile-input generators for hub frames and merchant headers. Node only. docs/testing.md.
 *
 * @packageDocumentation
 *
 * @module index
 */
export {
  type Crashable,
  crashableChannelStore,
  crashableLedger,
  crashableWalletStore,
  type IoFaults,
  type IoStats,
} from './faults/crashable.js';
export {
  createSimNetwork,
  type NetworkFaults,
  type NetworkStats,
  type SentFrame,
  type SimNetwork,
  type SimTransport,
} from './faults/simNetwork.js';
export { type AttackHubOptions, attackHub, type HubAttackReport } from './hostile/attackHub.js';
export {
  badSignatureFlood,
  churnConnections,
  type FloodReport,
  type FloodSource,
  openIdleSockets,
} from './hostile/floodHub.js';
export { type CodecFuzzReport, fuzzCodec } from './hostile/fuzzCodec.js';
export {
  type HostileFrame,
  type HostileFramesOptions,
  hostileFrames,
  hostileMutations,
  sampleClientMessages,
} from './hostile/hostileFrames.js';
export {
  type AttackMerchantOptions,
  attackMerchant,
  type HostileHeaderCase,
  type HostileHeadersOptions,
  hostilePaymentHeaders,
  type MerchantAttackReport,
} from './hostile/hostileHeaders.js';
export {
  checkConservation,
  checkSettledOnce,
  createStoreWatch,
  createVoucherWatch,
  type SettledChannel,
  type Violation,
} from './invariants/invariants.js';
export {
  blobAs,
  floatAs,
  type HostileValue,
  intAs,
  RawBytes,
  RawMap,
  uintAs,
  writeHostile,
} from './rawMsgpack.js';
export {
  drawFaultPlan,
  type FaultPlan,
  type FaultPlanOverrides,
  healFaults,
  type SimSettlementPolicy,
} from './sim/faultPlan.js';
export { type SeededRandom, seededRandom } from './sim/random.js';
export { type SimulationOptions, type SimulationReport, simulate } from './sim/simulate.js';
