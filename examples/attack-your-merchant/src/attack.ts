/**
 * The attacks of @trickle/testing pointed at one deployment: a hub and a merchant's server,
 * with an honest wallet paying through both between attacks.
 */
import type { Wallet } from '@trickle/client';
import {
  createTricklePaymentPayload,
  decodePaymentRequiredHeader,
  http402Headers,
  type TricklePaymentPayload,
  trickleOffersOf,
} from '@trickle/protocol';
import { attackHub, attackMerchant, type HubAttackReport, type MerchantAttackReport } from '@trickle/testing';

/** What to attack, and with how much. */
export interface Deployment {
  readonly hubUrl: string;
  /** A paid route of the merchant's server. */
  readonly articleUrl: (id: number) => string;
  /** An honest, funded wallet with an open channel at the hub. */
  readonly wallet: Wallet;
}

/**
 * Pays for `url` without presenting the payment: the genuine paid retry the header attacks
 * mutate (and present at the end, to show none of them used it up).
 */
export async function paidRetryFor(wallet: Wallet, url: string): Promise<TricklePaymentPayload> {
  const response = await fetch(url);
  await response.arrayBuffer();
  const header = response.headers.get(http402Headers.paymentRequired);
  if (response.status !== 402 || header === null) throw new Error(`expected a 402 from ${url}, got ${response.status}`);
  const [offer] = trickleOffersOf(decodePaymentRequiredHeader(header));
  if (offer === undefined) throw new Error('the 402 offers no trickle payment');
  const receipt = await wallet.pay(offer.request);
  return createTricklePaymentPayload({ accepted: offer.requirements, receipt });
}

/** Runs both attacks and returns their reports. */
export async function attackDeployment(
  deployment: Deployment,
  counts: { readonly frames: number; readonly headers: number },
  seed = 1,
): Promise<{ hub: HubAttackReport; merchant: MerchantAttackReport; honestReads: number }> {
  let honestReads = 0;
  // The honest wallet reads a new article through the merchant between batches of attacks.
  const probe = async () => {
    const response = await deployment.wallet.fetch(deployment.articleUrl(1_000 + honestReads));
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`an honest read got ${response.status}`);
    honestReads++;
  };
  const hub = await attackHub({ url: deployment.hubUrl, seed, count: counts.frames, probe, probeEvery: 100 });
  const url = deployment.articleUrl(1);
  const valid = await paidRetryFor(deployment.wallet, url);
  const merchant = await attackMerchant({ url, seed, count: counts.headers, valid });
  await probe();
  return { hub, merchant, honestReads };
}
