/**
 * Peer-to-peer payments (docs/p2p.md): a hub with its SQLite ledger in a temporary folder,
 * Alice with a channel and Bob who only receives. Alice pays Bob by his payee id a few
 * sub-cent amounts with memos, then pays a money request Bob signed; both sides print what
 * they see. Alice closes her channel; Bob's ledger account holds what he received, and Bob
 * is told when his payments cleared (each payment's clearing time).
 *
 *   pnpm --filter @trickle/example-p2p start [--payments 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createWallet, type IncomingPayment, memoryStore } from '@trickle/client';
import { createHub, stopOnSignals } from '@trickle/hub';
import { asset, createSecretKey, formatAmount, payeeIdFromKey, publicKeyOf, toHex } from '@trickle/protocol';

const { values } = parseArgs({ options: { payments: { type: 'string', default: '5' } } });
const payments = Number(values.payments);
if (!Number.isSafeInteger(payments) || payments < 1 || payments > 1_000) {
  console.error('--payments: a whole number from 1 to 1000');
  process.exit(2);
}
const usd = asset('USD', 6);
const usdText = (units: bigint) => `${formatAmount(units, usd)} USD`;
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const networkId = 1;

const dataDir = mkdtempSync(join(tmpdir(), 'trickle-p2p-example-'));
const hub = await createHub({ dataDir, networkId, assets: [usd] });
// SIGTERM or Ctrl-C mid-run: the hub drains (what it acknowledged is durable), the folder goes, exit 0.
stopOnSignals(async () => {
  await hub.close();
  rmSync(dataDir, { recursive: true, force: true });
});
try {
  const aliceKey = createSecretKey(randomBytes);
  const bobKey = createSecretKey(randomBytes);
  await hub.ledger.fundPayer({
    clientKey: publicKeyOf(aliceKey),
    asset: usd,
    amount: 100_000n,
    reference: 'alice-card',
  });
  const address = { url: hub.url, networkId };
  const alice = await createWallet({ key: aliceKey, hub: address, store: memoryStore() });
  const bob = await createWallet({ key: bobKey, hub: address, store: memoryStore(), receive: true });
  const arrived = new Promise<void>((resolve) => {
    bob.on('payment', () => {
      if (bob.incoming().length === payments + 1) resolve();
    });
  });
  await alice.openChannel({ deposit: 100_000n, asset: usd });
  console.log(
    `hub ${hub.url}; Alice opened a channel of ${usdText(100_000n)}; Bob receives as ${bob.payeeId.slice(0, 16)}…`,
  );

  // Bob is registered by his own session once connected: wait for it.
  while (!bob.connected) await new Promise((resolve) => setTimeout(resolve, 10));
  for (let i = 1; i <= payments; i++) {
    const amount = BigInt(100 + i * 37); // sub-cent: a cent is 10,000 units
    await retryUntilRegistered(() => alice.payPeer(bob.payeeId, amount, { memo: `coffee #${i}`, reveal: i === 1 }));
  }
  const request = bob.requestMoney({ amount: 2_500n, memo: 'pizza', expiresInMs: 60_000 });
  console.log(`Bob's money request (${request.length} characters, fits a QR code): ${request.slice(0, 32)}…`);
  await alice.payRequest(request, { reveal: true });
  await arrived;

  console.log("\nAlice's view (history)");
  for (const h of alice.history()) {
    console.log(`  paid ${usdText(BigInt(h.amount)).padStart(14)} to ${h.payee.slice(0, 12)}…  in ${h.paymentMs} ms`);
  }
  console.log("\nBob's view (incoming)");
  for (const p of bob.incoming()) console.log(`  ${line(p)}`);

  // The close settles Alice's payments on the ledger; the hub tells Bob in his inbox (ADR 0243).
  const told = new Promise<void>((resolve) => {
    bob.on('cleared', () => {
      if (bob.incoming().every((p) => p.clearedAtMs !== undefined)) resolve();
    });
  });
  const closed = await alice.close();
  await told;
  const paid = bob.incoming().reduce((sum, p) => sum + p.amount, 0n);
  const bobAccount = await hub.ledger.payeeAccount(payeeIdFromKey(bob.publicKey), usd);
  const cleared = alice.history()[0]?.clearedAtMs;
  console.log(
    `\nAlice closed: refund ${usdText(closed.refund)}; cleared ${cleared === undefined ? 'not yet' : 'at close'}`,
  );
  console.log(`Bob received ${usdText(paid)}; his ledger account holds ${usdText(bobAccount?.balance ?? 0n)}`);
  const clearing = bob.incoming().map((p) => p.clearingMs ?? 0);
  console.log(
    `Bob was told all ${clearing.length} cleared: ${Math.min(...clearing)} to ${Math.max(...clearing)} ms from payment to settlement`,
  );
  await alice.stop();
  await bob.stop();
} finally {
  await hub.close();
  rmSync(dataDir, { recursive: true, force: true });
}

function line(p: IncomingPayment): string {
  const from = p.from === undefined ? 'someone' : `${toHex(p.from).slice(0, 12)}…`;
  return `#${p.inboxSeq} ${usdText(p.amount).padStart(14)} from ${from.padEnd(15)} "${p.memo}"  delivered ${Math.max(0, p.receivedAtMs - p.paidAtMs)} ms after the hub took it`;
}

/** Bob's registration is stored when his session is ready; a payment racing it is refused UNKNOWN_PAYEE. */
async function retryUntilRegistered<T>(pay: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await pay();
    } catch (error) {
      if ((error as { code?: string }).code !== 'UNKNOWN_PAYEE' || attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
