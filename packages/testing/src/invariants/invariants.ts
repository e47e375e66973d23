/**
 * Invariant checks over real ports: the ledger's accounts, the hub's channel store and the
 * frames wallets sign. Each returns the violations it finds (empty when all holds), so a
 * simulator, a test or an operator's job can run them after every step.
 */
import type { ChannelStore } from '@trickle/hub';
import type { Account, LedgerChannel } from '@trickle/ledger';
import {
  type ChannelId,
  decodeClientMessage,
  decodeHubMessage,
  fromHex,
  type LogHead,
  logHeadAfter,
  type Receipt,
  toHex,
} from '@trickle/protocol';

/** One broken invariant: which, and the facts. */
export interface Violation {
  /** A stable name: `conservation`, `voucher-conflict`, `receipt-not-durable`, ... */
  readonly invariant: string;
  readonly message: string;
}

/**
 * Double entry and the bank test: every posted and pending amount has both sides, and the
 * money held by accounts other than the external ones is what came in minus what went out.
 * `moneyIn` and `moneyOut` are what the caller moved across the ledger's edge.
 *
 * @example
 * ```ts
 * import { checkConservation } from '@trickle/testing';
 * declare const ledger: import('@trickle/ledger').TrickleLedger;
 * const violations = checkConservation(await ledger.balances(), { moneyIn: 5_000_000n, moneyOut: 0n });
 * ```
 */
export function checkConservation(
  accounts: readonly Account[],
  expected?: { readonly moneyIn: bigint; readonly moneyOut: bigint },
): Violation[] {
  const violations: Violation[] = [];
  let posted = 0n;
  let pending = 0n;
  let held = 0n;
  for (const account of accounts) {
    posted += account.creditsPosted - account.debitsPosted;
    pending += account.creditsPending - account.debitsPending;
    if (account.kind !== 'external') held += account.creditsPosted - account.debitsPosted;
    if (!account.allowNegative && account.creditsPosted - account.debitsPosted < 0n) {
      violations.push({ invariant: 'conservation', message: `account ${account.id} is negative` });
    }
  }
  if (posted !== 0n) violations.push({ invariant: 'conservation', message: `posted sides differ by ${posted}` });
  if (pending !== 0n) violations.push({ invariant: 'conservation', message: `pending sides differ by ${pending}` });
  if (expected !== undefined && held !== expected.moneyIn - expected.moneyOut) {
    violations.push({
      invariant: 'conservation',
      message: `accounts hold ${held}, but ${expected.moneyIn} came in and ${expected.moneyOut} went out`,
    });
  }
  return violations;
}

/** One channel as the hub's store and the ledger hold it, for {@link checkSettledOnce}. */
export interface SettledChannel {
  readonly channelId: ChannelId;
  /** The hub's latest durable (acknowledged) state of the channel. */
  readonly acknowledged: { readonly seq: number; readonly cumulative: bigint };
  /** The channel on the ledger, undefined if the ledger never opened it. */
  readonly booked: LedgerChannel | undefined;
}

/** The state a finalized channel settled at: its close's (a dispute replaces it with a newer one) or its claimed state, whichever is newer. */
function settledState(booked: LedgerChannel): { readonly seq: number; readonly cumulative: bigint } {
  const close = booked.close?.state;
  return close !== undefined && close.seq >= booked.claimed.seq ? close : booked.claimed;
}

/**
 * Every channel settled exactly once, at the hub's latest acknowledged state: each channel
 * is finalized on the ledger at that state (claims, a cooperative or unilateral close, or
 * expiry, whichever ended it), the payee and fee accounts hold exactly what the channels
 * settled together (more means a claim booked twice, less one lost), and no escrow is left.
 * Run it once every channel is closed; `accounts` are the ledger's, with no payouts made.
 *
 * @example
 * ```ts
 * import { checkSettledOnce } from '@trickle/testing';
 * declare const ledger: import('@trickle/ledger').TrickleLedger;
 * declare const store: import('@trickle/hub').ChannelStore;
 * declare const channelId: import('@trickle/protocol').ChannelId;
 * const durable = await store.channel(channelId);
 * const violations = checkSettledOnce(
 *   [{ channelId, acknowledged: { seq: durable?.seq ?? 0, cumulative: durable?.cumulative ?? 0n }, booked: await ledger.channel(channelId) }],
 *   await ledger.balances(),
 * );
 * ```
 */
export function checkSettledOnce(channels: readonly SettledChannel[], accounts: readonly Account[]): Violation[] {
  const violations: Violation[] = [];
  let settled = 0n;
  for (const { channelId, acknowledged, booked } of channels) {
    const id = toHex(channelId);
    if (booked?.finalizedAtMs === undefined) {
      violations.push({ invariant: 'settled-once', message: `channel ${id} is not finalized on the ledger` });
      continue;
    }
    const final = settledState(booked);
    settled += final.cumulative;
    if (final.seq !== acknowledged.seq || final.cumulative !== acknowledged.cumulative) {
      violations.push({
        invariant: 'settled-once',
        message: `channel ${id} settled at seq ${final.seq} (${final.cumulative}), the hub acknowledged up to seq ${acknowledged.seq} (${acknowledged.cumulative})`,
      });
    }
  }
  let paidOut = 0n;
  let escrow = 0n;
  for (const account of accounts) {
    const balance = account.creditsPosted - account.debitsPosted;
    if (account.kind === 'payee' || account.kind === 'fee') paidOut += balance;
    if (account.kind === 'escrow') escrow += balance;
  }
  if (paidOut !== settled) {
    violations.push({
      invariant: 'settled-once',
      message: `payees and fees hold ${paidOut}, the channels settled ${settled} together`,
    });
  }
  if (escrow !== 0n) violations.push({ invariant: 'settled-once', message: `${escrow} is left in escrow` });
  return violations;
}

