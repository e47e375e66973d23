#!/usr/bin/env node
// The `trickle` command. The workspace ships TypeScript sources: tsx loads them.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
