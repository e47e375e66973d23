/**
 * `trickle hub start` for real: with `--tls-cert`/`--tls-key` (a self-signed certificate
 * made here with openssl) wallets pay over wss:// trusting that certificate, a wallet that
 * does not trust it is refused, and the admin API answers the CLI over https://; with
 * `--database postgres://…` the ledger and the channel store live in PostgreSQL (no SQLite
 * file in the data folder), a wallet pays, `trickle settle` claims on the ledger there, and
 * a restart finds it all.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { toHex } from '@trickle/protocol';
import { dropSchema, postgresUrl, uniqueSchema } from '@trickle/testing/harness';
import { afterAll, describe, expect, it } from 'vitest';
import { networkId, tempDir, testKey } from '../hub/fixtures.js';
import { fundAndRegister, type HubChild, killHubs, startHub } from './run.js';

const dir = tempDir('trickle-for-real-');
const children: HubChild[] = [];
const wallets: Wallet[] = [];
afterAll(async () => {
  for (const wallet of wallets) await wallet.stop().catch(() => undefined);
  await killHubs(children);
  dir.remove();
});

describe('trickle hub start with TLS', () => {
  it('serves wss:// and https:// with the given certificate', async () => {
    const cert = join(dir.path, 'cert.pem');
    const key = join(dir.path, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const dataDir = join(dir.path, 'tls');
    const hub = await startHub(dataDir, ['--network-id', String(networkId), '--tls-cert', cert, '--tls-key', key]);
    children.push(hub);
    expect(hub.info.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    expect(hub.info.adminUrl).toMatch(/^https:\/\//);
    // The CLI reaches the admin API over https, trusting the certificate as an operator would.
    const { payerKey, shop } = await fundAndRegister(hub, dataDir, 'tls', { NODE_EXTRA_CA_CERTS: cert });

    const wallet = await createWallet({
      key: payerKey,
      hub: { url: hub.info.url, networkId },
      store: memoryStore(),
      transport: wsTransport({ ca: readFileSync(cert, 'utf8') }),
    });
    wallets.push(wallet);
    await wallet.openChannel({ deposit: 100_000n });
    expect((await wallet.pay(shop.request(2_500n))).amount).toBe(2_500n);

    // A wallet that does not trust the certificate never gets through the handshake.
    const stranger = await createWallet({
      key: testKey('tls stranger'),
      hub: { url: hub.info.url, networkId },
      store: memoryStore(),
      transport: wsTransport(),
      reconnectDelayMsMax: 200,
    });
    wallets.push(stranger);
    const failed = await new Promise<{ reason: string }>((resolve) => stranger.on('unreachable', resolve));
    expect(failed.reason).toMatch(/certificate/i);

    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
  }, 120_000);
});

describe('trickle hub start --database postgres://…', () => {
  const schema = uniqueSchema('cli_pg');
  afterAll(async () => {
    await dropSchema(`${schema}_ledger`).catch(() => undefined);
    await dropSchema(`${schema}_hub`).catch(() => undefined);
  });

  it('keeps the ledger and the channels in PostgreSQL: pay, settle, restart', async () => {
    const dataDir = join(dir.path, 'pg');
    const flags = ['--network-id', String(networkId), '--database', postgresUrl, '--schema', schema];
    let hub = await startHub(dataDir, flags);
    children.push(hub);
    const { payerKey, shop, cli } = await fundAndRegister(hub, dataDir, 'pg');
    const wallet = await createWallet({ key: payerKey, hub: { url: hub.info.url, networkId }, store: memoryStore() });
    wallets.push(wallet);
    const opened = await wallet.openChannel({ deposit: 100_000n });
    for (const amount of [1_000n, 2_000n, 3_000n]) await wallet.pay(shop.request(amount));
    expect((await cli(['channel', 'close', toHex(opened.channelId)])).stdout).toMatch(/claimed\s+up to voucher 3/);
    await wallet.close();
    expect((await cli(['settle'])).stdout).toMatch(/errors\s+0/);
    expect((await cli(['ledger', 'balance', '--merchant', toHex(shop.payee)])).stdout).toMatch(/available 0.006 USD/);
    expect(existsSync(join(dataDir, 'ledger.sqlite'))).toBe(false);
    expect(existsSync(join(dataDir, 'channels.sqlite'))).toBe(false);
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);

    hub = await startHub(dataDir, flags);
    children.push(hub);
    expect((await cli(['ledger', 'balance', '--merchant', toHex(shop.payee)])).stdout).toMatch(/available 0.006 USD/);
    expect((await cli(['audit'])).stdout).toMatch(/audit\s+ok: 0 mismatches/);
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
  }, 120_000);
});
