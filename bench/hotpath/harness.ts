/**
 * The pieces the hot-path figures and profiles share: a hub in its own process (default
 * SQLite store and ledger, synchronous = FULL), a merchant whose payment requests the
 * clients pay, and a pre-signed load generator for many channels (P3): every voucher is
 * signed and encoded before the clock starts, so the client side costs a socket write
 * per payment and the figure is the hub's.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { createWallet as CreateWallet, memoryStore as MemoryStore } from '@trickle/client';
import {
  asInvoiceId,
  asSecretKey,
  authSigningBytes,
  type ChannelId,
  channelIdOf,
  createPaymentRequest,
  createSecretKey,
  createSigner,
  decodeHubMessage,
  deriveMerchantKey,
  encodeClientMessage,
  fromHex,
  type HubId,
  type HubMessage,
  type LogHead,
  logGenesis,
  logStep,
  type MerchantKey,
  type PayeeId,
  type PaymentRequest,
  type PublicKey,
  payeeIdFromKey,
  publicKeyOf,
  resourceHash,
  type SecretKey,
  type Signature,
  sha256,
  signOpenRequest,
  toHex,
  voucherSigningBytes,
} from '@trickle/protocol';
import { type HubProcess, type HubProcessConfig, spawnHub } from '@trickle/testing/harness';
import * as tiny from 'tiny-secp256k1';
import WebSocket from 'ws';

export const networkId = 1;
export const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

/** A running bench hub and the merchant it pays. */
export interface BenchHub {
  readonly process: HubProcess;
  readonly hubId: HubId;
  readonly hubKey: PublicKey;
  readonly payee: PayeeId;
  readonly macKey: MerchantKey;
  /** A fresh payment request of the merchant (1..7 minor units). */
  request(): PaymentRequest;
  /** SIGTERM, wait, remove the data folder. */
  stop(): Promise<void>;
}

/** Options of {@link startBenchHub}. */
export interface BenchHubOptions {
  readonly verifier?: 'fast' | 'noble';
  /** Payers to fund on the hub's ledger. */
  readonly payers: readonly SecretKey[];
  readonly fundEach?: bigint;
  readonly limits?: Record<string, number>;
  readonly cpuProfile?: string;
  /** Another checkout to run the hub from (a baseline); default this one. */
  readonly root?: string;
  /** A data folder to share (one hub key for the processes of a cluster); default a fresh one, removed at stop. */
  readonly dataDir?: string;
  /** The merchant's key (the same merchant on every process of a cluster); default a fresh one. */
  readonly merchantSecret?: SecretKey;
  /** Channels (and with `ledgerSchema` the ledger) in PostgreSQL; with `leaseTtlMs` one process of a cluster. */
  readonly postgres?: HubProcessConfig['postgres'];
}

/** Where a checkout keeps its hub-process helper: the test kit now, the hub's tests before. */
function baselineSpawnHub(root: string): string {
  const kit = join(root, 'packages/testing/src/harness/spawnHub.ts');
  return existsSync(kit) ? kit : join(root, 'packages/hub/test/spawnHub.ts');
}

