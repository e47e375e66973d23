import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, memoryChannelData, memoryChannelStore, postgresUrl, uniqueSchema } from '@trickle/testing/harness';
import { postgresChannelStore } from '../src/store/postgresChannelStore.js';
import { sqliteChannelStore } from '../src/store/sqliteChannelStore.js';
import { channelStoreConformance } from './channelStore.conformance.js';

for (const writer of ['auto', 'inline', 'thread'] as const) {
  channelStoreConformance(`sqlite (writer ${writer})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trickle-store-'));
    return {
      open: async () => sqliteChannelStore({ path: join(dir, 'channels.sqlite'), writer }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  });
}

channelStoreConformance('postgres', async () => {
  const schema = uniqueSchema('trickle_hub_test');
  return {
    open: () => postgresChannelStore({ connectionString: postgresUrl, schema }),
    cleanup: () => dropSchema(schema),
  };
});

// The memory twin (in @trickle/testing) keeps the same promises; its data outlives a store, as a file does.
channelStoreConformance('memory', async () => {
  const data = memoryChannelData();
  return { open: async () => memoryChannelStore({ data }), cleanup: async () => undefined };
});
