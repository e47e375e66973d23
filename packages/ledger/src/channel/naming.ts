/**
 * How the channel layer names its accounts and transfers. Every name is derived from what
 * it is about, so a retry computes the same ids and the ledger's idempotency does the rest.
 *
 * - accounts: `external:USD:6`, `fee:USD:6`, `payer:<client key hex>:USD:6`,
 *   `payee:<payee id hex>:USD:6`, `escrow:<channel id hex>`;
 * - transfers: `fund:<reference>`, `payout:<reference>`, `ch:<channel>:deposit:<total>`,
 *   `ch:<channel>:claim:<seq>:net|fee:<payee>`, `ch:<channel>:final:net|fee:<payee>`,
 *   `ch:<channel>:final:refund`; every channel transfer has `ref` = `ch:<channel>`.
 */
import { type Asset, type PaymentEntry, toHex } from '@trickle/protocol';
import type { AccountKind } from '../account.js';
import type { AccountRow, ChannelRow } from '../store/rows.js';

/** `USD:6`: an asset as a name part. */
export function assetKey(asset: Asset): string {
  return `${asset.code}:${asset.scale}`;
}

/** The account where money enters and leaves the ledger, per asset. */
export function externalAccountId(asset: Asset): string {
  return `external:${assetKey(asset)}`;
}

/** The hub's fee account, per asset. */
export function feeAccountId(asset: Asset): string {
  return `fee:${assetKey(asset)}`;
}

/** A payer's account: one per client key and asset. */
export function payerAccountId(clientKeyHex: string, asset: Asset): string {
  return `payer:${clientKeyHex}:${assetKey(asset)}`;
}

/** A payee's account: one per payee id and asset. */
export function payeeAccountId(payeeHex: string, asset: Asset): string {
  return `payee:${payeeHex}:${assetKey(asset)}`;
}

/** One channel's escrow account. */
export function escrowAccountId(channelHex: string): string {
  return `escrow:${channelHex}`;
}

/** The `ref` of every transfer of a channel. */
export function channelRef(channelHex: string): string {
  return `ch:${channelHex}`;
}

/** The transfer that raises a channel's escrow to `total` (open and top-ups). */
export function depositTransferId(channelHex: string, total: bigint): string {
  return `${channelRef(channelHex)}:deposit:${total}`;
}

/** A settlement's name: `claim:<seq>` or `final`. */
export type SettlementName = `claim:${number}` | 'final';

/** The id prefix of one settlement's transfers. */
export function settlementPrefix(channelHex: string, settlement: SettlementName): string {
  return `${channelRef(channelHex)}:${settlement}:`;
}

/** The id of a settlement's net or fee line for a payee. */
export function lineTransferId(
  channelHex: string,
  settlement: SettlementName,
  line: 'net' | 'fee',
  payeeHex: string,
): string {
  return `${settlementPrefix(channelHex, settlement)}${line}:${payeeHex}`;
}

/** The id of the final refund to the payer. */
export function refundTransferId(channelHex: string): string {
  return `${settlementPrefix(channelHex, 'final')}refund`;
}

/** A row for an account the channel layer creates when missing. */
export function newAccountRow(id: string, kind: AccountKind, asset: Asset, nowMs: number): AccountRow {
  return {
    id,
    kind,
    assetCode: asset.code,
    assetScale: asset.scale,
    allowNegative: kind === 'external',
    debitsPending: 0n,
    debitsPosted: 0n,
    creditsPending: 0n,
    creditsPosted: 0n,
    version: 0,
    createdAtMs: nowMs,
  };
}

/** The accounts a settlement of `row` with `entries` updates: escrow, payees, fee, payer. */
export function settlementAccounts(row: ChannelRow, entries: readonly PaymentEntry[]): string[] {
  const asset = { code: row.assetCode, scale: row.assetScale };
  const payees = new Set(entries.map((entry) => payeeAccountId(toHex(entry.payee), asset)));
  return [escrowAccountId(row.id), feeAccountId(asset), payerAccountId(toHex(row.clientKey), asset), ...payees];
}
