/**
 * A hub for settlement tests on either backend: SQLite (the hub's default store and
 * ledger in its data folder) or PostgreSQL (a store and a ledger in fresh, randomly named
 * schemas, dropped after). A manual clock drives the hub and its ledger; `restart()` closes
 * the hub and starts it again on the same data (a restart mid-window). Plus a raw payer
 * that pays pre-signed vouchers of many entries each, resending what the hub asks to retry.
 */
import { join } from 'node:path';
import { createHub, type Hub, loadOrCreateHubKey, systemRandomBytes } from '@trickle/hub';
import { postgresChannelStore } from '@trickle/hub/postgres';
import type { SignedState, TrickleLedger } from '@trickle/ledger';
import { postgresLedger } from '@trickle/ledger/postgres';
import { sqliteLedger } from '@trickle/ledger/sqlite';
import {
  type ClientChannel,
  type Domain,
  hubIdFromKey,
  type PaymentEntry,
  publicKeyOf,
  type Signer,
} from '@trickle/protocol';
import {
  dropSchema,
  expectConserved,
  type PresignOptions,
  postgresUrl,
  presignPayments,
  type RawClient,
  uniqueSchema,
} from '@trickle/testing/harness';
import { networkId, tempDir, testKey, testMerchant } from '../hub/fixtures.js';
import type { PayFrame } from '../hub/rawChannel.js';

export type Backend = 'sqlite' | 'postgres';

/** A clock tests move by hand. */
export function manualClock(start = Date.now()) {
  const clock = {
    now: start,
    nowMs: () => clock.now,
    advance(ms: number) {
      clock.now += ms;
    },
  };
  return clock;
}

type HubOptions = Omit<Parameters<typeof createHub<TrickleLedger>>[0], 'dataDir' | 'networkId' | 'ledger' | 'store'>;

/** A running hub on `backend`, its ledger, and how to restart or remove it. */
export interface SettlementHub {
  hub: Hub<TrickleLedger>;
  /** The hub's data folder (its key, and on SQLite its store and ledger). */
  readonly dataDir: string;
  /** A ledger of its own on the hub's ledger storage (for a test to act while the hub is down); close it after. */
  openLedger(): Promise<TrickleLedger>;
  readonly ledger: () => TrickleLedger;
  readonly merchant: ReturnType<typeof testMerchant>;
  /** Closes the hub (gracefully) and starts it again on the same data with the same options. */
  restart(more?: Partial<HubOptions>): Promise<void>;
  /** Closes the hub if running (for a test that keeps it down a while). */
  stop(): Promise<void>;
  start(more?: Partial<HubOptions>): Promise<void>;
  cleanup(): Promise<void>;
}

/** Starts a hub on `backend` with a registered merchant. */
export async function settlementHub(backend: Backend, options: HubOptions): Promise<SettlementHub> {
  const dir = tempDir('trickle-settle-');
  const schema = uniqueSchema('trickle_settle');
  const closers: (() => Promise<void>)[] = [];
  const domain: Domain = {
    networkId,
    hubId: hubIdFromKey(publicKeyOf(loadOrCreateHubKey(dir.path, systemRandomBytes))),
  };
  const clock = options.clock;
  const clockOption = clock === undefined ? {} : { clock: () => clock.nowMs() };
  async function openLedger(): Promise<TrickleLedger> {
    if (backend === 'sqlite') {
      const filename = join(dir.path, 'ledger.sqlite');
      return sqliteLedger({ filename, domain, feePpm: options.feePpm ?? 0, ...clockOption });
    }
    return postgresLedger({
      connectionString: postgresUrl,
      schema: `${schema}_ledger`,
      domain,
      feePpm: options.feePpm ?? 0,
      ...clockOption,
    });
  }
  async function start(more: Partial<HubOptions> = {}): Promise<Hub<TrickleLedger>> {
    if (backend === 'sqlite') return createHub<TrickleLedger>({ dataDir: dir.path, networkId, ...options, ...more });
    const ledger = await openLedger();
    const store = await postgresChannelStore({ connectionString: postgresUrl, schema });
    closers.push(
      () => ledger.close(),
      () => store.close(),
    );
    return createHub<TrickleLedger>({ dataDir: dir.path, networkId, ...options, ...more, ledger, store });
  }
  let hub: Hub<TrickleLedger> | undefined = await start();
  const merchant = testMerchant(`settle ${backend}`, hub);
  await hub.registerMerchant({ publicKey: merchant.publicKey });
  const stop = async () => {
    await hub?.close();
    hub = undefined;
    for (const close of closers.splice(0)) await close().catch(() => undefined);
  };
  const running: SettlementHub = {
    get hub() {
      if (hub === undefined) throw new Error('the hub is stopped');
      return hub;
    },
    set hub(value) {
      hub = value;
    },
    ledger: () => running.hub.ledger,
    dataDir: dir.path,
    openLedger: () => openLedger(),
    merchant,
    stop,
    async start(more = {}) {
      hub = await start(more);
    },
    async restart(more = {}) {
      await stop();
      hub = await start(more);
    },
    async cleanup() {
      await stop();
      if (backend === 'postgres') {
        await dropSchema(schema);
        await dropSchema(`${schema}_ledger`);
      }
      dir.remove();
    },
  };
  return running;
}

/** Conservation on one snapshot and the full audit: every unit paid out backed by a signature. */
export async function expectSound(ledger: TrickleLedger): Promise<void> {
  await expectConserved(ledger, { audit: true });
}

/** Funds a payer from outside, as an operator would. */
export async function funded(
  ledger: TrickleLedger,
  label: string,
  amount: bigint,
): Promise<RawClient['signer']['publicKey']> {
  const clientKey = publicKeyOf(testKey(label));
  await ledger.fundPayer({
    clientKey,
    asset: { code: 'USD', scale: 6 },
    amount,
    reference: `settle-${label.replace(/[^A-Za-z0-9]/g, '_')}-${amount}`,
  });
  return clientKey;
}

/**
 * Pre-signs `count` payments of `amount` each into vouchers of `perVoucher` entries, from
 * `channel` on (the requests made by `merchant`, expiring an hour after `nowMs`), all at once.
 */
export function presign(
  domain: Domain,
  channel: ClientChannel,
  signer: Signer,
  merchant: ReturnType<typeof testMerchant>,
  options: PresignOptions,
): { frames: PayFrame[]; channel: ClientChannel } {
  const presigned = presignPayments(domain, channel, signer, merchant, options);
  const frames = [...presigned.frames];
  return { frames, channel: presigned.channel };
}

/** The signed state at frame `upTo` (1-based), with every entry from the start: what the ledger needs (nothing claimed). */
export function stateAt(frames: readonly PayFrame[], upTo: number): SignedState {
  const frame = frames[upTo - 1] as PayFrame;
  const entries: PaymentEntry[] = frames.slice(0, upTo).flatMap((f) => f.entries);
  const { channelId, seq, cumulative, logHead, signature } = frame;
  return { channelId, voucher: { channelId, seq, cumulative, logHead, signature }, entries };
}
