/**
 * Floods in CI: idle sockets, connection churn and invalid signatures against a live hub;
 * the hub stays up, refuses the flooding addresses (ADR 0226), and an honest wallet on
 * another address still pays, and can still connect. (Timings are a benchmark's business:
 * bench/flood/flood.ts reports p99 under attack against calm.)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { badSignatureFlood, churnConnections, openIdleSockets } from '../src/index.js';
import { type PayingHub, startPayingHub } from './payingHub.js';

/** The honest wallet connects from 127.0.0.1; each flood comes from addresses of its own. */
const idleAddresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const churnAddresses = ['127.0.1.2', '127.0.1.3', '127.0.1.4', '127.0.1.5'];
const badAddresses = ['127.0.2.2', '127.0.2.3', '127.0.2.4', '127.0.2.5'];
let target: PayingHub;

beforeAll(async () => {
  target = await startPayingHub(3, { refusalDelayMs: 100 });
});

afterAll(async () => {
  await target?.close();
});

/** The HTTP status a WebSocket upgrade from `localAddress` is answered with (101: admitted). */
function upgradeStatus(url: string, localAddress: string): Promise<number> {
  const ws = new WebSocket(url, { perMessageDeflate: false, localAddress });
  ws.on('error', () => {});
  return new Promise((resolve) => {
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_request, response) => {
      ws.terminate();
      resolve(response.statusCode ?? 0);
    });
  });
}

it('stays up and serves an honest wallet through idle sockets, churn and invalid signatures, refusing the flooding addresses', {
  timeout: 120_000,
}, async () => {
  const { hub } = target;
  const idle = await openIdleSockets({ url: hub.url, localAddresses: idleAddresses }, 200, { authenticate: true });
  expect(idle.report.connections).toBe(200);
  expect(hub.connectionCount).toBe(201);
  await target.pay(10);

  const flooding = new AbortController();
  const floods = Promise.all([
    churnConnections({ url: hub.url, localAddresses: churnAddresses }, 4, flooding.signal),
    badSignatureFlood({ url: hub.url, localAddresses: badAddresses }, 4, flooding.signal),
  ]);
  await target.pay(30);
  // The floods go on until every address they come from is refused (429) at the upgrade.
  for (const address of [...churnAddresses, ...badAddresses]) {
    await expect.poll(() => upgradeStatus(hub.url, address), { timeout: 30_000 }).toBe(429);
  }
  await target.pay(10);
  flooding.abort();
  const [churn, bad] = await floods;
  // Each address had its budget of failed authentications (8) before it was refused.
  expect(churn.connections).toBeGreaterThanOrEqual(4 * 8);
  expect(churn.refused).toBeGreaterThan(0);
  expect(bad.frames).toBeGreaterThanOrEqual(4 * 8);
  expect(bad.refused).toBeGreaterThan(0);
  // Every invalid auth that got to the hub was answered (AUTH_FAILED) and its connection closed.
  expect(bad.answers).toBe(bad.frames);
  // The honest wallet's address and the idle sockets' are not refused.
  expect(await upgradeStatus(hub.url, '127.0.0.1')).toBe(101);
  expect(await upgradeStatus(hub.url, '127.0.0.2')).toBe(101);

  idle.close();
  await expect.poll(() => hub.connectionCount, { timeout: 10_000 }).toBe(1);
  await target.pay(10);
  expect(target.paid).toBe(60);
  expect(hub.channelCount).toBe(1);
});
