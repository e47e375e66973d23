/**
 * Peer-to-peer payments at the hub (ADR 0240): any wallet registers as a payee over its
 * own session (`receive`); a payer asks for an invoice to a wallet-payee (`invoice`) and
 * pays it like any payment request; the commit that accepts the voucher puts each such
 * payment in the payee's inbox under the payee's next inbox seq, in the same transaction
 * (store, `ChannelWrite.incoming`); the settlement adds a clearing notice under the next
 * seq when the ledger settles such payments (ADR 0243). This module pushes the inbox,
 * payments and notices, to the payee's sessions in seq order from the cursor the payee
 * holds (`receive.after`, or the acknowledged one the store keeps), at most
 * `inboxUnackedMax` ahead of the acknowledgements.
 *
 * Nothing here is state two processes must agree on: registrations, invoices, the inbox
 * and the acknowledged cursor are in the store; a session's push position is that
 * session's alone. A process learns of payments another process accepted by asking the
 * store every `inboxPollMs` for its receiving sessions (only with a shared store).
 */
import {
  type Asset,
  asInvoiceId,
  type ChannelId,
  type ClientMessageOf,
  createPaymentRequest,
  type Domain,
  equalBytes,
  type HubMessage,
  type InvoiceId,
  type PayeeId,
  type PublicKey,
  payeeIdFromKey,
  resourceHash,
  sha256,
  textCharsMax,
  toHex,
} from '@trickle/protocol';
import { bytesKey } from './bytesKey.js';
import type { ChannelLedger } from './ledgerPort.js';
import type { HubLimits } from './limits.js';
import type { MerchantRegistry } from './merchants.js';
import type { Clock } from './ports.js';
import type { ChannelStore, ClearedEntry, InboxEntry } from './store/channelStore.js';

/** The part of a session the push needs: a way to send it a message. */

/** Domain tag of the invoice ids made for money requests. */
const requestInvoiceTag = new TextEncoder().encode('trickle/v1/money-request-invoice');

/** The invoice id of paying money request `request` to `payee` for `amount`: 16 bytes of sha256 over them. */
function requestInvoiceId(payee: PayeeId, request: InvoiceId, amount: bigint): InvoiceId {
  const amountBytes = new Uint8Array(8);
  new DataView(amountBytes.buffer).setBigUint64(0, amount);
  return asInvoiceId(sha256(requestInvoiceTag, payee, request, amountBytes).slice(0, 16));
}

export interface PeerSession {
  notify(message: HubMessage): void;
}

/** What the P2P module needs. Internal to createHub. */
export interface PeerPaymentsDeps {
  readonly domain: Domain;
  readonly store: ChannelStore;
  readonly ledger: ChannelLedger;
  readonly merchants: MerchantRegistry;
  readonly clock: Clock;
  readonly randomBytes: (length: number) => Uint8Array;
  readonly assets: readonly Asset[];
  readonly limits: HubLimits;
  /** MAC key of a payee (the registry's). */
  readonly keyOf: MerchantRegistry['keyOf'];
  readonly onError: (error: unknown, context: string) => void;
  /** Most one `spend` may move, in minor units; 0n: spending received funds is off (the default). */
  readonly receivedSpendMax: bigint;
  /** Claims everything accepted on a channel now (the settlement's claimNow). */
  readonly claimNow: (channelId: ChannelId) => Promise<number>;
  /** Told of each incoming payment pushed: asset, seconds since the hub accepted it (metrics); must not throw. */
  readonly observe?: (delivery: { readonly asset: Asset; readonly seconds: number }) => void;
}

/** The P2P side of the hub. */
export interface PeerPayments {
  /** `receive`: registers the session's key as a wallet-payee, answers `receiving`, then pushes its inbox. */
  receive(session: PeerSession, key: PublicKey, message: ClientMessageOf<'receive'>): Promise<HubMessage>;
  /** `invoice`: a payment request to a wallet-payee, kept with its memo; answers `invoiced`. */
  invoice(key: PublicKey, message: ClientMessageOf<'invoice'>): Promise<HubMessage>;
  /**
   * `spend` (ADR 0242): claims the channels that paid this payee lately, then moves `amount`
   * from its payee account to its payer account (a payout and a funding under references
   * named by `ref`: asked again, nothing more moves); answers `spent`.
   */
  spend(key: PublicKey, message: ClientMessageOf<'spend'>): Promise<HubMessage>;
  /** `ack`: the payee holds its inbox up to `seq`; the cursor is stored and more is pushed. */
  ack(session: PeerSession, key: PublicKey, message: ClientMessageOf<'ack'>): void;
  /** A commit put payments in these payees' inboxes: push them to their sessions here. */
  delivered(payees: readonly PayeeId[]): void;
  /** The session is gone. */
  closed(session: PeerSession): void;
  /** Stops the poll timer. */
  stop(): void;
}

