/**
 * Alerts: a webhook when escrow, unsettled liability or a merchant's balance crosses a
 * configured threshold (ADR 0413). Checked on a timer, off the payment path; told once per
 * crossing (with hysteresis), delivered in order with retries and backoff, signed with
 * HMAC-SHA256 under a configured secret.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Hub, HubLogger } from '@trickle/hub';
import type { TrickleLedger } from '@trickle/ledger';
import { type Asset, toHex } from '@trickle/protocol';
import { assetKeyOf, channelTotals } from './channelTotals.js';

/** What is watched. */
export type AlertKind = 'escrow' | 'liability' | 'merchantBalance';

/**
 * The body of a webhook call (JSON; amounts are decimal strings of minor units).
 *
 * @example
 * ```ts
 * import type { AlertEvent } from '@trickle/cli';
 * const event: AlertEvent = {
 *   id: '6f1c…', kind: 'liability', state: 'above', asset: 'USD:6', value: '5000001',
 *   threshold: '5000000', rearmBelow: '4500000', atMs: 1_760_000_000_000, hubId: 'ab…',
 * };
 * ```
 */
export interface AlertEvent {
  /** Unique per event: a receiver that gets it twice (a retry after a lost answer) drops the second. */
  readonly id: string;
  readonly kind: AlertKind;
  /** `above`: the value reached the threshold; `below`: it fell under `rearmBelow` again. */
  readonly state: 'above' | 'below';
  /** `USD:6`. */
  readonly asset: string;
  /** The merchant, for `merchantBalance` (hex payee id). */
  readonly payeeId?: string;
  readonly value: string;
  readonly threshold: string;
  /** Below this the watch re-arms (threshold minus the hysteresis). */
  readonly rearmBelow: string;
  readonly atMs: number;
  /** The hub that sent it (hex). */
  readonly hubId: string;
}

/** Thresholds in minor units of each asset; a missing one is not watched. */
export interface AlertThresholds {
  readonly escrowMax?: bigint;
  readonly liabilityMax?: bigint;
  readonly merchantBalanceMax?: bigint;
}

/** Options of {@link startAlerts}. */
export interface AlertOptions {
  /** Where events are POSTed (http:// or https://). */
  readonly url: string;
  /** HMAC-SHA256 key of the `trickle-signature` header (at least 16 characters). */
  readonly secret: string;
  readonly thresholds: AlertThresholds;
  /** The hub's assets. Default USD, scale 6. */
  readonly assets?: readonly Asset[];
  /** How often the values are read, in ms. Default {@link alertDefaults}.intervalMs. */
  readonly intervalMs?: number;
  /** Percent of the threshold a value must fall below it before a new crossing is told. Default 10. */
  readonly hysteresisPercent?: number;
  /** Delivery attempts of one event before it is dropped (and logged). Default 8. */
  readonly attemptsMax?: number;
  /** First retry delay, doubled per attempt up to `retryDelayMsMax`, in ms. Default 1,000. */
  readonly retryDelayMsMin?: number;
  /** Longest retry delay, in ms. Default 60,000. */
  readonly retryDelayMsMax?: number;
  /** One attempt's time limit, in ms. Default 5,000. */
  readonly timeoutMs?: number;
  readonly logger: HubLogger;
}

/** The defaults of {@link AlertOptions}. */
export const alertDefaults = {
  intervalMs: 10_000,
  hysteresisPercent: 10,
  attemptsMax: 8,
  retryDelayMsMin: 1_000,
  retryDelayMsMax: 60_000,
  timeoutMs: 5_000,
} as const;

/** Events waiting for delivery at most; beyond it the oldest is dropped (and logged). */
export const alertQueueMax = 1_000;
/** Merchants whose balance one check reads at most; the next check goes on from there. */
export const alertMerchantsPerCheckMax = 1_000;
/** Name of the header that carries `sha256=<hex HMAC-SHA256(secret, body)>`. */
export const alertSignatureHeader = 'trickle-signature';

