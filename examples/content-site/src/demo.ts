/**
 * `pnpm demo`: Trickle end to end on embedded defaults. Starts a hub with the SQLite ledger
 * in a local data folder, registers the content site as a merchant, starts the site, runs
 * a scripted reader that buys three articles (and reads one again for free), closes its
 * channel and audits the ledger; then leaves the site running for a browser.
 * `pnpm demo --once` does the same and exits (for CI).
 */
import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createWallet } from '@trickle/client';
import { fileStore, wsTransport } from '@trickle/client/node';
import { createHub, loadOrCreateHubKey, loadOrCreateKeyFile, stopOnSignals, systemRandomBytes } from '@trickle/hub';
import { sqliteLedger } from '@trickle/ledger/sqlite';
import { createMerchant } from '@trickle/merchant';
import {
  asset,
  createSecretKey,
  decodePaymentResponseHeader,
  feeOf,
  formatAmount,
  http402Headers,
  hubIdFromKey,
  type PayeeId,
  parseAmount,
  publicKeyOf,
  TrickleError,
  toHex,
} from '@trickle/protocol';
import { articleById } from './articles.js';
import { startContentSite } from './site.js';

const usd = asset('USD', 6);
const networkId = 2; // the demo network: signatures here are worthless anywhere else
const feePpm = 10_000; // the hub keeps 1% of what merchants earn
const faucetUnits = 1_000_000n; // $1.00 per demo reader, once per key
const depositUnits = 100_000n; // $0.10 per channel

const { values } = parseArgs({
  options: {
    once: { type: 'boolean', default: false },
    data: { type: 'string', default: '.data/demo' },
    'site-port': { type: 'string' },
    'hub-port': { type: 'string' },
    fresh: { type: 'boolean', default: false },
  },
});
const once = values.once === true;
// Given ports are used with or without --once; without them --once takes free ports.
const sitePort = Number(values['site-port'] ?? (once ? 0 : 3000));
const hubPort = Number(values['hub-port'] ?? (once ? 0 : 8787));
const dataDir = resolve(values.data ?? '.data/demo');
const show = (units: bigint) => formatAmount(units, usd, { withCode: true });
const short = (bytes: Uint8Array) => `${toHex(bytes).slice(0, 12)}…`;
const line = (label: string, text: string) => console.log(`  ${label.padEnd(10)}${text}`);

async function main(): Promise<void> {
  if (values.fresh === true) rmSync(dataDir, { recursive: true, force: true });
  console.log('\nTrickle demo, on embedded defaults\n');

  // The ledger of record and the hub, both in the data folder.
  const hubSecret = loadOrCreateHubKey(dataDir, systemRandomBytes);
  const domain = { networkId, hubId: hubIdFromKey(publicKeyOf(hubSecret)) };
  const ledger = await sqliteLedger({ filename: join(dataDir, 'ledger.sqlite'), domain, feePpm });
  const hub = await createHub({
    dataDir,
    networkId,
    ledger,
    port: hubPort,
    assets: [usd],
  });

  // The content site is a merchant: its own key; the hub registers its public key.
  const merchant = createMerchant({
    secretKey: loadOrCreateKeyFile(join(dataDir, 'merchant.key'), systemRandomBytes),
    hub: { publicKey: hub.publicKey, url: hub.url, networkId },
    asset: usd,
    entitlementCookie: { secure: false },
  });
  await hub.registerMerchant({ publicKey: merchant.publicKey, name: 'The Daily Trickle', assets: [usd] });
  const faucet = async (clientKey: Uint8Array) => {
    const reference = `demo-faucet-${toHex(clientKey)}`;
    await ledger.fundPayer({ clientKey: clientKey as never, asset: usd, amount: faucetUnits, reference });
    return faucetUnits;
  };
  const site = await startContentSite({ merchant, faucet, port: sitePort });

  line('data', relative(process.cwd(), dataDir) || '.');
  line('ledger', `SQLite, ${relative(process.cwd(), join(dataDir, 'ledger.sqlite'))}, hub fee ${feePpm / 10_000}%`);
  line('hub', `${hub.url}  id ${short(hub.hubId)}  network ${networkId}`);
  line('merchant', `The Daily Trickle  payee ${short(merchant.payee)}`);
  line('site', site.url);

  await scriptedReader(merchant.payee, site.url, hub.url, toHex(hub.hubId), ledger);

  if (once) {
    await site.close();
    await hub.close();
    await ledger.close();
    console.log('\nDone (--once).');
    return;
  }
  console.log(`\nOpen ${site.url} in a browser to read as a new reader (a demo channel is one click).`);
  console.log('Press Ctrl-C to stop.\n');
  stopOnSignals(async () => {
    await site.close();
    await hub.close();
    await ledger.close();
  });
}