/** What a voucher watch remembers of one signed state. */
interface SignedPoint {
  readonly cumulative: bigint;
  readonly logHead: string;
  /** The state at the seq before that this one's entries chain on, when the watch saw it. */
  readonly previous: SignedPoint | undefined;
  /** The hub refused one of its entries for good. */
  refused: boolean;
}

/** Whether a state chains on one the hub refused an entry of (itself included). */
function chainsOnRefused(point: SignedPoint): boolean {
  for (let at: SignedPoint | undefined = point; at !== undefined; at = at.previous) if (at.refused) return true;
  return false;
}

/**
 * Watches the frames of a session both ways and reports a wallet that signs two different
 * states (a `pay` or a `close`) for one channel and seq, except where the protocol allows it:
 * the hub refused one entry of a voucher for good (`reject` with `entry`: the invoice was
 * paid or expired, the payee or request is unknown), so that voucher and every voucher the
 * wallet had chained on it (sent before it learnt of the refusal) can never be accepted, and
 * the wallet signs those seqs again without that entry. Whichever chain a hub kept, the
 * payer's exposure is the refused entries (docs/security.md). A second state at a seq the
 * hub acknowledged, or at one whose earlier state chains on no refused entry, would let a
 * hub choose between two signed states: a violation.
 *
 * @example
 * ```ts
 * import { createVoucherWatch } from '@trickle/testing';
 * const watch = createVoucherWatch();
 * // network.onSend = (frame) => (frame.from === 'client' ? watch.observe(frame.bytes) : watch.observeHub(frame.bytes));
 * watch.violations; // [] while every wallet is honest
 * ```
 */
export function createVoucherWatch() {
  /** Per channel, every state signed at each seq (a resend of any of them is not a new signature). */
  const signed = new Map<string, Map<number, SignedPoint[]>>();
  const acknowledged = new Set<string>();
  const violations: Violation[] = [];
  let vouchers = 0;
  let resigned = 0;
  return {
    violations,
    /** Distinct signed states seen. */
    get vouchers() {
      return vouchers;
    },
    /** States signed again at a seq whose earlier state chained on a refused entry. */
    get resigned() {
      return resigned;
    },
    /** Reads one hub frame: receipts acknowledge a seq, an entry's refusal makes the states at its seq dead. */
    observeHub(bytes: Uint8Array): void {
      let message: ReturnType<typeof decodeHubMessage>;
      try {
        message = decodeHubMessage(bytes);
      } catch {
        return;
      }
      if (message.type === 'receipts') acknowledged.add(`${toHex(message.channelId)}/${message.seq}`);
      if (message.type === 'reject' && message.channelId !== undefined && message.seq !== undefined) {
        const key = `${toHex(message.channelId)}/${message.seq}`;
        if (message.entry === undefined || acknowledged.has(key)) return;
        for (const point of signed.get(toHex(message.channelId))?.get(message.seq) ?? []) point.refused = true;
      }
    },
    /** Reads one client frame; frames that do not decode are ignored (the hub refuses them). */
    observe(bytes: Uint8Array): void {
      let message: ReturnType<typeof decodeClientMessage>;
      try {
        message = decodeClientMessage(bytes);
      } catch {
        return;
      }
      if (message.type !== 'pay' && message.type !== 'close') return;
      if (message.seq === 0) return;
      const channel = toHex(message.channelId);
      const bySeq = signed.get(channel) ?? new Map<number, SignedPoint[]>();
      signed.set(channel, bySeq);
      const key = `${channel}/${message.seq}`;
      const logHead = toHex(message.logHead);
      const before = bySeq.get(message.seq) ?? [];
      if (before.some((p) => p.cumulative === message.cumulative && p.logHead === logHead)) return; // a resend
      const previous =
        message.type === 'pay'
          ? bySeq
              .get(message.seq - 1)
              ?.find((p) => toHex(logHeadAfter(fromHex(p.logHead, 32) as LogHead, message.entries)) === logHead)
          : undefined;
      const point: SignedPoint = { cumulative: message.cumulative, logHead, previous, refused: false };
      if (before.length === 0) {
        bySeq.set(message.seq, [point]);
        vouchers++;
        return;
      }
      if (!acknowledged.has(key) && before.every(chainsOnRefused)) {
        before.push(point);
        vouchers++;
        resigned++;
        return;
      }
      const first = before[0] as SignedPoint;
      violations.push({
        invariant: 'voucher-conflict',
        message: `two states signed for channel ${key} (cumulative ${first.cumulative} and ${point.cumulative}) ${acknowledged.has(key) ? 'after the hub acknowledged the first' : 'where the first chains on no refused entry'}`,
      });
    },
  };
}

