/**
 * A hub data folder with many open channels, written straight into its SQLite channel store
 * (the store's own `commit`, in large batches: far faster than opening channels over the
 * wire). Shared by the P5 memory benchmark and its heap breakdown.
 */
import { join } from 'node:path';
import { sqliteChannelStore } from '@trickle/hub/sqlite';
import type { ChannelId, HubChannel, LogHead, PublicKey } from '@trickle/protocol';
import { count } from '../support/processFigures.js';

/** Channels per store commit (one SQLite transaction each). */
const batchChannels = 10_000;

/** A distinct open channel; ids and keys are derived from `i` (the hub does not re-verify them at load). */
export function channelOf(i: number): HubChannel {
  const id = new Uint8Array(32);
  new DataView(id.buffer).setUint32(0, i);
  id[31] = 1;
  const key = new Uint8Array(33);
  key[0] = 2;
  new DataView(key.buffer).setUint32(1, i);
  return {
    channelId: id as ChannelId,
    clientKey: key as PublicKey,
    asset: { code: 'USD', scale: 6 },
    deposit: 1_000_000n,
    expiresAtMs: Date.now() + 365 * 86_400_000,
    seq: 0,
    cumulative: 0n,
    logHead: new Uint8Array(32) as LogHead,
  };
}

/** Stores `channels` open channels in `dir`'s channel store; resolves with the milliseconds it took. */
export async function fillChannelStore(
  dir: string,
  channels: number,
  progress: (line: string) => void = () => {},
): Promise<number> {
  const store = sqliteChannelStore({ path: join(dir, 'channels.sqlite') });
  const start = performance.now();
  for (let from = 0; from < channels; from += batchChannels) {
    const writes = [];
    for (let i = from; i < Math.min(channels, from + batchChannels); i++) writes.push({ channel: channelOf(i) });
    await store.commit(writes);
    if (from % 200_000 === 0 && from > 0) progress(`${count(from)} channels stored...`);
  }
  await store.close();
  return performance.now() - start;
}
