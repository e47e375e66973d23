/**
 * An in-memory network between wallets (the client's `Transport` port) and a hub (its
 * `hub.accept` seam) that loses, duplicates, reorders and delays frames and cuts
 * connections, every choice drawn from one seeded generator. Deliveries are timers, so
 * under a manual clock (the simulator's) a seed fixes the order of every event.
 */
import type { Connection, ConnectionHandlers, Transport } from '@trickle/client';
import type { HubSocket } from '@trickle/hub';
import type { SeededRandom } from '../sim/random.js';

/** What the network does to frames. Rates are per frame, 0..1; change them at any time (e.g. to heal). */
export interface NetworkFaults {
  /** A frame is lost. Default 0. */
  dropRate: number;
  /** A frame arrives twice. Default 0. */
  duplicateRate: number;
  /** Frames of one direction of one connection may overtake each other. Default false. */
  reorder: boolean;
  /** One-way delay of a frame, in ms, drawn uniformly in min..max. Default 0..2. */
  latencyMsMin: number;
  latencyMsMax: number;
}

/** Counts of what the network did. */
export interface NetworkStats {
  connections: number;
  refused: number;
  framesSent: number;
  framesDelivered: number;
  framesDropped: number;
  framesDuplicated: number;
  /** Frames lost because their connection was cut or closed while they were in flight. */
  framesLostInFlight: number;
  cuts: number;
}

/** One frame as it is sent, for observers (invariant checks read the wallets' signed frames here). */
export interface SentFrame {
  readonly from: 'client' | 'hub';
  /** The client transport's name (one per wallet). */
  readonly client: string;
  readonly bytes: Uint8Array;
}

/** A client transport of the network; `fence` plays its process dying. */
export interface SimTransport extends Transport {
  /**
   * The process behind this transport died: its connections are cut (the hub sees them
   * close; the dead side is told nothing) and every later `connect` stays silent forever.
   */
  fence(): void;
}

/** The network. */
export interface SimNetwork {
  readonly faults: NetworkFaults;
  readonly stats: NetworkStats;
  /** A client transport named `name` (the hub sees the name as the remote address). */
  transport(name: string): SimTransport;
  /** Where new connections go: `hub.accept`. Until then (and after `unlisten`) connecting fails (1006). */
  listen(accept: (socket: HubSocket, remoteAddress: string) => unknown): void;
  /**
   * The hub died: connections to it are cut (clients see 1006; the dead hub is told
   * nothing) and new ones fail until the next `listen`.
   */
  unlisten(): void;
  /** Cuts every open connection (both sides see 1006) or those of one client. */
  cut(client?: string): void;
  /** Open connections. */
  readonly openCount: number;
  /** Called for every frame sent, before faults apply. */
  onSend: ((frame: SentFrame) => void) | undefined;
}

type ServerEvent = 'message' | 'pong' | 'error' | 'close';
// biome-ignore lint/suspicious/noExplicitAny: listeners of several shapes are kept by event name
type Listener = (...args: any[]) => void;

interface Link {
  readonly client: string;
  state: 'connecting' | 'open' | 'closing' | 'closed';
  readonly handlers: ConnectionHandlers;
  readonly listeners: Map<ServerEvent, Listener[]>;
  /** Latest scheduled arrival per direction (FIFO unless faults.reorder). */
  lastUpMs: number;
  lastDownMs: number;
  paused: boolean;
  readonly held: Uint8Array[];
  /** The client side was told (onClose) already; the server side was told ('close'). */
  clientClosed: boolean;
  serverClosed: boolean;
  /** The client process died: it hears nothing more. */
  clientDead: boolean;
  /** The hub process died: it hears nothing more. */
  serverDead: boolean;
}

/**
 * Creates a network whose choices come from `random`. `faults` is read live (completed
 * with the defaults in place): change it, or `network.faults`, at any time.
 *
 * @example
 * ```ts
 * import { createSimNetwork, seededRandom } from '@trickle/testing';
 * const network = createSimNetwork(seededRandom(7), { dropRate: 0.01, duplicateRate: 0.01, reorder: true });
 * // network.listen((socket, address) => hub.accept(socket, address));
 * // createWallet({ ..., transport: network.transport('wallet-1') });
 * ```
 */
