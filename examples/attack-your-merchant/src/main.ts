/**
 * `pnpm --filter @trickle/example-attack-your-merchant start`: starts a hub, the merchant's
 * server and an honest wallet, runs the attacks and prints what they found. Point
 * `attackDeployment` at your own staging hub and server to run the same against them.
 * Options: `--frames <n>` hostile frames (default 5,000), `--headers <n>` hostile header sets
 * (default 2,000).
 */
import { parseArgs } from 'node:util';
import { attackDeployment } from './attack.js';
import { startDeployment } from './deployment.js';

const { values } = parseArgs({
  options: { frames: { type: 'string', default: '5000' }, headers: { type: 'string', default: '2000' } },
});
const deployment = await startDeployment();
const report = await attackDeployment(deployment, { frames: Number(values.frames), headers: Number(values.headers) });
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
