/** The example in CI: the attacks against the example's own server and hub find nothing. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { attackDeployment } from '../src/attack.js';
import { startDeployment } from '../src/deployment.js';

let deployment: Awaited<ReturnType<typeof startDeployment>>;

beforeAll(async () => {
  deployment = await startDeployment();
});

afterAll(async () => {
  await deployment?.stop();
});

it('the hub and the merchant refuse every hostile input with a typed answer and keep serving', {
  timeout: 120_000,
}, async () => {
  const report = await attackDeployment(deployment, { frames: 500, headers: 600 });
  expect(report.hub.faults).toEqual([]);
  expect(report.hub.invalidRejected).toBe(report.hub.invalid);
  expect(report.merchant.faults).toEqual([]);
  expect(report.merchant.refused).toBe(report.merchant.tried);
  expect(report.merchant.validServed).toBe(true);
  expect(report.honestReads).toBeGreaterThanOrEqual(5);
});
