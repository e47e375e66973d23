/**
 * A full disk can fail an append after part of its line was written. That write rejects
 * (nothing it held is sent), but its fragment must not stay in the journal: the next
 * append would glue onto it, leaving a broken line in the middle of the file, and the
 * wallet could never load its store again (its signed vouchers, its channel) after that.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pendingVoucher, walletRecord } from './storeRecords.js';

const disk = vi.hoisted(() => ({ full: false }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof real.open>): Promise<FileHandle> => {
    const handle = await real.open(...args);
    const appendFile = handle.appendFile.bind(handle);
    return new Proxy(handle, {
      get(target, property) {
        if (property !== 'appendFile') {
          const value = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return async (data: string, options: unknown) => {
          if (!disk.full) return appendFile(data, options as BufferEncoding);
          // Half the line reaches the file, then the disk is full.
          await appendFile(data.slice(0, Math.floor(data.length / 2)), 'utf8');
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        };
      },
    }) as FileHandle;
  };
  return { ...real, open, default: { ...real, open } };
});

const { fileStore } = await import('../src/store/fileStore.js');

const record = walletRecord;

describe('file store: an append torn by a full disk', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trickle-torn-'));
    path = join(dir, 'wallet.jsonl');
    disk.full = false;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects that write and leaves the journal loadable, without it, for the writes after it', async () => {
    const store = fileStore({ path });
    await store.write({ record, addPending: [pendingVoucher(1)] });
    disk.full = true;
    await expect(store.write({ addPending: [pendingVoucher(2)] })).rejects.toMatchObject({ code: 'STORE_FAILED' });
    disk.full = false;
    await store.write({ addPending: [pendingVoucher(3)] });
    await store.close();

    const reopened = fileStore({ path });
    const loaded = await reopened.load();
    expect(loaded?.record).toEqual(record);
    expect(loaded?.pending.map((p) => p.seq)).toEqual([1, 3]);
    await reopened.close();
  });
});
