/**
 * The `trickle` command line (commander): every subcommand, its help, its output and its
 * exit code. ADR 0410.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  type Asset,
  createSecretKey,
  formatAmount,
  hubIdFromKey,
  parseAmount,
  payeeIdFromKey,
  publicKeyOf,
  toHex,
} from '@trickle/protocol';
import { Command, CommanderError, Option } from 'commander';
import { type AdminEndpoint, adminEndpoint, adminRequest } from './adminClient.js';
import { dataDirOf, resolveHubConfig } from './config.js';
import { CliError, exitCodes } from './errors.js';
import { toJson } from './json.js';

/** Where the CLI writes: stdout for results, stderr for messages and progress. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: CliOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

interface Common {
  dataDir?: string;
  adminUrl?: string;
  token?: string;
  json?: boolean;
}

/**
 * Runs `trickle` with `argv` (without node and the script) and resolves with its exit code.
 *
 * @example
 * ```ts
 * import { runCli } from '@trickle/cli';
 * const code = await runCli(['merchant', 'list', '--data-dir', '/var/lib/trickle']);
 * process.exitCode = code;
 * ```
 */
export async function runCli(argv: readonly string[], output: CliOutput = processOutput): Promise<number> {
  const program = buildProgram(output);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return Number(process.exitCode ?? exitCodes.ok);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.help' ||
        error.code === 'commander.version'
      ) {
        return exitCodes.ok;
      }
      return exitCodes.usage;
    }
    if (error instanceof CliError) {
      output.err(`trickle: ${error.message}\n`);
      return error.exitCode;
    }
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'DATA_DIR_LOCKED') {
      output.err(`trickle: ${(error as Error).message}\n`);
      return exitCodes.refused;
    }
    output.err(`trickle: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    return exitCodes.failed;
  }
}

function buildProgram(output: CliOutput): Command {
  const program = new Command('trickle')
    .description(
      'Run and operate a Trickle hub: keys, the hub service, ledger, merchants, channels, settlement, audit, backups.',
    )
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 failed, 2 usage or configuration, 3 hub unreachable, 4 refused by the hub, 5 a check failed.
Commands other than "hub start", "keys generate", "backup" and "restore" talk to the running hub's
admin API, found through <data-dir>/hub.json and <data-dir>/admin.token.`,
    );
  const withCommon = (command: Command) =>
    command
      .exitOverride()
      .configureOutput({ writeOut: output.out, writeErr: output.err })
      .option('-d, --data-dir <dir>', "the hub's data folder (env TRICKLE_DATA_DIR; default ./.trickle)")
      .option('--admin-url <url>', 'admin API of a hub elsewhere (env TRICKLE_ADMIN_URL)')
      .option('--token <token>', 'admin bearer token (env TRICKLE_ADMIN_TOKEN; default <data-dir>/admin.token)')
      .option('--json', 'print JSON instead of text');
  const endpointOf = (options: Common): AdminEndpoint =>
    adminEndpoint(dataDirOf(options.dataDir), {
      ...(options.adminUrl === undefined ? {} : { adminUrl: options.adminUrl }),
      ...(options.token === undefined ? {} : { token: options.token }),
    });
  const print = (options: Common, value: unknown, text: () => string) =>
    output.out(options.json === true ? `${toJson(value, 2)}\n` : `${text()}\n`);
  const assetOf = async (endpoint: AdminEndpoint, code: string | undefined): Promise<Asset> => {
    const { assets } = await adminRequest<{ assets: Asset[] }>(endpoint, 'GET', '/v1/hub');
    const found = code === undefined ? assets[0] : assets.find((a) => a.code === code);
    if (found === undefined) {
      throw new CliError(
        exitCodes.usage,
        `--asset ${code}: the hub's assets are ${assets.map((a) => a.code).join(', ')}`,
      );
    }
    return found;
  };
  const amountOf = (text: string, asset: Asset): bigint => {
    try {
      return parseAmount(text, asset);
    } catch (error) {
      throw new CliError(exitCodes.usage, `--amount: ${(error as Error).message}`);
    }
  };
  const money = (units: string | bigint, asset: Asset) => formatAmount(BigInt(units), asset, { withCode: true });
  /**
   * A money movement through the admin API (funding, payout), idempotent by `--reference`:
   * sends it with the amount in the asset's minor units and prints what moved and what is left.
   */
  const moveMoney = async (
    options: Common & { amount: string; reference: string; asset?: string },
    path: string,
    fields: Record<string, string>,
    line: (amount: string, outcome: string, available: string) => string,
  ) => {
    const endpoint = endpointOf(options);
    const asset = await assetOf(endpoint, options.asset);
    const amount = amountOf(options.amount, asset);
    const moved = await adminRequest<{ status: string; available: string }>(endpoint, 'POST', path, {
      ...fields,
      amount: amount.toString(),
      reference: options.reference,
      asset: asset.code,
    });
    const outcome = moved.status === 'created' ? 'new' : 'already done: nothing moved';
    print(options, moved, () => line(money(amount, asset), outcome, money(moved.available, asset)));
  };

  // keys
  const keys = program.command('keys').description('Secp256k1 keys for the hub or a merchant').exitOverride();
  withCommon(
    keys
      .command('generate')
      .description('Write a new secret key (hex, mode 0600) and print its public key, hub id and payee id')
      .option('-o, --out <file>', 'key file to write (default <data-dir>/hub.key)'),
  ).action(async (options: Common & { out?: string }) => {
    const { hubKeyFileName, systemRandomBytes } = await import('@trickle/hub');
    const path = resolve(options.out ?? join(dataDirOf(options.dataDir), hubKeyFileName));
    if (existsSync(path)) {
      throw new CliError(
        exitCodes.usage,
        `${path} exists: a key is never overwritten; pass --out with a new file, or move the old key away`,
      );
    }
    const secretKey = createSecretKey(systemRandomBytes);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, `${toHex(secretKey)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const publicKey = publicKeyOf(secretKey);
    const result = {
      file: path,
      publicKey: toHex(publicKey),
      hubId: toHex(hubIdFromKey(publicKey)),
      payeeId: toHex(payeeIdFromKey(publicKey)),
    };
    print(options, result, () =>
      [
        `key       ${path} (0600; never share it)`,
        `public    ${result.publicKey}`,
        `hub id    ${result.hubId}`,
        `payee id  ${result.payeeId}`,
      ].join('\n'),
    );
  });

  // hub
  const hub = program.command('hub').description('The hub service').exitOverride();
  hub
    .command('start')
    .description('Run the hub in the foreground until SIGTERM or SIGINT (then it drains and exits 0)')
    .exitOverride()
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .option('-c, --config <file>', 'JSON configuration file (env TRICKLE_CONFIG); flags beat env beat file')
    .option(
      '-d, --data-dir <dir>',
      'data folder: hub.key, SQLite files, admin.token (env TRICKLE_DATA_DIR; default ./.trickle)',
    )
    .option('--network-id <n>', 'network id every signature is bound to (env TRICKLE_NETWORK_ID; default 1)')
    .option('--host <host>', 'wallet listener interface (env TRICKLE_HOST; default 127.0.0.1)')
    .option('-p, --port <port>', 'wallet listener port, 0 = any (env TRICKLE_PORT; default 8787)')
    .option('--admin-host <host>', 'admin API interface; keep it private (env TRICKLE_ADMIN_HOST; default 127.0.0.1)')
    .option('--admin-port <port>', 'admin API port, 0 = any (env TRICKLE_ADMIN_PORT; default 8788)')
    .option(
      '--database <url>',
      'postgres://… for the ledger and the channel store (env TRICKLE_DATABASE; default SQLite in the data folder)',
    )
    .option(
      '--schema <prefix>',
      'PostgreSQL schema prefix: <prefix>_ledger, <prefix>_hub (env TRICKLE_SCHEMA; default trickle)',
    )
    .option('--fee-ppm <ppm>', 'hub fee in parts per million (env TRICKLE_FEE_PPM; default 0)')
    .addOption(
      new Option('--log-level <level>', 'log level (env TRICKLE_LOG_LEVEL; default info)').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    )
    .option('--tls-cert <file>', 'PEM certificate: serve wss:// and https:// (env TRICKLE_TLS_CERT)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert (env TRICKLE_TLS_KEY)')
    .option(
      '--hub-signer <module>',
      'module exporting createHubSigner(config): the hub key in a KMS or HSM, no hub.key (env TRICKLE_HUB_SIGNER)',
    )
    .option(
      '--alert-webhook <url>',
      'POST signed alerts here when a threshold is crossed (env TRICKLE_ALERT_WEBHOOK; secret: env TRICKLE_ALERT_SECRET)',
    )
    .option('--alert-secret <secret>', 'HMAC key of the alerts (prefer env TRICKLE_ALERT_SECRET: flags show in ps)')
    .option('--alert-escrow-max <minor>', 'alert when escrow of an asset reaches this (minor units)')
    .option('--alert-liability-max <minor>', 'alert when unsettled liability of an asset reaches this (minor units)')
    .option('--alert-merchant-balance-max <minor>', "alert when a merchant's balance reaches this (minor units)")
    .option(
      '--alert-interval-ms <ms>',
      'how often alert values are read (env TRICKLE_ALERT_INTERVAL_MS; default 10000)',
    )
    .action(async (flags: Record<string, string>) => {
      const config = resolveHubConfig(flags);
      const { startHubService } = await import('./service.js');
      const service = await startHubService(config);
      const onSignal = (signal: NodeJS.Signals) => void service.stop(signal);
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      output.err(
        `trickle: hub ${service.info.hubId} on ${service.info.url}, admin ${service.info.adminUrl}; SIGTERM stops it\n`,
      );
      const code = await service.stopped;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.exitCode = code;
    });
  withCommon(
    hub.command('status').description('Ask the running hub who it is and whether it is ready (exit 5 if not)'),
  ).action(async (options: Common) => {
    const endpoint = endpointOf(options);
    const info = await adminRequest<Record<string, unknown>>(endpoint, 'GET', '/v1/hub');
    const ready = await fetch(`${endpoint.url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    print(options, { ...info, ready }, () =>
      [
        `hub       ${String(info.hubId)}`,
        `url       ${String(info.url)}`,
        `clients   ${String(info.connections)}`,
        `ready     ${ready ? 'yes' : 'NO: see the hub log'}`,
      ].join('\n'),
    );
    if (!ready) process.exitCode = exitCodes.checkFailed;
  });

  // ledger
  const ledger = program
    .command('ledger')
    .description("The hub's ledger: fund payers, read balances and history")
    .exitOverride();
  withCommon(
    ledger
      .command('fund')
      .description("Credit a payer's ledger account with money from outside (idempotent by --reference)")
      .requiredOption('--client <publicKey>', "the payer's public key (hex)")
      .requiredOption('--amount <amount>', 'decimal amount in the asset, e.g. 10 or 0.25')
      .requiredOption(
        '--reference <id>',
        "the outside system's reference (card charge, bank transfer); a retry with it moves nothing",
      )
      .option('--asset <code>', "asset code (default: the hub's first)"),
  ).action((options: Common & { client: string; amount: string; reference: string; asset?: string }) =>
    moveMoney(
      options,
      '/v1/ledger/fund',
      { clientKey: options.client },
      (amount, outcome, available) => `funded    ${amount} (${outcome}), available ${available}`,
    ),
  );
  const accountFlags = (command: Command) =>
    withCommon(
      command
        .option('--client <publicKey>', "a payer's public key (hex)")
        .option('--merchant <payeeId>', "a merchant's payee id (hex)")
        .option('--asset <code>', "asset code (default: the hub's first)"),
    );
  const accountQuery = async (options: Common & { client?: string; merchant?: string; asset?: string }) => {
    if ((options.client === undefined) === (options.merchant === undefined)) {
      throw new CliError(exitCodes.usage, 'give exactly one of --client <publicKey> or --merchant <payeeId>');
    }
    const endpoint = endpointOf(options);
    const asset = await assetOf(endpoint, options.asset);
    const who = options.client === undefined ? `payee=${options.merchant}` : `client=${options.client}`;
    return { endpoint, asset, query: `${who}&asset=${asset.code}` };
  };
  accountFlags(ledger.command('balance').description("A payer's or a merchant's ledger balance")).action(
    async (options: Common & { client?: string; merchant?: string; asset?: string }) => {
      const { endpoint, asset, query } = await accountQuery(options);
      const account = await adminRequest<{ id: string; balance: string; available: string }>(
        endpoint,
        'GET',
        `/v1/ledger/balance?${query}`,
      );
      print(
        options,
        account,
        () =>
          `account   ${account.id}\nbalance   ${money(account.balance, asset)}\navailable ${money(account.available, asset)}`,
      );
    },
  );
  accountFlags(
    ledger
      .command('history')
      .description("A payer's or a merchant's transfers, oldest first, a page at a time")
      .option('--after <serial>', 'the last serial of the previous page', '0')
      .option('--limit <n>', 'page size, 1..1000', '100'),
  ).action(
    async (options: Common & { client?: string; merchant?: string; asset?: string; after: string; limit: string }) => {
      const { endpoint, asset, query } = await accountQuery(options);
      const page = await adminRequest<{
        account: string;
        transfers: {
          serial: string;
          debitAccountId: string;
          creditAccountId: string;
          amount: string;
          id: string;
          ref?: string;
          createdAtMs: number;
        }[];
      }>(
        endpoint,
        'GET',
        `/v1/ledger/history?${query}&after=${encodeURIComponent(options.after)}&limit=${encodeURIComponent(options.limit)}`,
      );
      print(options, page, () => {
        const lines = page.transfers.map((t) => {
          const sign = t.creditAccountId === page.account ? '+' : '-';
          return `${t.serial.padStart(6)}  ${new Date(t.createdAtMs).toISOString()}  ${sign}${money(t.amount, asset)}  ${t.ref ?? t.id}`;
        });
        const next = page.transfers.at(-1)?.serial;
        return [...lines, lines.length === 0 ? 'no transfers' : `next page: --after ${next}`].join('\n');
      });
    },
  );

  // merchant
  const merchant = program.command('merchant').description('Merchants (payees) of the hub').exitOverride();
  withCommon(
    merchant
      .command('add')
      .description('Register a merchant by its public key (idempotent); prints its payee id')
      .requiredOption('--public-key <hex>', "the merchant's public key (hex, 33 bytes)")
      .option('--name <name>', 'a label for operators'),
  ).action(async (options: Common & { publicKey: string; name?: string }) => {
    const added = await adminRequest<{ payeeId: string; name: string }>(endpointOf(options), 'POST', '/v1/merchants', {
      publicKey: options.publicKey,
      ...(options.name === undefined ? {} : { name: options.name }),
    });
    print(options, added, () => `merchant  ${added.name || '(no name)'}\npayee id  ${added.payeeId}`);
  });
  withCommon(merchant.command('list').description('Every registered merchant')).action(async (options: Common) => {
    const list = await adminRequest<{ payeeId: string; name: string; registeredAtMs: number }[]>(
      endpointOf(options),
      'GET',
      '/v1/merchants',
    );
    print(options, list, () =>
      list.length === 0
        ? 'no merchants'
        : list.map((m) => `${m.payeeId}  ${new Date(m.registeredAtMs).toISOString()}  ${m.name}`).join('\n'),
    );
  });
  withCommon(
    merchant
      .command('payout')
      .description("Pay a merchant's balance out of the ledger (idempotent by --reference)")
      .requiredOption('--payee <payeeId>', "the merchant's payee id (hex)")
      .requiredOption('--amount <amount>', 'decimal amount in the asset')
      .requiredOption('--reference <id>', "the withdrawal's reference; a retry with it moves nothing")
      .option('--asset <code>', "asset code (default: the hub's first)"),
  ).action((options: Common & { payee: string; amount: string; reference: string; asset?: string }) =>
    moveMoney(
      options,
      `/v1/merchants/${encodeURIComponent(options.payee)}/payout`,
      {},
      (amount, outcome, available) => `paid out  ${amount} (${outcome}), left ${available}`,
    ),
  );

  // channel
  type State = {
    channelId: string;
    clientKey: string;
    asset: Asset;
    deposit: string;
    cumulative: string;
    seq: number;
    status: string;
    expiresAtMs: number;
  };
  const channel = program.command('channel').description("The hub's channels").exitOverride();
  withCommon(
    channel
      .command('list')
      .description('Channels the hub holds (every open one, recent closed ones), by id, a page at a time')
      .option('--after <channelId>', 'the last id of the previous page')
      .option('--limit <n>', 'page size, 1..1000', '100'),
  ).action(async (options: Common & { after?: string; limit: string }) => {
    const query = `limit=${encodeURIComponent(options.limit)}${options.after === undefined ? '' : `&after=${encodeURIComponent(options.after)}`}`;
    const page = await adminRequest<State[]>(endpointOf(options), 'GET', `/v1/channels?${query}`);
    print(options, page, () =>
      page.length === 0
        ? 'no channels'
        : page
            .map(
              (s) =>
                `${s.channelId}  ${s.status.padEnd(9)}  paid ${money(s.cumulative, s.asset)} of ${money(s.deposit, s.asset)}`,
            )
            .join('\n'),
    );
  });
  withCommon(
    channel.command('show').description("One channel: the hub's state and the ledger's").argument('<channelId>', 'hex'),
  ).action(async (channelId: string, options: Common) => {
    const shown = await adminRequest<{
      hub: State | null;
      ledger: { claimed?: { seq: number; cumulative: string }; finalizedAtMs?: number } | null;
    }>(endpointOf(options), 'GET', `/v1/channels/${encodeURIComponent(channelId)}`);
    print(options, shown, () => {
      const s = shown.hub;
      const lines =
        s === null
          ? ['hub       not in memory (closed long ago)']
          : [
              `status    ${s.status}`,
              `payer     ${s.clientKey}`,
              `deposit   ${money(s.deposit, s.asset)}`,
              `paid      ${money(s.cumulative, s.asset)} in ${s.seq} vouchers`,
              `expires   ${new Date(s.expiresAtMs).toISOString()}`,
            ];
      const l = shown.ledger;
      if (l !== null)
        lines.push(
          `claimed   seq ${l.claimed?.seq ?? 0}${l.finalizedAtMs === undefined ? '' : `, finalized ${new Date(l.finalizedAtMs).toISOString()}`}`,
        );
      return lines.join('\n');
    });
  });
  withCommon(
    channel
      .command('close')
      .description(
        "Settle a channel now: claim everything paid on it on the ledger. The payer's close or its expiry ends it; `trickle settle` finalizes it",
      )
      .argument('<channelId>', 'hex'),
  ).action(async (channelId: string, options: Common) => {
    const claimed = await adminRequest<{ claimedSeq: number }>(
      endpointOf(options),
      'POST',
      `/v1/channels/${encodeURIComponent(channelId)}/claim`,
    );
    print(
      options,
      claimed,
      () => `claimed   up to voucher ${claimed.claimedSeq}; merchants are credited on the ledger`,
    );
  });

  // settle, audit
  withCommon(
    program
      .command('settle')
      .description(
        'Run the settlement now: claim by policy in batches, finalize expired and due channels, run payouts',
      ),
  ).action(async (options: Common) => {
    const run = await adminRequest<{
      claimed: { channels: number; entries: number; batches: number };
      finalized: { expired: number; due: number };
      errors: number;
      durationMs: number;
    }>(endpointOf(options), 'POST', '/v1/settle');
    print(options, run, () =>
      [
        `claimed   ${run.claimed.channels} channels, ${run.claimed.entries} payments, in ${run.claimed.batches} batches`,
        `finalized ${run.finalized.expired} expired, ${run.finalized.due} due`,
        `errors    ${run.errors}${run.errors > 0 ? ' (see the hub log)' : ''}`,
      ].join('\n'),
    );
    if (run.errors > 0) process.exitCode = exitCodes.checkFailed;
  });
  withCommon(
    program
      .command('audit')
      .description(
        "Re-check every channel against the payer's signatures, and conservation per asset (exit 5 on a mismatch)",
      ),
  ).action(async (options: Common) => {
    const report = await adminRequest<{
      ok: boolean;
      mismatches: unknown[];
      channels: number;
      signatures: number;
      accounts: number;
      transfers: number;
    }>(endpointOf(options), 'POST', '/v1/audit');
    print(
      options,
      report,
      () =>
        `audit     ${report.ok ? 'ok' : 'MISMATCHES'}: ${report.mismatches.length} mismatches; ${report.channels} channels, ${report.signatures} signatures, ${report.accounts} accounts, ${report.transfers} transfers`,
    );
    if (!report.ok) process.exitCode = exitCodes.checkFailed;
  });

  // backup, restore
  program
    .command('backup')
    .description("Copy the hub's SQLite databases (online, while it runs) and its key into a new folder")
    .exitOverride()
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .option('-d, --data-dir <dir>', "the hub's data folder (env TRICKLE_DATA_DIR; default ./.trickle)")
    .requiredOption('--to <dir>', 'a new or empty folder for the backup')
    .action(async (options: { dataDir?: string; to: string }) => {
      const { SingleBar } = await import('cli-progress');
      const bar = new SingleBar({
        stream: process.stderr,
        format: '{file} [{bar}] {percentage}% {value}/{total} pages',
        hideCursor: true,
      });
      let current = '';
      const { backupDataDir } = await import('./backup.js');
      const written = await backupDataDir(dataDirOf(options.dataDir), resolve(options.to), (file, done, total) => {
        if (file !== current) {
          if (current !== '') bar.stop();
          current = file;
          bar.start(total, done, { file });
        } else bar.update(done);
      });
      if (current !== '') bar.stop();
      output.out(`backed up ${written.join(', ')} to ${resolve(options.to)} (it holds the hub key: keep it secret)\n`);
    });
  program
    .command('restore')
    .description('Put a backup back into a data folder; the hub must be stopped')
    .exitOverride()
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .option('-d, --data-dir <dir>', "the hub's data folder (env TRICKLE_DATA_DIR; default ./.trickle)")
    .requiredOption('--from <dir>', 'a folder written by `trickle backup`')
    .option('--force', 'replace the databases the data folder holds')
    .action(async (options: { dataDir?: string; from: string; force?: boolean }) => {
      const dataDir = dataDirOf(options.dataDir);
      const { restoreDataDir } = await import('./backup.js');
      const restored = await restoreDataDir(resolve(options.from), dataDir, { force: options.force === true });
      output.out(
        `restored  ${restored.join(', ')} into ${dataDir}; start the hub with \`trickle hub start --data-dir ${dataDir}\`\n`,
      );
    });
  return program;
}
