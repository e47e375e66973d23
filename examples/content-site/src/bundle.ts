/** Bundles the reader page's script and the browser build of @trickle/client with esbuild. */
import { join } from 'node:path';
import { build } from 'esbuild';

/** The reader script as one ES module for browsers; built once at start, in memory. */
export function bundleReader(): Promise<string> {
  return bundlePage('reader.ts');
}

/** A page script of public/ as one ES module for browsers, in memory. */
export async function bundlePage(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [join(import.meta.dirname, '..', 'public', entry)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: false,
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced no output for ${entry}`);
  return output.text;
}
