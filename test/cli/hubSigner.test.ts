/**
 * `trickle hub start --hub-signer <module>` (ADR 0414): the module's createHubSigner holds
 * the hub's key (here node:crypto's ECDH on a key from the environment, standing in for a
 * KMS), the hub never writes hub.key, and a wallet pays a merchant through it; a module
 * that exports no signer is refused with exit 2 and what it must export.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { publicKeyOf, toHex } from '@trickle/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { networkId, tempDir, testKey } from '../hub/fixtures.js';
import { fundAndRegister, type HubChild, killHubs, startHub, trickle } from './run.js';

const kmsModule = `
import { createECDH } from 'node:crypto';
export async function createHubSigner() {
  const ecdh = createECDH('secp256k1');
  ecdh.setPrivateKey(Buffer.from(process.env.TRICKLE_TEST_KMS_KEY, 'hex'));
  return {
    publicKey: new Uint8Array(ecdh.getPublicKey(null, 'compressed')),
    sharedSecret: async (peerKey) => new Uint8Array(ecdh.computeSecret(Buffer.from(peerKey))),
  };
}
`;

describe('trickle hub start --hub-signer', () => {
  const dir = tempDir('trickle-cli-signer-');
  const children: HubChild[] = [];
  let wallet: Wallet | undefined;
  afterAll(async () => {
    await wallet?.stop();
    await killHubs(children);
    dir.remove();
  });

  it("runs on the module's signer without a key file", async () => {
    const kmsKey = testKey('cli kms key');
    process.env.TRICKLE_TEST_KMS_KEY = toHex(kmsKey);
    const module = join(dir.path, 'kms-signer.mjs');
    writeFileSync(module, kmsModule);
    const dataDir = join(dir.path, 'hub');
    const hub = await startHub(dataDir, ['--network-id', String(networkId), '--hub-signer', module]);
    children.push(hub);
    expect(hub.info.publicKey).toBe(toHex(publicKeyOf(kmsKey)));
    expect(existsSync(join(dataDir, 'hub.key'))).toBe(false);

    const { payerKey, shop } = await fundAndRegister(hub, dataDir, 'cli-signer');
    wallet = await createWallet({ key: payerKey, hub: { url: hub.info.url, networkId }, store: memoryStore() });
    await wallet.openChannel({ deposit: 50_000n });
    // The hub checks the request's MAC with the key it derived through the module's signer.
    expect((await wallet.pay(shop.request(1_234n))).amount).toBe(1_234n);
    await wallet.stop();
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
    expect(existsSync(join(dataDir, 'hub.key'))).toBe(false);
  }, 120_000);

  it('refuses a module without createHubSigner, saying what it must export', async () => {
    const module = join(dir.path, 'empty.mjs');
    writeFileSync(module, 'export const nothing = 1;\n');
    const run = await trickle([
      'hub',
      'start',
      '--data-dir',
      join(dir.path, 'bad'),
      '--port',
      '0',
      '--admin-port',
      '0',
      '--hub-signer',
      module,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/must export a function createHubSigner\(config\)/);
  }, 60_000);
});
