/**
 * Runs hostile frames through the client-frame decoder and checks what a strict decoder
 * must do: refuse every invalid frame with a typed {@link FrameError} (never another
 * exception), and accept only frames that encode back to the very same bytes.
 */
import { decodeClientMessage, encodeClientMessage, equalBytes, FrameError } from '@trickle/protocol';
import { type HostileFramesOptions, hostileFrames } from './hostileFrames.js';

/** What {@link fuzzCodec} found. */
export interface CodecFuzzReport {
  /** Frames tried. */
  tried: number;
  /** Frames that decoded (byte-level mutations that are still valid frames). */
  accepted: number;
  /** Typed refusals by code. */
  refused: Record<string, number>;
  /** Frames expected invalid that were refused with the expected code, and all expected invalid. */
  invalidRefused: number;
  invalid: number;
  /** Faults: each is a bug in the decoder. */
  faults: { mutation: string; messageType: string; problem: string; frameHex: string }[];
  /** Frames tried per mutation. */
  byMutation: Record<string, number>;
}

/**
 * Decodes `count` hostile frames (see {@link hostileFrames}) and reports. A report with no
 * faults means: no crash, 100% of invalid frames refused with their code, and every
 * accepted frame canonical.
 *
 * @example
 * ```ts
 * import { fuzzCodec } from '@trickle/testing';
 * const report = fuzzCodec({ seed: 1, count: 10_000 });
 * if (report.faults.length > 0) throw new Error(report.faults[0]?.problem);
 * ```
 */
export function fuzzCodec(options: HostileFramesOptions): CodecFuzzReport {
  const report: CodecFuzzReport = {
    tried: 0,
    accepted: 0,
    refused: {},
    invalidRefused: 0,
    invalid: 0,
    faults: [],
    byMutation: {},
  };
  for (const frame of hostileFrames(options)) {
    report.tried++;
    report.byMutation[frame.mutation] = (report.byMutation[frame.mutation] ?? 0) + 1;
    if (frame.expect === 'invalid') report.invalid++;
    const fault = (problem: string) =>
      report.faults.push({
        mutation: frame.mutation,
        messageType: frame.messageType,
        problem,
        frameHex: Buffer.from(frame.bytes.subarray(0, 256)).toString('hex'),
      });
    let decoded: ReturnType<typeof decodeClientMessage>;
    try {
      decoded = decodeClientMessage(frame.bytes);
    } catch (error) {
      if (!(error instanceof FrameError)) {
        fault(`threw ${error instanceof Error ? error.name : typeof error} instead of FrameError: ${String(error)}`);
        continue;
      }
      report.refused[error.code] = (report.refused[error.code] ?? 0) + 1;
      if (frame.expect === 'invalid') {
        if (error.code === frame.code) report.invalidRefused++;
        else fault(`refused ${error.code}, expected ${frame.code}`);
      }
      continue;
    }
    report.accepted++;
    if (frame.expect === 'invalid') {
      fault('an invalid frame was accepted');
      continue;
    }
    let again: Uint8Array;
    try {
      again = encodeClientMessage(decoded);
    } catch (error) {
      fault(`decoded but does not encode again: ${String(error)}`);
      continue;
    }
    if (!equalBytes(again, frame.bytes)) fault('decoded, but encodes to other bytes (not canonical)');
  }
  return report;
}