/** Starts a hub process with one merchant and funded payers. */
export async function startBenchHub(options: BenchHubOptions): Promise<BenchHub> {
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'trickle-hotpath-'));
  const merchantSecret =
    options.merchantSecret ?? asSecretKey(sha256(new TextEncoder().encode(`bench merchant ${Math.random()}`)));
  const merchantKey = publicKeyOf(merchantSecret);
  const spawn =
    options.root === undefined
      ? spawnHub
      : (
          (await import(pathToFileURL(baselineSpawnHub(options.root)).href)) as {
            spawnHub: typeof spawnHub;
          }
        ).spawnHub;
  const hub = await spawn({
    dataDir: options.dataDir ?? join(dir, 'hub'),
    networkId,
    port: 0,
    merchants: [toHex(merchantKey)],
    fund: options.payers.map((k) => ({
      clientKey: toHex(publicKeyOf(k)),
      amount: String(options.fundEach ?? 9_000_000_000_000n),
    })),
    ...(options.verifier === 'noble' ? { verifier: 'noble' } : {}),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.cpuProfile === undefined ? {} : { cpuProfile: options.cpuProfile }),
    ...(options.postgres === undefined ? {} : { postgres: options.postgres }),
  });
  const hubId = fromHex(hub.hubId, 32) as HubId;
  const hubKey = fromHex(hub.publicKey, 33) as PublicKey;
  const payee = payeeIdFromKey(merchantKey);
  const macKey = deriveMerchantKey({ secretKey: merchantSecret, peerKey: hubKey, networkId, hubId, payeeId: payee });
  const salt = Math.random();
  let invoice = 0;
  return {
    process: hub,
    hubId,
    hubKey,
    payee,
    macKey,
    request: () =>
      createPaymentRequest(macKey, {
        networkId,
        hubId,
        payee,
        invoiceId: asInvoiceId(sha256(new TextEncoder().encode(`invoice ${salt} ${invoice++}`)).subarray(0, 16)),
        asset: { code: 'USD', scale: 6 },
        amount: 1n + BigInt(invoice % 7),
        expiresAtMs: Date.now() + 3_600_000,
        resource: resourceHash('/bench'),
      }),
    async stop() {
      hub.child.kill('SIGTERM');
      await hub.exited;
      if (options.dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A checkout whose hub and wallet a run measures: this one, or another (a baseline), optionally with noble verifying. */
export interface Tree {
  readonly name: string;
  readonly root?: string;
  readonly verifier?: 'noble';
  readonly createWallet: typeof CreateWallet;
  readonly memoryStore: typeof MemoryStore;
}

const thisRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The tree at `at` (default this checkout): its wallet, loaded from its own sources. */
export async function treeAt(name: string, at: string | undefined, verifier?: 'noble'): Promise<Tree> {
  const client = (await import(pathToFileURL(join(at ?? thisRoot, 'packages/client/src/index.ts')).href)) as {
    createWallet: typeof CreateWallet;
    memoryStore: typeof MemoryStore;
  };
  return { name, ...(at === undefined ? {} : { root: at }), ...(verifier ? { verifier } : {}), ...client };
}

/** Fresh payer keys. */
export function payerKeys(count: number): SecretKey[] {
  return Array.from({ length: count }, () => createSecretKey(randomBytes));
}

/** The value at percentile `p` of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** A raw, authenticated connection that sends pre-encoded frames and hands back decoded messages. */
interface RawConnection {
  readonly ws: WebSocket;
  onMessage: (message: HubMessage) => void;
}

/**
 * Connections per local address: below the hub's connectionsPerAddressMax (64), so a
 * thousand channels connect from 127.0.0.2, 127.0.0.3, ... as separate clients would.
 */
const connectionsPerAddress = 60;

async function connect(url: string, key: SecretKey, index: number): Promise<RawConnection> {
  const localAddress = `127.0.${Math.floor(index / connectionsPerAddress / 250)}.${2 + (Math.floor(index / connectionsPerAddress) % 250)}`;
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 20, localAddress });
  const connection: RawConnection = { ws, onMessage: () => {} };
  const first = new Promise<HubMessage>((resolve, reject) => {
    connection.onMessage = resolve;
    ws.once('error', reject);
  });
  ws.on('message', (data: Buffer) =>
    connection.onMessage(decodeHubMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))),
  );
  const challenge = await first;
  if (challenge.type !== 'challenge') throw new Error(`expected challenge, got ${challenge.type}`);
  const signer = createSigner(key, { randomBytes });
  const welcome = new Promise<HubMessage>((resolve) => {
    connection.onMessage = resolve;
  });
  ws.send(
    encodeClientMessage({
      type: 'auth',
      clientKey: signer.publicKey,
      signature: signer.sign(
        authSigningBytes({ networkId, hubId: challenge.hubId }, challenge.nonce, signer.publicKey),
      ),
    }),
  );
  const answer = await welcome;
  if (answer.type !== 'welcome') throw new Error(`expected welcome, got ${answer.type}`);
  return connection;
}

/** Signs with libsecp256k1 (WASM), hedged with 32 fresh bytes: fast pre-signing for load, low-S like every signer here. */
function tinySign(secretKey: SecretKey, message: Uint8Array): Signature {
  return tiny.sign(sha256(message), secretKey, randomBytes(32)) as Signature;
}

/**
 * Connections authenticating at once while a load sets up: below the hub's
 * authChecksQueuedMax (256), beyond which it answers OVERLOADED (as to any crowd of
 * clients connecting in the same instant).
 */
const connectingMax = 128;

/** `run` over `items`, at most `size` at a time, results in order. */
async function inWaves<T, R>(
  items: readonly T[],
  size: number,
  run: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let from = 0; from < items.length; from += size) {
    results.push(...(await Promise.all(items.slice(from, from + size).map((item, i) => run(item, from + i)))));
  }
  return results;
}

/** Result of {@link presignedLoad}. */
export interface LoadResult {
  readonly payments: number;
  readonly ms: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Every payment's latency in ms, sorted (for the charts of docs/benchmarks.md). */
  readonly latenciesMs: readonly number[];
  /** CPU time per payment (Linux /proc): the hub's event loop, the hub's other threads, this process. */
  readonly cpu?: {
    readonly hubLoopUs: number;
    readonly hubThreadsUs: number;
    readonly clientUs: number;
    readonly machineBusy: number;
  };
}

/** CPU times of a hub process's threads, of this process and of the machine at one moment. */
export interface CpuSnapshot {
  readonly threads: Map<string, number>;
  readonly client: NodeJS.CpuUsage;
  readonly idle: number;
  readonly total: number;
}

