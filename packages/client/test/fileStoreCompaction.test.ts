/**
 * The file store's promise: a write resolves once its line is durable, and rejects only
 * when it is not. Compaction afterwards is housekeeping: when it fails (a full disk has
 * room for a line but not for a snapshot), the journal is still whole and holds the
 * change, so the write must not be reported as failed: the wallet would take a saved
 * voucher for an unsaved one, fail its payments, and still resend it after a restart.
 */
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileStore } from '../src/store/fileStore.js';
import { pendingVoucher, walletRecord } from './storeRecords.js';

const record = walletRecord;

describe('file store: a failed compaction', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trickle-compaction-'));
    path = join(dir, 'wallet.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('does not fail the durable write before it, and is tried again later', async () => {
    const store = fileStore({ path, journalBytesMax: 600 });
    await store.write({ record });
    // The snapshot cannot be written: its temporary path is taken by a folder.
    mkdirSync(`${path}.tmp`);
    await store.write({ addPending: [pendingVoucher(1)] }); // over the bound: compaction runs and fails
    await store.write({ addPending: [pendingVoucher(2)], removePending: [1] });
    const grown = statSync(path).size;
    expect(grown).toBeGreaterThan(600);

    const reopened = fileStore({ path, journalBytesMax: 600 });
    expect((await reopened.load())?.pending.map((p) => p.seq)).toEqual([2]);
    await reopened.close();

    // Once the snapshot can be written, the next write compacts.
    rmdirSync(`${path}.tmp`);
    await store.write({ addPending: [pendingVoucher(3)] });
    expect(statSync(path).size).toBeLessThan(grown);
    await store.close();
    const last = fileStore({ path, journalBytesMax: 600 });
    const loaded = await last.load();
    expect(loaded?.record).toEqual(record);
    expect(loaded?.pending.map((p) => p.seq)).toEqual([2, 3]);
    await last.close();
  });
});