async function scriptedReader(
  payee: PayeeId,
  siteUrl: string,
  hubUrl: string,
  hubId: string,
  ledger: Awaited<ReturnType<typeof sqliteLedger>>,
): Promise<void> {
  console.log('\nA scripted reader');
  // A new reader every run: its key lives only in memory, its wallet state in the data folder.
  const key = createSecretKey(systemRandomBytes);
  const clientKey = publicKeyOf(key);
  const funded = await ledger.fundPayer({
    clientKey,
    asset: usd,
    amount: faucetUnits,
    reference: `demo-reader-${toHex(clientKey)}`,
  });
  line('funded', `${show(faucetUnits)} from outside into the reader's ledger account (${funded.status})`);

  const wallet = await createWallet({
    key,
    hub: { url: hubUrl, networkId, hubId },
    store: fileStore({ path: join(dataDir, 'readers', `${toHex(clientKey).slice(0, 16)}.journal`) }),
    transport: wsTransport(),
  });
  const opened = await wallet.openChannel({ deposit: depositUnits, asset: usd });
  line('channel', `opened with ${show(opened.deposit)}, id ${short(opened.channelId)}`);
  console.log(
    `\n  ${'article'.padEnd(40)}${'paid'.padEnd(13)}${'took'.padStart(9)}   ${'channel left'.padEnd(14)}proof`,
  );

  for (const id of ['tides', 'bread', 'sleep', 'tides']) {
    const article = articleById(id)!;
    const started = performance.now();
    const response = await wallet.fetch(`${siteUrl}/articles/${id}`);
    const ms = (performance.now() - started).toFixed(1);
    if (!response.ok) throw new Error(`reading ${id}: the site answered ${response.status}`);
    await response.json();
    const header = response.headers.get(http402Headers.paymentResponse);
    const settled = header === null ? undefined : decodePaymentResponseHeader(header);
    const paidNow = settled?.success === true;
    const paid = paidNow ? show(parseAmount(article.price, usd)) : 'nothing';
    const proof = paidNow ? `receipt for invoice ${settled.transaction.slice(0, 8)}…` : 'entitlement (read again free)';
    const left = show(wallet.balance()!.available);
    console.log(
      `  ${article.title.padEnd(40)}${paid.padEnd(13)}${`${ms} ms`.padStart(9)}   ${left.padEnd(14)}${proof}`,
    );
  }

  const closed = await wallet.close();
  await wallet.stop();
  console.log('');
  line(
    'closed',
    `paid ${show(closed.state.cumulative)}, refunded ${show(closed.refund)} to the reader's ledger account`,
  );
  const fee = feeOf(closed.state.cumulative, feePpm);
  const account = await ledger.payeeAccount(payee, usd);
  line(
    'settled',
    `the site earned ${show(closed.state.cumulative - fee)} (ledger balance ${show(account?.balance ?? 0n)}), hub fee ${show(fee)}`,
  );
  const audit = await ledger.audit();
  line(
    'audit',
    `${audit.ok ? 'ok' : 'FAILED'}: ${audit.mismatches.length} mismatches; every unit paid out is backed by the reader's signature`,
  );
  if (!audit.ok) throw new Error(`the ledger audit failed: ${JSON.stringify(audit.mismatches.slice(0, 3))}`);
}

main().catch((error: unknown) => {
  // Expected failures (a port in use, a bad data folder) get one readable line; bugs get the stack.
  const hint =
    error instanceof TrickleError && error.code === 'LISTEN_FAILED' ? ' (try --site-port or --hub-port)' : '';
  const text =
    error instanceof TrickleError
      ? `${error.shortMessage}${hint}`
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  console.error(`\ndemo failed: ${text}`);
  process.exit(1);
});