/** CPU time (ms) of every thread of `pid`, this process's usage, and the machine's idle and total jiffies. */
export function cpuSnapshot(pid: number | undefined): CpuSnapshot | undefined {
  if (pid === undefined) return undefined;
  try {
    const threads = new Map<string, number>();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const fields = (readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
      threads.set(tid, (Number(fields[11]) + Number(fields[12])) * 10);
    }
    const machine = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    return {
      threads,
      client: process.cpuUsage(),
      idle: (machine[3] ?? 0) + (machine[4] ?? 0),
      total: machine.reduce((a, b) => a + b, 0),
    };
  } catch {
    return undefined;
  }
}

/** CPU time per payment since `before`: the hub's event loop, its other threads, this process, and the machine's busy share. */
export function cpuPerPayment(pid: number, before: CpuSnapshot | undefined, payments: number): LoadResult['cpu'] {
  const after = cpuSnapshot(pid);
  if (before === undefined || after === undefined) return undefined;
  let loop = 0;
  let others = 0;
  for (const [tid, ms] of after.threads) {
    const spent = ms - (before.threads.get(tid) ?? 0);
    if (tid === String(pid)) loop += spent;
    else others += spent;
  }
  const client = process.cpuUsage(before.client);
  return {
    hubLoopUs: (loop * 1000) / payments,
    hubThreadsUs: (others * 1000) / payments,
    clientUs: (client.user + client.system) / payments,
    machineBusy: 1 - (after.idle - before.idle) / (after.total - before.total),
  };
}

/**
 * `channels` channels, one connection and one payment in flight each (nothing to batch):
 * every channel sends its next pre-signed, pre-encoded voucher when the previous one's
 * receipts arrive. Returns payments per second and per-payment latency.
 */
export async function presignedLoad(
  hub: BenchHub,
  keys: readonly SecretKey[],
  perChannel: number,
  deposit = 1_000_000_000n,
  beforeStart: () => Promise<void> | void = () => {},
): Promise<LoadResult> {
  const domain = { networkId, hubId: hub.hubId };
  const lanes = await inWaves(keys, connectingMax, async (key, index) => {
    const connection = await connect(hub.process.url, key, index);
    const signer = createSigner(key, { randomBytes });
    const nonce = randomBytes(16);
    const expiresAtMs = Date.now() + 3_600_000;
    const asset = { code: 'USD', scale: 6 };
    const open = signOpenRequest(domain, { nonce, asset, deposit, expiresAtMs }, signer);
    const opened = new Promise<HubMessage>((resolve) => {
      connection.onMessage = resolve;
    });
    connection.ws.send(
      encodeClientMessage({ type: 'open', id: 1, nonce, asset, deposit, expiresAtMs, signature: open.signature }),
    );
    const state = await opened;
    if (state.type !== 'state') throw new Error(`open refused: ${JSON.stringify(state.type)}`);
    const channelId = channelIdOf(hub.hubId, signer.publicKey, nonce) as ChannelId;
    return { connection, key, channelId, frames: [] as Uint8Array[] };
  });
  // Pre-sign and pre-encode every voucher: one entry each, chained on the previous.
  for (const lane of lanes) {
    let head: LogHead = logGenesis(domain, lane.channelId);
    let cumulative = 0n;
    for (let seq = 1; seq <= perChannel; seq++) {
      const r = hub.request();
      head = logStep(head, { payee: r.payee, invoiceId: r.invoiceId, amount: r.amount });
      cumulative += r.amount;
      const body = { channelId: lane.channelId, seq, cumulative, logHead: head };
      lane.frames.push(
        encodeClientMessage({
          type: 'pay',
          id: seq,
          ...body,
          signature: tinySign(lane.key, voucherSigningBytes(domain, body)),
          entries: [
            {
              payee: r.payee,
              invoiceId: r.invoiceId,
              amount: r.amount,
              expiresAtMs: r.expiresAtMs,
              resource: r.resource,
              mac: r.mac,
            },
          ],
        }),
      );
    }
  }
  await beforeStart();
  const pid = hub.process.child.pid;
  const cpuBefore = cpuSnapshot(pid);
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    lanes.map(
      (lane) =>
        new Promise<void>((resolve, reject) => {
          let next = 0;
          let sentAt = 0;
          const send = () => {
            sentAt = performance.now();
            lane.connection.ws.send(lane.frames[next] as Uint8Array);
          };
          lane.connection.onMessage = (message) => {
            if (message.type !== 'receipts') {
              reject(new Error(`payment refused: ${message.type} ${'code' in message ? message.code : ''}`));
              return;
            }
            latencies.push(performance.now() - sentAt);
            next++;
            if (next === lane.frames.length) resolve();
            else send();
          };
          send();
        }),
    ),
  );
  const ms = performance.now() - start;
  const cpu = pid === undefined ? undefined : cpuPerPayment(pid, cpuBefore, latencies.length);
  for (const lane of lanes) lane.connection.ws.close();
  latencies.sort((a, b) => a - b);
  return {
    payments: latencies.length,
    ms,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    latenciesMs: latencies,
    ...(cpu === undefined ? {} : { cpu }),
  };
}
