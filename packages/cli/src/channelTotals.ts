/** Open channels and escrow per asset, as the hub's store holds them (not only what is in memory). */
import type { Hub } from '@trickle/hub';

/** What {@link channelTotals} finds: channels open, and deposits of channels not closed per asset (`USD:6`). */
export interface ChannelTotals {
  readonly openCount: number;
  readonly escrow: Map<string, bigint>;
  /** Paid on channels not closed and not claimed on the ledger yet, per asset: the unsettled liability, live. */
  readonly liability: Map<string, bigint>;
}

/**
 * Sums every channel not closed, evicted from memory or not (ADR 0419): one aggregate query
 * in the store, so the figures and the escrow alert never miss a channel the hub is not
 * holding.
 */
export async function channelTotals(hub: Pick<Hub, 'openTotals'>): Promise<ChannelTotals> {
  let openCount = 0;
  const escrow = new Map<string, bigint>();
  const liability = new Map<string, bigint>();
  for (const total of await hub.openTotals()) {
    openCount += total.open;
    const key = assetKeyOf(total.asset);
    escrow.set(key, (escrow.get(key) ?? 0n) + total.escrow);
    liability.set(key, (liability.get(key) ?? 0n) + total.unclaimed);
  }
  return { openCount, escrow, liability };
}

/** An asset as metrics, alerts and the dashboard key it: `USD:6`. */
export function assetKeyOf(asset: { readonly code: string; readonly scale: number }): string {
  return `${asset.code}:${asset.scale}`;
}
