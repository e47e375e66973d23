/**
 * The seeded simulator (in the manner of TigerBeetle's VOPR): real wallets, a real hub
 * (its channel engine and SQLite store), the real memory ledger and real merchants, over
 * {@link createSimNetwork}, with crashes and restarts from their own stores at random
 * points. Time is a manual clock: every event (a frame arriving, a write becoming durable,
 * a timer of the hub or a wallet, a payment, a crash) is a timer, run one at a time in the
 * order the seed decides, and the invariants are checked after each. One seed, one run.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import FakeTimers from '@sinonjs/fake-timers';
import { createWallet, memoryStore, type Wallet, type WalletStore } from '@trickle/client';
import { asAsyncVerifier, createHub, type Hub, loadOrCreateHubKey, tinySecp256k1Verifier } from '@trickle/hub';
import { sqliteChannelStore } from '@trickle/hub/sqlite';
import { memoryLedger, type TrickleLedger } from '@trickle/ledger';
import { createMerchant, type Merchant } from '@trickle/merchant';
import {
  type ChannelId,
  createSecretKey,
  createTricklePaymentPayload,
  decodeClientMessage,
  decodeHubMessage,
  hubIdFromKey,
  publicKeyOf,
  type Receipt,
  type SecretKey,
  TrickleError,
  toHex,
} from '@trickle/protocol';
import { type Crashable, crashableChannelStore, crashableLedger, crashableWalletStore } from '../faults/crashable.js';
import { createSimNetwork, type NetworkStats, type SentFrame, type SimTransport } from '../faults/simNetwork.js';
import {
  checkConservation,
  checkSettledOnce,
  createStoreWatch,
  createVoucherWatch,
  type SettledChannel,
  type Violation,
} from '../invariants/invariants.js';
import { drawFaultPlan, type FaultPlan, type FaultPlanOverrides, healFaults } from './faultPlan.js';
import { type SeededRandom, seededRandom } from './random.js';

/** Options of {@link simulate}. */
export interface SimulationOptions {
  /** The seed: the same seed replays the same run. */
  readonly seed: number;
  /** Simulated time with faults, in ms; then faults stop and the system must settle. Default 10,000. */
  readonly durationMs?: number;
  /** Wallets. Default 1 to 3, drawn from the seed. */
  readonly wallets?: number;
  /** Overrides of the fault plan drawn from the seed. */
  readonly faults?: FaultPlanOverrides;
  /** Told one line per notable event (payments, crashes, violations). */
  readonly log?: (line: string) => void;
  /** Also log every frame sent (its type, and for a reject its code). Default false. */
  readonly traceFrames?: boolean;
}

/** What a run did and found. */
export interface SimulationReport {
  readonly seed: number;
  /** True when no invariant was violated. */
  readonly ok: boolean;
  readonly violations: readonly Violation[];
  /** Events run (each followed by the invariant checks). */
  readonly steps: number;
  readonly simulatedMs: number;
  readonly plan: FaultPlan;
  readonly payments: {
    attempted: number;
    receipts: number;
    delivered: number;
    refused: Record<string, number>;
    /** Payments of a wallet that crashed before they were answered (not a failure). */
    abandoned: number;
  };
  readonly channels: { opened: number; closed: number; forced: number };
  /** Channel claims the hub's ledger batches made (while channels stayed open), and expired channels it finalized. */
  readonly settlement: { claims: number; expired: number };
  readonly crashes: { hub: number; wallet: number };
  readonly network: NetworkStats;
  /** Failures the hub answered INTERNAL (expected under injected I/O faults). */
  readonly hubInternalErrors: number;
  /** sha256 of every frame sent and when: equal for two runs of one seed. */
  readonly traceHash: string;
  /** The command that replays this run. */
  readonly replay: string;
}

const networkId = 7;
const usd = { code: 'USD', scale: 6 } as const;
const simUrl = 'ws://hub.sim.invalid';
/** Where the manual clock starts: 2026-01-01. */
const startMs = 1_767_225_600_000;
/** Simulated time the heal phase may take before a stuck payment or close is a violation, in ms. */
const healMsMax = 120_000;
const funding = 1_000_000_000n;

