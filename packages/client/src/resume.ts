/**
 * Resuming after every (re)authentication: finish half-done operations of an earlier
 * connection or run, `sync` the channel, reconcile with the hub's state (protocol's
 * `reconcile`), then resend every pending voucher in order. A hub state ahead of this
 * wallet is adopted only if this wallet signed it; the receipts of payments it covers are
 * then found in the hub's log, and the rest are signed again (ADR 0204, protocol 8.1).
 */
import {
  type ChannelId,
  type ChannelState,
  fromHex,
  type HubMessage,
  type HubMessageOf,
  type PublicKey,
  type Receipt,
  RejectError,
  reconcile,
  type Verifier,
} from '@trickle/protocol';
import { bytesKey } from './bytesKey.js';
import type { Emitter } from './emitter.js';
import { WalletError } from './errors.js';
import type { RequestBody } from './hubConnection.js';
import type { PaymentQueue } from './paymentQueue.js';
import type { VoucherReplies } from './voucherReplies.js';
import type { WalletEvents } from './wallet.js';
import { currentRecord, type Job, unspend, type WalletState } from './walletState.js';
import type { WalletWrites } from './walletWrites.js';

/** What resuming needs. */
export interface ResumeDeps {
  readonly state: WalletState;
  readonly writes: WalletWrites;
  readonly events: Emitter<WalletEvents>;
  readonly queue: PaymentQueue;
  readonly replies: VoucherReplies;
  readonly publicKey: PublicKey;
  readonly verifier: Verifier;
  readonly request: <T extends HubMessage>(body: RequestBody) => Promise<T>;
  /** The channel lifecycle's half-done operations (channelLifecycle.ts). */
  readonly lifecycle: {
    completeOpen(state: ChannelState): Promise<void>;
    abandonOpen(error: unknown): Promise<void>;
    sendTopUp(deposit: string, signature: string): Promise<unknown>;
    sendClose(): Promise<unknown>;
    completeClose(state: ChannelState): unknown;
  };
}

/** Resume and resync. */
export interface Resume {
  /** After (re)authentication; `outstanding` names the requests resent by the connection itself. */
  resume(outstanding: ReadonlySet<string>): Promise<void>;
  /**
   * Reconciles with a hub state; true when the hub's state was adopted (the caller's orphans
   * were handled: those the hub's log holds get their receipts, the rest are signed again,
   * or fail with `failRest` when given).
   */
  resyncWith(state: ChannelState, resend: boolean, orphans?: Job[], failRest?: Error): Promise<boolean>;
}

