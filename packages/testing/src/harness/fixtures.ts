/**
 * Fixtures: deterministic keys, a domain, payees, a manual clock, and a client that signs
 * vouchers like the real one (each voucher covers the entries added since the previous
 * one), so a test can hand a ledger or a hub exactly the states a wallet would.
 */

import type { SignedState } from '@trickle/ledger';
import {
  asInvoiceId,
  asSecretKey,
  asset,
  type ChannelId,
  channelIdOf,
  createSigner,
  type Domain,
  hubIdFromKey,
  type LogHead,
  logGenesis,
  logStep,
  type PayeeId,
  type PaymentEntry,
  payeeIdFromKey,
  publicKeyOf,
  type SecretKey,
  type Signer,
  sha256,
  signVoucher,
  type Voucher,
} from '@trickle/protocol';

/** US dollars in millionths (scale 6), the asset most tests use. */
export const usd = asset('USD', 6);
/** Euros in cents (scale 2), for tests of a second asset. */
export const eur = asset('EUR', 2);
/** The network id of {@link domain}. */
export const networkId = 7;

/**
 * A secret key from a label: the same label gives the same key in every run and process.
 *
 * @example
 * ```ts
 * import { testKey } from '@trickle/testing/harness';
 * import { publicKeyOf } from '@trickle/protocol';
 * const payer = publicKeyOf(testKey('payer 1'));
 * ```
 */
export function testKey(label: string): SecretKey {
  return asSecretKey(sha256(new TextEncoder().encode(`trickle ledger test key ${label}`)));
}

/**
 * Deterministic "randomness" (SHA-256 of a counter and the seed), for hedged signing and
 * nonces that must repeat from run to run.
 *
 * @example
 * ```ts
 * import { counterRandom, testKey } from '@trickle/testing/harness';
 * import { createSigner } from '@trickle/protocol';
 * const signer = createSigner(testKey('payer'), { randomBytes: counterRandom(1) });
 * ```
 */
export function counterRandom(seed = 0): (n: number) => Uint8Array {
  let counter = seed;
  return (n) => {
    const out = new Uint8Array(n);
    for (let offset = 0; offset < n; offset += 32) {
      out.set(
        sha256(new Uint8Array(new Uint32Array([counter++, seed]).buffer)).subarray(0, Math.min(32, n - offset)),
        offset,
      );
    }
    return out;
  };
}

/** The public key of the fixtures' hub (`testKey('hub')`). */
export const hubKey = publicKeyOf(testKey('hub'));
/** The domain (network and hub) the fixtures sign for. */
export const domain: Domain = { networkId, hubId: hubIdFromKey(hubKey) };

/**
 * A payee id from a label.
 *
 * @example
 * ```ts
 * import { payee } from '@trickle/testing/harness';
 * const shop = payee('shop');
 * ```
 */
export function payee(label: string): PayeeId {
  return payeeIdFromKey(publicKeyOf(testKey(`payee ${label}`)));
}

/**
 * A payer's signer from a label, with deterministic hedging.
 *
 * @example
 * ```ts
 * import { client } from '@trickle/testing/harness';
 * const alice = client('alice');
 * alice.publicKey; // the same in every run
 * ```
 */
export function client(label: string): Signer {
  return createSigner(testKey(`client ${label}`), { randomBytes: counterRandom(label.length) });
}

/** A clock that moves only when told: the hub's and merchant's `Clock` port and the ledger's clock function in one. */
export interface ManualClock {
  /** The time in ms; assign to jump. */
  now: number;
  /** The time, as the hub's and the merchant's `Clock` port reads it. */
  nowMs(): number;
  /** The time, as the ledger's `clock` option (a function) reads it; bound, so pass it as is. */
  readonly read: () => number;
  /** Moves the time forward by `ms`. */
  advance(ms: number): void;
}

/**
 * A manual clock starting at `start` (ms since the epoch).
 *
 * @example
 * ```ts
 * import { manualClock } from '@trickle/testing/harness';
 * const clock = manualClock();
 * clock.advance(60_000);
 * clock.nowMs(); // 1_700_000_060_000
 * ```
 */
export function manualClock(start = 1_700_000_000_000): ManualClock {
  const clock: ManualClock = {
    now: start,
    nowMs: () => clock.now,
    read: () => clock.now,
    advance(ms: number) {
      clock.now += ms;
    },
  };
  return clock;
}

/**
 * The payer's side of one channel without a wallet: entries, signed vouchers, and the
 * signed states a ledger or a hub takes (what a wallet would send, made by hand).
 *
 * @example
 * ```ts
 * import { ClientChannel, client, payee } from '@trickle/testing/harness';
 * const channel = new ClientChannel(client('alice'), 1);
 * channel.paySigned(payee('shop'), 2_000n); // seq 1
 * const state = channel.state(1); // voucher 1 and its entry, for closeCooperative or claim
 * ```
 */
export class ClientChannel {
  readonly channelId: ChannelId;
  private head: LogHead;
  private cumulative = 0n;
  private readonly entries: PaymentEntry[] = [];
  /** Per signed seq: the voucher and how many entries it covers. */
  private readonly vouchers: { voucher: Voucher; count: number }[] = [];
  private unsigned = 0;
  private invoices = 0;

  constructor(
    readonly signer: Signer,
    nonce: number,
    readonly d: Domain = domain,
  ) {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setUint32(0, nonce);
    this.channelId = channelIdOf(d.hubId, signer.publicKey, bytes);
    this.head = logGenesis(d, this.channelId);
  }

  get clientKey() {
    return this.signer.publicKey;
  }

  /** Adds a payment (signed at the next `sign`). */
  pay(to: PayeeId, amount: bigint): this {
    // Invoice ids derive from the channel and a per-channel counter: reproducible in any process.
    const counter = new Uint8Array(new Uint32Array([this.invoices++]).buffer);
    const invoiceId = asInvoiceId(sha256(this.channelId, counter).subarray(0, 16));
    const entry = { payee: to, invoiceId, amount };
    this.entries.push(entry);
    this.head = logStep(this.head, entry);
    this.cumulative += amount;
    this.unsigned++;
    return this;
  }

  /** Signs a voucher over everything paid so far; returns its seq. */
  sign(): number {
    if (this.unsigned === 0) throw new Error('nothing to sign');
    const seq = this.vouchers.length + 1;
    const voucher = signVoucher(
      this.d,
      { channelId: this.channelId, seq, cumulative: this.cumulative, logHead: this.head },
      this.signer,
    );
    this.vouchers.push({ voucher, count: this.entries.length });
    this.unsigned = 0;
    return seq;
  }

  /** Pays and signs in one go. */
  paySigned(to: PayeeId, amount: bigint): number {
    return this.pay(to, amount).sign();
  }

  voucher(seq: number): Voucher {
    return (this.vouchers[seq - 1] as { voucher: Voucher }).voucher;
  }

  /** The state at `seq` with the entries after the ledger's claimed seq `claimedSeq`. */
  state(seq: number, claimedSeq = 0): SignedState {
    if (seq === 0) return { channelId: this.channelId, voucher: undefined, entries: [] };
    const from = claimedSeq === 0 ? 0 : (this.vouchers[claimedSeq - 1] as { count: number }).count;
    const { voucher, count } = this.vouchers[seq - 1] as { voucher: Voucher; count: number };
    return { channelId: this.channelId, voucher, entries: this.entries.slice(from, count) };
  }

  get latestSeq(): number {
    return this.vouchers.length;
  }
}
