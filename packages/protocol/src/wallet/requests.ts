/**
 * The wallet's requests to the hub (open, topUp, close, sync, log): numbered, kept until
 * answered, sent while authenticated and again after every reconnect. The answers are
 * handled by the stage that asked (session.ts dispatches them by request type).
 */
import type { Out } from './base.js';
import { isAuthenticated } from './base.js';
import { walletRequestIdMax } from './walletLimits.js';
import type { HubRequest, RequestMessage, RequestType, WalletState } from './walletState.js';

/** A request as a stage asks for it: the book assigns the id. */
export type RequestBody = RequestMessage extends infer M ? (M extends unknown ? Omit<M, 'id'> : never) : never;

/** Keeps a request until answered and sends it now if authenticated (else after the next welcome). */
export function issueRequest(state: WalletState, out: Out, body: RequestBody): WalletState {
  const id = state.requests.nextId;
  const message = { ...body, id } as RequestMessage;
  const byId = new Map(state.requests.byId);
  byId.set(id, { message, retry: false });
  if (isAuthenticated(state)) out.push({ type: 'send', message });
  return {
    ...state,
    requests: { ...state.requests, byId, nextId: id >= walletRequestIdMax ? 1 : id + 1 },
  };
}

/** Removes the request `id` and returns it (undefined when unknown: answered already, or never asked). */
export function takeRequest(state: WalletState, id: number): { state: WalletState; request: HubRequest | undefined } {
  const request = state.requests.byId.get(id);
  if (request === undefined) return { state, request };
  const byId = new Map(state.requests.byId);
  byId.delete(id);
  return { state: { ...state, requests: { ...state.requests, byId } }, request };
}

/** Marks the request `id` to be resent when the retry timer fires. */
export function markRetry(state: WalletState, id: number): WalletState {
  const request = state.requests.byId.get(id);
  if (request === undefined) return state;
  const byId = new Map(state.requests.byId);
  byId.set(id, { ...request, retry: true });
  return { ...state, requests: { ...state.requests, byId } };
}

/** The types of the outstanding requests. */
export function outstandingTypes(state: WalletState): Set<RequestType> {
  const types = new Set<RequestType>();
  for (const request of state.requests.byId.values()) types.add(request.message.type);
  return types;
}

/** True when a request of `type` is outstanding. */
export function hasRequest(state: WalletState, type: RequestType): boolean {
  for (const request of state.requests.byId.values()) if (request.message.type === type) return true;
  return false;
}

/** Removes every request `select` picks, returning them in id order. */
export function takeRequests(
  state: WalletState,
  select: (request: HubRequest) => boolean,
): { state: WalletState; taken: HubRequest[] } {
  const taken: HubRequest[] = [];
  const byId = new Map<number, HubRequest>();
  for (const [id, request] of state.requests.byId) {
    if (select(request)) taken.push(request);
    else byId.set(id, request);
  }
  if (taken.length === 0) return { state, taken };
  return { state: { ...state, requests: { ...state.requests, byId } }, taken };
}
