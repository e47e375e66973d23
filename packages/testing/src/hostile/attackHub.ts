/**
 * Sends hostile frames to a live hub over real WebSocket connections, as an attacker with a
 * key of its own would, and checks every answer: each invalid frame gets its typed reject,
 * every frame the hub sends passes the strict decoder, connections are closed by the rules,
 * and the hub keeps serving (a probe between batches, e.g. a real payment, must succeed).
 */
import {
  authSigningBytes,
  createSecretKey,
  createSigner,
  decodeHubMessage,
  encodeClientMessage,
  type HubMessage,
  hubIdFromKey,
  type SecretKey,
} from '@trickle/protocol';
import WebSocket from 'ws';
import { seededRandom } from '../sim/random.js';
import { type HostileFrame, type HostileFramesOptions, hostileFrames } from './hostileFrames.js';

/** Options of {@link attackHub}. */
export interface AttackHubOptions extends HostileFramesOptions {
  /** The hub's `ws://` or `wss://` URL. */
  readonly url: string;
  /** The attacker's key; it needs no funds. Default: one drawn from the seed. */
  readonly secretKey?: SecretKey;
  /** Checks that the hub still serves honest users (e.g. a wallet's payment); run every `probeEvery` frames and at the end. */
  readonly probe?: () => Promise<void>;
  /** Default 200. */
  readonly probeEvery?: number;
  /** Share of frames sent before authenticating, 0..1. Default 0.1. */
  readonly beforeAuthShare?: number;
  /** Longest wait for an answer, in ms. Default 5,000. */
  readonly answerTimeoutMs?: number;
}

/** What {@link attackHub} found. */
export interface HubAttackReport {
  tried: number;
  /** Frames expected invalid, and those answered with the expected reject code. */
  invalid: number;
  invalidRejected: number;
  /** Answers by kind: reject codes, or the message type of a normal answer. */
  answers: Record<string, number>;
  /** Connections closed by the hub, by close code. */
  closes: Record<string, number>;
  connections: number;
  probes: number;
  /** Each is a hub bug: a wrong answer, an answer that does not decode, no answer, a failed probe. */
  faults: { mutation: string; problem: string }[];
}

interface Session {
  readonly ws: WebSocket;
  readonly next: (
    timeoutMs: number,
  ) => Promise<HubMessage | { closed: number } | { timeout: true } | { undecodable: string }>;
  closed: number | undefined;
  /** Set when the attacker ends the connection itself: its close is not the hub's. */
  ending: boolean;
}

async function connect(url: string, onClosed: (code: number) => void): Promise<Session> {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 20 });
  const inbox: (HubMessage | { closed: number } | { undecodable: string })[] = [];
  let wake: (() => void) | undefined;
  const session: Session = {
    ws,
    closed: undefined,
    ending: false,
    async next(timeoutMs) {
      if (inbox.length === 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, timeoutMs);
        });
        clearTimeout(timer);
        wake = undefined;
      }
      return inbox.shift() ?? { timeout: true };
    },
  };
  const push = (item: (typeof inbox)[number]) => {
    inbox.push(item);
    wake?.();
  };
  ws.on('message', (data: Buffer) => {
    try {
      push(decodeHubMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
    } catch (error) {
      push({ undecodable: String(error) });
    }
  });
  ws.on('close', (code) => {
    session.closed = code;
    if (!session.ending) onClosed(code);
    push({ closed: code });
  });
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_request, response) => {
      reject(
        new Error(
          `the hub refused the connection (${response.statusCode} ${response.statusMessage}): a hub refuses an address whose connections keep ending before auth (limits.authFailuresPerAddressMax); attack a hub with that limit raised`,
        ),
      );
      ws.terminate();
    });
  });
  return session;
}

/**
 * Runs the attack and reports. Point it at a hub you run (a staging deployment or one
 * started in a test); it opens one connection at a time and reconnects whenever the hub
 * closes one, as its policy says it must after a few malformed frames.
 *
 * @example
 * ```ts
 * import { attackHub } from '@trickle/testing';
 * const report = await attackHub({ url: 'ws://127.0.0.1:8787', seed: 1, count: 2_000 });
 * console.log(`${report.invalidRejected}/${report.invalid} invalid frames rejected; faults: ${report.faults.length}`);
 * ```
 */