/** Creates resume. Internal to createWallet. */
export function createResume(deps: ResumeDeps): Resume {
  const { state, writes, events, queue, replies, lifecycle } = deps;

  /** Reports a failure nobody awaits as an `error` event (a stopped wallet's are expected). */
  function report(error: unknown): void {
    if (error instanceof WalletError && (error.code === 'STOPPED' || error.code === 'DISCONNECTED')) return;
    events.emit('error', error as Error);
  }

  async function resume(outstanding: ReadonlySet<string>): Promise<void> {
    replies.clearSent();
    const ch = state.record?.channel;
    if (ch === undefined || state.domain === undefined) return;
    if (ch.status === 'opening' && !outstanding.has('open')) {
      void deps
        .request<HubMessageOf<'state'>>({
          type: 'open',
          nonce: fromHex(ch.nonce, 16),
          asset: ch.asset,
          deposit: BigInt(ch.deposit),
          expiresAtMs: ch.expiresAtMs,
          signature: fromHex(ch.openSignature, 64) as never,
        })
        .then(
          (answer) => lifecycle.completeOpen(answer.state),
          (error) => lifecycle.abandonOpen(error),
        )
        .catch(report);
      return;
    }
    if (ch.status === 'opening') return;
    const answer = await deps
      .request<HubMessageOf<'state'>>({ type: 'sync', channelId: fromHex(ch.channelId, 32) as ChannelId })
      .catch((error) => {
        if (error instanceof RejectError && error.code === 'UNKNOWN_CHANNEL') return undefined;
        throw error;
      });
    if (answer === undefined) return;
    await resyncWith(answer.state, true);
    // Half-done operations of an earlier run: nobody awaits them, so failures are reported as events.
    if (ch.topUp !== undefined && !outstanding.has('topUp')) {
      lifecycle.sendTopUp(ch.topUp.deposit, ch.topUp.signature).catch(report);
    }
    if (ch.status === 'closing' && ch.close !== undefined && !outstanding.has('close')) {
      lifecycle.sendClose().catch(report);
    }
  }

  async function resyncWith(
    hubState: ChannelState,
    resend: boolean,
    orphans: Job[] = [],
    failRest?: Error,
  ): Promise<boolean> {
    const { channel, domain, record } = state;
    if (channel === undefined || domain === undefined || record?.channel === undefined) return false;
    const result = reconcile(domain, channel, hubState, deps.publicKey, deps.verifier);
    if (result.kind === 'untrusted') {
      events.emit('error', new WalletError('UNTRUSTED_STATE', `the hub's state is not trusted: ${result.reason}`));
      return false;
    }
    if (result.kind !== 'adopt') {
      state.channel = result.channel;
      if (hubState.status === 'closed' && record.channel.status !== 'closed') lifecycle.completeClose(hubState);
      if (resend) for (const v of state.pending) replies.send(v);
      return false;
    }
    const from = channel.seq;
    const scanFrom = (state.acked?.seq ?? 0) + 1;
    const dead = state.pending;
    state.pending = [];
    for (const v of dead) v.dead = true;
    const jobs = [...orphans, ...dead.flatMap((v) => v.jobs.filter((j): j is Job => j !== undefined))];
    unspend(state, dead);
    // What the hub holds beyond our acknowledged state was spent by this wallet (it signed it):
    // count it in the policy's total (per-payee counters cannot be rebuilt without the log).
    const ackedCumulative = state.acked?.cumulative ?? 0n;
    if (result.channel.cumulative > ackedCumulative) state.spent.total += result.channel.cumulative - ackedCumulative;
    state.channel = result.channel;
    state.acked = { seq: result.channel.seq, cumulative: result.channel.cumulative, logHead: result.channel.logHead };
    await writes.persist({ record: currentRecord(state), removePending: dead.map((v) => v.seq) });
    await recoverFromLog(scanFrom, jobs, failRest);
    events.emit('resynced', { from, to: state.channel.seq });
    return true;
  }

  /** Jobs whose entries the hub's log holds get their receipts; the rest are signed again (or fail with `failRest`). */
  async function recoverFromLog(fromSeq: number, jobs: Job[], failRest?: Error): Promise<void> {
    const { channel } = state;
    if (jobs.length === 0 || channel === undefined || state.domain === undefined) return;
    const byInvoice = new Map(jobs.map((j) => [j.invoiceKey, j]));
    let seq = Math.max(1, fromSeq);
    const channelId = channel.channelId;
    for (let page = 0; page < 1_000 && seq <= channel.seq && byInvoice.size > 0; page++) {
      const answer = await deps.request<HubMessageOf<'logPage'>>({ type: 'log', channelId, fromSeq: seq, limit: 256 });
      for (const v of answer.vouchers) {
        v.entries.forEach((entry, i) => {
          const key = bytesKey(entry.payee) + bytesKey(entry.invoiceId);
          const job = byInvoice.get(key);
          if (job === undefined) return;
          byInvoice.delete(key);
          const receipt = replies.receiptOf(
            channelId,
            v.seq,
            entry.payee,
            entry.invoiceId,
            entry.amount,
            v.macs[i] as Receipt['mac'],
          );
          queue.settle(job, receipt);
          events.emit('receipt', receipt);
        });
        seq = v.seq + 1;
      }
      if (!answer.more || answer.vouchers.length === 0) break;
    }
    if (failRest === undefined) queue.requeue([...byInvoice.values()]);
    else for (const job of byInvoice.values()) queue.fail(job, failRest);
  }

  return { resume, resyncWith };
}
