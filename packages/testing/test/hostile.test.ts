/**
 * Hostile frames in CI: grammar-aware and byte-level mutations of every client message type
 * against the codec, and against a live hub while an honest wallet keeps paying through it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackHub, fuzzCodec, hostileMutations } from '../src/index.js';
import { type PayingHub, startPayingHub } from './payingHub.js';

describe('hostile frames against the codec', () => {
  it('refuses every invalid frame with its code, never throws anything else, accepts only canonical frames', () => {
    const report = fuzzCodec({ seed: 1, count: 20_000 });
    expect(report.faults).toEqual([]);
    expect(report.invalidRefused).toBe(report.invalid);
    expect(report.invalid).toBeGreaterThan(8_000);
    // Every mutation was tried, and some byte-level mutations are still valid frames.
    for (const name of hostileMutations.grammar) expect(report.byMutation[`grammar:${name}`]).toBeGreaterThan(0);
    for (const name of hostileMutations.bytes) expect(report.byMutation[`bytes:${name}`]).toBeGreaterThan(0);
    expect(report.accepted).toBeGreaterThan(0);
  });
});

describe('hostile frames against a live hub', () => {
  let target: PayingHub;
  beforeAll(async () => {
    // A tenth of the frames come before auth and end their connection: the hub would refuse
    // this one address after authFailuresPerAddressMax of them (ADR 0226), which is not what
    // this test looks at (packages/testing/test/flood.test.ts and test/hub/admission.test.ts do).
    target = await startPayingHub(9, { authFailuresPerAddressMax: 1_000_000 });
  });
  afterAll(async () => {
    await target?.close();
  });

  it('answers every invalid frame with its typed reject and keeps serving an honest wallet', {
    timeout: 120_000,
  }, async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const report = await attackHub({
      url: target.hub.url,
      seed: 7,
      count: 1_500,
      probeEvery: 100,
      probe: () => target.pay(),
    });
    const heapAfter = process.memoryUsage().heapUsed;
    console.log(
      `hostile frames: ${report.tried} tried, ${report.invalidRejected}/${report.invalid} invalid rejected with their code, ${report.connections} connections, ${report.probes} honest payments, heap ${(heapBefore / 2 ** 20).toFixed(1)} -> ${(heapAfter / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(report.faults).toEqual([]);
    expect(report.invalidRejected).toBe(report.invalid);
    expect(target.paid).toBe(report.probes);
    expect(target.paid).toBeGreaterThanOrEqual(15);
    // Nothing of the attack stays: its connections are gone, no channel was made.
    await expect.poll(() => target.hub.connectionCount, { timeout: 10_000 }).toBe(1);
    expect(target.hub.channelCount).toBe(1);
  });
});
