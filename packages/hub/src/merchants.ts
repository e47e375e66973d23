/**
 * The merchant (payee) registry: id, public key, ledger accounts, and the MAC key the hub
 * shares with each payee for payment requests and receipts. The MAC key is derived by
 * ECDH (through the hub's signer) + HKDF (protocol's merchantKeyFromSharedSecret) and never stored: the merchant derives the
 * same key from its own secret key and the hub's public key.
 */
import {
  type Asset,
  asPublicKey,
  type Domain,
  equalBytes,
  fromHex,
  isValidPublicKey,
  type MerchantKey,
  merchantKeyFromSharedSecret,
  type PayeeId,
  type PublicKey,
  payeeIdFromKey,
} from '@trickle/protocol';
import { bytesKey } from './bytesKey.js';
import type { HubSigner } from './hubSigner.js';
import type { ChannelLedger } from './ledgerPort.js';
import type { Clock } from './ports.js';
import type { ChannelStore, MerchantRecord } from './store/channelStore.js';

/** What {@link MerchantRegistry.register} takes. */
export interface MerchantRegistration {
  /** The merchant's 33-byte compressed secp256k1 public key (bytes or hex). */
  readonly publicKey: PublicKey | string;
  /** Assets it is paid in; default: every asset the hub accepts. */
  readonly assets?: readonly Asset[];
  /** A label for operators. Default `''`. */
  readonly name?: string;
}

/** A registered merchant, as {@link MerchantRegistry.register} returns it. */
export type Merchant = MerchantRecord;

/** The hub's merchants, in memory and in the store. */
export interface MerchantRegistry {
  /** Registers (or re-registers) a merchant: ledger accounts first, then the store. Idempotent. */
  register(registration: MerchantRegistration): Promise<Merchant>;
  /** The MAC key shared with a payee, or undefined when it is not registered. */
  keyOf(payee: PayeeId): MerchantKey | undefined;
  /** Every registered merchant. */
  list(): Merchant[];
  /** Loads the stored merchants and wallet-payees (at start). */
  load(): Promise<void>;
  /** Knows a wallet registered as a payee (ADR 0240): its MAC key, and that its payments go to its inbox. */
  addWallet(payee: { readonly payeeId: PayeeId; readonly publicKey: PublicKey }): Promise<void>;
  /** True when `payee` is a wallet-payee known to this process. */
  isWallet(payee: PayeeId): boolean;
}

/** Creates the registry. Internal to createHub. */
export function createMerchantRegistry(deps: {
  readonly store: ChannelStore;
  readonly ledger: ChannelLedger;
  readonly signer: HubSigner;
  readonly domain: Domain;
  readonly clock: Clock;
  readonly assets: readonly Asset[];
}): MerchantRegistry {
  const merchants = new Map<string, { record: Merchant; key: MerchantKey }>();
  /** Wallet-payees: MAC keys by payee id (bytesKey). */
  const wallets = new Map<string, MerchantKey>();
  let last: { readonly payee: Uint8Array; readonly key: MerchantKey } | undefined;
  const keyFor = async (record: { readonly payeeId: PayeeId; readonly publicKey: PublicKey }): Promise<MerchantKey> =>
    merchantKeyFromSharedSecret(await deps.signer.sharedSecret(record.publicKey), {
      networkId: deps.domain.networkId,
      hubId: deps.domain.hubId,
      payeeId: record.payeeId,
    });
  return {
    async register(registration) {
      const raw = registration.publicKey;
      const publicKey = typeof raw === 'string' ? asPublicKey(fromHex(raw, 33, 'publicKey')) : raw;
      if (!isValidPublicKey(publicKey)) throw new RangeError('registerMerchant: publicKey is not a valid point');
      const name = registration.name ?? '';
      if (typeof name !== 'string' || name.length > 200)
        throw new RangeError('registerMerchant: name up to 200 characters');
      const assets = registration.assets ?? deps.assets;
      const payeeId = payeeIdFromKey(publicKey);
      const existing = merchants.get(bytesKey(payeeId));
      const record: Merchant = {
        payeeId,
        publicKey,
        assets: [...assets],
        name,
        registeredAtMs: existing?.record.registeredAtMs ?? deps.clock.nowMs(),
      };
      for (const asset of assets) await deps.ledger.ensurePayee({ payee: payeeId, asset });
      await deps.store.putMerchant(record);
      const key = await keyFor(record);
      merchants.set(bytesKey(payeeId), { record, key });
      last = undefined;
      return record;
    },
    keyOf(payee) {
      // Most entries pay the merchant the previous one paid: compare bytes before hashing a key.
      if (last !== undefined && equalBytes(last.payee, payee)) return last.key;
      const id = bytesKey(payee);
      const key = merchants.get(id)?.key ?? wallets.get(id);
      if (key !== undefined) last = { payee: payee.slice(), key };
      return key;
    },
    list: () => [...merchants.values()].map((m) => m.record),
    async load() {
      for (const record of await deps.store.merchants()) {
        merchants.set(bytesKey(record.payeeId), { record, key: await keyFor(record) });
      }
      for (const wallet of await deps.store.walletPayees()) await this.addWallet(wallet);
    },
    async addWallet(payee) {
      const id = bytesKey(payee.payeeId);
      if (wallets.has(id)) return;
      const key = await keyFor(payee);
      wallets.set(id, key);
    },
    isWallet: (payee) => wallets.size > 0 && wallets.has(bytesKey(payee)),
  };
}
