/**
 * docs/operator.md, followed step by step: every `trickle` command this test runs is
 * checked to be written in the guide, in the guide's order, then run as the real bin with
 * the guide's placeholders filled in. The payer's part (a wallet paying the merchant) is
 * the only step done without the CLI, as in the guide.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createWallet, memoryStore } from '@trickle/client';
import { asHubId, asPublicKey, fromHex, publicKeyOf, toHex } from '@trickle/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';
import { type HubChild, killHubs, startHub, trickle } from './run.js';

const guide = readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', 'operator.md'), 'utf8');
/** The guide's commands in order: every line of its sh blocks that starts with `trickle `. */
const guideCommands = [...guide.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
  (m[1] as string).split('\n').filter((line) => line.startsWith('trickle ')),
);

/** Splits a guide line into arguments (double quotes group words), filling in `$NAME`s. */
function argsOf(line: string, values: Record<string, string>): string[] {
  const words = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? (m[2] as string));
  return words.slice(1).map((word) =>
    word.replace(/\$([A-Z_]+)/g, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`the guide uses $${name}, which this test does not know`);
      return value;
    }),
  );
}

describe('docs/operator.md, followed by an operator', () => {
  const dir = tempDir('trickle-operator-');
  const values: Record<string, string> = {};
  const env = { TRICKLE_DATA_DIR: join(dir.path, 'var-lib-trickle') };
  const children: HubChild[] = [];
  let next = 0;
  /** Runs the guide's next command, which must be `expected` (so the guide and this test cannot drift apart). */
  async function step(expected: string, code = 0) {
    const line = guideCommands[next++];
    expect(line).toBe(expected);
    const args = argsOf(line as string, values).map((arg) =>
      arg.startsWith('/backups/') || arg.startsWith('/var/lib/')
        ? join(dir.path, arg.slice(1).replaceAll('/', '-'))
        : arg,
    );
    const run = await trickle(args, env, dir.path);
    if (run.code !== code) throw new Error(`${line} exited ${run.code}:\n${run.stderr}`);
    return run;
  }

  afterAll(async () => {
    await killHubs(children);
    dir.remove();
  });

  it('gets from nothing to a paid, settled, audited, scraped and restored hub with the CLI', async () => {
    const keys = await step('trickle keys generate');
    const hubId = /hub id\s+([0-9a-f]{64})/.exec(keys.stdout)?.[1];

    // Step 3 runs in the foreground: the test starts it as a child on free ports.
    expect(guideCommands[next++]).toBe('trickle hub start --network-id 1');
    const hub = await startHub(env.TRICKLE_DATA_DIR, ['--network-id', String(networkId)]);
    children.push(hub);
    expect(hub.info.hubId).toBe(hubId);
    expect((await step('trickle hub status')).stdout).toMatch(/ready\s+yes/);

    const payerKey = testKey('operator guide payer');
    values.PAYER_KEY = toHex(publicKeyOf(payerKey));
    expect(
      (await step('trickle ledger fund --client $PAYER_KEY --amount 10 --reference card-charge-1')).stdout,
    ).toMatch(/funded\s+10 USD \(new\)/);
    expect((await step('trickle ledger balance --client $PAYER_KEY')).stdout).toMatch(/available 10 USD/);

    const merchantKey = await step('trickle keys generate --out merchant.key');
    void merchantKey;
    // The merchant of this test derives its receipt key itself, from its own secret.
    const shop = testMerchant('operator guide shop', {
      publicKey: asPublicKey(fromHex(hub.info.publicKey)),
      hubId: asHubId(fromHex(hub.info.hubId)),
    });
    values.MERCHANT_KEY = toHex(shop.publicKey);
    const added = await step('trickle merchant add --public-key $MERCHANT_KEY --name "The Daily Trickle"');
    values.PAYEE_ID = /payee id\s+([0-9a-f]{64})/.exec(added.stdout)?.[1] as string;
    expect(values.PAYEE_ID).toBe(toHex(shop.payee));
    expect((await step('trickle merchant list')).stdout).toContain('The Daily Trickle');

    // Step 6: the payer's wallet pays.
    const wallet = await createWallet({ key: payerKey, hub: { url: hub.info.url, networkId }, store: memoryStore() });
    const opened = await wallet.openChannel({ deposit: 100_000n });
    for (const amount of [2_000n, 1_500n, 3_000n]) await wallet.pay(shop.request(amount));
    values.CHANNEL_ID = toHex(opened.channelId);
    expect((await step('trickle channel list')).stdout).toContain(`${values.CHANNEL_ID}  open`);
    expect((await step('trickle channel show $CHANNEL_ID')).stdout).toMatch(/paid\s+0.0065 USD in 3 vouchers/);

    expect((await step('trickle channel close $CHANNEL_ID')).stdout).toMatch(/claimed\s+up to voucher 3/);
    await wallet.close();
    await wallet.stop();
    expect((await step('trickle settle')).stdout).toMatch(/errors\s+0/);
    expect((await step('trickle ledger balance --merchant $PAYEE_ID')).stdout).toMatch(/available 0.0065 USD/);
    expect((await step('trickle ledger history --merchant $PAYEE_ID')).stdout).toMatch(/\+0.0065 USD/);
    expect((await step('trickle merchant payout --payee $PAYEE_ID --amount 0.001 --reference wire-1')).stdout).toMatch(
      /left 0.0055 USD/,
    );
    expect((await step('trickle audit')).stdout).toMatch(/audit\s+ok: 0 mismatches/);

    // Step 9: metrics scraped, as Prometheus would.
    expect(guide).toContain('curl -s http://127.0.0.1:8788/metrics');
    const metrics = await fetch(`${hub.info.adminUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^trickle_open_channels 0$/m);
    expect(metrics).toMatch(/^trickle_unsettled_liability_minor_units\{asset="USD:6"\} 0$/m);
    expect(metrics).toMatch(/^trickle_escrow_minor_units\{asset="USD:6"\} 0$/m);
    expect(metrics).toMatch(/^trickle_settlement_backlog_entries 0$/m);

    // Step 10: backup while running, stop, restore, start on the restored folder.
    expect((await step('trickle backup --to /backups/trickle-1')).stdout).toMatch(/backed up/);
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
    expect(
      (await step('trickle restore --from /backups/trickle-1 --data-dir /var/lib/trickle-restored')).stdout,
    ).toMatch(/restored/);
    expect(guideCommands[next++]).toBe('trickle hub start --data-dir /var/lib/trickle-restored --network-id 1');
    const restoredDir = join(dir.path, 'var-lib-trickle-restored');
    const restored = await startHub(restoredDir, ['--network-id', String(networkId)]);
    children.push(restored);
    expect(restored.info.hubId).toBe(hubId);
    const balance = await trickle(['ledger', 'balance', '--data-dir', restoredDir, '--merchant', values.PAYEE_ID], {});
    expect(balance.stdout).toMatch(/available 0.0055 USD/);
    restored.child.kill('SIGTERM');
    expect(await restored.exited).toBe(0);
    expect(next).toBe(guideCommands.length);
  }, 900_000);
});
