/**
 * Stores and a ledger that can crash with their process: writes take a seeded time to
 * become durable, may fail (cleanly, or after they were applied: a lost reply), and at a
 * crash the writes still in flight are applied up to a random point, then nothing the dead
 * process does reaches the store again. The data underneath (the real adapter) outlives the
 * process, as a file or a database server would, and the next process opens it again.
 */
import type { WalletChange, WalletStore } from '@trickle/client';
import { type ChannelStore, type ChannelWrite, HubError, type WriteOutcome } from '@trickle/hub';
import { LedgerError, type TrickleLedger } from '@trickle/ledger';
import type { SeededRandom } from '../sim/random.js';

/** How a crashable store or ledger misbehaves. Rates are per write, 0..1. */
export interface IoFaults {
  /** A write is refused and not applied. Default 0. */
  failRate: number;
  /** A write is applied, but its caller is told it failed (the reply was lost). Default 0. */
  ambiguousRate: number;
  /** Time a write takes to become durable, in ms, drawn in 0..max. Default 3. */
  latencyMsMax: number;
  /**
   * A write is acknowledged at once and only becomes durable later, so a crash in between
   * loses it: a disk cache without fsync, i.e. a BUG. Default 0. It exists to prove that
   * the invariant checks catch a store that promises before it persists.
   */
  lieRate?: number;
}

/** Counts of what a crashable store did. */
export interface IoStats {
  writes: number;
  failed: number;
  ambiguous: number;
  /** Writes acknowledged before they were durable (`lieRate`). */
  lies: number;
  /** Writes in flight at a crash that were applied / lost. */
  appliedAtCrash: number;
  lostAtCrash: number;
}

