/**
 * `@trickle/cli`: the `trickle` command, and the pieces it is made of for operators who
 * embed them: the hub service, its admin API, its metrics, backups. Node only.
 *
 * @packageDocumentation
 */
export {
  type AdminServer,
  type AdminServerOptions,
  adminBodyBytesMax,
  createAdminServer,
  historyPageMax,
} from './admin.js';
export { type AdminEndpoint, adminEndpoint, adminRequest } from './adminClient.js';
export {
  type AlertEvent,
  type AlertKind,
  type AlertOptions,
  type Alerts,
  type AlertThresholds,
  alertDefaults,
  alertMerchantsPerCheckMax,
  alertQueueMax,
  alertSignature,
  alertSignatureHeader,
  crossed,
  startAlerts,
} from './alerts.js';
export { type BackupProgress, backedUpDatabases, backupDataDir, backupPagesPerStep, restoreDataDir } from './backup.js';
export { dataDirOf, type HubConfig, hubConfigDefaults, resolveHubConfig } from './config.js';
export { CliError, type ExitCode, exitCodes } from './errors.js';
export { adminTokenFileName, hubInfoFileName } from './files.js';
export { type CliOutput, runCli } from './main.js';
export { type HubTraffic, hubMetrics, hubTraffic, recentRejectsMax, type SeenReject } from './metrics.js';
export {
  dataDirCheckIntervalMs,
  type HubInfo,
  type HubService,
  loadOrCreateToken,
  startHubService,
} from './service.js';
