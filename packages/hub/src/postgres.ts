/**
 * `@trickle/hub/postgres`: the channel store on PostgreSQL through `pg`; with its `cluster`
 * option, the store of a hub run as several processes (channel leases, ADR 0231). Install
 * `pg` (an optional peer dependency) to use it.
 *
 * @packageDocumentation
 */
export { type PostgresChannelStoreOptions, postgresChannelStore } from './store/postgresChannelStore.js';
export { leaseTtlMsDefault, type PostgresLeaseOptions } from './store/postgresLeases.js';