/** Running alerts. */
export interface Alerts {
  /** Reads the values now and queues what crossed (the timer calls it; tests may too). */
  check(): Promise<void>;
  /** Resolves when every queued event was delivered or dropped. */
  idle(): Promise<void>;
  /** Stops the timer and the deliveries; what is still queued is logged as not delivered. */
  stop(): void;
}

/**
 * The signature of a webhook body: `sha256=` and the hex HMAC-SHA256 of the exact bytes
 * received, under the shared secret. A receiver recomputes it and compares in constant time.
 *
 * @example
 * ```ts
 * import { timingSafeEqual } from 'node:crypto';
 * import { alertSignature } from '@trickle/cli';
 * declare const body: string, header: string;
 * const expected = Buffer.from(alertSignature('the-shared-secret-0123', body));
 * const ok = expected.length === header.length && timingSafeEqual(expected, Buffer.from(header));
 * ```
 */
export function alertSignature(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Whether a watched value is above its threshold now, from where it was: it goes above at
 * the threshold, and back below only under `threshold - threshold * hysteresisPercent / 100`.
 *
 * @example
 * ```ts
 * import { crossed } from '@trickle/cli';
 * crossed(false, 100n, 100n, 10); // true: reached
 * crossed(true, 95n, 100n, 10); // true: within the hysteresis, still above
 * crossed(true, 89n, 100n, 10); // false: re-armed
 * ```
 */
export function crossed(above: boolean, value: bigint, threshold: bigint, hysteresisPercent: number): boolean {
  if (!above) return value >= threshold;
  return value >= rearmLevel(threshold, hysteresisPercent);
}

function rearmLevel(threshold: bigint, hysteresisPercent: number): bigint {
  return threshold - (threshold * BigInt(hysteresisPercent)) / 100n;
}

/**
 * Starts watching the hub's escrow, liability and merchant balances, and POSTing crossings
 * to a webhook. Never on the payment path: a timer reads what the hub holds in memory and
 * one ledger balance per merchant.
 *
 * @example
 * ```ts
 * import { startAlerts } from '@trickle/cli';
 * import { pino } from 'pino';
 * declare const hub: import('@trickle/hub').Hub;
 * const alerts = startAlerts(hub, {
 *   url: 'https://ops.example/hooks/trickle',
 *   secret: process.env.TRICKLE_ALERT_SECRET ?? '',
 *   thresholds: { liabilityMax: 5_000_000n },
 *   logger: pino(),
 * });
 * // later: alerts.stop();
 * ```
 */
export function startAlerts(hub: Hub<TrickleLedger>, options: AlertOptions): Alerts {
  if (!/^https?:\/\//.test(options.url)) throw new RangeError('alerts: url must be http:// or https://');
  if (options.secret.length < 16) throw new RangeError('alerts: secret must be at least 16 characters');
  const settings = { ...alertDefaults, ...definedOf(options) };
  const assets = options.assets ?? [{ code: 'USD', scale: 6 }];
  const { thresholds, logger } = options;
  const hubId = toHex(hub.hubId);
  /** Watches that are above their threshold now, by `kind/asset[/payee]`. */
  const above = new Set<string>();
  const queue: AlertEvent[] = [];
  let merchantCursor = 0;
  let stopped = false;
  let checking: Promise<void> | undefined;
  let sending: Promise<void> | undefined;
  const cancel = new AbortController();

  function watch(kind: AlertKind, asset: string, value: bigint, threshold: bigint | undefined, payeeId?: string) {
    if (threshold === undefined) return;
    const key = payeeId === undefined ? `${kind}/${asset}` : `${kind}/${asset}/${payeeId}`;
    const was = above.has(key);
    const now = crossed(was, value, threshold, settings.hysteresisPercent);
    if (now === was) return;
    if (now) above.add(key);
    else above.delete(key);
    enqueue({
      id: randomUUID(),
      kind,
      state: now ? 'above' : 'below',
      asset,
      ...(payeeId === undefined ? {} : { payeeId }),
      value: value.toString(),
      threshold: threshold.toString(),
      rearmBelow: rearmLevel(threshold, settings.hysteresisPercent).toString(),
      atMs: Date.now(),
      hubId,
    });
  }

  function enqueue(event: AlertEvent): void {
    if (queue.length >= alertQueueMax) {
      const dropped = queue.shift() as AlertEvent;
      logger.error({ alert: dropped.id, kind: dropped.kind }, 'alert queue full: the oldest alert is dropped');
    }
    queue.push(event);
    logger.warn({ alert: event.id, kind: event.kind, state: event.state, asset: event.asset }, 'alert');
    sending ??= deliverAll().finally(() => {
      sending = undefined;
    });
  }

  async function readValues(): Promise<void> {
    const { escrow, liability: live } = await channelTotals(hub);
    const liability = Object.fromEntries(live);
    for (const asset of assets) {
      const key = assetKeyOf(asset);
      watch('escrow', key, escrow.get(key) ?? 0n, thresholds.escrowMax);
      watch('liability', key, liability[key] ?? 0n, thresholds.liabilityMax);
    }
    if (thresholds.merchantBalanceMax === undefined) return;
    const merchants = hub.merchants();
    if (merchantCursor >= merchants.length) merchantCursor = 0;
    const page = merchants.slice(merchantCursor, merchantCursor + alertMerchantsPerCheckMax);
    merchantCursor += page.length;
    for (const merchant of page) {
      for (const asset of assets) {
        const account = await hub.ledger.payeeAccount(merchant.payeeId, asset);
        const balance = account?.balance ?? 0n;
        watch('merchantBalance', assetKeyOf(asset), balance, thresholds.merchantBalanceMax, toHex(merchant.payeeId));
      }
    }
  }

  async function deliverAll(): Promise<void> {
    while (!stopped && queue.length > 0) {
      const event = queue[0] as AlertEvent;
      await deliver(event);
      if (queue[0] === event) queue.shift();
    }
  }

  async function deliver(event: AlertEvent): Promise<void> {
    const body = JSON.stringify(event);
    for (let attempt = 1; !stopped; attempt++) {
      let failure: string;
      try {
        const response = await fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [alertSignatureHeader]: alertSignature(options.secret, body),
            'trickle-event-id': event.id,
          },
          body,
          signal: AbortSignal.any([cancel.signal, AbortSignal.timeout(settings.timeoutMs)]),
        });
        await response.body?.cancel();
        if (response.ok) return;
        failure = `HTTP ${response.status}`;
      } catch (error) {
        failure = (error as Error).message;
      }
      if (attempt >= settings.attemptsMax) {
        logger.error({ alert: event.id, attempts: attempt, failure }, 'alert not delivered: dropped');
        return;
      }
      const delayMs = Math.min(settings.retryDelayMsMax, settings.retryDelayMsMin * 2 ** (attempt - 1));
      logger.warn({ alert: event.id, attempt, failure, retryInMs: delayMs }, 'alert delivery failed: retrying');
      await sleep(delayMs, cancel.signal);
    }
  }

  async function check(): Promise<void> {
    checking ??= readValues()
      .catch((error: unknown) => logger.error({ err: String(error) }, 'alert check failed'))
      .finally(() => {
        checking = undefined;
      });
    return checking;
  }

  const timer = setInterval(() => void check(), settings.intervalMs);
  timer.unref();
  void check();

  return {
    check,
    async idle() {
      await checking;
      while (sending !== undefined) await sending;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      cancel.abort();
      for (const event of queue) logger.error({ alert: event.id, kind: event.kind }, 'alert not delivered: stopping');
      queue.length = 0;
    },
  };
}

function definedOf(options: AlertOptions): Partial<typeof alertDefaults> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(alertDefaults) as (keyof typeof alertDefaults)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (!(Number.isSafeInteger(value) && value >= 0)) throw new RangeError(`alerts: ${key} must be an integer >= 0`);
    out[key] = value;
  }
  if ((out.hysteresisPercent ?? 0) > 100) throw new RangeError('alerts: hysteresisPercent must be 0..100');
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
