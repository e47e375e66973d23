/**
 * `@trickle/hub/postgres`: the channel store on PostgreSQL through `pg`, for several hub
 * processes on one database. Install `pg` (an optional peer dependency) to use it.
 *
 * @packageDocumentation
 */
export { type PostgresChannelStoreOptions, postgresChannelStore } from './store/postgresChannelStore.js';
