/**
 * The merchant of the P9 benchmark in its own process: a `node:http` server selling
 * `GET /v1/call` at 0.0001 USD a call (`entitlement: false`: every call pays), behind
 * `nodeHttpPaywall` with the default in-memory invoice store. Started by paidCalls.ts;
 * it prints one JSON line `{ "url": ... }` once it listens, and stops on SIGTERM.
 *
 *   node --import tsx bench/http/merchantProcess.ts <merchant key seed hex> <hub public key hex> <hub url> <network id>
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMerchant } from '@trickle/merchant';
import { nodeHttpPaywall } from '@trickle/merchant/node-http';
import { asPublicKey, createSecretKey, fromHex } from '@trickle/protocol';

const [keyHex, hubKeyHex, hubUrl, network] = process.argv.slice(2);
if (keyHex === undefined || hubKeyHex === undefined || hubUrl === undefined || network === undefined) {
  throw new TypeError('usage: merchantProcess.ts <merchant key seed hex> <hub public key hex> <hub url> <network id>');
}
const merchant = createMerchant({
  secretKey: createSecretKey(() => fromHex(keyHex, 48)), // the parent's seed: the same key as the parent's
  hub: { publicKey: asPublicKey(fromHex(hubKeyHex, 33)), url: hubUrl, networkId: Number(network) },
  asset: { code: 'USD', scale: 6 },
});
const paywall = nodeHttpPaywall(merchant, { price: '0.0001', entitlement: false, description: 'One call' });
const body = JSON.stringify({ answer: 42 });
const server = createServer(async (req, res) => {
  if (!(await paywall(req, res))) return; // a 402 was sent
  res.setHeader('content-type', 'application/json');
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
