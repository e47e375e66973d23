/** The browser path of @trickle/client bundles without Node built-ins or `ws`. */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('browser bundle of @trickle/client', () => {
  it('contains no node: module and no ws', async () => {
    const result = await build({
      // As an application imports it: by name, resolved through the package's exports.
      stdin: { contents: "export * from '@trickle/client';", resolveDir: import.meta.dirname, loader: 'ts' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.includes('/ws/'))).toBe(false);
    expect(inputs.some((path) => path.startsWith('node:'))).toBe(false);
    expect(inputs.some((path) => path.includes('wsTransport') || path.includes('fileStore'))).toBe(false);
    const code = result.outputFiles[0]?.text ?? '';
    expect(code).not.toMatch(/["']node:[a-z_/]+["']/);
    expect(code).toContain('createWallet');
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports.filter((path) => path.startsWith('node:') || path === 'ws')).toEqual([]);
  });
});
