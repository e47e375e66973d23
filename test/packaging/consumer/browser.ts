/**
 * The wallet as a web page bundles it: the packaging test bundles this file with esbuild for
 * the browser from the published packages, and fails if a `node:` module leaks in or the
 * bundle outgrows its size budget.
 */
import { createWallet, indexedDbStore, webSocketTransport } from '@trickle/client';
import { createSecretKey } from '@trickle/protocol';

export async function startWallet(hubUrl: string): Promise<void> {
  const wallet = await createWallet({
    key: createSecretKey((n) => crypto.getRandomValues(new Uint8Array(n))),
    hub: { url: hubUrl, networkId: 1 },
    store: indexedDbStore(),
    transport: webSocketTransport(),
  });
  await wallet.openChannel({ deposit: 100_000n });
  const response = await wallet.fetch('/articles/1');
  document.body.textContent = await response.text();
}
