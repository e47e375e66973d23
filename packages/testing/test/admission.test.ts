/**
 * Admission before any WebSocket or signature work (ADR 0226): an address whose connections
 * keep ending without authenticating is refused at the upgrade (429, Retry-After) for a
 * cool-down while a wallet on another address pays and connects; connections not yet
 * authenticated are capped (503); auth checks beyond their queue are answered OVERLOADED
 * and closed 1013, which does not count against the address.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AsyncVerifier,
  asAsyncVerifier,
  type CreateHubOptions,
  closeCodes,
  createHub,
  type Hub,
  type HubLimits,
  tinySecp256k1Verifier,
} from '@trickle/hub';
import {
  authSigningBytes,
  createSecretKey,
  createSigner,
  decodeHubMessage,
  encodeClientMessage,
  type HubMessage,
  hubIdFromKey,
} from '@trickle/protocol';
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startPayingHub } from './payingHub.js';

const networkId = 11;
const closes: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closes.splice(0)) await close();
});

async function startHub(
  limits: Partial<HubLimits>,
  verifier: AsyncVerifier = asAsyncVerifier(tinySecp256k1Verifier),
  options: Pick<CreateHubOptions, 'clientAddress'> = {},
): Promise<Hub> {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-admission-'));
  const hub = await createHub({ dataDir: dir, networkId, limits, verifier, ...options });
  closes.push(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return hub;
}

/** A raw connection from `localAddress`: the upgrade's answer, then the hub's messages and close. */
interface Raw {
  readonly ws: WebSocket;
  /** 101 once admitted, else the HTTP status of the refusal, with its headers. */
  readonly upgrade: Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>;
  readonly messages: HubMessage[];
  readonly closed: Promise<number>;
}

function connect(url: string, localAddress: string, headers: Record<string, string> = {}): Raw {
  const ws = new WebSocket(url, { perMessageDeflate: false, localAddress, headers });
  const messages: HubMessage[] = [];
  ws.on('error', () => {});
  ws.on('message', (data: Buffer) => messages.push(decodeHubMessage(new Uint8Array(data))));
  const upgrade = new Promise<Awaited<Raw['upgrade']>>((resolve) => {
    ws.once('upgrade', () => resolve({ status: 101, headers: {} }));
    ws.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
      ws.terminate();
    });
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return { ws, upgrade, messages, closed };
}

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/** Answers the challenge with a fresh key; `valid: false` signs another nonce (well-formed, wrong). */
async function authenticate(raw: Raw, valid: boolean): Promise<void> {
  await expect.poll(() => raw.messages.length).toBe(1);
  const challenge = raw.messages[0];
  if (challenge?.type !== 'challenge') throw new Error('expected a challenge');
  const signer = createSigner(createSecretKey(random), { randomBytes: random });
  const domain = { networkId: challenge.networkId, hubId: hubIdFromKey(challenge.hubKey) };
  const nonce = valid ? challenge.nonce : new Uint8Array(32).fill(9);
  raw.ws.send(
    encodeClientMessage({
      type: 'auth',
      clientKey: signer.publicKey,
      signature: signer.sign(authSigningBytes(domain, nonce, signer.publicKey)),
    }),
  );
}

it('refuses an address whose auths keep failing with 429 and Retry-After, while a wallet on another address pays and a third address connects', async () => {
  // The paying hub's wallet connects from 127.0.0.1.
  const paying = await startPayingHub(networkId, { authFailuresPerAddressMax: 3, refusalDelayMs: 10 });
  closes.push(() => paying.close());
  const target = paying.hub;
  const pay = () => paying.pay();
  for (let i = 0; i < 3; i++) {
    const raw = connect(target.url, '127.0.0.2');
    expect((await raw.upgrade).status).toBe(101);
    await authenticate(raw, false);
    expect(await raw.closed).toBe(closeCodes.policyViolation);
    expect(raw.messages[1]).toMatchObject({ type: 'reject', code: 'AUTH_FAILED' });
    await pay();
  }
  const refused = await connect(target.url, '127.0.0.2').upgrade;
  expect(refused.status).toBe(429);
  // The cool-down is authFailureCooldownMs (60 s), said in whole seconds.
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
  expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
  // Another address is admitted, and the wallet (127.0.0.1) still pays.
  const other = connect(target.url, '127.0.0.3');
  expect((await other.upgrade).status).toBe(101);
  other.ws.terminate();
  await pay();
  expect(target.connectionCount).toBeGreaterThanOrEqual(1);
});