/**
 * The code of an error a wallet API rejected with; a violation when it is not a typed error
 * (a TrickleError subclass, or a titled TypeError/RangeError the workload would have caused).
 */
function codeOf(error: unknown, fail: (found: readonly Violation[]) => void, what: string): string {
  if (error instanceof TrickleError) return error.code;
  fail([{ invariant: 'untyped-error', message: `${what} failed with ${String(error)}` }]);
  return 'UNTYPED';
}

/** One line about a frame, for traces. */
function describeFrame(frame: SentFrame): string {
  try {
    if (frame.from === 'client') {
      const m = decodeClientMessage(frame.bytes);
      let detail = 'seq' in m ? ` seq ${m.seq}` : '';
      // A voucher: its cumulative and its entries' invoices (short), so a trace shows what was signed again.
      if (m.type === 'pay') {
        const invoices = m.entries.map((e) => toHex(e.invoiceId).slice(0, 6)).join(',');
        detail += ` cum ${m.cumulative} [${invoices}]`;
      }
      return `${frame.client} -> hub ${m.type}${'id' in m ? ` #${m.id}` : ''}${detail}`;
    }
    const m = decodeHubMessage(frame.bytes);
    const detail =
      m.type === 'reject'
        ? ` ${m.code}${m.seq === undefined ? '' : ` seq ${m.seq}`}${m.entry === undefined ? '' : ` entry ${m.entry}`}`
        : m.type === 'state'
          ? ` ${m.state.status} seq ${m.state.seq}`
          : m.type === 'receipts'
            ? ` seq ${m.seq}`
            : '';
    return `hub -> ${frame.client} ${m.type}${'id' in m && m.id !== undefined ? ` #${m.id}` : ''}${detail}`;
  } catch {
    return `${frame.from} ${frame.client}: ${frame.bytes.length} bytes that do not decode`;
  }
}

/** One payment as the workload made it. */
interface PaymentRecord {
  /** 1-based, in the order the run made them (the log's `pays #n`). */
  readonly number: number;
  readonly wallet: number;
  readonly generation: number;
  state: 'pending' | 'paid' | 'failed' | 'abandoned';
}

interface WalletNode {
  readonly index: number;
  readonly name: string;
  readonly secret: SecretKey;
  readonly disk: WalletStore;
  generation: number;
  wallet: Wallet | undefined;
  io: Crashable<WalletStore> | undefined;
  transport: SimTransport | undefined;
  busy: boolean;
  closing: Promise<void> | undefined;
  readonly channels: Set<string>;
}

/**
 * Runs one seeded simulation and reports it. Installs a manual clock over the global timers
 * and `Date` for the run (and removes it after), so run one simulation at a time per process.
 *
 * @example
 * ```ts
 * import { simulate } from '@trickle/testing';
 * const report = await simulate({ seed: 42 });
 * if (!report.ok) throw new Error(`${report.violations[0]?.message}; replay: ${report.replay}`);
 * ```
 */
