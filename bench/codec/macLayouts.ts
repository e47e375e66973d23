/**
 * The hub's two per-entry MACs in isolation: checking a payment request's MAC and making a
 * receipt's MAC (16 entries per voucher), in ns per entry, for this tree and optionally a
 * baseline checkout, each in its own child process, alternated, three rounds.
 *
 * Reproduce: node --import tsx bench/codec/macLayouts.ts [--baseline <checkout, built>] [--rounds n]
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const childAt = argv.indexOf('--child');

if (childAt !== -1) {
  const tree = argv[childAt + 1] as string;
  const p = await import(pathToFileURL(`${tree}/packages/protocol/dist/index.js`).href);
  const key = new Uint8Array(32).fill(7);
  const body = {
    networkId: 1,
    hubId: new Uint8Array(32).fill(1),
    payee: new Uint8Array(32).fill(2),
    invoiceId: new Uint8Array(16).fill(3),
    asset: { code: 'USD', scale: 6 },
    amount: 5n,
    expiresAtMs: 2_000_000_000_000,
    resource: new Uint8Array(32).fill(4),
  };
  const request = p.createPaymentRequest(key, body);
  const n = 300_000;
  const time = (count: number, f: () => void) => {
    for (let i = 0; i < count / 10; i++) f();
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) f();
    return Number(process.hrtime.bigint() - start);
  };
  let valid = 0;
  const requestNs =
    time(n, () => {
      if (p.checkPaymentRequestMac(key, request)) valid++;
    }) / n;
  if (valid === 0) throw new Error('the request MAC did not verify');
  const channel = { channelId: new Uint8Array(32).fill(9), asset: body.asset };
  const entries = Array.from({ length: 16 }, (_, i) => ({
    payee: body.payee,
    invoiceId: new Uint8Array(16).fill(i),
    amount: 5n,
  }));
  const context = { domain: { networkId: 1, hubId: body.hubId }, payeeKey: () => key };
  const vouchers = n / 16;
  const receiptNs = time(vouchers, () => p.receiptMacsFor(channel, 7, entries, context)) / (vouchers * 16);
  process.stdout.write(JSON.stringify({ requestNs, receiptNs }));
} else {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const baselineAt = argv.indexOf('--baseline');
  const roundsAt = argv.indexOf('--rounds');
  const rounds = roundsAt === -1 ? 3 : Number(argv[roundsAt + 1]);
  const trees: [string, string][] = [['this tree', root]];
  if (baselineAt !== -1) trees.push(['baseline', argv[baselineAt + 1] as string]);
  const results = new Map<string, { requestNs: number[]; receiptNs: number[] }>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, dir] of round % 2 === 0 ? trees : [...trees].reverse()) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', dir], {
        encoding: 'utf8',
      });
      const figures = JSON.parse(out) as { requestNs: number; receiptNs: number };
      const seen = results.get(name) ?? { requestNs: [], receiptNs: [] };
      seen.requestNs.push(figures.requestNs);
      seen.receiptNs.push(figures.receiptNs);
      results.set(name, seen);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  console.log(`Reproduce: node --import tsx bench/codec/macLayouts.ts ${argv.join(' ')}`.trim());
  console.log(`\n| tree | request MAC check, ns/entry | receipt MAC, ns/entry | (median of ${rounds}) |`);
  console.log('| --- | ---: | ---: | --- |');
  for (const [name, r] of results)
    console.log(
      `| ${name} | ${Math.round(median(r.requestNs))} | ${Math.round(median(r.receiptNs))} | ${r.requestNs.map(Math.round).join(', ')} / ${r.receiptNs.map(Math.round).join(', ')} |`,
    );
}
