/**
 * One channel against its signed evidence: every stored voucher verifies and is reached
 * by the stored entries (hash and sum); the claimed state is one of them; and what the
 * ledger posted (net per payee, fee per payee, refund, deposits, escrow balance) is what
 * the entries and the published fee rule say. Pure: fed rows, returns mismatches.
 */
import {
  asChannelId,
  asLogHead,
  asPayeeId,
  asPublicKey,
  asSignature,
  checkVoucherSignature,
  type Domain,
  equalBytes,
  feeOf,
  fromHex,
  type LogHead,
  logGenesis,
  logStep,
  present,
  toHex,
  type Verifier,
} from '@trickle/protocol';
import { escrowAccountId, feeAccountId, payeeAccountId, payerAccountId } from '../channel/naming.js';
import type { AccountRow, ChannelRow, EntryRow, StateRow, TransferRow } from '../store/rows.js';
import { transferCodes } from '../transfer.js';
import type { AuditMismatch } from './auditReport.js';

/** Everything the audit reads about one channel. */
export interface ChannelEvidence {
  readonly row: ChannelRow;
  readonly states: readonly StateRow[];
  readonly entries: readonly EntryRow[];
  readonly transfers: readonly TransferRow[];
  readonly totals: ReadonlyMap<string, bigint>;
  readonly escrow: AccountRow | undefined;
}

type Report = { mismatches: AuditMismatch[]; signatures: number };

function mismatch(row: ChannelRow, fields: Omit<AuditMismatch, 'channelId'>): AuditMismatch {
  return { channelId: row.id, ...fields };
}

/** Checks the signed states and the log. Returns the head and cumulative at each entry count. */
function auditStates(domain: Domain, verifier: Verifier, evidence: ChannelEvidence, report: Report): void {
  const { row, states, entries } = evidence;
  let head: LogHead = logGenesis(domain, asChannelId(fromHex(row.id)));
  let sum = 0n;
  let position = 0;
  const clientKey = asPublicKey(row.clientKey);
  for (const state of states) {
    report.signatures++;
    const voucher = {
      channelId: asChannelId(fromHex(row.id)),
      seq: state.seq,
      cumulative: state.cumulative,
      logHead: asLogHead(state.logHead),
      signature: asSignature(state.signature),
    };
    if (checkVoucherSignature(verifier, domain, voucher, clientKey) !== 'valid') {
      report.mismatches.push(
        mismatch(row, {
          kind: 'signature',
          seq: state.seq,
          expected: 'valid',
          actual: checkVoucherSignature(verifier, domain, voucher, clientKey),
          message: `channel ${row.id} seq ${state.seq}: the stored voucher's signature does not verify`,
        }),
      );
    }
    while (position < state.entryCount && position < entries.length) {
      const entry = present(entries[position], 'an entry per position');
      head = logStep(head, {
        payee: asPayeeId(fromHex(entry.payee)),
        invoiceId: entry.invoiceId as never,
        amount: entry.amount,
      });
      sum += entry.amount;
      position++;
    }
    if (!equalBytes(head, state.logHead)) {
      report.mismatches.push(
        mismatch(row, {
          kind: 'log-head',
          seq: state.seq,
          expected: toHex(state.logHead),
          actual: toHex(head),
          message: `channel ${row.id} seq ${state.seq}: the stored entries do not hash to the signed log head`,
        }),
      );
    }
    if (sum !== state.cumulative) {
      report.mismatches.push(
        mismatch(row, {
          kind: 'cumulative',
          seq: state.seq,
          expected: state.cumulative.toString(),
          actual: sum.toString(),
          message: `channel ${row.id} seq ${state.seq}: the stored entries sum to ${sum}, the voucher signs ${state.cumulative}`,
        }),
      );
    }
  }
}

function auditClaimed(domain: Domain, evidence: ChannelEvidence, report: Report): void {
  const { row, states } = evidence;
  const claimed = { head: row.claimedLogHead, cumulative: row.claimedCumulative, count: row.claimedEntryCount };
  const genesis = logGenesis(domain, asChannelId(fromHex(row.id)));
  const state = states.find((s) => s.seq === row.claimedSeq);
  const ok =
    row.claimedSeq === 0
      ? claimed.cumulative === 0n && claimed.count === 0 && equalBytes(claimed.head, genesis)
      : state !== undefined &&
        state.cumulative === claimed.cumulative &&
        state.entryCount === claimed.count &&
        equalBytes(state.logHead, claimed.head);
  if (!ok) {
    report.mismatches.push(
      mismatch(row, {
        kind: 'claimed-state',
        seq: row.claimedSeq,
        expected: state === undefined ? 'a stored signed state' : toHex(state.logHead),
        actual: toHex(claimed.head),
        message: `channel ${row.id}: the claimed state (seq ${row.claimedSeq}) is not a stored signed state`,
      }),
    );
  }
}