export function createSimNetwork(random: SeededRandom, faults: Partial<NetworkFaults> = {}): SimNetwork {
  // The caller's object, completed with the defaults: changes to it apply from the next frame.
  const settings: NetworkFaults = Object.assign(faults, {
    dropRate: 0,
    duplicateRate: 0,
    reorder: false,
    latencyMsMin: 0,
    latencyMsMax: 2,
    ...faults,
  });
  const stats: NetworkStats = {
    connections: 0,
    refused: 0,
    framesSent: 0,
    framesDelivered: 0,
    framesDropped: 0,
    framesDuplicated: 0,
    framesLostInFlight: 0,
    cuts: 0,
  };
  const links = new Set<Link>();
  let accept: ((socket: HubSocket, remoteAddress: string) => unknown) | undefined;

  const later = (delayMs: number, run: () => void) => {
    setTimeout(run, Math.max(0, delayMs));
  };
  const latency = () => random.int(settings.latencyMsMin, Math.max(settings.latencyMsMin, settings.latencyMsMax));

  function emit(link: Link, event: ServerEvent, ...args: unknown[]): void {
    if (link.serverDead) return;
    for (const listener of link.listeners.get(event) ?? []) listener(...args);
  }

  function tellClosed(link: Link, code: number, reason: string): void {
    if (!link.clientClosed) {
      link.clientClosed = true;
      if (!link.clientDead) link.handlers.onClose(code, reason);
    }
    if (!link.serverClosed) {
      link.serverClosed = true;
      emit(link, 'close', code, reason);
    }
  }

  /** Ends a link: frames in flight are lost; each side hears `code` after `delayMs`. */
  function end(link: Link, code: number, reason: string, delayMs: number): void {
    if (link.state === 'closed') return;
    link.state = 'closed';
    links.delete(link);
    later(delayMs, () => tellClosed(link, code, reason));
  }

  function transmit(link: Link, from: 'client' | 'hub', bytes: Uint8Array): void {
    if (link.state !== 'open') return;
    stats.framesSent++;
    network.onSend?.({ from, client: link.client, bytes });
    if (random.chance(settings.dropRate)) {
      stats.framesDropped++;
      return;
    }
    const copies = random.chance(settings.duplicateRate) ? 2 : 1;
    if (copies === 2) stats.framesDuplicated++;
    for (let i = 0; i < copies; i++) {
      const now = Date.now();
      let at = now + latency();
      if (!settings.reorder) {
        at = Math.max(at, from === 'client' ? link.lastUpMs : link.lastDownMs);
        if (from === 'client') link.lastUpMs = at;
        else link.lastDownMs = at;
      }
      const copy = bytes.slice();
      later(at - now, () => arrive(link, from, copy));
    }
  }

  function arrive(link: Link, from: 'client' | 'hub', bytes: Uint8Array): void {
    if (link.state !== 'open' && link.state !== 'closing') {
      stats.framesLostInFlight++;
      return;
    }
    if (from === 'client') {
      if (link.paused) {
        link.held.push(bytes);
        return;
      }
      stats.framesDelivered++;
      emit(link, 'message', bytes, true);
    } else {
      stats.framesDelivered++;
      if (!link.clientDead) link.handlers.onMessage(bytes);
    }
  }

  function serverSocket(link: Link): HubSocket {
    return {
      get readyState() {
        return link.state === 'open' ? 1 : link.state === 'closed' ? 3 : 2;
      },
      bufferedAmount: 0,
      send(data, callback) {
        transmit(link, 'hub', data);
        queueMicrotask(() => callback());
      },
      close(code, reason) {
        if (link.state !== 'open' && link.state !== 'connecting') return;
        link.state = 'closing';
        // The close frame follows the frames already sent.
        const at = Math.max(Date.now() + latency(), link.lastDownMs);
        later(at - Date.now(), () => end(link, code, reason, 0));
      },
      terminate() {
        end(link, 1006, '', latency());
      },
      ping() {
        if (link.state !== 'open') return;
        later(2 * latency(), () => {
          if (link.state === 'open' && !link.clientDead) emit(link, 'pong');
        });
      },
      pause() {
        link.paused = true;
      },
      resume() {
        link.paused = false;
        const held = link.held.splice(0);
        for (const bytes of held) arrive(link, 'client', bytes);
      },
      on(event: ServerEvent, listener: Listener) {
        const list = link.listeners.get(event) ?? [];
        list.push(listener);
        link.listeners.set(event, list);
        return this;
      },
    } as HubSocket;
  }

  const network: SimNetwork = {
    faults: settings,
    stats,
    onSend: undefined,
    transport(name) {
      let dead = false;
      const mine = new Set<Link>();
      return {
        name: `sim:${name}`,
        connect(_url: string, handlers: ConnectionHandlers): Connection {
          const link: Link = {
            client: name,
            state: 'connecting',
            handlers,
            listeners: new Map(),
            lastUpMs: 0,
            lastDownMs: 0,
            paused: false,
            held: [],
            clientClosed: false,
            serverClosed: false,
            clientDead: dead,
            serverDead: false,
          };
          if (!dead) {
            mine.add(link);
            links.add(link);
            later(latency(), () => {
              if (link.state !== 'connecting' || link.clientDead) return;
              if (accept === undefined) {
                stats.refused++;
                end(link, 1006, 'connection refused', 0);
                return;
              }
              stats.connections++;
              link.state = 'open';
              handlers.onOpen();
              accept(serverSocket(link), name);
            });
          }
          return {
            send(bytes) {
              transmit(link, 'client', bytes);
            },
            close(code = 1000, reason = '') {
              if (link.state === 'closed') return;
              if (link.state === 'connecting') {
                end(link, 1006, 'closed while connecting', 0);
                return;
              }
              link.state = 'closing';
              const at = Math.max(Date.now() + latency(), link.lastUpMs);
              later(at - Date.now(), () => end(link, code, reason, 0));
            },
            bufferedAmount: 0,
          };
        },
        fence() {
          dead = true;
          for (const link of mine) {
            link.clientDead = true;
            if (link.state !== 'closed') stats.cuts++;
            end(link, 1006, 'peer died', latency());
          }
          mine.clear();
        },
      };
    },
    listen(next) {
      accept = next;
    },
    unlisten() {
      accept = undefined;
      for (const link of [...links]) {
        link.serverDead = true;
        if (link.state !== 'closed') stats.cuts++;
        end(link, 1006, 'hub died', latency());
      }
    },
    cut(client) {
      for (const link of [...links]) {
        if (client !== undefined && link.client !== client) continue;
        if (link.state === 'open' || link.state === 'closing') stats.cuts++;
        end(link, 1006, 'connection cut', 0);
      }
    },
    get openCount() {
      return [...links].filter((l) => l.state === 'open').length;
    },
  };
  return network;
}
