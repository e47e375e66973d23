/** The shared abort listener behind pay()'s `signal`: one listener per signal, each watcher called once. */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createAbortWatch } from '../src/abortWatch.js';

describe('createAbortWatch', () => {
  it('adds one listener for many watchers of a signal, and removes it with the last', () => {
    const watch = createAbortWatch();
    const controller = new AbortController();
    const stops = Array.from({ length: 1_000 }, () => watch(controller.signal, () => undefined));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const stop of stops.slice(1)) stop();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    stops[0]?.();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('calls each watcher still watching once, in order, including those that stop others', () => {
    const watch = createAbortWatch();
    const controller = new AbortController();
    const calls: number[] = [];
    const stops: (() => void)[] = [];
    for (let i = 0; i < 4; i++) {
      stops.push(
        watch(controller.signal, () => {
          calls.push(i);
          stops[i]?.();
        }),
      );
    }
    stops[2]?.();
    controller.abort();
    controller.abort();
    expect(calls).toEqual([0, 1, 3]);
    // Watching again after the abort starts afresh (pay() refuses an aborted signal before watching).
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
