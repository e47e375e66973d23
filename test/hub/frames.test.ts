/**
 * Hostile frames: oversized, malformed, text, unauthenticated, failed auth, silence,
 * floods. Each gets a typed reject (or close code), the connection's policy is applied,
 * and a wallet paying on another connection at the same time is unaffected.
 */

import { connect } from 'node:net';
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import { createHub, type Hub } from '@trickle/hub';
import { frameBytesMax, type HubMessage, publicKeyOf, writeCanonical } from '@trickle/protocol';
import { rawClient } from '@trickle/testing/harness';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fund, networkId, tempDir, testKey, testMerchant } from './fixtures.js';

function rejectCode(message: HubMessage): string {
  return message.type === 'reject' ? message.code : `not a reject: ${message.type}`;
}

describe('hostile frames', () => {
  let dir: ReturnType<typeof tempDir>;
  let hub: Hub;
  let wallet: Wallet;
  let merchant: ReturnType<typeof testMerchant>;
  let paying: Promise<unknown>;
  let stopPaying = false;

  beforeAll(async () => {
    dir = tempDir();
    hub = await createHub({
      dataDir: dir.path,
      networkId,
      limits: { authTimeoutMs: 300, connectionsPerKeyMax: 3, messagesPerSecondMax: 50, messagesBurstMax: 50 },
    });
    await fund(hub, publicKeyOf(testKey('honest')), 100_000_000n);
    merchant = testMerchant('frames', hub);
    await hub.registerMerchant({ publicKey: merchant.publicKey });
    wallet = await createWallet({ key: testKey('honest'), hub: { url: hub.url, networkId }, store: memoryStore() });
    await wallet.openChannel({ deposit: 50_000_000n });
    // An honest client pays throughout the hostile tests.
    paying = (async () => {
      let count = 0;
      while (!stopPaying) {
        await wallet.pay(merchant.request(1n));
        count++;
      }
      return count;
    })();
  });
  afterAll(async () => {
    await wallet.stop();
    await hub.close();
    dir.remove();
  });

  it('unauthenticated: anything before auth is UNEXPECTED_MESSAGE, then close 1008', async () => {
    const client = await rawClient(hub.url, testKey('anon'), false);
    client.send({ type: 'sync', id: 3, channelId: new Uint8Array(32) as never });
    const answer = await client.next();
    expect(rejectCode(answer)).toBe('UNEXPECTED_MESSAGE');
    expect(answer.type === 'reject' && answer.id).toBe(3);
    expect((await client.closed).code).toBe(1008);
  });

  it('failed auth: AUTH_FAILED, then close 1008', async () => {
    const client = await rawClient(hub.url, testKey('liar'), false);
    client.send({
      type: 'auth',
      clientKey: client.signer.publicKey,
      signature: client.signer.sign(new Uint8Array([1])),
    });
    expect(rejectCode(await client.next())).toBe('AUTH_FAILED');
    expect((await client.closed).code).toBe(1008);
  });

  it('an auth frame that fails the schema: MALFORMED_FRAME, then close 1008 (nothing but a valid auth before auth)', async () => {
    const client = await rawClient(hub.url, testKey('sloppy'), false);
    client.send({ type: 'auth', clientKey: client.signer.publicKey, signature: new Uint8Array(80) as never });
    expect(rejectCode(await client.next())).toBe('MALFORMED_FRAME');
    expect((await client.closed).code).toBe(1008);
    const garbled = await rawClient(hub.url, testKey('garbled'), false);
    garbled.sendBytes(new Uint8Array([0xc1]));
    expect(rejectCode(await garbled.next())).toBe('MALFORMED_FRAME');
    expect((await garbled.closed).code).toBe(1008);
  });

  it('silence: no auth within authTimeoutMs closes 1008', async () => {
    const client = await rawClient(hub.url, testKey('silent'), false);
    expect((await client.closed).code).toBe(1008);
  });

  it('malformed: MALFORMED_FRAME (with the request id when readable), closed after badFramesMax', async () => {
    const client = await rawClient(hub.url, testKey('mangler'));
    client.sendBytes(new Uint8Array([0xc1, 0xff, 0x00]));
    expect(rejectCode(await client.next())).toBe('MALFORMED_FRAME');
    // A sync with a 31-byte channel id: canonical, refused by the schema, its id still readable.
    client.sendBytes(writeCanonical({ ch: new Uint8Array(31), id: 42, t: 'sync' }));
    const answer = await client.next();
    expect(rejectCode(answer)).toBe('MALFORMED_FRAME');
    expect(answer.type === 'reject' && answer.id).toBe(42);
    client.sendBytes('a text frame');
    expect(rejectCode(await client.next())).toBe('MALFORMED_FRAME');
    expect((await client.closed).code).toBe(1008);
  });

  it('oversized: FRAME_TOO_LARGE then close 1009; far larger frames are cut off by ws (1009)', async () => {
    const client = await rawClient(hub.url, testKey('big'));
    client.sendBytes(new Uint8Array(frameBytesMax + 1_000));
    const tooLarge = await client.next();
    expect(
      rejectCode(tooLarge),
      JSON.stringify(tooLarge, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    ).toBe('FRAME_TOO_LARGE');
    expect((await client.closed).code).toBe(1009);
    const huge = await rawClient(hub.url, testKey('huge'));
    huge.sendBytes(new Uint8Array(4 * frameBytesMax));
    expect((await huge.closed).code).toBe(1009);
  });

  it('flood: messages beyond the rate limit are RATE_LIMITED', async () => {
    const client = await rawClient(hub.url, testKey('flood'));
    for (let i = 0; i < 120; i++) client.send({ type: 'sync', id: i, channelId: new Uint8Array(32) as never });
    const codes = new Set<string>();
    for (let i = 0; i < 120; i++) codes.add(rejectCode(await client.next()));
    expect(codes).toEqual(new Set(['UNKNOWN_CHANNEL', 'RATE_LIMITED']));
    client.close();
  });

  it('connections per key are capped', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => rawClient(hub.url, testKey('many'))));
    const extra = await rawClient(hub.url, testKey('many'), false);
    const { authSigningBytes } = await import('@trickle/protocol');
    extra.send({
      type: 'auth',
      clientKey: extra.signer.publicKey,
      signature: extra.signer.sign(authSigningBytes(extra.domain, extra.challenge.nonce, extra.signer.publicKey)),
    });
    expect(rejectCode(await extra.next())).toBe('RATE_LIMITED');
    expect((await extra.closed).code).toBe(1013);
    for (const c of clients) c.close();
  });

  it('connections per address are capped in the upgrade handler (429)', async () => {
    const small = await createHub({ dataDir: `${dir.path}/small`, networkId, limits: { connectionsPerAddressMax: 2 } });
    const first = await rawClient(small.url, testKey('addr 1'), false);
    const second = await rawClient(small.url, testKey('addr 2'), false);
    const error = await rawClient(small.url, testKey('addr 3'), false).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/429/);
    first.close();
    second.close();
    await small.close();
  });

  it('a peer that resets its connection after a refused upgrade does not crash the hub', async () => {
    const small = await createHub({ dataDir: `${dir.path}/reset`, networkId, limits: { connectionsPerAddressMax: 1 } });
    const first = await rawClient(small.url, testKey('reset 1'), false);
    const { port } = new URL(small.url);
    for (let i = 0; i < 5; i++) {
      // A raw upgrade request, refused with 429; the peer answers the refusal with a TCP reset.
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      const refused = await new Promise<string>((resolve) => {
        socket.once('data', (chunk: Buffer) => resolve(chunk.toString()));
        socket.write(
          'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        );
      });
      expect(refused).toMatch(/^HTTP\/1.1 429/);
      socket.resetAndDestroy();
    }
    // Still serving (an unhandled ECONNRESET on the refused socket would have failed the run).
    first.close();
    await expect.poll(() => small.connectionCount).toBe(0);
    const again = await rawClient(small.url, testKey('reset 2'), false);
    again.close();
    await small.close();
  });

  it('heartbeat terminates a peer that stops answering pings; idle connections are closed', async () => {
    const lively = await createHub({
      dataDir: `${dir.path}/lively`,
      networkId,
      limits: { heartbeatIntervalMs: 40, idleTimeoutMs: 300 },
    });
    const dead = await rawClient(lively.url, testKey('dead peer'), true, { autoPong: false });
    const idle = await rawClient(lively.url, testKey('idle peer'));
    expect((await dead.closed).code).toBe(1006); // terminated: no closing handshake
    const closed = await idle.closed;
    expect(closed).toEqual({ code: 1000, reason: 'idle' });
    await lively.close();
  });

  it('random bytes never crash the hub: each is a typed reject (property)', async () => {
    let client = await rawClient(hub.url, testKey('fuzzer'));
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 300 }), async (bytes) => {
        if (sent > 0 && sent % 3 === 0) {
          await client.closed;
          client = await rawClient(hub.url, testKey('fuzzer'));
        }
        sent++;
        client.sendBytes(bytes);
        expect(['MALFORMED_FRAME', 'FRAME_TOO_LARGE']).toContain(rejectCode(await client.next()));
      }),
      { numRuns: 45 },
    );
    client.close();
  });

  it('the honest wallet kept paying throughout', async () => {
    stopPaying = true;
    const count = (await paying) as number;
    expect(count).toBeGreaterThan(0);
    expect(wallet.balance()?.acknowledged).toBe(BigInt(count));
    expect(hub.channel(wallet.balance()!.channelId)?.cumulative).toBe(BigInt(count));
  });
});
