/**
 * The CLI's failures: each says what went wrong and what to do, and carries the exit code
 * the process ends with.
 */

/**
 * Exit codes of `trickle`, a closed list: 0 is success.
 *
 * @example
 * ```ts
 * import { exitCodes } from '@trickle/cli';
 * exitCodes.unreachable; // 3: the hub's admin API did not answer
 * ```
 */
export const exitCodes = {
  ok: 0,
  /** The operation failed (a bug, an I/O error): see the message. */
  failed: 1,
  /** The command line or the configuration is wrong: see `--help`. */
  usage: 2,
  /** The hub's admin API did not answer: is `trickle hub start` running, on that data folder or URL? */
  unreachable: 3,
  /** The hub refused the request (bad input, unknown id, wrong token). */
  refused: 4,
  /** A check found a problem (the audit found mismatches; the hub is not ready). */
  checkFailed: 5,
} as const;

/** One of {@link exitCodes}' values. */
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/**
 * A failure the CLI reports as one line (`trickle: <message>`) and ends with `exitCode`.
 *
 * @example
 * ```ts
 * import { CliError, exitCodes } from '@trickle/cli';
 * throw new CliError(exitCodes.usage, '--amount: "1.2.3" is not a decimal amount; write it like 0.25');
 * ```
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