export async function attackHub(options: AttackHubOptions): Promise<HubAttackReport> {
  const random = seededRandom(options.seed ^ 0x5eed);
  const signer = createSigner(options.secretKey ?? createSecretKey((n) => random.bytes(n)), {
    randomBytes: (n) => random.bytes(n),
  });
  const timeoutMs = options.answerTimeoutMs ?? 5_000;
  const probeEvery = options.probeEvery ?? 200;
  const beforeAuthShare = options.beforeAuthShare ?? 0.1;
  const report: HubAttackReport = {
    tried: 0,
    invalid: 0,
    invalidRejected: 0,
    answers: {},
    closes: {},
    connections: 0,
    probes: 0,
    faults: [],
  };
  const count = (table: Record<string, number>, key: string) => {
    table[key] = (table[key] ?? 0) + 1;
  };
  let session: Session | undefined;
  let authenticated = false;

  async function open(authenticate: boolean): Promise<Session> {
    const opened = await connect(options.url, (code) => count(report.closes, String(code)));
    report.connections++;
    const challenge = await opened.next(timeoutMs);
    if (!('type' in challenge) || challenge.type !== 'challenge') throw new Error('the hub sent no challenge');
    if (!authenticate) return opened;
    const domain = { networkId: challenge.networkId, hubId: hubIdFromKey(challenge.hubKey) };
    const signature = signer.sign(authSigningBytes(domain, challenge.nonce, signer.publicKey));
    opened.ws.send(encodeClientMessage({ type: 'auth', clientKey: signer.publicKey, signature }));
    const welcome = await opened.next(timeoutMs);
    if (!('type' in welcome) || welcome.type !== 'welcome') throw new Error('the hub refused the attacker key');
    return opened;
  }

  async function probe(): Promise<void> {
    if (options.probe === undefined) return;
    report.probes++;
    try {
      await options.probe();
    } catch (error) {
      report.faults.push({ mutation: 'probe', problem: `the hub stopped serving: ${String(error)}` });
    }
  }

  async function one(frame: HostileFrame): Promise<void> {
    const beforeAuth = random.chance(beforeAuthShare);
    const fault = (problem: string): void => {
      report.faults.push({ mutation: frame.mutation, problem });
    };
    let answer: Awaited<ReturnType<Session['next']>> | undefined;
    let current: Session | undefined;
    // A connection the hub is closing (after its bad-frame budget) may close before it reads
    // the frame: then the frame is sent again on a fresh connection, where it must be answered.
    for (let attempt = 0; attempt < 2; attempt++) {
      const fresh = attempt > 0 || session === undefined || session.closed !== undefined;
      if (fresh || (beforeAuth ? authenticated : !authenticated)) {
        if (session !== undefined) {
          session.ending = true;
          session.ws.terminate();
        }
        session = await open(!beforeAuth);
        authenticated = !beforeAuth;
      }
      current = session as Session;
      current.ws.send(frame.bytes);
      answer = await current.next(timeoutMs);
      if (!('closed' in answer) || answer.closed === 1009 || attempt > 0) break;
    }
    if (answer === undefined || current === undefined) return;
    if ('timeout' in answer) return fault('no answer');
    if ('undecodable' in answer) return fault(`an answer the strict decoder refuses: ${answer.undecodable}`);
    if ('closed' in answer) {
      // ws itself cuts a message over its maxPayload without a reject (close 1009).
      if (answer.closed !== 1009) fault(`closed (${answer.closed}) without an answer`);
      else if (frame.expect === 'invalid') report.invalidRejected++;
      return;
    }
    count(report.answers, answer.type === 'reject' ? answer.code : answer.type);
    if (frame.expect === 'invalid') {
      if (answer.type === 'reject' && answer.code === frame.code) report.invalidRejected++;
      else fault(`answered ${answer.type === 'reject' ? answer.code : answer.type}, expected ${frame.code}`);
    }
  }

  try {
    for (const frame of hostileFrames(options)) {
      report.tried++;
      if (frame.expect === 'invalid') report.invalid++;
      await one(frame);
      if (report.tried % probeEvery === 0) await probe();
    }
    await probe();
  } finally {
    (session as Session | undefined)?.ws.terminate();
  }
  return report;
}
