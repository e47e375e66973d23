import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresChannelStore } from '../src/store/postgresChannelStore.js';
import { sqliteChannelStore } from '../src/store/sqliteChannelStore.js';
import { channelStoreConformance } from './channelStore.conformance.js';
import { dropSchema, postgresUrl, uniqueSchema } from './postgres.js';

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
