/**
 * `wallet.fetch` against a real hub (SQLite ledger) and a real merchant server
 * (`node:http` + `nodeHttpPaywall`): it pays a 402 once and retries, keeps the
 * entitlement, resends a POST body, refuses by policy before signing, ignores offers for
 * another hub, never pays twice for one call, and stops paying when `init.signal` aborts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWallet, memoryStore, PolicyError, type Wallet, WalletError } from '@trickle/client';
import { wsTransport } from '@trickle/client/node';
import { createHub, type Hub } from '@trickle/hub';
import { createMerchant, type Merchant } from '@trickle/merchant';
import { nodeHttpPaywall } from '@trickle/merchant/node-http';
import { createSecretKey, publicKeyOf } from '@trickle/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, usd } from '../hub/fixtures.js';

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

describe('wallet.fetch', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let merchant: Merchant;
  let server: Server;
  let base: string;
  const wallets: Wallet[] = [];
  let requestsSeen = 0;

  async function newWallet(
    label: string,
    policy?: { paymentMax?: bigint },
    extra: { fetch?: typeof fetch } = {},
  ): Promise<Wallet> {
    const key = testKey(`fetch ${label}`);
    await fund(hub, publicKeyOf(key), 1_000_000n);
    const wallet = await createWallet({
      key,
      hub: { url: hub.url, networkId },
      store: memoryStore(),
      transport: wsTransport(),
      ...(policy === undefined ? {} : { policy }),
      ...extra,
    });
    await wallet.openChannel({ deposit: 100_000n });
    wallets.push(wallet);
    return wallet;
  }

  beforeAll(async () => {
    dir = tempDir();
    hub = await createHub({ dataDir: dir.path, networkId });
    merchant = createMerchant({
      secretKey: createSecretKey(randomBytes),
      hub: { publicKey: hub.publicKey, url: hub.url, networkId },
      asset: usd,
    });
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    const article = nodeHttpPaywall(merchant, { price: '0.002' });
    const perCall = nodeHttpPaywall(merchant, { price: '0.0001', entitlement: false });
    server = createServer(async (req, res) => {
      requestsSeen++;
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/article' && (await article(req, res))) res.end('the article');
      else if (path === '/echo' && (await perCall(req, res))) {
        let body = '';
        for await (const chunk of req) body += chunk;
        res.end(`echo:${body}`);
      } else if (path === '/free') res.end('free');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const wallet of wallets) await wallet.stop();
    await new Promise((resolve) => server.close(resolve));
    await hub.close();
    dir.remove();
  });

  it('pays a 402 once, retries, and gets the resource', async () => {
    const wallet = await newWallet('pays');
    const response = await wallet.fetch(`${base}/article`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('the article');
    expect(wallet.balance()?.spent).toBe(2_000n);
    expect(wallet.history()).toHaveLength(1);
  });

  it('reads again with the entitlement, without paying', async () => {
    const wallet = await newWallet('entitled');
    await (await wallet.fetch(`${base}/article`)).text();
    const before = requestsSeen;
    const again = await wallet.fetch(`${base}/article`);
    expect(await again.text()).toBe('the article');
    expect(requestsSeen - before).toBe(1); // no 402, no retry
    expect(wallet.balance()?.spent).toBe(2_000n);
  });

  it('resends a POST body on the paid retry', async () => {
    const wallet = await newWallet('post');
    const response = await wallet.fetch(`${base}/echo`, { method: 'POST', body: 'hello' });
    expect(await response.text()).toBe('echo:hello');
    expect(wallet.balance()?.spent).toBe(100n);
  });

  it('passes through answers that are not 402', async () => {
    const wallet = await newWallet('free');
    expect(await (await wallet.fetch(`${base}/free`)).text()).toBe('free');
    expect(wallet.balance()?.spent).toBe(0n);
  });

  it('refuses by policy with a typed error before anything is signed', async () => {
    const wallet = await newWallet('capped', { paymentMax: 1_000n });
    await expect(wallet.fetch(`${base}/article`)).rejects.toBeInstanceOf(PolicyError);
    expect(wallet.balance()?.spent).toBe(0n);
    expect(wallet.history()).toHaveLength(0);
  });

  it('does not pay an offer for another hub, and returns the 402 as it is', async () => {
    const wallet = await newWallet('foreign');
    const otherHub = createMerchant({
      secretKey: createSecretKey(randomBytes),
      hub: { publicKey: publicKeyOf(createSecretKey(randomBytes)), url: 'ws://elsewhere.example', networkId },
      asset: usd,
    });
    const foreign = createServer((req, res) => void nodeHttpPaywall(otherHub, { price: '0.001' })(req, res));
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    try {
      const response = await wallet.fetch(`http://127.0.0.1:${(foreign.address() as AddressInfo).port}/x`);
      expect(response.status).toBe(402);
      expect(wallet.balance()?.spent).toBe(0n);
    } finally {
      await new Promise((resolve) => foreign.close(resolve));
    }
  });

  it('pays at most once per call: a refused paid retry comes back as the 402', async () => {
    const wallet = await newWallet('once');
    // A server that always answers 402 with a fresh offer, even to a paid retry.
    const greedy = createServer((_req, res) => {
      const offer = merchant.createPaymentRequired({ resource: 'GET /greedy', amount: 100n, url: 'http://x/greedy' });
      res.writeHead(402, { 'PAYMENT-REQUIRED': Buffer.from(JSON.stringify(offer)).toString('base64') }).end();
    });
    await new Promise<void>((resolve) => greedy.listen(0, '127.0.0.1', resolve));
    try {
      const response = await wallet.fetch(`http://127.0.0.1:${(greedy.address() as AddressInfo).port}/greedy`);
      expect(response.status).toBe(402);
      expect(wallet.balance()?.spent).toBe(100n);
    } finally {
      await new Promise((resolve) => greedy.close(resolve));
    }
  });

  it('an init.signal aborted before the payment is signed: nothing is paid', async () => {
    const controller = new AbortController();
    const reason = new Error('the reader left');
    // The reader leaves while the 402 comes back, before the wallet has paid it.
    const leaving: typeof fetch = async (input, init) => {
      const response = await globalThis.fetch(input, init);
      if (response.status === 402) controller.abort(reason);
      return response;
    };
    const wallet = await newWallet('aborted', undefined, { fetch: leaving });
    const before = requestsSeen;
    const error = await wallet.fetch(`${base}/article`, { signal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WalletError);
    expect(error).toMatchObject({ code: 'ABORTED', cause: reason });
    expect(requestsSeen - before).toBe(1); // the 402 only: no paid retry
    expect(wallet.balance()).toMatchObject({ spent: 0n, acknowledged: 0n });
    expect(wallet.history()).toHaveLength(0);

    // Without the signal it pays once, in the channel's first voucher: nothing was signed before.
    const response = await wallet.fetch(`${base}/article`);
    expect(await response.text()).toBe('the article');
    const balance = wallet.balance()!;
    expect(balance.spent).toBe(2_000n);
    expect(hub.channel(balance.channelId)).toMatchObject({ seq: 1, cumulative: 2_000n });
  });

  it('an init.signal aborted before the 402 came: rejects as fetch does, nothing is paid', async () => {
    const wallet = await newWallet('aborted first');
    const before = requestsSeen;
    const reason = new Error('gone before the answer');
    const error = await wallet.fetch(`${base}/article`, { signal: AbortSignal.abort(reason) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBe(reason); // fetch's own rejection, not a WalletError
    expect(requestsSeen - before).toBe(0);
    expect(wallet.balance()).toMatchObject({ spent: 0n, acknowledged: 0n });
  });

  it('an init.signal aborted once paid reaches the retry: it rejects as fetch does, the receipt is in history()', async () => {
    const controller = new AbortController();
    const reason = new Error('gone after paying');
    // The reader leaves once the wallet has paid, as the paid retry goes out.
    const leaving: typeof fetch = async (input, init) => {
      if (input instanceof Request && input.headers.has('payment-signature')) controller.abort(reason);
      return globalThis.fetch(input, init);
    };
    const wallet = await newWallet('aborted retry', undefined, { fetch: leaving });
    const before = requestsSeen;
    const error = await wallet.fetch(`${base}/article`, { signal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBe(reason);
    expect(requestsSeen - before).toBe(1); // the 402 only: the retry never went out
    expect(wallet.balance()).toMatchObject({ spent: 2_000n, acknowledged: 2_000n });
    expect(wallet.history()).toHaveLength(1);
  });

  it('with the price known from the last paid answer, pays first and sends one request (no 402)', async () => {
    const wallet = await newWallet('known price');
    let before = requestsSeen;
    expect(await (await wallet.fetch(`${base}/echo`, { method: 'POST', body: 'one' })).text()).toBe('echo:one');
    expect(requestsSeen - before).toBe(2); // the 402 and the paid retry; the answer carries the next invoice
    for (const body of ['two', 'three']) {
      before = requestsSeen;
      expect(await (await wallet.fetch(`${base}/echo`, { method: 'POST', body })).text()).toBe(`echo:${body}`);
      expect(requestsSeen - before).toBe(1); // paid before asking
    }
    expect(wallet.balance()?.spent).toBe(300n);
    expect(new Set(wallet.history().map((h) => h.invoiceId)).size).toBe(3); // three single-use invoices
  });

  it('an invoice sent ahead is single-use: its payment replayed is refused with a fresh 402', async () => {
    const sent: { payment?: string | undefined } = {};
    const recording: typeof fetch = async (input, init) => {
      if (input instanceof Request) sent.payment ??= input.headers.get('payment-signature') ?? undefined;
      return globalThis.fetch(input, init);
    };
    const wallet = await newWallet('replay ahead', undefined, { fetch: recording });
    await (await wallet.fetch(`${base}/echo`)).text(); // through the 402; keeps the next invoice
    delete sent.payment;
    await (await wallet.fetch(`${base}/echo`)).text(); // paid ahead: this request carries the payment
    const replay = sent.payment;
    if (replay === undefined) throw new Error('the call paid ahead sent no PAYMENT-SIGNATURE');
    const again = await fetch(`${base}/echo`, { headers: { 'payment-signature': replay } });
    expect(again.status).toBe(402);
    expect(wallet.balance()?.spent).toBe(200n);
  });
});
