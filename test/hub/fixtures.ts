/** Shared set-up for the hub and client end-to-end tests: keys, a merchant, a hub, wallets. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub, type Hub } from '@trickle/hub';
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
import { afterEach, beforeEach } from 'vitest';

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

/**
 * A hub (embedded defaults, in a temporary folder) with `key`'s payer account funded, made
 * before each test of the enclosing `describe` and closed after it, with every wallet handed
 * to `stopAfter` stopped first.
 */
export function hubPerTest(key: SecretKey, funding = 1_000_000n) {
  let hub: Hub | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  const wallets: { stop(): Promise<void> }[] = [];
  beforeEach(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId });
    await fund(hub, publicKeyOf(key), funding);
  });
  afterEach(async () => {
    for (const wallet of wallets.splice(0)) await wallet.stop();
    await hub?.close();
    dir?.remove();
  });
  return {
    /** This test's hub. */
    get hub(): Hub {
      if (hub === undefined) throw new Error('hubPerTest: the hub exists only inside a test');
      return hub;
    },
    /** Stops `wallet` after the test, before the hub closes; returns it. */
    stopAfter<W extends { stop(): Promise<void> }>(wallet: W): W {
      wallets.push(wallet);
      return wallet;
    },
  };
}
