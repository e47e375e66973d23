/**
 * The README's "Use it" section as a program a user could run: its three `ts` blocks (sell,
 * pay, run a hub) taken verbatim, put in the order a first run needs (hub, merchant, wallet),
 * with the names they assume (keys, an Express `app`, `article`) defined and the example
 * addresses replaced by the local ones. Each replacement must find its text, so a README
 * change that the program no longer covers fails the packaging test instead of passing by
 * skipping a block.
 */

/** One README block, split into its import lines and its statements. */
interface Block {
  imports: string[];
  body: string;
}

function split(block: string): Block {
  const lines = block.split('\n');
  return {
    imports: lines.filter((line) => line.startsWith('import ')),
    body: lines.filter((line) => !line.startsWith('import ')).join('\n'),
  };
}

/** `text` with `from` replaced by `to`; throws when `from` is missing. */
function replaced(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the README block no longer contains ${from}:\n${text}`);
  return text.split(from).join(to);
}

/**
 * The program (TypeScript, for the scratch project) made of the README's blocks in README
 * order `[sell, pay, hub]`. It prints `{ status, body }` of the paid fetch as JSON on its last
 * line and exits.
 */
export function readmeProgram(blocks: readonly string[]): string {
  if (blocks.length !== 3) throw new Error(`expected the README's 3 Use it blocks, found ${blocks.length}`);
  const [sell, pay, hub] = blocks.map(split) as [Block, Block, Block];
  const imports = [...new Set([...hub.imports, ...sell.imports, ...pay.imports])];
  let hubBody = replaced(hub.body, "'/var/lib/trickle'", 'dataDir');
  hubBody = replaced(hubBody, 'port: 8787', 'port: 0');
  const sellBody = replaced(sell.body, "'wss://hub.example'", 'hubUrl');
  let payBody = replaced(pay.body, "'wss://hub.example'", 'hubUrl');
  payBody = replaced(payBody, "'https://news.example/articles/42'", "site + '/articles/42'");
  return [
    ...imports,
    "import { mkdtempSync, rmSync } from 'node:fs';",
    "import type { AddressInfo } from 'node:net';",
    "import { tmpdir } from 'node:os';",
    "import { join } from 'node:path';",
    "import express, { type Request } from 'express';",
    "import { createSecretKey, type PublicKey, publicKeyOf } from '@trickle/protocol';",
    '',
    "const dataDir = mkdtempSync(join(tmpdir(), 'trickle-readme-'));",
    'process.chdir(dataDir); // the wallet journal is a relative path',
    'const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));',
    'const merchantSecret = createSecretKey(random);',
    'const payerSecret = createSecretKey(random);',
    'const merchantPublicKey = publicKeyOf(merchantSecret);',
    'const clientKey = publicKeyOf(payerSecret);',
    'const app = express();',
    "const article = (req: Request): string => 'article ' + String(req.params.id);",
    'let hubPublicKey: PublicKey;',
    'let hubUrl: string;',
    '{',
    hubBody,
    '  hubPublicKey = hub.publicKey;',
    '  hubUrl = hub.url;',
    '}',
    '{',
    '  const secretKey = merchantSecret;',
    sellBody,
    '}',
    'const server = app.listen(0, "127.0.0.1");',
    "await new Promise((ready) => server.once('listening', ready));",
    "const site = 'http://127.0.0.1:' + String((server.address() as AddressInfo).port);",
    '{',
    '  const secretKey = payerSecret;',
    payBody,
    '  console.log(JSON.stringify({ status: response.status, body: await response.text() }));',
    '}',
    'rmSync(dataDir, { recursive: true, force: true });',
    'process.exit(0);',
    '',
  ].join('\n');
}
