/**
 * Channels shared by the multi-process tests: built deterministically, so every process
 * derives the same signed states.
 */
import type { TrickleLedger } from '@trickle/ledger';
import { ClientChannel, client, payee, usd } from '@trickle/testing/fixtures';

export const setupAtMs = 1_700_000_000_000;
export const runAtMs = setupAtMs + 3_600_000;
export const hubOptions = { feePpm: 10_000, challengeWindowMs: 60_000, finalizeBatchChannels: 4 };
export const channelCount = 24;

const payees = [payee('hub a'), payee('hub b'), payee('hub c')];

/** The channels, each with three signed vouchers. */
export function hubChannels(): ClientChannel[] {
  return Array.from({ length: channelCount }, (_, i) => {
    const c = new ClientChannel(client(`hub ${i}`), 70_000 + i);
    for (let v = 0; v < 3; v++) c.pay(payees[(i + v) % 3] as never, BigInt(10 + i + v)).sign();
    return c;
  });
}

/** Funds and opens every channel; a third start a client close, a third are claimed, the rest just expire. */
export async function setUpHub(ledger: TrickleLedger): Promise<void> {
  for (const [i, c] of hubChannels().entries()) {
    await ledger.fundPayer({ clientKey: c.clientKey, asset: usd, amount: 500n, reference: `hub-fund-${i}` });
    await ledger.openChannel({
      channelId: c.channelId,
      clientKey: c.clientKey,
      asset: usd,
      deposit: 400n,
      expiresAtMs: setupAtMs + 1_000_000 + (i % 2) * 3_600_000,
    });
    if (i % 3 === 0) await ledger.startClose({ ...c.state(2), by: 'client' });
    if (i % 3 === 1) await ledger.claim(c.state(1));
  }
}

/** What one hub process does at run time: finalize what is due, close some cooperatively. */
export async function runHub(ledger: TrickleLedger, worker: number): Promise<string[]> {
  const channels = hubChannels();
  const closes = channels
    .map((c, i) => ({ c, i }))
    .filter(({ i }) => i % 2 === 1 && i % 3 !== 0)
    .map(({ c, i }) => ledger.closeCooperative(c.state(3, i % 3 === 1 ? 1 : 0)).then((r) => r.channel));
  const due = ledger.finalizeDueReport();
  const [report, ...closed] = await Promise.all([due, ...closes]);
  if (report.failed.length > 0) throw new Error(`worker ${worker}: ${report.failed.length} failed`);
  void closed;
  return report.finalized.map((r) => Buffer.from(r.channel.channelId).toString('hex'));
}
