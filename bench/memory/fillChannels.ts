/**
 * A hub data folder with many open channels, written straight into its SQLite channel store
 * (the store's own `commit`, in large batches: far faster than opening channels over the
 * wire). Shared by the P5 memory benchmark and its heap breakdown.
 */
import { join } from 'node:path';
import { sqliteChannelStore } from '@trickle/hub/sqlite';
import {
  asSecretKey,
  type ChannelId,
  type HubChannel,
  type LogHead,
  type PublicKey,
  publicKeyOf,
  type SecretKey,
  sha256,
} from '@trickle/protocol';
import { count } from '../support/processFigures.js';

/** Channels per store commit (one SQLite transaction each). */
const batchChannels = 10_000;

/** The secret key of the wallet that owns channel `i`, for the channels a bench speaks on (see {@link fillChannelStore}). */
export function walletKeyOf(i: number): SecretKey {
  return asSecretKey(sha256(new TextEncoder().encode(`trickle bench p5 wallet ${i}`)));
}

/**
 * A distinct open channel; its id is derived from `i` (the hub does not re-derive it), and its
 * client key too, unless `owned`: then it is the public key of {@link walletKeyOf}(i), so a
 * wallet can authenticate and speak on it.
 */
export function channelOf(i: number, owned = false): HubChannel {
  const id = new Uint8Array(32);
  new DataView(id.buffer).setUint32(0, i);
  id[31] = 1;
  let key: Uint8Array = new Uint8Array(33);
  key[0] = 2;
  new DataView(key.buffer).setUint32(1, i);
  if (owned) key = publicKeyOf(walletKeyOf(i));
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

/**
 * Stores `channels` open channels in `dir`'s channel store, the first `owned` of them owned by
 * wallets whose keys {@link walletKeyOf} gives; resolves with the milliseconds it took.
 */
export async function fillChannelStore(
  dir: string,
  channels: number,
  progress: (line: string) => void = () => {},
  owned = 0,
): Promise<number> {
  const store = sqliteChannelStore({ path: join(dir, 'channels.sqlite') });
  const start = performance.now();
  for (let from = 0; from < channels; from += batchChannels) {
    const writes = [];
    for (let i = from; i < Math.min(channels, from + batchChannels); i++)
      writes.push({ channel: channelOf(i, i < owned) });
    await store.commit(writes);
    if (from % 200_000 === 0 && from > 0) progress(`${count(from)} channels stored...`);
  }
  await store.close();
  return performance.now() - start;
}
