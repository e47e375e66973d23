/** Bundles a child-process script once, so each of many children starts in a fraction of tsx's time. */
import { build } from 'esbuild';

/**
 * Bundles `entry` (TypeScript) into one ESM file at `outfile`; the database drivers stay
 * external. Many child processes then start in a fraction of tsx's time.
 *
 * @example
 * ```ts
 * import { bundleChild } from '@trickle/testing/harness';
 * await bundleChild('./test/worker.ts', './.tmp/worker.mjs');
 * ```
 */
export async function bundleChild(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3', 'pg'],
    logLevel: 'silent',
  });
}
