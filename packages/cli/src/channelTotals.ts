/** One pass over the hub's channels in memory, a page at a time: open channels and escrow per asset. */
import { channelsPageMax, type Hub } from '@trickle/hub';
import { toHex } from '@trickle/protocol';

/** What {@link channelTotals} finds: channels open, and deposits of channels not closed per asset (`USD:6`). */
export interface ChannelTotals {
  readonly openCount: number;
  readonly escrow: Map<string, bigint>;
}

/** Sums the channels the hub holds: O(channels in memory), never history. */
export function channelTotals(hub: Pick<Hub, 'channels'>): ChannelTotals {
  let openCount = 0;
  const escrow = new Map<string, bigint>();
  let after: string | undefined;
  for (;;) {
    const page = hub.channels(after === undefined ? {} : { after });
    for (const state of page) {
      if (state.status === 'closed') continue;
      if (state.status === 'open') openCount++;
      const key = assetKeyOf(state.asset);
      escrow.set(key, (escrow.get(key) ?? 0n) + state.deposit);
    }
    if (page.length < channelsPageMax) break;
    after = toHex((page.at(-1) as (typeof page)[number]).channelId);
  }
  return { openCount, escrow };
}

/** An asset as metrics, alerts and the dashboard key it: `USD:6`. */
export function assetKeyOf(asset: { readonly code: string; readonly scale: number }): string {
  return `${asset.code}:${asset.scale}`;
}
