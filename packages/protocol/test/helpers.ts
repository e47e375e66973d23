/** Deterministic keys and a fixture hub/merchant/channel for protocol tests. */
import {
  asInvoiceId,
  asSecretKey,
  asset,
  channelIdOf,
  createPaymentRequest,
  createSigner,
  type Domain,
  deriveMerchantKey,
  type HubChannel,
  hubIdFromKey,
  logGenesis,
  type PaymentRequest,
  payeeIdFromKey,
  publicKeyOf,
  resourceHash,
  type SecretKey,
  type Signer,
  sha256,
} from '../src/index.js';

/** A secret key derived from a label: reproducible across runs. */
export function testKey(label: string): SecretKey {
  return asSecretKey(sha256(new TextEncoder().encode(`trickle test key ${label}`)));
}

/** Counter-based "randomness": deterministic but different for every call. */
export function counterRandom(seed = 0): (n: number) => Uint8Array {
  let counter = seed;
  return (n) => {
    const out = new Uint8Array(n);
    let offset = 0;
    while (offset < n) {
      const block = sha256(new Uint8Array(new Uint32Array([counter++]).buffer));
      out.set(block.subarray(0, Math.min(32, n - offset)), offset);
      offset += 32;
    }
    return out;
  };
}

export const usd = asset('USD', 6);
export const networkId = 7;

export function fixture() {
  const hubSecret = testKey('hub');
  const hubKey = publicKeyOf(hubSecret);
  const hubId = hubIdFromKey(hubKey);
  const domain: Domain = { networkId, hubId };
  const merchantSecret = testKey('merchant');
  const merchantKey = publicKeyOf(merchantSecret);
  const payee = payeeIdFromKey(merchantKey);
  const macKey = deriveMerchantKey({ secretKey: hubSecret, peerKey: merchantKey, networkId, hubId, payeeId: payee });
  const client: Signer = createSigner(testKey('client'), { randomBytes: counterRandom(1) });
  const nonce = new Uint8Array(16).fill(9);
  const channelId = channelIdOf(hubId, client.publicKey, nonce);
  const channel: HubChannel = {
    channelId,
    clientKey: client.publicKey,
    asset: usd,
    deposit: 1_000_000n,
    expiresAtMs: 2_000_000_000_000,
    seq: 0,
    cumulative: 0n,
    logHead: logGenesis(domain, channelId),
  };
  let invoiceCounter = 0;
  const request = (amount: bigint, expiresAtMs = 1_900_000_000_000): PaymentRequest => {
    const invoiceId = asInvoiceId(sha256(new Uint8Array([invoiceCounter++, invoiceCounter >> 8])).subarray(0, 16));
    return createPaymentRequest(macKey, {
      networkId,
      hubId,
      payee,
      invoiceId,
      asset: usd,
      amount,
      expiresAtMs,
      resource: resourceHash(`/article/${invoiceCounter}`),
    });
  };
  return {
    hubSecret,
    hubKey,
    hubId,
    domain,
    merchantSecret,
    merchantKey,
    payee,
    macKey,
    client,
    nonce,
    channelId,
    channel,
    request,
  };
}
