/**
 * `pnpm --filter @trickle/example-attack-your-merchant start`: starts a hub, the merchant's
 * server and an honest wallet, runs the attacks and prints what they found. Point
 * `attackDeployment` at your own staging hub and server to run the same against them.
 * Options: `--frames <n>` hostile frames (default 5,000), `--headers <n>` hostile header sets
 * (default 2,000), `--hub-port` and `--site-port` (default 0: free ports the system picks).
 */
import { parseArgs } from 'node:util';
import { stopOnSignals } from '@trickle/hub';
import { TrickleError } from '@trickle/protocol';
import { attackDeployment } from './attack.js';
import { startDeployment } from './deployment.js';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '5000' },
    headers: { type: 'string', default: '2000' },
    'hub-port': { type: 'string', default: '0' },
    'site-port': { type: 'string', default: '0' },
  },
});
const deployment = await startDeployment(1, {
  hubPort: Number(values['hub-port']),
  sitePort: Number(values['site-port']),
}).catch((error: unknown) => {
  // A port in use is one line; a bug keeps its stack.
  if (!(error instanceof TrickleError && error.code === 'LISTEN_FAILED')) throw error;
  console.error(`attack-your-merchant failed: ${error.shortMessage} (try --hub-port or --site-port)`);
  process.exit(1);
});
// SIGTERM or Ctrl-C mid-attack: the deployment drains (the hub makes what it acknowledged durable) and exits 0.
let draining: Promise<void> | undefined;
stopOnSignals(() => {
  draining = deployment.stop();
  return draining;
});
const report = await attackDeployment(deployment, {
  frames: Number(values.frames),
  headers: Number(values.headers),
}).catch(async (error: unknown) => {
  // Stopped by a signal mid-attack: the attacks' connections fail as the deployment drains;
  // that is not a finding. stopOnSignals exits (0, or 1 if the drain failed) once it is done.
  if (draining === undefined) throw error;
  await draining.catch(() => undefined);
  return new Promise<never>(() => {});
});
console.log(
  `hub:      ${report.hub.tried} hostile frames, ${report.hub.invalidRejected}/${report.hub.invalid} invalid ones rejected with their code, ${report.hub.connections} connections, faults ${report.hub.faults.length}`,
);
console.log(
  `merchant: ${report.merchant.tried} hostile header sets, ${report.merchant.refused} refused (${JSON.stringify(report.merchant.codes)}), genuine retry served: ${report.merchant.validServed}, faults ${report.merchant.faults.length}`,
);
console.log(`honest:   ${report.honestReads} articles read and paid during the attacks`);
for (const fault of [...report.hub.faults, ...report.merchant.faults].slice(0, 20)) {
  console.log(`FAULT ${fault.mutation}: ${fault.problem}`);
}
await deployment.stop();
process.exitCode = report.hub.faults.length + report.merchant.faults.length === 0 ? 0 : 1;