interface Subscriber {
  readonly session: PeerSession;
  readonly payee: PayeeId;
  readonly payeeKey: string;
  /** Newest seq pushed on this session. */
  sent: number;
  /** Newest seq the payee acknowledged (as far as this session knows). */
  acked: number;
  pumping: boolean;
  again: boolean;
}

/** The ledger operations a spend needs (the default `TrickleLedger` has them). */
interface MovingLedger {
  payout(input: { payee: PayeeId; asset: Asset; amount: bigint; reference: string }): Promise<unknown>;
  fundPayer(input: { clientKey: PublicKey; asset: Asset; amount: bigint; reference: string }): Promise<unknown>;
  payeeAccount(payee: PayeeId, asset: Asset): Promise<{ readonly available: bigint } | undefined>;
}

function movingLedger(ledger: ChannelLedger): MovingLedger | undefined {
  const l = ledger as Partial<MovingLedger>;
  return typeof l.payout === 'function' && typeof l.fundPayer === 'function' && typeof l.payeeAccount === 'function'
    ? (ledger as unknown as MovingLedger)
    : undefined;
}

function refusal(
  id: number,
  code: 'UNKNOWN_PAYEE' | 'REQUEST_INVALID' | 'INTERNAL' | 'INSUFFICIENT_FUNDS',
  message: string,
): HubMessage {
  return { type: 'reject', id, code, message: message.slice(0, textCharsMax) };
}