/** A store (or ledger) bound to one process: `crash` kills the process's access to it. */
export interface Crashable<T> {
  /** What the process uses. */
  readonly port: T;
  /** The process died: in-flight writes land up to a random point; every later call hangs forever. */
  crash(): void;
  readonly stats: IoStats;
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

/** The settings now: read at every write, so a caller may change `faults` (e.g. to heal). */
function ioSettings(faults: Partial<IoFaults>): () => IoFaults {
  return () => ({ failRate: 0, ambiguousRate: 0, latencyMsMax: 3, ...faults });
}

function newStats(): IoStats {
  return { writes: 0, failed: 0, ambiguous: 0, lies: 0, appliedAtCrash: 0, lostAtCrash: 0 };
}

/** One write in flight: applied at most once, answered at most once. */
interface InFlight {
  apply(): void;
  settled: boolean;
}

/**
 * Runs `writes` one after another, each after a seeded delay, with seeded failures; at a
 * crash the ones in flight are applied in order up to a random point.
 */
function createWriteQueue(random: SeededRandom, settings: () => IoFaults, stats: IoStats) {
  const inFlight: InFlight[] = [];
  let tail: Promise<unknown> = Promise.resolve();
  let dead = false;
  return {
    get dead() {
      return dead;
    },
    /** `assumed` is what a lying write answers before it applied. */
    run<T>(apply: () => Promise<T>, failure: () => Error, assumed: () => T): Promise<T> {
      if (dead) return never();
      stats.writes++;
      let applied: Promise<T> | undefined;
      const entry: InFlight = {
        settled: false,
        apply() {
          applied ??= apply();
        },
      };
      inFlight.push(entry);
      const faults = settings();
      const delayMs = random.int(0, faults.latencyMsMax);
      const mode = random.chance(faults.failRate)
        ? 'fail'
        : random.chance(faults.ambiguousRate)
          ? 'ambiguous'
          : random.chance(faults.lieRate ?? 0)
            ? 'lie'
            : 'ok';
      if (mode === 'lie') {
        stats.lies++;
        setTimeout(() => {
          if (dead || entry.settled) return;
          entry.settled = true;
          inFlight.splice(inFlight.indexOf(entry), 1);
          entry.apply();
        }, delayMs);
        return Promise.resolve(assumed());
      }
      const result = tail.then(
        () =>
          new Promise<T>((resolve, reject) => {
            setTimeout(() => {
              if (dead) return; // the process is gone: nobody hears the answer
              entry.settled = true;
              inFlight.splice(inFlight.indexOf(entry), 1);
              if (mode === 'fail') {
                stats.failed++;
                reject(failure());
                return;
              }
              entry.apply();
              const done = applied as Promise<T>;
              if (mode === 'ambiguous') {
                stats.ambiguous++;
                done.then(
                  () => reject(failure()),
                  (error: unknown) => reject(error),
                );
                return;
              }
              done.then(resolve, reject);
            }, delayMs);
          }),
      );
      tail = result.catch(() => undefined);
      return result;
    },
    crash() {
      if (dead) return;
      dead = true;
      const pending = inFlight.splice(0);
      const landed = random.int(0, pending.length);
      pending.forEach((entry, index) => {
        if (index < landed) {
          entry.apply();
          stats.appliedAtCrash++;
        } else {
          stats.lostAtCrash++;
        }
      });
    },
  };
}

/**
 * A hub channel store that crashes with its hub process (see the module comment).
 *
 * @example
 * ```ts
 * import { crashableChannelStore, seededRandom } from '@trickle/testing';
 * import { sqliteChannelStore } from '@trickle/hub/sqlite';
 * const disk = sqliteChannelStore({ path: ':memory:' });
 * const first = crashableChannelStore(disk, seededRandom(1), { ambiguousRate: 0.02 });
 * // createHub({ ..., store: first.port }); later: first.crash(), then a new hub on
 * // crashableChannelStore(disk, ...).port reads back what was durable.
 * ```
 */
export function crashableChannelStore(
  inner: ChannelStore,
  random: SeededRandom,
  faults: Partial<IoFaults> = {},
): Crashable<ChannelStore> {
  const stats = newStats();
  const queue = createWriteQueue(random, ioSettings(faults), stats);
  const read =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      queue.dead ? never() : fn(...args);
  const port: ChannelStore = {
    name: `crashable ${inner.name}`,
    commit: (writes: readonly ChannelWrite[]) =>
      queue.run<readonly WriteOutcome[]>(
        () => inner.commit(writes),
        () => new HubError('STORE_FAILED', 'simulated store failure'),
        () => writes.map((): WriteOutcome => ({ applied: true })),
      ),
    channel: read((id) => inner.channel(id)),
    openChannels: read(() => inner.openChannels()),
    vouchers: read((id, from, limit) => inner.vouchers(id, from, limit)),
    claimMarks: read(() => inner.claimMarks()),
    claimMark: read((id) => inner.claimMark(id)),
    settlementChannels: read((query) => inner.settlementChannels(query)),
    unclaimedTotals: read(() => inner.unclaimedTotals()),
    openTotals: read((nowMs) => inner.openTotals(nowMs)),
    recordClaims: (claims, cleared) =>
      queue.run<void>(
        () => inner.recordClaims(claims, cleared),
        () => new HubError('STORE_FAILED', 'simulated store failure'),
        () => undefined,
      ),
    sweepInvoices: read((before, limit) => inner.sweepInvoices(before, limit)),
    putMerchant: read((merchant) => inner.putMerchant(merchant)),
    merchants: read(() => inner.merchants()),
    putWalletPayee: read((payee) => inner.putWalletPayee(payee)),
    walletPayee: read((payee) => inner.walletPayee(payee)),
    walletPayees: read(() => inner.walletPayees()),
    putPeerInvoice: read((invoice) => inner.putPeerInvoice(invoice)),
    inbox: read((payee, after, limit) => inner.inbox(payee, after, limit)),
    inboxCleared: read((payee, after, limit) => inner.inboxCleared(payee, after, limit)),
    ackInbox: read((payee, seq) => inner.ackInbox(payee, seq)),
    // The data outlives the process: closing is the next process's business.
    close: async () => {},
  };
  return { port, crash: () => queue.crash(), stats };
}

/**
 * A wallet store that crashes with its wallet process: writes land in order, each after a
 * seeded delay; at a crash a random prefix of those in flight lands.
 *
 * @example
 * ```ts
 * import { crashableWalletStore, seededRandom } from '@trickle/testing';
 * import { memoryStore } from '@trickle/client';
 * const disk = memoryStore();
 * const first = crashableWalletStore(disk, seededRandom(1));
 * // createWallet({ ..., store: first.port }); first.crash(); createWallet({ ..., store: crashableWalletStore(disk, ...).port })
 * ```
 */
export function crashableWalletStore(
  inner: WalletStore,
  random: SeededRandom,
  faults: Partial<IoFaults> = {},
): Crashable<WalletStore> {
  const stats = newStats();
  const settings = ioSettings(faults);
  // Not failRate or ambiguousRate: a wallet store that fails stops the wallet, by design.
  const queue = createWriteQueue(random, () => ({ ...settings(), failRate: 0, ambiguousRate: 0 }), stats);
  const port: WalletStore = {
    name: `crashable ${inner.name}`,
    load: () => (queue.dead ? never() : inner.load()),
    write: (change: WalletChange) =>
      queue.run(
        () => inner.write(change),
        () => new Error('unreachable'),
        () => undefined,
      ),
    close: async () => {},
  };
  return { port, crash: () => queue.crash(), stats };
}

/** The ledger operations the hub calls: these are the ones delayed, failed and fenced. */
const hubLedgerCalls = new Set([
  'openChannel',
  'topUpChannel',
  'claim',
  'claimBatch',
  'finalizeExpired',
  'finalizeDue',
  'closeCooperative',
  'startClose',
  'ensurePayee',
]);

/**
 * The ledger as one hub process sees it: the ledger of record is another service, so it
 * does not crash with the hub; calls the hub makes take a seeded time, may fail (cleanly,
 * or after they were applied), and after the hub's crash they never answer.
 *
 * @example
 * ```ts
 * import { crashableLedger, seededRandom } from '@trickle/testing';
 * import { memoryLedger } from '@trickle/ledger';
 * declare const domain: Parameters<typeof memoryLedger>[0]['domain'];
 * const ledger = await memoryLedger({ domain, feePpm: 0 });
 * const seen = crashableLedger(ledger, seededRandom(1), { failRate: 0.01 });
 * // createHub({ ..., ledger: seen.port })
 * ```
 */
export function crashableLedger(
  inner: TrickleLedger,
  random: SeededRandom,
  faults: Partial<IoFaults> = {},
): Crashable<TrickleLedger> {
  const stats = newStats();
  const settings = ioSettings(faults);
  let dead = false;
  const port = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const name = String(property);
      return (...args: unknown[]) => {
        if (dead) return never();
        const call = () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (!hubLedgerCalls.has(name)) return call();
        stats.writes++;
        const now = settings();
        const mode = random.chance(now.failRate) ? 'fail' : random.chance(now.ambiguousRate) ? 'ambiguous' : 'ok';
        const delayMs = random.int(0, now.latencyMsMax);
        const unavailable = () => new LedgerError('UNAVAILABLE', `simulated ledger failure in ${name}`);
        return new Promise((resolve, reject) => {
          setTimeout(() => {
            if (dead) return;
            if (mode === 'fail') {
              stats.failed++;
              reject(unavailable());
              return;
            }
            const done = call();
            if (mode === 'ambiguous') {
              stats.ambiguous++;
              done.then(
                () => reject(unavailable()),
                (error: unknown) => reject(error),
              );
            } else {
              done.then(resolve, reject);
            }
          }, delayMs);
        });
      };
    },
  });
  return {
    port,
    crash() {
      dead = true;
    },
    stats,
  };
}
