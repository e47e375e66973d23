/** One conformance suite for every WalletStore: memory, file (Node), IndexedDB (fake-indexeddb here). */
import 'fake-indexeddb/auto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileStore } from '../src/store/fileStore.js';
import { indexedDbStore } from '../src/store/indexedDbStore.js';
import { memoryStore } from '../src/store/memoryStore.js';
import type { HistoryRecord, WalletRecord, WalletStore } from '../src/store/walletStore.js';
import { pendingVoucher } from './storeRecords.js';

const record: WalletRecord = {
  version: 1,
  networkId: 7,
  hubId: 'ab'.repeat(32),
  spent: { total: '9223372036854775807', byPayee: { ['cd'.repeat(32)]: '5' } },
};

function historyRecord(seq: number): HistoryRecord {
  return {
    channelId: '66'.repeat(32),
    seq,
    payee: 'cd'.repeat(32),
    invoiceId: '77'.repeat(16),
    amount: '1',
    mac: '88'.repeat(32),
    atMs: seq,
  };
}

interface Harness {
  open(): WalletStore;
  /** Whether a second open sees the first one's writes (false for memory). */
  readonly durable: boolean;
  cleanup(): void;
  /** Appends a torn line to the file, when the store is a file. */
  tear?(): void;
}

const harnesses: Record<string, () => Harness> = {
  memory: () => {
    const store = memoryStore();
    return { open: () => store, durable: true, cleanup: () => {} };
  },
  file: () => {
    const dir = mkdtempSync(join(tmpdir(), 'trickle-wallet-'));
    const path = join(dir, 'nested', 'wallet.jsonl');
    return {
      open: () => fileStore({ path, journalBytesMax: 2_000, historyRecordsMax: 50 }),
      durable: true,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
      tear: () => appendFileSync(path, '{"record":{"version":1,"netw'),
    };
  },
  indexeddb: () => {
    const name = `wallet-${Math.random()}`;
    return { open: () => indexedDbStore({ name, historyRecordsMax: 50 }), durable: true, cleanup: () => {} };
  },
};

describe.each(Object.keys(harnesses))('WalletStore conformance: %s', (kind) => {
  let harness: Harness;
  let store: WalletStore;
  beforeEach(() => {
    harness = (harnesses[kind] as () => Harness)();
    store = harness.open();
  });
  afterEach(async () => {
    await store.close();
    harness.cleanup();
  });

  it('is empty at first', async () => {
    expect(await store.load()).toBeUndefined();
  });

  it('applies changes in order and reads them back after a reopen', async () => {
    await store.write({ record, addPending: [pendingVoucher(1), pendingVoucher(2), pendingVoucher(3)] });
    await store.write({ removePending: [1], addHistory: [historyRecord(1)] });
    await store.write({
      record: { ...record, spent: { total: '1', byPayee: {} } },
      addPending: [pendingVoucher(4)],
      removePending: [2],
    });
    await store.close();
    store = harness.open();
    const loaded = await store.load();
    expect(loaded?.record.spent.total).toBe('1');
    expect(loaded?.pending.map((p) => p.seq)).toEqual([3, 4]);
    expect(loaded?.pending[0]).toEqual(pendingVoucher(3));
    expect(loaded?.history).toEqual([historyRecord(1)]);
  });

  it('bounds history, keeping the newest', async () => {
    if (kind === 'memory') return; // memory keeps the default bound of 10,000
    await store.write({ record });
    for (let i = 0; i < 6; i++) {
      await store.write({ addHistory: Array.from({ length: 20 }, (_, j) => historyRecord(i * 20 + j)) });
    }
    await store.close();
    store = harness.open();
    const history = (await store.load())?.history ?? [];
    expect(history).toHaveLength(50);
    expect(history[history.length - 1]?.seq).toBe(119);
    expect(history[0]?.seq).toBe(70);
  });

  it('survives compaction and ignores a torn last line', async () => {
    if (harness.tear === undefined) return;
    await store.write({ record });
    for (let seq = 1; seq <= 40; seq++)
      await store.write({ addPending: [pendingVoucher(seq)], removePending: seq > 2 ? [seq - 2] : [] });
    await store.close();
    harness.tear();
    store = harness.open();
    const loaded = await store.load();
    expect(loaded?.record).toEqual(record);
    expect(loaded?.pending.map((p) => p.seq)).toEqual([39, 40]);
    // Appending after a torn end must not glue onto it.
    await store.write({ removePending: [39] });
    await store.close();
    store = harness.open();
    expect((await store.load())?.pending.map((p) => p.seq)).toEqual([40]);
  });
});
