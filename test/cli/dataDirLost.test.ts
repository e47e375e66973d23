/**
 * A hub whose data folder vanishes while it runs stops loudly (a fatal log line, exit 1)
 * instead of writing on into deleted files.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { exitCodes } from '@trickle/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../hub/fixtures.js';
import { type HubChild, startHub } from './run.js';

describe('trickle hub start without its data folder', () => {
  const dir = tempDir('trickle-lost-');
  let hub: HubChild | undefined;
  afterAll(async () => {
    if (hub !== undefined && hub.child.exitCode === null) {
      hub.child.kill('SIGKILL');
      await hub.exited;
    }
    dir.remove();
  });

  it('stops with exit 1 and says so when the folder is deleted', async () => {
    const dataDir = join(dir.path, 'hub');
    hub = await startHub(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    expect(await hub.exited).toBe(exitCodes.failed);
    expect(hub.stderr()).toMatch(/the data folder is gone or unwritable \(it was deleted\): stopping the hub/);
  }, 120_000);
});