function amountMismatch(
  row: ChannelRow,
  kind: AuditMismatch['kind'],
  expected: bigint,
  actual: bigint,
  message: string,
  payee?: string,
): AuditMismatch | undefined {
  if (expected === actual) return undefined;
  return mismatch(row, {
    kind,
    ...(payee === undefined ? {} : { payee }),
    expected: expected.toString(),
    actual: actual.toString(),
    message: `channel ${row.id}${payee === undefined ? '' : ` payee ${payee}`}: ${message} is ${actual}, expected ${expected}`,
  });
}

function auditPostings(evidence: ChannelEvidence, report: Report): void {
  const { row, entries, transfers, totals } = evidence;
  const asset = { code: row.assetCode, scale: row.assetScale };
  const escrow = escrowAccountId(row.id);
  const gross = new Map<string, bigint>();
  for (const entry of entries.slice(0, row.claimedEntryCount)) {
    gross.set(entry.payee, (gross.get(entry.payee) ?? 0n) + entry.amount);
  }
  const net = new Map<string, bigint>();
  const fee = new Map<string, bigint>();
  let deposits = 0n;
  let refund = 0n;
  const wrongAccounts = (t: TransferRow, debit: string, credit: string) => {
    if (t.debitAccountId === debit && t.creditAccountId === credit) return;
    report.mismatches.push(
      mismatch(row, {
        kind: 'posting-account',
        expected: `${debit} -> ${credit}`,
        actual: `${t.debitAccountId} -> ${t.creditAccountId}`,
        message: `channel ${row.id}: transfer ${t.id} moves money between the wrong accounts`,
      }),
    );
  };
  for (const t of transfers) {
    const payee = t.memo ?? '';
    if (t.code === transferCodes.net) {
      net.set(payee, (net.get(payee) ?? 0n) + t.amount);
      wrongAccounts(t, escrow, payeeAccountId(payee, asset));
    } else if (t.code === transferCodes.fee) {
      fee.set(payee, (fee.get(payee) ?? 0n) + t.amount);
      wrongAccounts(t, escrow, feeAccountId(asset));
    } else if (t.code === transferCodes.deposit) {
      deposits += t.amount;
      wrongAccounts(t, payerAccountId(toHex(row.clientKey), asset), escrow);
    } else if (t.code === transferCodes.refund) {
      refund += t.amount;
      wrongAccounts(t, escrow, payerAccountId(toHex(row.clientKey), asset));
    }
  }
  const found: (AuditMismatch | undefined)[] = [];
  const payees = [...new Set([...gross.keys(), ...net.keys(), ...fee.keys(), ...totals.keys()])].sort();
  for (const payee of payees) {
    const g = gross.get(payee) ?? 0n;
    const expectedFee = feeOf(g, row.feePpm);
    found.push(amountMismatch(row, 'payee-net', g - expectedFee, net.get(payee) ?? 0n, 'net credited', payee));
    found.push(amountMismatch(row, 'payee-fee', expectedFee, fee.get(payee) ?? 0n, 'fee taken', payee));
    found.push(amountMismatch(row, 'payee-total', g, totals.get(payee) ?? 0n, 'running gross total', payee));
  }
  const finalized = row.finalizedAtMs !== null;
  const held = finalized ? 0n : row.deposit - row.claimedCumulative;
  found.push(amountMismatch(row, 'deposit', row.deposit, deposits, 'deposited into escrow'));
  found.push(amountMismatch(row, 'refund', finalized ? row.deposit - row.claimedCumulative : 0n, refund, 'refund'));
  const escrowBalance =
    evidence.escrow === undefined ? 0n : evidence.escrow.creditsPosted - evidence.escrow.debitsPosted;
  found.push(amountMismatch(row, 'escrow-balance', held, escrowBalance, 'escrow balance'));
  for (const m of found) if (m !== undefined) report.mismatches.push(m);
}

/** Audits one channel. */
export function auditChannel(domain: Domain, verifier: Verifier, evidence: ChannelEvidence): Report {
  const report: Report = { mismatches: [], signatures: 0 };
  auditStates(domain, verifier, evidence, report);
  auditClaimed(domain, evidence, report);
  auditPostings(evidence, report);
  return report;
}
