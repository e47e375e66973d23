/**
 * The exactly-once settlement check on its own: a channel settled at the hub's latest state
 * passes; one settled at an older state, one never finalized, a payee credited twice and
 * escrow left behind are each reported. (The simulation runs it after every seed's closes.)
 */
import type { Account, LedgerChannel } from '@trickle/ledger';
import type { ChannelId, LogHead, PublicKey } from '@trickle/protocol';
import { describe, expect, it } from 'vitest';
import { checkSettledOnce, type SettledChannel } from '../src/index.js';

const usd = { code: 'USD', scale: 6 };
const channelId = new Uint8Array(32).fill(1) as ChannelId;
const otherId = new Uint8Array(32).fill(2) as ChannelId;
const logHead = new Uint8Array(32) as LogHead;

function booked(parts: Partial<LedgerChannel> & Pick<LedgerChannel, 'claimed'>): LedgerChannel {
  return {
    channelId,
    clientKey: new Uint8Array(33) as PublicKey,
    asset: usd,
    deposit: 100_000n,
    expiresAtMs: 0,
    finalizedAtMs: 1,
    ...parts,
  };
}

function account(id: string, kind: Account['kind'], balance: bigint): Account {
  const credits = balance > 0n ? balance : 0n;
  const debits = balance < 0n ? -balance : 0n;
  return {
    id,
    asset: usd,
    kind,
    allowNegative: kind === 'external',
    debitsPending: 0n,
    debitsPosted: debits,
    creditsPending: 0n,
    creditsPosted: credits,
    balance,
    available: balance,
    createdAtMs: 0,
  };
}

/** A channel claimed up to seq 3, then closed cooperatively at seq 5 for 700 (fee 7). */
const closedAtFive: SettledChannel = {
  channelId,
  acknowledged: { seq: 5, cumulative: 700n },
  booked: booked({
    claimed: { seq: 3, cumulative: 400n, logHead },
    close: {
      kind: 'cooperative',
      startedAtMs: 1,
      challengeEndsAtMs: 1,
      state: { seq: 5, cumulative: 700n, logHead },
    },
  }),
};
/** A channel that expired without a close, finalized at its claimed state (seq 2, 300). */
const expiredAtTwo: SettledChannel = {
  channelId: otherId,
  acknowledged: { seq: 2, cumulative: 300n },
  booked: booked({ channelId: otherId, claimed: { seq: 2, cumulative: 300n, logHead } }),
};
const settledAccounts = [
  account('payee:a', 'payee', 693n),
  account('payee:b', 'payee', 297n),
  account('fee', 'fee', 10n),
  account('escrow:1', 'escrow', 0n),
  account('escrow:2', 'escrow', 0n),
  account('payer', 'payer', 199_010n),
  account('external', 'external', -200_000n),
];

describe('checkSettledOnce', () => {
  it('passes channels settled once at the hub latest state, by close or by expiry', () => {
    expect(checkSettledOnce([closedAtFive, expiredAtTwo], settledAccounts)).toEqual([]);
  });

  it('reports a channel settled at an older state than the hub acknowledged', () => {
    const behind = { ...closedAtFive, acknowledged: { seq: 6, cumulative: 800n } };
    const found = checkSettledOnce([behind, expiredAtTwo], settledAccounts);
    expect(found.map((v) => v.message)).toEqual([
      expect.stringMatching(/settled at seq 5 \(700\).*up to seq 6 \(800\)/),
    ]);
  });

  it('reports a channel the ledger never finalized, and the escrow it still holds', () => {
    const { finalizedAtMs: _finalized, ...unfinalized } = booked({
      channelId: otherId,
      claimed: { seq: 2, cumulative: 300n, logHead },
    });
    const open = {
      ...expiredAtTwo,
      booked: unfinalized,
    };
    const accounts = settledAccounts.map((a) => (a.id === 'escrow:2' ? account('escrow:2', 'escrow', 300n) : a));
    const found = checkSettledOnce([closedAtFive, open], accounts).map((v) => v.message);
    expect(found).toEqual([
      expect.stringMatching(/is not finalized/),
      expect.stringMatching(/payees and fees hold 1000, the channels settled 700/),
      '300 is left in escrow',
    ]);
  });

  it('reports a claim booked twice: payees hold more than the channels settled', () => {
    const twice = settledAccounts.map((a) => (a.id === 'payee:b' ? account('payee:b', 'payee', 594n) : a));
    const found = checkSettledOnce([closedAtFive, expiredAtTwo], twice).map((v) => v.message);
    expect(found).toEqual(['payees and fees hold 1297, the channels settled 1000 together']);
  });
});
