/** Shared set-up for the hub and client end-to-end tests: keys, a merchant, a hub, wallets. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrickleLedger } from '@trickle/ledger';
import {
  asInvoiceId,
  asSecretKey,
  createPaymentRequest,
  deriveMerchantKey,
  type HubId,
  type MerchantKey,
  type PaymentRequest,
  type PublicKey,
  payeeIdFromKey,
  publicKeyOf,
  resourceHash,
  type SecretKey,
  sha256,
  toHex,
} from '@trickle/protocol';

/** A reproducible secret key from a label. */
export function testKey(label: string): SecretKey {
  return asSecretKey(sha256(new TextEncoder().encode(`trickle e2e key ${label}`)));
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'trickle-e2e-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const networkId = 7;
export const usd = { code: 'USD', scale: 6 } as const;

/** A merchant that derives its MAC key from its own secret and the hub's public key, as a real one would. */
export function testMerchant(label: string, hub: { publicKey: PublicKey; hubId: HubId }) {
  const secretKey = testKey(`merchant ${label}`);
  const publicKey = publicKeyOf(secretKey);
  const payee = payeeIdFromKey(publicKey);
  const macKey: MerchantKey = deriveMerchantKey({
    secretKey,
    peerKey: hub.publicKey,
    networkId,
    hubId: hub.hubId,
    payeeId: payee,
  });
  let counter = 0;
  const salt = Math.floor(Math.random() * 2 ** 31);
  return {
    publicKey,
    payee,
    macKey,
    /** A fresh payment request for `amount` minor units. */
    request(amount: bigint, expiresAtMs = Date.now() + 3_600_000): PaymentRequest {
      counter++;
      const invoiceId = asInvoiceId(sha256(new TextEncoder().encode(`${label}/${salt}/${counter}`)).subarray(0, 16));
      return createPaymentRequest(macKey, {
        networkId,
        hubId: hub.hubId,
        payee,
        invoiceId,
        asset: usd,
        amount,
        expiresAtMs,
        resource: resourceHash(`/article/${counter}`),
      });
    },
  };
}

/** The hub's default ledger (@trickle/ledger's sqliteLedger in its data folder). */
function ledgerOf(hub: { ledger: unknown }): TrickleLedger {
  return hub.ledger as TrickleLedger;
}

/** Credits a payer's ledger account from outside, as an operator would (idempotent by reference). */
export async function fund(hub: { ledger: unknown }, clientKey: PublicKey, amount: bigint): Promise<void> {
  await ledgerOf(hub).fundPayer({
    clientKey,
    asset: usd,
    amount,
    reference: `e2e-${toHex(clientKey).slice(0, 32)}-${amount}`,
  });
}

/** The balance of a ledger account whose id starts with `prefix` and names `hexId` (payer or payee). */
export async function ledgerBalance(
  hub: { ledger: unknown },
  kind: 'payer' | 'payee',
  id: Uint8Array,
): Promise<bigint> {
  const accounts = await ledgerOf(hub).balances({ asset: usd });
  const account = accounts.find((a) => a.id.startsWith(`${kind}:${toHex(id)}`));
  return account?.balance ?? 0n;
}

/** Resolves once `done()` holds, polling every 20 ms; fails naming `what` after `timeoutMs`. */
export async function until(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