it('counts connections dropped before auth (churn) against their address', async () => {
  const target = await startHub({ authFailuresPerAddressMax: 4, refusalDelayMs: 10 });
  for (let i = 0; i < 4; i++) {
    const raw = connect(target.url, '127.0.0.4');
    expect((await raw.upgrade).status).toBe(101);
    await expect.poll(() => raw.messages.length).toBe(1);
    raw.ws.terminate();
    await expect.poll(() => target.connectionCount).toBe(0);
  }
  expect((await connect(target.url, '127.0.0.4').upgrade).status).toBe(429);
  expect((await connect(target.url, '127.0.0.5').upgrade).status).toBe(101);
});

it('caps connections not yet authenticated (503), and admits again once one authenticates', async () => {
  const target = await startHub({ unauthenticatedConnectionsMax: 2 });
  const first = connect(target.url, '127.0.0.6');
  const second = connect(target.url, '127.0.0.7');
  expect((await first.upgrade).status).toBe(101);
  expect((await second.upgrade).status).toBe(101);
  const third = await connect(target.url, '127.0.0.8').upgrade;
  expect(third.status).toBe(503);
  await authenticate(first, true);
  await expect.poll(() => first.messages[1]?.type).toBe('welcome');
  const fourth = connect(target.url, '127.0.0.8');
  expect((await fourth.upgrade).status).toBe(101);
  for (const raw of [first, second, fourth]) raw.ws.terminate();
});

it('answers an auth beyond the auth-check queue OVERLOADED with 1013, before checking it, and does not count it against the address', async () => {
  // The real verifier, held until released: the first check stays in flight.
  const inner = asAsyncVerifier(tinySecp256k1Verifier);
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let checks = 0;
  const verifier: AsyncVerifier = {
    name: 'held',
    async verify(...args: Parameters<typeof inner.verify>) {
      checks++;
      await held;
      return inner.verify(...args);
    },
  };
  const target = await startHub(
    { authChecksInFlightMax: 1, authChecksQueuedMax: 1, authFailuresPerAddressMax: 1 },
    verifier,
  );
  const raws = [0, 1, 2].map(() => ({ raw: connect(target.url, '127.0.0.9') }));
  for (const { raw } of raws) {
    expect((await raw.upgrade).status).toBe(101);
    await authenticate(raw, true);
  }
  const overloaded = raws[2]?.raw as Raw;
  expect(await overloaded.closed).toBe(closeCodes.tryAgainLater);
  expect(overloaded.messages[1]).toMatchObject({ type: 'reject', code: 'OVERLOADED' });
  // One check in flight, one queued, the third never reached the verifier.
  expect(checks).toBe(1);
  release();
  for (const { raw } of raws.slice(0, 2)) await expect.poll(() => raw.messages[1]?.type).toBe('welcome');
  expect(checks).toBe(2);
  // With a budget of one failure, the OVERLOADED close would have refused the address.
  const again = connect(target.url, '127.0.0.9');
  expect((await again.upgrade).status).toBe(101);
  for (const raw of [...raws.map((r) => r.raw), again]) raw.ws.terminate();
});

it("counts against the address clientAddress reads (behind a proxy), not the proxy's socket address", async () => {
  const target = await startHub({ authFailuresPerAddressMax: 2, refusalDelayMs: 10 }, undefined, {
    clientAddress: (request) => request.headers['x-real-ip']?.toString(),
  });
  for (let i = 0; i < 2; i++) {
    const raw = connect(target.url, '127.0.0.10', { 'x-real-ip': '203.0.113.7' });
    expect((await raw.upgrade).status).toBe(101);
    await authenticate(raw, false);
    expect(await raw.closed).toBe(closeCodes.policyViolation);
  }
  expect((await connect(target.url, '127.0.0.10', { 'x-real-ip': '203.0.113.7' }).upgrade).status).toBe(429);
  // Same socket address (the proxy's), another client behind it: admitted.
  const other = connect(target.url, '127.0.0.10', { 'x-real-ip': '203.0.113.8' });
  expect((await other.upgrade).status).toBe(101);
  other.ws.terminate();
  // Without the header the socket's address counts, and it has no failures.
  const bare = connect(target.url, '127.0.0.10');
  expect((await bare.upgrade).status).toBe(101);
  bare.ws.terminate();
});
