/** A hub that cannot listen says why, and gives back what it opened so a retry works. */

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { createHub, HubError } from '@trickle/hub';
import { describe, expect, it } from 'vitest';
import { networkId, tempDir } from './fixtures.js';

describe('createHub on a port in use', () => {
  it('fails with LISTEN_FAILED naming the port, and a retry on a free port succeeds on the same data folder', async () => {
    const dir = tempDir();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const failed = await createHub({ dataDir: dir.path, networkId, port }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(HubError);
      expect((failed as HubError).code).toBe('LISTEN_FAILED');
      expect((failed as HubError).message).toContain(`127.0.0.1:${port}: the port is in use`);
      const hub = await createHub({ dataDir: dir.path, networkId });
      expect(hub.port).not.toBe(port);
      await hub.close();
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
      dir.remove();
    }
  });
});