export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const clock = FakeTimers.withGlobal(globalThis).install({
    now: startMs,
    toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date'],
    loopLimit: 10_000_000,
  });
  const dir = mkdtempSync(join(tmpdir(), 'trickle-sim-'));
  try {
    return await run(options, clock, dir);
  } finally {
    clock.uninstall();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(
  options: SimulationOptions,
  clock: ReturnType<ReturnType<typeof FakeTimers.withGlobal>['install']>,
  dir: string,
): Promise<SimulationReport> {
  const { seed } = options;
  const log = options.log ?? (() => {});
  const random = seededRandom(seed);
  const plan = drawFaultPlan(random.fork(), options.faults);
  const planned = structuredClone(plan);
  const netRandom = random.fork();
  const ioRandom = random.fork();
  const work = random.fork();
  const keys = random.fork();
  const hubRandom = random.fork();
  /** Drawn from after the other streams, so adding it left their draws unchanged. */
  const settleRandom = random.fork();
  const bytesOf = (r: SeededRandom) => (length: number) => r.bytes(length);
  const durationMs = options.durationMs ?? 10_000;
  const walletCount = options.wallets ?? work.int(1, 3);
  const violations: Violation[] = [];
  const fail = (found: readonly Violation[]) => {
    for (const v of found) {
      violations.push(v);
      log(`VIOLATION ${v.invariant}: ${v.message}`);
    }
  };

  const network = createSimNetwork(netRandom, plan.network);
  const trace = createHash('sha256');
  const voucherWatch = createVoucherWatch();
  network.onSend = (frame) => {
    trace.update(`${Date.now()} ${frame.from} ${frame.client} `).update(frame.bytes);
    if (frame.from === 'client') voucherWatch.observe(frame.bytes);
    else voucherWatch.observeHub(frame.bytes);
    if (options.traceFrames === true) log(`${Date.now() - startMs} ${describeFrame(frame)}`);
  };

  const hubSecret = loadOrCreateHubKey(dir, bytesOf(keys));
  const hubKey = publicKeyOf(hubSecret);
  const domain = { networkId, hubId: hubIdFromKey(hubKey) };
  const feePpm = work.pick([0, 0, 10_000, 25_000]);
  /** Short, so unilateral closes settle within a run's simulated time. */
  const challengeWindowMs = 60_000;
  const ledger: TrickleLedger = await memoryLedger({
    domain,
    feePpm,
    clock: () => Date.now(),
    verifier: tinySecp256k1Verifier,
    challengeWindowMs,
  });
  /** The ledger as the hub sees it, counting the settlement it did (for the report). */
  const countingLedger: TrickleLedger = {
    ...ledger,
    claimBatch: async (states) => {
      const outcomes = await ledger.claimBatch(states);
      report.settlement.claims += outcomes.filter((o) => o.ok).length;
      return outcomes;
    },
    finalizeExpired: async (channelIds) => {
      const outcomes = await ledger.finalizeExpired(channelIds);
      report.settlement.expired += outcomes.filter((o) => o.ok).length;
      return outcomes;
    },
  };
  const disk = sqliteChannelStore({ path: ':memory:' });
  const storeWatch = createStoreWatch(disk);
  const clockPort = { nowMs: () => Date.now() };
  const merchants: Merchant[] = Array.from({ length: work.int(1, 2) }, () =>
    createMerchant({
      secretKey: createSecretKey(bytesOf(keys)),
      hub: { publicKey: hubKey, url: simUrl, networkId },
      asset: usd,
      clock: clockPort,
      randomBytes: bytesOf(work),
      // Short lifetimes in some runs, so invoices expire while hubs and wallets are down.
      invoiceTtlMs: plan.invoiceTtlMs,
    }),
  );

  const report = {
    payments: { attempted: 0, receipts: 0, delivered: 0, refused: {} as Record<string, number>, abandoned: 0 },
    channels: { opened: 0, closed: 0, forced: 0 },
    settlement: { claims: 0, expired: 0 },
    crashes: { hub: 0, wallet: 0 },
    hubInternalErrors: 0,
  };
  const refused = (code: string) => {
    report.payments.refused[code] = (report.payments.refused[code] ?? 0) + 1;
  };
  const payments: PaymentRecord[] = [];
  const deliveredByPayee = new Map<string, bigint>();
  let phase: 'faulty' | 'heal' | 'done' = 'faulty';
  let moneyIn = 0n;

  // The hub: one process at a time, on the same store and ledger.
  let hub: Hub<TrickleLedger> | undefined;
  let hubIo: { store: Crashable<unknown>; ledger: Crashable<unknown> } | undefined;
  let hubStarting = false;
  function startHub(): void {
    if (hub !== undefined || hubStarting) return;
    hubStarting = true;
    const store = crashableChannelStore(disk, ioRandom, plan.hubStore);
    const seen = crashableLedger(countingLedger, ioRandom, plan.ledger);
    hubIo = { store, ledger: seen };
    createHub({
      dataDir: dir,
      networkId,
      listen: false,
      store: store.port,
      ledger: seen.port,
      verifier: asAsyncVerifier(tinySecp256k1Verifier),
      ledgerVerifier: tinySecp256k1Verifier,
      clock: clockPort,
      randomBytes: bytesOf(hubRandom),
      merchants: merchants.map((m, i) => ({ publicKey: m.publicKey, name: `merchant ${i}` })),
      settlement: plan.settlement,
      // The plan's short channel lifetimes are seconds: let the hub open them.
      channelLifetimeMsMin: 1_000,
      onError: (error) => {
        report.hubInternalErrors++;
        log(
          `${Date.now() - startMs} hub error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      },
    }).then(
      (started) => {
        hubStarting = false;
        if (hubIo?.store !== store) return; // crashed while starting
        hub = started;
        network.listen((socket, address) => started.accept(socket, address));
        log(`${Date.now() - startMs} hub up`);
      },
      (error: unknown) => {
        hubStarting = false;
        log(`${Date.now() - startMs} hub failed to start: ${String(error)}; retrying`);
        store.crash();
        seen.crash();
        setTimeout(startHub, 100);
      },
    );
  }
  function crashHub(): void {
    if (hubIo === undefined) return;
    report.crashes.hub++;
    log(`${Date.now() - startMs} hub crashes`);
    network.unlisten();
    hubIo.store.crash();
    hubIo.ledger.crash();
    hubIo = undefined;
    hub = undefined;
    hubStarting = false;
  }

  // The wallets: each restarts from its own store.
  const nodes: WalletNode[] = [];
  for (let index = 0; index < walletCount; index++) {
    const secret = createSecretKey(bytesOf(keys));
    await ledger.fundPayer({ clientKey: publicKeyOf(secret), asset: usd, amount: funding, reference: `sim-${index}` });
    moneyIn += funding;
    nodes.push({
      index,
      name: `wallet-${index}`,
      secret,
      disk: memoryStore(),
      generation: 0,
      wallet: undefined,
      io: undefined,
      transport: undefined,
      busy: false,
      closing: undefined,
      channels: new Set(),
    });
  }

  function onReceipt(receipt: Receipt): void {
    void storeWatch.checkReceipt(receipt).then(fail);
  }

  function startWallet(node: WalletNode): void {
    if (node.io !== undefined) return;
    const generation = ++node.generation;
    const io = crashableWalletStore(node.disk, ioRandom, plan.walletStore);
    const transport = network.transport(node.name);
    node.io = io;
    node.transport = transport;
    createWallet({
      key: node.secret,
      hub: { url: simUrl, networkId },
      store: io.port,
      transport,
      clock: clockPort,
      randomBytes: bytesOf(work.fork()),
      verifier: tinySecp256k1Verifier,
    }).then(
      (wallet) => {
        if (node.generation !== generation) return;
        node.wallet = wallet;
        wallet.on('receipt', onReceipt);
        wallet.on('error', (error) => log(`${Date.now() - startMs} ${node.name} error: ${error.message}`));
        const channel = wallet.balance()?.channelId;
        if (channel !== undefined) watchChannel(node, channel);
      },
      (error: unknown) =>
        fail([{ invariant: 'wallet-start', message: `${node.name} failed to start: ${String(error)}` }]),
    );
  }
  function crashWallet(node: WalletNode): void {
    if (node.io === undefined) return;
    report.crashes.wallet++;
    log(`${Date.now() - startMs} ${node.name} crashes`);
    node.io.crash();
    node.transport?.fence();
    node.io = undefined;
    node.transport = undefined;
    node.wallet = undefined;
    node.busy = false;
    node.closing = undefined;
    node.generation++;
    for (const p of payments) {
      if (p.wallet === node.index && p.state === 'pending') {
        p.state = 'abandoned';
        report.payments.abandoned++;
      }
    }
  }
  function watchChannel(node: WalletNode, channelId: ChannelId): void {
    const key = toHex(channelId);
    if (node.channels.has(key)) return;
    node.channels.add(key);
    storeWatch.watch(channelId);
  }

  // The workload: each wallet opens a channel, pays in bursts, tops up, sometimes closes.
  let invoiceCounter = 0;
  /** Recent offers: a few payments pay one of them again (another wallet's, or their own). */
  const recentOffers: {
    merchant: Merchant;
    resource: string;
    amount: bigint;
    offer: ReturnType<Merchant['createOffer']>;
  }[] = [];
  function pay(node: WalletNode, wallet: Wallet): void {
    let merchant = work.pick(merchants);
    let amount = BigInt(work.int(1, 5_000));
    let resource = `GET /item/${++invoiceCounter}`;
    let offer: ReturnType<Merchant['createOffer']>;
    if (recentOffers.length > 0 && work.chance(plan.replayShare)) {
      ({ merchant, resource, amount, offer } = work.pick(recentOffers));
    } else {
      offer = merchant.createOffer({ resource, amount });
      recentOffers.push({ merchant, resource, amount, offer });
      if (recentOffers.length > 16) recentOffers.shift();
    }
    const number = payments.length + 1;
    const record: PaymentRecord = { number, wallet: node.index, generation: node.generation, state: 'pending' };
    payments.push(record);
    report.payments.attempted++;
    log(`${Date.now() - startMs} ${node.name} pays #${number}: ${amount} on a ${wallet.balance()?.status} channel`);
    wallet.pay(offer.request).then(
      async (receipt) => {
        if (record.state === 'pending') record.state = 'paid';
        report.payments.receipts++;
        fail(await storeWatch.checkReceipt(receipt));
        const check = merchant.checkPayment(createTricklePaymentPayload({ accepted: offer.requirements, receipt }), {
          resource,
          amount,
        });
        if (!check.ok) {
          // A genuine receipt is refused only for time (a retry after the invoice's grace).
          if (check.reason !== 'INVOICE_EXPIRED') {
            fail([{ invariant: 'receipt-refused', message: `merchant refused a hub receipt: ${check.reason}` }]);
          }
          return;
        }
        const redeemed = await merchant.redeemPayment(check.payment);
        if (!redeemed.ok) {
          // The hub pays an invoice once: a second receipt for one invoice is a double charge.
          fail([{ invariant: 'receipt-refused', message: `merchant could not redeem a receipt: ${redeemed.reason}` }]);
          return;
        }
        report.payments.delivered++;
        const payee = toHex(merchant.payee);
        deliveredByPayee.set(payee, (deliveredByPayee.get(payee) ?? 0n) + amount);
      },
      (error: unknown) => {
        if (record.state === 'pending') record.state = 'failed';
        log(`${Date.now() - startMs} ${node.name} payment #${number} failed: ${String(error)}`);
        refused(codeOf(error, fail, 'pay'));
      },
    );
  }

  function act(node: WalletNode): void {
    if (phase !== 'faulty') return;
    setTimeout(() => act(node), work.int(1, 400));
    const wallet = node.wallet;
    if (wallet === undefined || node.busy || !wallet.connected) return;
    const balance = wallet.balance();
    if (balance === undefined || balance.status === 'closed') {
      node.busy = true;
      const deposit = BigInt(work.int(10_000, 200_000));
      const lifetimeMs = plan.channelLifetimeMs;
      wallet.openChannel(lifetimeMs === undefined ? { deposit } : { deposit, lifetimeMs }).then(
        (opened) => {
          node.busy = false;
          report.channels.opened++;
          log(`${Date.now() - startMs} ${node.name} opened ${toHex(opened.channelId).slice(0, 12)}`);
          watchChannel(node, opened.channelId);
        },
        (error: unknown) => {
          node.busy = false;
          refused(`open:${codeOf(error, fail, 'openChannel')}`);
        },
      );
      return;
    }
    if (balance.status !== 'open') return;
    watchChannel(node, balance.channelId);
    const roll = work.int(1, 100);
    if (roll <= 85) {
      for (let i = work.int(1, 4); i > 0; i--) pay(node, wallet);
    } else if (roll <= 95) {
      node.busy = true;
      wallet.topUp({ amount: BigInt(work.int(1_000, 50_000)) }).then(
        () => {
          node.busy = false;
        },
        (error: unknown) => {
          node.busy = false;
          refused(`topUp:${codeOf(error, fail, 'topUp')}`);
        },
      );
    } else {
      closeChannel(node, wallet);
    }
  }

  function closeChannel(node: WalletNode, wallet: Wallet): void {
    node.busy = true;
    const generation = node.generation;
    const forced = settleRandom.chance(plan.forceCloseShare);
    log(
      `${Date.now() - startMs} ${node.name} ${forced ? 'force-closes' : 'closes'} ${toHex(wallet.balance()?.channelId ?? new Uint8Array()).slice(0, 12)}`,
    );
    if (forced) report.channels.forced++;
    node.closing = (forced ? wallet.forceClose() : wallet.close()).then(
      () => {
        log(`${Date.now() - startMs} ${node.name} closed`);
        report.channels.closed++;
        if (node.generation === generation) node.busy = false;
      },
      (error: unknown) => {
        if (node.generation === generation) node.busy = false;
        log(`${Date.now() - startMs} ${node.name} close failed: ${String(error)}`);
        refused(`close:${codeOf(error, fail, 'close')}`);
      },
    );
  }

  // Faults at random points of the faulty phase.
  const at = (run: () => void) => setTimeout(run, work.int(1, durationMs - 1));
  for (let i = 0; i < plan.hubCrashes; i++) {
    at(() => {
      crashHub();
      setTimeout(startHub, work.int(1, 3_000));
    });
  }
  for (let i = 0; i < plan.walletCrashes; i++) {
    at(() => {
      const node = work.pick(nodes);
      crashWallet(node);
      setTimeout(() => startWallet(node), work.int(1, 3_000));
    });
  }
  for (let i = 0; i < plan.cuts; i++) at(() => network.cut(work.chance(0.5) ? undefined : work.pick(nodes).name));

  startHub();
  for (const node of nodes) {
    startWallet(node);
    setTimeout(() => act(node), work.int(1, 200));
  }

  let steps = 0;
  async function checkStep(): Promise<void> {
    fail(checkConservation(await ledger.balances(), { moneyIn, moneyOut: 0n }));
    fail(await storeWatch.checkChannels());
    fail(voucherWatch.violations.splice(0));
    for (const node of nodes) {
      const balance = node.wallet?.balance();
      if (balance === undefined) continue;
      const durable = await disk.channel(balance.channelId);
      if (balance.acknowledged > (durable?.cumulative ?? 0n)) {
        fail([
          {
            invariant: 'ack-not-durable',
            message: `${node.name} counts ${balance.acknowledged} acknowledged, the hub's store holds ${durable?.cumulative ?? 0n}`,
          },
        ]);
      }
    }
  }
  async function stepUntil(endMs: number, done: () => boolean = () => false): Promise<void> {
    while (violations.length === 0 && Date.now() < endMs && !done()) {
      await clock.nextAsync();
      steps++;
      await checkStep();
    }
  }

  // Phase 1: faults.
  await stepUntil(startMs + durationMs);

  // Phase 2: heal. No more faults; every process up; connections cut once (as TCP would
  // have, had it lost frames); every payment of a live wallet must be answered.
  phase = 'heal';
  healFaults(plan);
  startHub();
  for (const node of nodes) startWallet(node);
  network.cut();
  const healEnd = Date.now() + healMsMax;
  const settled = () =>
    hub !== undefined &&
    nodes.every((n) => n.wallet?.connected === true && !n.busy && n.wallet.balance()?.status !== 'opening') &&
    payments.every((p) => p.state !== 'pending');
  await stepUntil(healEnd, settled);
  if (violations.length === 0 && !settled()) {
    const pending = payments.filter((p) => p.state === 'pending');
    const stuck = `${pending.length} (${nodes
      .map((n) => {
        const mine = pending.filter((p) => p.wallet === n.index).map((p) => `#${p.number}`);
        return `${n.name}: ${mine.length === 0 ? 'none' : mine.slice(0, 8).join(' ')} on a ${n.wallet?.balance()?.status ?? 'missing'} channel`;
      })
      .join(', ')})`;
    fail([
      {
        invariant: 'liveness',
        message: `after ${healMsMax} ms without faults: ${stuck} payments unanswered, hub ${hub === undefined ? 'down' : 'up'}, wallets ${nodes.map((n) => `${n.name} ${n.wallet?.connected ? 'ready' : 'not ready'}${n.busy ? ' busy' : ''}`).join(', ')}`,
      },
    ]);
  }

  // Phase 3: every channel is closed and settled exactly once.
  for (const node of nodes) {
    const wallet = node.wallet;
    const balance = wallet?.balance();
    if (wallet !== undefined && balance !== undefined && balance.status !== 'closed') closeChannel(node, wallet);
  }
  const closeEnd = Date.now() + healMsMax;
  await stepUntil(closeEnd, () => nodes.every((n) => !n.busy));
  // Unilateral closes settle when their challenge window ends, and a channel only the
  // ledger knows (opened there, its open then refused as too close to expiry when a restarted
  // hub saw it again) when its grace ends: the hub finalizes both.
  const finalizeEnd = Date.now() + challengeWindowMs + healMsMax;
  while (violations.length === 0 && Date.now() < finalizeEnd && !(await everythingSettled())) {
    await clock.nextAsync();
    steps++;
    await checkStep();
  }
  if (violations.length === 0) {
    if (nodes.some((n) => n.busy)) fail([{ invariant: 'liveness', message: 'a close was not answered' }]);
    await checkSettlement();
  }
  phase = 'done';

  async function everythingSettled(): Promise<boolean> {
    for (const account of await ledger.balances()) {
      if (account.kind === 'escrow' && account.creditsPosted !== account.debitsPosted) return false;
    }
    return everyChannelFinalized();
  }

  async function everyChannelFinalized(): Promise<boolean> {
    for (const node of nodes) {
      for (const key of node.channels) {
        const channelId = Uint8Array.from(Buffer.from(key, 'hex')) as ChannelId;
        const durable = await disk.channel(channelId);
        if (durable === undefined) continue;
        if (durable.closedAtMs === undefined) return false;
        if ((await ledger.channel(channelId))?.finalizedAtMs === undefined) return false;
      }
    }
    return true;
  }

  async function checkSettlement(): Promise<void> {
    const grossByPayee = new Map<string, bigint>();
    const settled: SettledChannel[] = [];
    for (const node of nodes) {
      for (const key of node.channels) {
        const channelId = Uint8Array.from(Buffer.from(key, 'hex')) as ChannelId;
        const durable = await disk.channel(channelId);
        const booked = await ledger.channel(channelId);
        if (durable === undefined) continue; // an open the hub never made durable
        if (durable.closedAtMs === undefined || booked?.finalizedAtMs === undefined) {
          const balance = node.wallet?.balance();
          log(
            `unsettled ${key.slice(0, 12)} of ${node.name}: hub seq ${durable.seq} closing ${durable.closingSinceMs} closed ${durable.closedAtMs}; wallet now on ${toHex(balance?.channelId ?? new Uint8Array()).slice(0, 12)} (${balance?.status})`,
          );
          fail([
            {
              invariant: 'settled-once',
              message: `channel ${key} is not settled (hub closed: ${durable.closedAtMs !== undefined}, ledger finalized: ${booked?.finalizedAtMs !== undefined})`,
            },
          ]);
        }
        settled.push({ channelId, acknowledged: { seq: durable.seq, cumulative: durable.cumulative }, booked });
        for (let seq = 1; seq <= durable.seq; seq += 256) {
          for (const v of await disk.vouchers(channelId, seq, 256)) {
            for (const e of v.entries) {
              const payee = toHex(e.payee);
              grossByPayee.set(payee, (grossByPayee.get(payee) ?? 0n) + e.amount);
            }
          }
        }
      }
    }
    for (const [payee, delivered] of deliveredByPayee) {
      const gross = grossByPayee.get(payee) ?? 0n;
      if (gross < delivered) {
        fail([
          { invariant: 'delivered-unpaid', message: `payee ${payee} delivered ${delivered} but was paid ${gross}` },
        ]);
      }
    }
    if (violations.length === 0) fail(checkSettledOnce(settled, await ledger.balances()));
    const audit = await ledger.audit({ verifier: tinySecp256k1Verifier });
    fail(audit.mismatches.map((m) => ({ invariant: `audit:${m.kind}`, message: m.message })));
    fail(checkConservation(await ledger.balances(), { moneyIn, moneyOut: 0n }));
  }

  const replay = `pnpm sim --seed ${seed}${plan.replayShare > 0 ? ' --replays' : ''}${plan.invoiceTtlMs < 300_000 ? ' --short-invoices' : ''}${options.durationMs === undefined ? '' : ` --duration-ms ${options.durationMs}`}${options.wallets === undefined ? '' : ` --wallets ${options.wallets}`}`;
  return {
    seed,
    ok: violations.length === 0,
    violations,
    steps,
    simulatedMs: Date.now() - startMs,
    plan: planned,
    ...report,
    network: { ...network.stats },
    traceHash: trace.digest('hex'),
    replay,
  };
}
