/** `hub.accept`: sessions on sockets accepted elsewhere, under the listener's admission rules. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub } from '@trickle/hub';
import { decodeHubMessage, type HubMessage } from '@trickle/protocol';
import { createSimNetwork, seededRandom } from '@trickle/testing';
import { expect, it } from 'vitest';

it('runs a session on an accepted socket and refuses one over connectionsMax with 1013', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trickle-accept-'));
  const hub = await createHub({ dataDir: dir, networkId: 4, listen: false, limits: { connectionsMax: 1 } });
  try {
    expect(hub.url).toBe('');
    const network = createSimNetwork(seededRandom(1));
    const admitted: boolean[] = [];
    network.listen((socket, address) => admitted.push(hub.accept(socket, address)));
    const received: HubMessage[] = [];
    const closes: number[] = [];
    const handlers = {
      onOpen() {},
      onMessage: (bytes: Uint8Array) => received.push(decodeHubMessage(bytes)),
      onClose: (code: number) => closes.push(code),
    };
    network.transport('first').connect('', handlers);
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]?.type).toBe('challenge');
    expect(hub.connectionCount).toBe(1);
    network.transport('second').connect('', handlers);
    await expect.poll(() => closes).toEqual([1013]);
    expect(admitted).toEqual([true, false]);
    expect(hub.connectionCount).toBe(1);
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
