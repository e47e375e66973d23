/**
 * Test fixtures: a hub key and a merchant key, a clock the test moves, and a fake hub that
 * makes receipts exactly as the real hub will (the MAC key derived on the hub's side).
 */
import {
  asSecretKey,
  asset,
  channelIdOf,
  createReceipt,
  createSigner,
  createTricklePaymentPayload,
  deriveMerchantKey,
  encodePaymentSignatureHeader,
  hubIdFromKey,
  type MerchantKey,
  type PaymentRequest,
  type PublicKey,
  payeeIdFromKey,
  publicKeyOf,
  type Receipt,
  readTrickleOffer,
  type SecretKey,
  sha256,
} from '@trickle/protocol';
import { counterRandom, manualClock } from '@trickle/testing/harness';
import { createMerchant, type Merchant, type MerchantConfig } from '../src/index.js';

/** A secret key derived from a label: the same in every run. */
export function testKey(label: string): SecretKey {
  return asSecretKey(sha256(new TextEncoder().encode(`trickle merchant test key ${label}`)));
}

export const usd = asset('USD', 6);
export const networkId = 7;
export const hubUrl = 'ws://127.0.0.1:1/hub';
export const startMs = 1_800_000_000_000;

/** The hub side: derives the key it shares with a merchant from its own secret, as the hub does. */
export function fakeHub(merchantKey: PublicKey) {
  const hubSecret = testKey('hub');
  const hubKey = publicKeyOf(hubSecret);
  const hubId = hubIdFromKey(hubKey);
  const payee = payeeIdFromKey(merchantKey);
  const macKey = deriveMerchantKey({ secretKey: hubSecret, peerKey: merchantKey, networkId, hubId, payeeId: payee });
  const client = createSigner(testKey('client'), { randomBytes: counterRandom(99) });
  const channelId = channelIdOf(hubId, client.publicKey, new Uint8Array(16).fill(5));
  let seq = 0;
  /** The receipt the hub answers a payment of `request` with; `changes` forge or corrupt it. */
  const receiptFor = (request: PaymentRequest, changes: Partial<Receipt> = {}, key: MerchantKey = macKey): Receipt => {
    const body = {
      networkId: request.networkId,
      hubId: request.hubId,
      channelId,
      seq: ++seq,
      payee: request.payee,
      invoiceId: request.invoiceId,
      asset: request.asset,
      amount: request.amount,
      ...changes,
    };
    return createReceipt(key, body);
  };
  return { hubSecret, hubKey, hubId, macKey, channelId, receiptFor };
}

export function merchantFixture(overrides: Partial<MerchantConfig> = {}) {
  const clock = manualClock(startMs);
  const merchantSecret = testKey('merchant');
  const hub = fakeHub(publicKeyOf(merchantSecret));
  const merchant: Merchant = createMerchant({
    secretKey: merchantSecret,
    hub: { publicKey: hub.hubKey, url: hubUrl, networkId },
    asset: usd,
    clock,
    randomBytes: counterRandom(1),
    entitlementCookie: { secure: false },
    ...overrides,
  });
  /** Pays the Trickle offer of a `402` body through the fake hub: the `PAYMENT-SIGNATURE` value. */
  const pay = (accepted: unknown, changes: Partial<Receipt> = {}, key?: MerchantKey): string => {
    const { requirements, request } = readTrickleOffer(accepted);
    const receipt = hub.receiptFor(request, changes, key);
    return encodePaymentSignatureHeader(createTricklePaymentPayload({ accepted: requirements, receipt }));
  };
  return { clock, merchant, merchantSecret, hub, pay };
}
