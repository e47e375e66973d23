/**
 * A small in-memory ChannelLedger for the hub's tests (the real adapters live in
 * @trickle/ledger). Keeps payer balances, escrow and payee credits; checks conservation.
 */
import { type ChannelId, type PayeeId, type PublicKey, TrickleError, toHex } from '@trickle/protocol';
import type { ChannelLedger, LedgerChannel, SettlementResult } from '../src/ledgerPort.js';

export interface MemoryLedger extends ChannelLedger {
  fund(clientKey: PublicKey, amount: bigint): void;
  balanceOf(clientKey: PublicKey): bigint;
  payeeBalance(payee: PayeeId): bigint;
  readonly calls: string[];
}

export function memoryLedger(): MemoryLedger {
  const payers = new Map<string, bigint>();
  const payees = new Map<string, bigint>();
  const channels = new Map<string, LedgerChannel>();
  const calls: string[] = [];
  const error = (code: string, message: string) => new TrickleError(code, message);
  const get = (id: ChannelId) => {
    const channel = channels.get(toHex(id));
    if (channel === undefined) throw error('UNKNOWN_CHANNEL', 'no such channel');
    return channel;
  };
  return {
    calls,
    fund(clientKey, amount) {
      payers.set(toHex(clientKey), (payers.get(toHex(clientKey)) ?? 0n) + amount);
    },
    balanceOf: (clientKey) => payers.get(toHex(clientKey)) ?? 0n,
    payeeBalance: (payee) => payees.get(toHex(payee)) ?? 0n,
    async ensurePayee({ payee }) {
      calls.push('ensurePayee');
      if (!payees.has(toHex(payee))) payees.set(toHex(payee), 0n);
    },
    async openChannel(input) {
      calls.push('openChannel');
      const existing = channels.get(toHex(input.channelId));
      if (existing !== undefined) return existing;
      const balance = payers.get(toHex(input.clientKey)) ?? 0n;
      if (balance < input.deposit) throw error('INSUFFICIENT_FUNDS', 'payer cannot cover the deposit');
      payers.set(toHex(input.clientKey), balance - input.deposit);
      const channel: LedgerChannel = {
        channelId: input.channelId,
        clientKey: input.clientKey,
        asset: input.asset,
        deposit: input.deposit,
        expiresAtMs: input.expiresAtMs,
        claimed: { seq: 0, cumulative: 0n, logHead: new Uint8Array(32) as never },
      };
      channels.set(toHex(input.channelId), channel);
      return channel;
    },
    async topUpChannel({ channelId, deposit }) {
      calls.push('topUpChannel');
      const channel = get(channelId);
      if (deposit <= channel.deposit) return channel;
      const increase = deposit - channel.deposit;
      const balance = payers.get(toHex(channel.clientKey)) ?? 0n;
      if (balance < increase) throw error('INSUFFICIENT_FUNDS', 'payer cannot cover the top-up');
      payers.set(toHex(channel.clientKey), balance - increase);
      const next = { ...channel, deposit };
      channels.set(toHex(channelId), next);
      return next;
    },
    async claim() {
      throw error('UNAVAILABLE', 'not used by these tests');
    },
    async closeCooperative(state): Promise<SettlementResult> {
      calls.push('closeCooperative');
      const channel = get(state.channelId);
      if (channel.finalizedAtMs !== undefined) return { channel, payees: [], refund: 0n };
      const byPayee = new Map<string, { payee: PayeeId; gross: bigint }>();
      for (const e of state.entries) {
        const t = byPayee.get(toHex(e.payee)) ?? { payee: e.payee, gross: 0n };
        t.gross += e.amount;
        byPayee.set(toHex(e.payee), t);
      }
      let paid = 0n;
      for (const { payee, gross } of byPayee.values()) {
        payees.set(toHex(payee), (payees.get(toHex(payee)) ?? 0n) + gross);
        paid += gross;
      }
      if (paid !== (state.voucher?.cumulative ?? 0n)) throw error('INVALID_STATE', 'entries do not sum to the voucher');
      const refund = channel.deposit - paid;
      payers.set(toHex(channel.clientKey), (payers.get(toHex(channel.clientKey)) ?? 0n) + refund);
      const next: LedgerChannel = { ...channel, finalizedAtMs: Date.now() };
      channels.set(toHex(state.channelId), next);
      return {
        channel: next,
        payees: [...byPayee.values()].map((p) => ({ ...p, fee: 0n, net: p.gross })),
        refund,
      };
    },
    async startClose() {
      throw error('UNAVAILABLE', 'not used by these tests');
    },
    async finalizeDue() {
      return [];
    },
    async channel(channelId) {
      return channels.get(toHex(channelId));
    },
    async close() {},
  };
}
