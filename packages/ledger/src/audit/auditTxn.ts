/**
 * The audit as one read-only script, so it runs on one consistent snapshot of any store:
 * accounts, then every transfer (conservation), then every channel with its evidence.
 */

import type { Domain, Verifier } from '@trickle/protocol';
import { present } from '@trickle/protocol';
import { channelRef, escrowAccountId } from '../channel/naming.js';
import { scanPageRowsMax } from '../limits.js';
import type { AccountRow } from '../store/rows.js';
import { ask, type Txn } from '../store/txn.js';
import type { AuditMismatch, AuditReport } from './auditReport.js';
import { auditChannel } from './channelAudit.js';
import { ConservationCheck } from './conservation.js';

function* allAccountsTxn(): Txn<Map<string, AccountRow>> {
  const accounts = new Map<string, AccountRow>();
  let afterId = '';
  for (;;) {
    const page = yield* ask({ kind: 'scanAccounts', afterId, limit: scanPageRowsMax });
    for (const row of page) accounts.set(row.id, row);
    if (page.length < scanPageRowsMax) return accounts;
    afterId = present(page.at(-1), 'the last row of a full page').id;
  }
}

function* conservationTxn(accounts: ReadonlyMap<string, AccountRow>): Txn<ConservationCheck> {
  const check = new ConservationCheck(accounts);
  let afterSerial = 0n;
  for (;;) {
    const page = yield* ask({ kind: 'scanTransfers', afterSerial, limit: scanPageRowsMax });
    for (const row of page) check.add(row);
    if (page.length < scanPageRowsMax) return check;
    afterSerial = present(page.at(-1), 'the last row of a full page').serial;
  }
}

/** The audit script. */
export function* auditTxn(domain: Domain, verifier: Verifier): Txn<AuditReport> {
  const accounts = yield* allAccountsTxn();
  const conservation = yield* conservationTxn(accounts);
  const mismatches: AuditMismatch[] = [];
  let channels = 0;
  let signatures = 0;
  let afterId = '';
  for (;;) {
    const page = yield* ask({ kind: 'scanChannels', afterId, limit: scanPageRowsMax });
    for (const row of page) {
      const states = yield* ask({ kind: 'states', channelId: row.id });
      channels++;
      const entries = yield* ask({ kind: 'entries', channels: [{ channelId: row.id, afterPosition: 0 }] });
      const transfers = yield* ask({ kind: 'transfersByRef', ref: channelRef(row.id) });
      const totals = yield* ask({ kind: 'payeeTotals', channelIds: [row.id] });
      const report = auditChannel(domain, verifier, {
        row,
        states,
        entries: entries.get(row.id) ?? [],
        transfers,
        totals: totals.get(row.id) ?? new Map(),
        escrow: accounts.get(escrowAccountId(row.id)),
      });
      mismatches.push(...report.mismatches);
      signatures += report.signatures;
    }
    if (page.length < scanPageRowsMax) break;
    afterId = present(page.at(-1), 'the last row of a full page').id;
  }
  const totals = conservation.finish();
  mismatches.push(...totals.mismatches);
  return {
    ok: mismatches.length === 0,
    mismatches,
    accounts: accounts.size,
    transfers: conservation.transfers,
    channels,
    signatures,
    assets: totals.assets,
  };
}
