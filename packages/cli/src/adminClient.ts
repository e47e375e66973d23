/** How the CLI's commands reach a running hub: its admin API, found through the data folder. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, exitCodes } from './errors.js';
import { adminTokenFileName, hubInfoFileName } from './files.js';

/** Where a command sends its request, and the token it proves itself with. */
export interface AdminEndpoint {
  readonly url: string;
  readonly token: string;
}

/**
 * The admin API of the hub running on `dataDir` (from `hub.json` and `admin.token` there),
 * unless `url` and `token` (flags or `TRICKLE_ADMIN_URL`, `TRICKLE_ADMIN_TOKEN`) say otherwise.
 *
 * @example
 * ```ts
 * import { adminEndpoint, adminRequest } from '@trickle/cli';
 * const endpoint = adminEndpoint('/var/lib/trickle', {});
 * const merchants = await adminRequest(endpoint, 'GET', '/v1/merchants');
 * ```
 */
export function adminEndpoint(
  dataDir: string,
  flags: { adminUrl?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
): AdminEndpoint {
  let url = flags.adminUrl ?? env.TRICKLE_ADMIN_URL;
  if (url === undefined) {
    const infoPath = join(dataDir, hubInfoFileName);
    if (!existsSync(infoPath)) {
      throw new CliError(
        exitCodes.unreachable,
        `no hub is running on the data folder ${dataDir} (no ${hubInfoFileName}): start one with \`trickle hub start --data-dir ${dataDir}\`, or pass --data-dir or --admin-url`,
      );
    }
    url = (JSON.parse(readFileSync(infoPath, 'utf8')) as { adminUrl: string }).adminUrl;
  }
  let token = flags.token ?? env.TRICKLE_ADMIN_TOKEN;
  if (token === undefined) {
    const tokenPath = join(dataDir, adminTokenFileName);
    if (!existsSync(tokenPath)) {
      throw new CliError(
        exitCodes.usage,
        `no admin token: pass --token or TRICKLE_ADMIN_TOKEN (the hub keeps it in ${tokenPath})`,
      );
    }
    token = readFileSync(tokenPath, 'utf8').trim();
  }
  return { url: url.replace(/\/$/, ''), token };
}

/**
 * Sends one request to the admin API; a refusal or an unreachable hub becomes a `CliError`.
 *
 * @example
 * ```ts
 * import { adminRequest } from '@trickle/cli';
 * const endpoint = { url: 'http://127.0.0.1:8788', token: process.env.TRICKLE_ADMIN_TOKEN ?? '' };
 * const run = await adminRequest(endpoint, 'POST', '/v1/settle');
 * ```
 */
export async function adminRequest<T = unknown>(
  endpoint: AdminEndpoint,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${endpoint.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${endpoint.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (cause) {
    const why = (cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).message;
    throw new CliError(
      exitCodes.unreachable,
      `cannot reach the hub's admin API at ${endpoint.url} (${why}): is \`trickle hub start\` running? Check --data-dir or --admin-url`,
      { cause },
    );
  }
  const text = await response.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(
      exitCodes.failed,
      `${endpoint.url} answered ${response.status} with something that is not JSON: is it a trickle hub's admin API?`,
    );
  }
  if (!response.ok) {
    const { code, message } = value as { code?: string; message?: string };
    const hint =
      response.status === 401 ? ' (check --token, TRICKLE_ADMIN_TOKEN or the admin.token of the data folder)' : '';
    throw new CliError(
      response.status >= 500 ? exitCodes.failed : exitCodes.refused,
      `the hub refused: ${code}: ${message}${hint}`,
    );
  }
  return value as T;
}
