/**
 * What the channel store costs per payment when many channels share a commit (P3's shape):
 * batches of one-voucher, one-entry writes of distinct channels, committed on the SQLite
 * writer thread; CPU time per write of the event loop and of the other threads (Linux /proc).
 *
 * Reproduce: node --import tsx bench/hotpath/storeCost.ts [writesPerCommit] [commits]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteChannelStore } from '@trickle/hub/sqlite';
import {
  type ChannelId,
  type HubChannel,
  type InvoiceId,
  type LogHead,
  logGenesis,
  logStep,
  type PayeeId,
  type PublicKey,
  type Signature,
} from '@trickle/protocol';

const [perCommitText, commitsText] = process.argv.slice(2);
const perCommit = Number(perCommitText ?? 200);
const commits = Number(commitsText ?? 100);
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const domain = { networkId: 1, hubId: randomBytes(32) as never };

/** CPU ms of this process's main thread and of its other threads. */
function threadsMs(): { loop: number; others: number } {
  let loop = 0;
  let others = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    const fields = (readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * 10;
    if (tid === String(process.pid)) loop += ms;
    else others += ms;
  }
  return { loop, others };
}

const dir = mkdtempSync(join(tmpdir(), 'trickle-storecost-'));
const store = sqliteChannelStore({ path: join(dir, 'channels.sqlite'), writer: 'thread' });
const channels: HubChannel[] = Array.from({ length: perCommit }, () => {
  const channelId = randomBytes(32) as ChannelId;
  return {
    channelId,
    clientKey: randomBytes(33) as PublicKey,
    asset: { code: 'USD', scale: 6 },
    deposit: 1_000_000_000n,
    expiresAtMs: Date.now() + 3_600_000,
    seq: 0,
    cumulative: 0n,
    logHead: logGenesis(domain, channelId) as LogHead,
  };
});
await store.commit(channels.map((channel) => ({ channel })));
const payee = randomBytes(32) as PayeeId;
let before = threadsMs();
const start = performance.now();
for (let c = 0; c < commits; c++) {
  if (c === 10) before = threadsMs(); // warm-up
  const writes = channels.map((channel, i) => {
    const entry = { payee, invoiceId: randomBytes(16) as InvoiceId, amount: 3n, expiresAtMs: Date.now() + 3_600_000 };
    const next: HubChannel = {
      ...channel,
      seq: channel.seq + 1,
      cumulative: channel.cumulative + 3n,
      logHead: logStep(channel.logHead, entry),
      signature: randomBytes(64) as Signature,
    };
    channels[i] = next;
    return {
      channel: next,
      vouchers: [
        {
          seq: next.seq,
          cumulative: next.cumulative,
          logHead: next.logHead,
          signature: next.signature as Signature,
          entries: [entry],
        },
      ],
      acceptedAtMs: Date.now(),
    };
  });
  await store.commit(writes);
}
const took = performance.now() - start;
const after = threadsMs();
const writes = (commits - 10) * perCommit;
console.log(
  `${perCommit} writes per commit: event loop ${(((after.loop - before.loop) * 1000) / writes).toFixed(1)} µs, other threads ${(((after.others - before.others) * 1000) / writes).toFixed(1)} µs per write; ${Math.round((commits * perCommit * 1000) / took)} writes/s`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
