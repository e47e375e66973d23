/**
 * Every `trickle` subcommand, run as the real bin in a temporary data folder against a
 * real `trickle hub start` child process: a funded payer pays a registered merchant over
 * a WebSocket, the operator lists, claims, settles, audits, pays out, backs up while the
 * hub runs, stops it with SIGTERM, restores, and finds the same balances. Plus the
 * failures an operator meets, each with its exit code and a message that says what to do.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { exitCodes, runCli } from '@trickle/cli';
import { createWallet, memoryStore } from '@trickle/client';
import { asHubId, asPublicKey, fromHex, publicKeyOf, toHex } from '@trickle/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';
import { type HubChild, startHub, trickle } from './run.js';

describe('the trickle command', () => {
  const dir = tempDir('trickle-cli-');
  const dataDir = join(dir.path, 'hub');
  let hub: HubChild | undefined;
  const payerKey = testKey('cli payer');
  const payer = toHex(publicKeyOf(payerKey));
  const d = ['--data-dir', dataDir];

  beforeAll(async () => {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  });
  afterAll(async () => {
    if (hub !== undefined && hub.child.exitCode === null) {
      hub.child.kill('SIGKILL');
      await hub.exited;
    }
    dir.remove();
  });

  it('--help works on every subcommand and exits 0', async () => {
    const commands = [
      [],
      ['keys', 'generate'],
      ['hub', 'start'],
      ['hub', 'status'],
      ['ledger', 'fund'],
      ['ledger', 'balance'],
      ['ledger', 'history'],
      ['merchant', 'add'],
      ['merchant', 'list'],
      ['merchant', 'payout'],
      ['channel', 'list'],
      ['channel', 'show'],
      ['channel', 'close'],
      ['settle'],
      ['audit'],
      ['backup'],
      ['restore'],
    ];
    // In this process (each bin start costs a Node process); the bin itself runs below.
    for (const command of commands) {
      let out = '';
      const code = await runCli([...command, '--help'], { out: (text) => (out += text), err: (text) => (out += text) });
      expect(code).toBe(0);
      expect(out).toMatch(/^Usage: trickle/);
    }
    const run = await trickle(['settle', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: trickle settle/);
    const usage = await trickle(['merchant', 'add']);
    expect(usage.code).toBe(exitCodes.usage);
    expect(usage.stderr).toMatch(/required option '--public-key <hex>' not specified/);
  }, 120_000);

  it('keys generate writes a 0600 key once and refuses to overwrite it', async () => {
    const out = join(dir.path, 'keys', 'merchant.key');
    const first = await trickle(['keys', 'generate', '--out', out, '--json']);
    expect(first.code).toBe(0);
    const made = JSON.parse(first.stdout) as { publicKey: string; payeeId: string };
    expect(made.publicKey).toMatch(/^0[23][0-9a-f]{64}$/);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const again = await trickle(['keys', 'generate', '--out', out]);
    expect(again.code).toBe(exitCodes.usage);
    expect(again.stderr).toMatch(/exists: a key is never overwritten/);
  }, 120_000);

  it('a command without a running hub says how to start one (exit 3)', async () => {
    const run = await trickle(['merchant', 'list', ...d]);
    expect(run.code).toBe(exitCodes.unreachable);
    expect(run.stderr).toMatch(/trickle hub start --data-dir/);
  }, 60_000);

  it('hub start runs the hub; the operator funds, registers, lists, claims, settles, audits and pays out', async () => {
    hub = await startHub(dataDir);
    const status = await trickle(['hub', 'status', ...d]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/ready\s+yes/);

    const fund = await trickle(['ledger', 'fund', ...d, '--client', payer, '--amount', '2.5', '--reference', 'card-1']);
    expect(fund.code).toBe(0);
    expect(fund.stdout).toMatch(/funded\s+2.5 USD \(new\), available 2.5 USD/);
    const replay = await trickle([
      'ledger',
      'fund',
      ...d,
      '--client',
      payer,
      '--amount',
      '2.5',
      '--reference',
      'card-1',
    ]);
    expect(replay.stdout).toMatch(/already done: nothing moved\), available 2.5 USD/);
    const bad = await trickle([
      'ledger',
      'fund',
      ...d,
      '--client',
      payer,
      '--amount',
      '1.2.3',
      '--reference',
      'card-2',
    ]);
    expect(bad.code).toBe(exitCodes.usage);
    expect(bad.stderr).toMatch(/--amount: "1.2.3" is not a decimal amount/);
    const wrongToken = await trickle(['merchant', 'list', ...d, '--token', 'not-the-token-at-all']);
    expect(wrongToken.code).toBe(exitCodes.refused);
    expect(wrongToken.stderr).toMatch(/UNAUTHORIZED.*check --token/);

    const hubInfo = { publicKey: asPublicKey(fromHex(hub.info.publicKey)), hubId: asHubId(fromHex(hub.info.hubId)) };
    const shop = testMerchant('cli shop', hubInfo);
    const added = await trickle(['merchant', 'add', ...d, '--public-key', toHex(shop.publicKey), '--name', 'CLI shop']);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(toHex(shop.payee));
    const list = await trickle(['merchant', 'list', ...d, '--json']);
    expect((JSON.parse(list.stdout) as { payeeId: string; name: string }[]).map((m) => [m.payeeId, m.name])).toEqual([
      [toHex(shop.payee), 'CLI shop'],
    ]);

    // A payer pays through the hub, as a wallet does.
    const wallet = await createWallet({ key: payerKey, hub: { url: hub.info.url, networkId }, store: memoryStore() });
    const opened = await wallet.openChannel({ deposit: 1_000_000n });
    for (const amount of [1_000n, 2_500n, 500n]) await wallet.pay(shop.request(amount));
    const channelId = toHex(opened.channelId);

    const channels = await trickle(['channel', 'list', ...d]);
    expect(channels.stdout).toContain(`${channelId}  open       paid 0.004 USD of 1 USD`);
    const shown = await trickle(['channel', 'show', channelId, ...d]);
    expect(shown.stdout).toMatch(/paid\s+0.004 USD in 3 vouchers/);
    const missing = await trickle(['channel', 'show', '00'.repeat(32), ...d]);
    expect(missing.code).toBe(exitCodes.refused);
    expect(missing.stderr).toMatch(/NO_CHANNEL/);

    const claimed = await trickle(['channel', 'close', channelId, ...d]);
    expect(claimed.code).toBe(0);
    expect(claimed.stdout).toMatch(/claimed\s+up to voucher 3/);
    const earned = await trickle(['ledger', 'balance', ...d, '--merchant', toHex(shop.payee)]);
    expect(earned.stdout).toMatch(/available 0.004 USD/);

    await wallet.close();
    await wallet.stop();
    const settled = await trickle(['settle', ...d]);
    expect(settled.code).toBe(0);
    expect(settled.stdout).toMatch(/errors\s+0/);
    const audit = await trickle(['audit', ...d]);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/audit\s+ok: 0 mismatches/);

    const paid = await trickle([
      'merchant',
      'payout',
      ...d,
      '--payee',
      toHex(shop.payee),
      '--amount',
      '0.003',
      '--reference',
      'wire-1',
    ]);
    expect(paid.code).toBe(0);
    expect(paid.stdout).toMatch(/paid out\s+0.003 USD \(new\), left 0.001 USD/);
    const history = await trickle(['ledger', 'history', ...d, '--merchant', toHex(shop.payee)]);
    expect(history.stdout).toMatch(/\+0.004 USD/);
    expect(history.stdout).toMatch(/-0.003 USD\s+\S*wire-1/);
    const payerBalance = await trickle(['ledger', 'balance', ...d, '--client', payer]);
    expect(payerBalance.stdout).toMatch(/available 2.496 USD/);

    const metrics = await fetch(`${hub.info.adminUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^trickle_connected_clients \d+$/m);
    expect(metrics).toMatch(/^trickle_settlement_backlog_entries 0$/m);
  }, 600_000);

  it('backup copies a running hub; SIGTERM drains and exits 0; restore brings the balances back', async () => {
    const running = hub as HubChild;
    const backup = join(dir.path, 'backup-1');
    const made = await trickle(['backup', ...d, '--to', backup]);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/backed up ledger.sqlite, channels.sqlite, hub.key/);
    const restoreWhileRunning = await trickle(['restore', ...d, '--from', backup, '--force']);
    expect(restoreWhileRunning.code).toBe(exitCodes.refused);
    expect(restoreWhileRunning.stderr).toMatch(/stop it first/);

    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(existsSync(join(dataDir, 'hub.json'))).toBe(false);

    const fresh = join(dir.path, 'restored');
    const restored = await trickle(['restore', '--data-dir', fresh, '--from', backup]);
    expect(restored.code).toBe(0);
    const again = await trickle(['restore', '--data-dir', fresh, '--from', backup]);
    expect(again.code).toBe(exitCodes.usage);
    expect(again.stderr).toMatch(/pass --force/);

    hub = await startHub(fresh);
    expect(hub.info.hubId).toBe(running.info.hubId);
    const payerBalance = await trickle(['ledger', 'balance', '--data-dir', fresh, '--client', payer]);
    expect(payerBalance.stdout).toMatch(/available 2.496 USD/);
    const audit = await trickle(['audit', '--data-dir', fresh]);
    expect(audit.code).toBe(0);
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
  }, 600_000);
});