/** Creates the P2P module. Internal to createHub. */
export function createPeerPayments(deps: PeerPaymentsDeps): PeerPayments {
  const { store, clock, limits } = deps;
  const subscribers = new Map<PeerSession, Subscriber>();
  const byPayee = new Map<string, Set<Subscriber>>();
  const poll =
    store.leases === undefined
      ? undefined
      : setInterval(() => {
          for (const subscriber of subscribers.values()) pump(subscriber);
        }, limits.inboxPollMs);
  poll?.unref();

  /** Knows `payee` as a wallet-payee (from the store when another process registered it). */
  async function knownWallet(payee: PayeeId): Promise<boolean> {
    if (deps.merchants.isWallet(payee)) return true;
    const record = await store.walletPayee(payee);
    if (record === undefined) return false;
    await deps.merchants.addWallet(record);
    return true;
  }

  function incomingOf(entry: InboxEntry): HubMessage {
    return {
      type: 'incoming',
      seq: entry.seq,
      channelId: entry.channelId,
      voucherSeq: entry.voucherSeq,
      invoiceId: entry.invoiceId,
      asset: entry.asset,
      amount: entry.amount,
      memo: entry.memo,
      ...(entry.from === undefined ? {} : { from: entry.from }),
      mac: entry.mac,
      timeMs: entry.paidAtMs,
    };
  }

  function clearedOf(entry: ClearedEntry): HubMessage {
    return {
      type: 'cleared',
      seq: entry.seq,
      channelId: entry.channelId,
      afterVoucherSeq: entry.afterVoucherSeq,
      throughVoucherSeq: entry.throughVoucherSeq,
      asset: entry.asset,
      payments: entry.payments,
      amount: entry.amount,
      timeMs: entry.clearedAtMs,
    };
  }

  /**
   * The payee's inbox after `afterSeq`, payments and clearing notices (ADR 0243) merged in
   * seq order, at most `limit`: each kind's first `limit` hold the first `limit` of both.
   */
  async function inboxPage(payee: PayeeId, afterSeq: number, limit: number): Promise<(InboxEntry | ClearedEntry)[]> {
    const [payments, notices] = await Promise.all([
      store.inbox(payee, afterSeq, limit),
      store.inboxCleared(payee, afterSeq, limit),
    ]);
    if (notices.length === 0) return payments;
    return [...payments, ...notices].sort((a, b) => a.seq - b.seq).slice(0, limit);
  }

  /** Pushes what the session has not been sent, in seq order, up to the unacknowledged window. One run at a time. */
  function pump(subscriber: Subscriber): void {
    if (subscriber.pumping) {
      subscriber.again = true;
      return;
    }
    subscriber.pumping = true;
    subscriber.again = false;
    void (async () => {
      try {
        for (;;) {
          if (!subscribers.has(subscriber.session)) return;
          const room = limits.inboxUnackedMax - (subscriber.sent - subscriber.acked);
          if (room <= 0) return;
          const limit = Math.min(room, limits.inboxPageMax);
          const page = await inboxPage(subscriber.payee, subscriber.sent, limit);
          for (const item of page) {
            if (item.seq !== subscriber.sent + 1 || !subscribers.has(subscriber.session)) return;
            if ('paidAtMs' in item) {
              subscriber.session.notify(incomingOf(item));
              deps.observe?.({ asset: item.asset, seconds: Math.max(0, clock.nowMs() - item.paidAtMs) / 1000 });
            } else {
              subscriber.session.notify(clearedOf(item));
            }
            subscriber.sent = item.seq;
          }
          if (page.length < limit) return;
        }
      } catch (error) {
        deps.onError(error, 'pushing incoming payments');
      } finally {
        subscriber.pumping = false;
        if (subscriber.again) pump(subscriber);
      }
    })();
  }

  function unsubscribe(session: PeerSession): void {
    const subscriber = subscribers.get(session);
    if (subscriber === undefined) return;
    subscribers.delete(session);
    const set = byPayee.get(subscriber.payeeKey);
    set?.delete(subscriber);
    if (set?.size === 0) byPayee.delete(subscriber.payeeKey);
  }

  return {
    async receive(session, key, message) {
      const payee = payeeIdFromKey(key);
      try {
        if (deps.keyOf(payee) !== undefined && !deps.merchants.isWallet(payee)) {
          return refusal(message.id, 'REQUEST_INVALID', 'this key is registered as a merchant');
        }
        if (!(await knownWallet(payee))) {
          // Ledger accounts first, then the store: a registration that is stored is payable.
          for (const asset of deps.assets) await deps.ledger.ensurePayee({ payee, asset });
          await store.putWalletPayee({ payeeId: payee, publicKey: key, registeredAtMs: clock.nowMs() });
          await deps.merchants.addWallet({ payeeId: payee, publicKey: key });
        }
        const record = await store.walletPayee(payee);
        if (record === undefined) throw new Error('the wallet-payee just stored cannot be read back');
        unsubscribe(session);
        const from = Math.min(Math.max(message.after, record.ackedSeq), record.lastSeq);
        const subscriber: Subscriber = {
          session,
          payee,
          payeeKey: bytesKey(payee),
          sent: from,
          acked: from,
          pumping: false,
          again: false,
        };
        subscribers.set(session, subscriber);
        let set = byPayee.get(subscriber.payeeKey);
        if (set === undefined) {
          set = new Set();
          byPayee.set(subscriber.payeeKey, set);
        }
        set.add(subscriber);
        // After the answer is sent (the session sends it when this resolves).
        setImmediate(() => pump(subscriber));
        return { type: 'receiving', id: message.id, payee, acked: record.ackedSeq };
      } catch (error) {
        deps.onError(error, 'registering a wallet-payee');
        return refusal(message.id, 'INTERNAL', 'the registration could not be stored; retry');
      }
    },

    async invoice(key, message) {
      try {
        if (!deps.assets.some((a) => a.code === message.asset.code && a.scale === message.asset.scale)) {
          return refusal(message.id, 'REQUEST_INVALID', 'the hub does not take this asset');
        }
        if (!(await knownWallet(message.payee))) {
          return refusal(message.id, 'UNKNOWN_PAYEE', 'no wallet is registered as this payee');
        }
        const macKey = deps.keyOf(message.payee);
        if (macKey === undefined) return refusal(message.id, 'UNKNOWN_PAYEE', 'no wallet is registered as this payee');
        const nowMs = clock.nowMs();
        // A money request's invoice is the same each time it is asked (for that amount), so
        // the paid-invoice index lets it be paid once; any other invoice is new.
        const invoiceId =
          message.request === undefined
            ? asInvoiceId(deps.randomBytes(16))
            : requestInvoiceId(message.payee, message.request, message.amount);
        const from = message.reveal ? payeeIdFromKey(key) : undefined;
        const expiresAtMs = nowMs + limits.peerInvoiceLifetimeMs;
        await store.putPeerInvoice({
          payee: message.payee,
          invoiceId,
          amount: message.amount,
          memo: message.memo,
          ...(from === undefined ? {} : { from }),
          createdAtMs: nowMs,
          expiresAtMs,
        });
        const request = createPaymentRequest(macKey, {
          networkId: deps.domain.networkId,
          hubId: deps.domain.hubId,
          payee: message.payee,
          invoiceId,
          asset: message.asset,
          amount: message.amount,
          expiresAtMs,
          resource: resourceHash(`p2p:${message.memo}`),
        });
        return {
          type: 'invoiced',
          id: message.id,
          payee: request.payee,
          invoiceId: request.invoiceId,
          asset: request.asset,
          amount: request.amount,
          expiresAtMs: request.expiresAtMs,
          resource: request.resource,
          mac: request.mac,
        };
      } catch (error) {
        deps.onError(error, 'making a peer invoice');
        return refusal(message.id, 'INTERNAL', 'the invoice could not be stored; retry');
      }
    },

    async spend(key, message) {
      const payee = payeeIdFromKey(key);
      try {
        const ledger = movingLedger(deps.ledger);
        if (ledger === undefined || deps.receivedSpendMax === 0n) {
          return refusal(message.id, 'REQUEST_INVALID', 'this hub does not let payees spend received funds');
        }
        if (message.amount > deps.receivedSpendMax) {
          return refusal(message.id, 'REQUEST_INVALID', `at most ${deps.receivedSpendMax} per spend on this hub`);
        }
        if (!(await knownWallet(payee))) return refusal(message.id, 'UNKNOWN_PAYEE', 'this key is no wallet-payee');
        const reference = `p2p-spend-${toHex(payee).slice(0, 32)}-${toHex(message.ref)}`;
        const moved = async () => {
          await ledger.payout({ payee, asset: message.asset, amount: message.amount, reference: `${reference}-out` });
          await ledger.fundPayer({
            clientKey: key,
            asset: message.asset,
            amount: message.amount,
            reference: `${reference}-in`,
          });
        };
        const available = async () => (await ledger.payeeAccount(payee, message.asset))?.available ?? 0n;
        if ((await available()) < message.amount) {
          // Claim the channels of the newest inbox page (the ones policy may not have claimed yet).
          const record = await store.walletPayee(payee);
          const from = Math.max(0, (record?.lastSeq ?? 0) - limits.inboxPageMax);
          const channels = new Map<string, ChannelId>();
          for (const entry of await store.inbox(payee, from, limits.inboxPageMax)) {
            channels.set(bytesKey(entry.channelId), entry.channelId);
          }
          for (const channelId of channels.values()) await deps.claimNow(channelId).catch(() => undefined);
          // Refused before the ledger is asked: a refused payout would keep its reference failing.
          if ((await available()) < message.amount) {
            return refusal(message.id, 'INSUFFICIENT_FUNDS', 'not that much received and settled to spend');
          }
        }
        try {
          await moved();
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (code === 'INSUFFICIENT_FUNDS') {
            return refusal(message.id, 'INSUFFICIENT_FUNDS', 'not that much received and settled to spend');
          }
          if (typeof code === 'string' && code.startsWith('EXISTS')) {
            return refusal(message.id, 'REQUEST_INVALID', 'this ref named another move');
          }
          throw error;
        }
        return { type: 'spent', id: message.id, amount: message.amount };
      } catch (error) {
        deps.onError(error, 'moving received funds');
        return refusal(message.id, 'INTERNAL', 'the funds could not be moved; retry');
      }
    },

    ack(session, key, message) {
      const subscriber = subscribers.get(session);
      if (subscriber === undefined || !equalBytes(subscriber.payee, payeeIdFromKey(key))) return;
      // Only what this session was sent can be acknowledged on it.
      const seq = Math.min(message.seq, subscriber.sent);
      if (seq <= subscriber.acked) return;
      subscriber.acked = seq;
      store.ackInbox(subscriber.payee, seq).catch((error: unknown) => deps.onError(error, 'storing an inbox ack'));
      pump(subscriber);
    },

    delivered(payees) {
      for (const payee of payees) {
        for (const subscriber of byPayee.get(bytesKey(payee)) ?? []) pump(subscriber);
      }
    },

    closed: unsubscribe,

    stop() {
      if (poll !== undefined) clearInterval(poll);
    },
  };
}
