/**
 * Channel leases on PostgreSQL for a hub cluster (ADR 0231). One row per leased channel:
 * its owner (a random id per process start), the owner's URL, a fencing epoch drawn from
 * a sequence (so never reused, even after a row is deleted) and an expiry in the
 * database's own clock. A process trusts a lease until its local deadline: the time it
 * asked, plus the TTL, less a margin, which is never later than the database's expiry.
 * Lease statements of one process run one at a time, so a release never overtakes a take.
 */
import { randomBytes } from 'node:crypto';
import type { ChannelId } from '@trickle/protocol';
import { bytesKey } from '../bytesKey.js';
import type { ChannelLeases } from './channelStore.js';

/** Options of a store's leases. */
export interface PostgresLeaseOptions {
  /** How long a lease lasts unless renewed, in ms. Default {@link leaseTtlMsDefault}. */
  readonly leaseTtlMs?: number;
  /** This process's address for operators (stored with its leases). Default `''`. */
  readonly url?: string;
}

/** Default lease time to live, in ms: a dead process's channels are served elsewhere after at most this. */
export const leaseTtlMsDefault = 5_000;

/** What the store's commit needs of the leases: the fence. */
export interface PostgresLeases extends ChannelLeases {
  readonly owner: string;
  /** The epoch this process holds the channel's lease at, if it holds a valid one now. */
  epochOf(channelId: ChannelId): bigint | undefined;
  /** Forgets a lease the fence found lost. */
  lost(channelId: ChannelId): void;
}

interface Held {
  readonly channelId: ChannelId;
  readonly epoch: bigint;
  validUntil: number;
}

/** The SQL that creates the lease table and the epoch sequence in `schema` (part of the store's version 1). */
export function leaseSchemaSql(schema: string): string {
  return `
CREATE SEQUENCE IF NOT EXISTS ${schema}.lease_epochs;
CREATE TABLE IF NOT EXISTS ${schema}.leases (
  channel_id BYTEA PRIMARY KEY CHECK (length(channel_id) = 32),
  owner TEXT NOT NULL,
  url TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);`;
}

/** Leases in `schema`, run through `query` (the store's pool). */
export function postgresLeases(
  schema: string,
  query: <R>(what: string, sql: string, values: unknown[]) => Promise<R[]>,
  options: PostgresLeaseOptions,
): PostgresLeases {
  const ttlMs = options.leaseTtlMs ?? leaseTtlMsDefault;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 100) throw new RangeError('postgres leases: leaseTtlMs >= 100');
  // Trusted for less than the TTL: room for a slow reply and clocks running at slightly different rates.
  const trustedMs = Math.floor(ttlMs * 0.8);
  const owner = randomBytes(12).toString('hex');
  const url = options.url ?? '';
  const held = new Map<string, Held>();
  let chain: Promise<unknown> = Promise.resolve();
  /** One lease statement at a time, in the order asked. */
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = chain.then(work);
    chain = run.catch(() => undefined);
    return run;
  };
  const t = (name: string) => `${schema}.${name}`;
  const buf = (id: ChannelId) => Buffer.from(id.buffer, id.byteOffset, id.byteLength);

  return {
    owner,
    ttlMs,
    acquire(channelId) {
      return serially(async () => {
        const asked = performance.now();
        const rows = await query<{ epoch: string }>(
          'lease',
          `INSERT INTO ${t('leases')} AS l (channel_id, owner, url, epoch, expires_at)
           VALUES ($1, $2, $3, nextval('${t('lease_epochs')}'), now() + $4 * interval '1 millisecond')
           ON CONFLICT (channel_id) DO UPDATE SET owner = EXCLUDED.owner, url = EXCLUDED.url,
             epoch = CASE WHEN l.owner = EXCLUDED.owner THEN l.epoch ELSE EXCLUDED.epoch END,
             expires_at = EXCLUDED.expires_at
           WHERE l.owner = EXCLUDED.owner OR l.expires_at < now()
           RETURNING epoch`,
          [buf(channelId), owner, url, ttlMs],
        );
        const key = bytesKey(channelId);
        const row = rows[0];
        if (row === undefined) {
          held.delete(key);
          return undefined;
        }
        const epoch = BigInt(row.epoch);
        const before = held.get(key);
        held.set(key, { channelId, epoch, validUntil: asked + trustedMs });
        return { epoch, fresh: before?.epoch !== epoch };
      });
    },
    holds(channelId) {
      const lease = held.get(bytesKey(channelId));
      return lease !== undefined && performance.now() < lease.validUntil;
    },
    held: () => [...held.values()].map((lease) => lease.channelId),
    epochOf(channelId) {
      const lease = held.get(bytesKey(channelId));
      return lease !== undefined && performance.now() < lease.validUntil ? lease.epoch : undefined;
    },
    lost(channelId) {
      held.delete(bytesKey(channelId));
    },
    renew(channelIds) {
      if (channelIds.length === 0) return Promise.resolve();
      return serially(async () => {
        const asked = performance.now();
        const rows = await query<{ channel_id: Uint8Array; epoch: string }>(
          'lease renewal',
          `UPDATE ${t('leases')} SET expires_at = now() + $3 * interval '1 millisecond'
           WHERE channel_id = ANY($1::bytea[]) AND owner = $2 RETURNING channel_id, epoch`,
          [channelIds.map(buf), owner, ttlMs],
        );
        const renewed = new Map(rows.map((row) => [bytesKey(new Uint8Array(row.channel_id)), BigInt(row.epoch)]));
        for (const channelId of channelIds) {
          const key = bytesKey(channelId);
          const lease = held.get(key);
          if (lease === undefined) continue;
          if (renewed.get(key) === lease.epoch) lease.validUntil = asked + trustedMs;
          else held.delete(key); // taken over: stop serving it at once
        }
      });
    },
    release(channelIds) {
      if (channelIds.length === 0) return Promise.resolve();
      // Not held from now on: work that starts meanwhile takes the lease again, after this.
      for (const channelId of channelIds) held.delete(bytesKey(channelId));
      return serially(async () => {
        await query('lease release', `DELETE FROM ${t('leases')} WHERE channel_id = ANY($1::bytea[]) AND owner = $2`, [
          channelIds.map(buf),
          owner,
        ]);
      });
    },
  };
}
