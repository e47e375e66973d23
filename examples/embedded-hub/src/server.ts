/**
 * One process, one operator: an Express API that sells its calls, and the Trickle hub
 * its callers pay through, side by side. No second service to run; the ledger is a SQLite
 * file beside the hub's.
 *
 *   pnpm --filter @trickle/example-embedded-hub start             # serve until Ctrl-C
 *   pnpm --filter @trickle/example-embedded-hub start --once   # serve, make three paid calls, exit
 *
 * `--port` (the API, default 3001) and `--hub-port` (default 8788) choose the ports; with
 * `--once` they default to 0, free ports the system picks. A port in use is one line.
 */
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createWallet, memoryStore } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { createHub, loadOrCreateKeyFile, stopOnSignals, systemRandomBytes } from '@trickle/hub';
import { createMerchant } from '@trickle/merchant';
import { expressPaywall } from '@trickle/merchant/express';
import { asset, createSecretKey, formatAmount, publicKeyOf, TrickleError, toHex } from '@trickle/protocol';
import express from 'express';

const usd = asset('USD', 6);
const networkId = 2;
const fortunes = [
  'A small payment today saves a subscription tomorrow.',
  'You will read exactly what you pay for.',
  'The voucher you sign covers everything before it.',
];

const { values } = parseArgs({
  options: {
    once: { type: 'boolean', default: false },
    data: { type: 'string', default: '.data/embedded-hub' },
    port: { type: 'string' },
    'hub-port': { type: 'string' },
  },
});
const once = values.once === true;
const apiPort = Number(values.port ?? (once ? 0 : 3001));
const hubPort = Number(values['hub-port'] ?? (once ? 0 : 8788));
const dataDir = resolve(values.data ?? '.data/embedded-hub');

async function main(): Promise<void> {
  // The hub in this process: its key, channel store and ledger live in the data folder.
  const hub = await createHub({ dataDir, networkId, assets: [usd], port: hubPort });
  // The API is the hub's merchant, with a key of its own beside the hub's.
  const merchant = createMerchant({
    secretKey: loadOrCreateKeyFile(join(dataDir, 'merchant.key'), systemRandomBytes),
    hub: { publicKey: hub.publicKey, url: hub.url, networkId },
    asset: usd,
  });
  await hub.registerMerchant({ publicKey: merchant.publicKey, name: 'Fortune API' });

  const app = express();
  app.get('/v1/fortune', expressPaywall(merchant, { price: '0.0005', entitlement: false }), (_req, res) => {
    res.json({ fortune: fortunes[Math.floor(Math.random() * fortunes.length)] });
  });
  const server = app.listen(apiPort, '127.0.0.1');
  try {
    await new Promise<void>((ready, fail) => {
      server.once('listening', ready);
      server.once('error', fail);
    });
  } catch (cause) {
    await hub.close();
    const why = (cause as NodeJS.ErrnoException).code === 'EADDRINUSE' ? ': the port is in use' : '';
    throw new TrickleError('LISTEN_FAILED', `cannot listen on 127.0.0.1:${apiPort}${why}`, { cause });
  }
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  console.log(`API ${apiUrl}/v1/fortune (0.0005 USD a call), hub ${hub.url}, one process`);

  const stop = async () => {
    await new Promise<void>((done) => server.close(() => done()));
    await hub.close();
  };
  if (!once) {
    // SIGTERM (systemd, docker stop) and Ctrl-C drain: the API stops, then the hub makes
    // every acknowledged payment durable and closes.
    stopOnSignals(stop);
    return;
  }

  // A caller: funded on the hub's own ledger, three paid calls.
  const key = createSecretKey(systemRandomBytes);
  const clientKey = publicKeyOf(key);
  await hub.ledger.fundPayer({ clientKey, asset: usd, amount: 10_000n, reference: `embedded-${toHex(clientKey)}` });
  const wallet = await createWallet({
    key,
    hub: { url: hub.url, networkId, hubId: toHex(hub.hubId) },
    store: memoryStore(),
    transport: wsTransport(),
  });
  await wallet.openChannel({ deposit: 10_000n, asset: usd });
  for (let i = 0; i < 3; i++) {
    const { fortune } = (await (await wallet.fetch(`${apiUrl}/v1/fortune`)).json()) as { fortune: string };
    console.log(`  "${fortune}"`);
  }
  const { refund } = await wallet.close();
  console.log(
    `paid ${formatAmount(10_000n - refund, usd, { withCode: true })}, refunded ${formatAmount(refund, usd, { withCode: true })}`,
  );
  await wallet.stop();
  await stop();
}

main().catch((error: unknown) => {
  // A port in use (or another expected failure) is one line; a bug keeps its stack.
  const hint = error instanceof TrickleError && error.code === 'LISTEN_FAILED' ? ' (try --port or --hub-port)' : '';
  console.error(
    `embedded-hub failed: ${error instanceof TrickleError ? `${error.shortMessage}${hint}` : error instanceof Error ? error.stack : String(error)}`,
  );
  process.exit(1);
});