/** The durable facts of one channel a {@link createStoreWatch} has seen last. */
interface SeenChannel {
  seq: number;
  cumulative: bigint;
  deposit: bigint;
  closed: boolean;
}

/**
 * Watches a hub's channel store: a channel's durable seq, cumulative and deposit never go
 * back, a closed channel never reopens, every accepted voucher is the next seq with a
 * higher cumulative, and every receipt a payer was given is backed by a durable voucher that
 * holds its entry (persist, then promise).
 *
 * @example
 * ```ts
 * import { createStoreWatch } from '@trickle/testing';
 * declare const store: import('@trickle/hub').ChannelStore, receipt: import('@trickle/protocol').Receipt;
 * const watch = createStoreWatch(store);
 * const violations = [...(await watch.checkReceipt(receipt)), ...(await watch.checkChannels())];
 * ```
 */
export function createStoreWatch(store: ChannelStore) {
  const seen = new Map<string, SeenChannel>();
  const ids = new Map<string, ChannelId>();
  return {
    /** Remembers a channel to watch (channels named by receipts are remembered by themselves). */
    watch(channelId: ChannelId): void {
      ids.set(toHex(channelId), channelId);
    },
    /** Checks every watched channel against what was seen before. */
    async checkChannels(): Promise<Violation[]> {
      const violations: Violation[] = [];
      for (const [key, channelId] of ids) {
        const channel = await store.channel(channelId);
        const before = seen.get(key);
        if (channel === undefined) {
          if (before !== undefined) violations.push({ invariant: 'durable-state', message: `channel ${key} vanished` });
          continue;
        }
        const now: SeenChannel = {
          seq: channel.seq,
          cumulative: channel.cumulative,
          deposit: channel.deposit,
          closed: channel.closedAtMs !== undefined,
        };
        if (channel.cumulative > channel.deposit) {
          violations.push({ invariant: 'durable-state', message: `channel ${key} holds more than its deposit` });
        }
        if (before !== undefined) {
          if (now.seq < before.seq || now.cumulative < before.cumulative || now.deposit < before.deposit) {
            violations.push({
              invariant: 'monotonic',
              message: `channel ${key} went back from seq ${before.seq} / ${before.cumulative} / deposit ${before.deposit} to ${now.seq} / ${now.cumulative} / ${now.deposit}`,
            });
          }
          if (before.closed && !now.closed) {
            violations.push({ invariant: 'monotonic', message: `closed channel ${key} is open again` });
          }
          if (now.seq > before.seq) violations.push(...(await checkVoucherChain(key, channelId, before, now.seq)));
        } else if (now.seq > 0) {
          violations.push(...(await checkVoucherChain(key, channelId, { seq: 0, cumulative: 0n }, now.seq)));
        }
        seen.set(key, now);
      }
      return violations;
    },
    /** Checks that the voucher a receipt names is durable and holds the receipt's entry. */
    async checkReceipt(receipt: Receipt): Promise<Violation[]> {
      ids.set(toHex(receipt.channelId), receipt.channelId);
      const [voucher] = await store.vouchers(receipt.channelId, receipt.seq, 1);
      const found = voucher?.entries.some(
        (e) =>
          toHex(e.payee) === toHex(receipt.payee) &&
          toHex(e.invoiceId) === toHex(receipt.invoiceId) &&
          e.amount === receipt.amount,
      );
      if (voucher === undefined || voucher.seq !== receipt.seq || found !== true) {
        return [
          {
            invariant: 'receipt-not-durable',
            message: `a receipt for invoice ${toHex(receipt.invoiceId)} (channel ${toHex(receipt.channelId)}, seq ${receipt.seq}) has no durable voucher entry`,
          },
        ];
      }
      return [];
    },
  };

  async function checkVoucherChain(
    key: string,
    channelId: ChannelId,
    from: { readonly seq: number; readonly cumulative: bigint },
    toSeq: number,
  ): Promise<Violation[]> {
    const violations: Violation[] = [];
    let previous = from;
    for (let seq = from.seq + 1; seq <= toSeq; seq += 256) {
      const page = await store.vouchers(channelId, seq, Math.min(256, toSeq - seq + 1));
      for (const v of page) {
        const sum = v.entries.reduce((total, e) => total + e.amount, 0n);
        if (v.seq !== previous.seq + 1 || v.cumulative !== previous.cumulative + sum || sum <= 0n) {
          violations.push({
            invariant: 'voucher-chain',
            message: `channel ${key} voucher ${v.seq} does not follow ${previous.seq} (cumulative ${previous.cumulative} + ${sum} != ${v.cumulative})`,
          });
        }
        previous = v;
      }
    }
    if (previous.seq !== toSeq) {
      violations.push({
        invariant: 'voucher-chain',
        message: `channel ${key} is at seq ${toSeq} with vouchers only to ${previous.seq}`,
      });
    }
    return violations;
  }
}
