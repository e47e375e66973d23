/**
 * Floods in CI: idle sockets, connection churn and invalid signatures against a live hub;
 * the hub stays up and an honest wallet's payments still go through. (Timings are a
 * benchmark's business: bench/flood/flood.ts reports p99 under attack against calm.)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { badSignatureFlood, churnConnections, openIdleSockets } from '../src/index.js';
import { type PayingHub, startPayingHub } from './payingHub.js';

const localAddresses = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];
let target: PayingHub;

beforeAll(async () => {
  target = await startPayingHub(3);
});

afterAll(async () => {
  await target?.close();
});

it('stays up and serves an honest wallet through idle sockets, churn and invalid signatures', {
  timeout: 120_000,
}, async () => {
  const { hub } = target;
  const idle = await openIdleSockets({ url: hub.url, localAddresses }, 200, { authenticate: true });
  expect(idle.report.connections).toBe(200);
  expect(hub.connectionCount).toBe(201);
  await target.pay(10);

  const flooding = new AbortController();
  const floods = Promise.all([
    churnConnections({ url: hub.url, localAddresses }, 4, flooding.signal),
    badSignatureFlood({ url: hub.url, localAddresses }, 4, flooding.signal),
  ]);
  await target.pay(30);
  flooding.abort();
  const [churn, bad] = await floods;
  expect(churn.connections).toBeGreaterThan(10);
  expect(bad.frames).toBeGreaterThan(10);
  // Every invalid auth was answered (AUTH_FAILED) and its connection closed.
  expect(bad.answers).toBe(bad.frames);

  idle.close();
  await expect.poll(() => hub.connectionCount, { timeout: 10_000 }).toBe(1);
  await target.pay(10);
  expect(target.paid).toBe(50);
  expect(hub.channelCount).toBe(1);
});
