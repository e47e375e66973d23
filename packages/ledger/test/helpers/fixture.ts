/**
 * Deterministic keys, a domain, payees and a client that signs vouchers like the real
 * one: each voucher covers the entries added since the previous one.
 */
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
  type Signer,
  sha256,
  signVoucher,
  type Voucher,
} from '@trickle/protocol';
import type { SignedState } from '../../src/index.js';

export const usd = asset('USD', 6);
export const eur = asset('EUR', 2);
export const networkId = 7;

/** A secret key from a label: reproducible. */
export function testKey(label: string) {
  return asSecretKey(sha256(new TextEncoder().encode(`trickle ledger test key ${label}`)));
}

/** Deterministic "randomness" for hedged signing. */
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

export const hubKey = publicKeyOf(testKey('hub'));
export const domain: Domain = { networkId, hubId: hubIdFromKey(hubKey) };

/** A payee id from a label. */
export function payee(label: string): PayeeId {
  return payeeIdFromKey(publicKeyOf(testKey(`payee ${label}`)));
}

/** A client's signer from a label. */
export function client(label: string): Signer {
  return createSigner(testKey(`client ${label}`), { randomBytes: counterRandom(label.length) });
}

/** A manual clock. */
export function manualClock(start = 1_700_000_000_000) {
  const clock = {
    now: start,
    read: () => clock.now,
    advance(ms: number) {
      clock.now += ms;
    },
  };
  return clock;
}

/** The client's side of one channel: entries, vouchers, and the states to submit. */
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
