import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresChannelStore } from '../src/store/postgresChannelStore.js';
import { sqliteChannelStore } from '../src/store/sqliteChannelStore.js';
import { channelStoreConformance } from './channelStore.conformance.js';

const postgresUrl = process.env.TRICKLE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

channelStoreConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-store-'));
  return {
    open: async () => sqliteChannelStore({ path: join(dir, 'channels.sqlite') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

channelStoreConformance('postgres', async () => {
  const schema = `trickle_hub_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  return {
    open: () => postgresChannelStore({ connectionString: postgresUrl, schema }),
    cleanup: async () => {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
});
