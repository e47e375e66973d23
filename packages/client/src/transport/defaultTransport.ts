/**
 * Picks the transport for the environment: `ws` in Node, the global `WebSocket`
 * elsewhere. The Node module is loaded through a computed specifier so that a browser
 * bundle never includes `ws` or any `node:` module.
 */

import type { Transport } from './transport.js';
import { webSocketTransport } from './webSocketTransport.js';

function isNode(): boolean {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof process?.versions?.node === 'string';
}

/**
 * The default transport: `wsTransport()` in Node, `webSocketTransport()` elsewhere.
 *
 * @example
 * ```ts
 * import { defaultTransport } from '@trickle/client';
 * const transport = await defaultTransport();
 * ```
 */
export async function defaultTransport(): Promise<Transport> {
  if (!isNode()) return webSocketTransport();
  const specifier = './wsTransport.js';
  const module = (await import(/* @vite-ignore */ specifier)) as typeof import('./wsTransport.js');
  return module.wsTransport();
}
