/** Stopping a process that runs a hub on SIGTERM or SIGINT: drain, then exit. */

/** Options of {@link stopOnSignals}. */
export interface StopOnSignalsOptions {
  /** Told which signal arrived, before `stop` runs. Default: a line on stderr. */
  readonly onSignal?: (signal: NodeJS.Signals) => void;
  /** Exit the process when `stop` settles (0, or 1 when it threw). Default true. */
  readonly exit?: boolean;
}

/**
 * Runs `stop` (close the servers, then `hub.close()`: no new connections, queued payments
 * made durable and answered, stores flushed) on the first SIGTERM or SIGINT, then exits 0
 * (1 if `stop` threw). A second signal while draining exits at once with 128 + its number.
 * Returns a function that removes the handlers.
 *
 * @example
 * ```ts
 * import { createHub, stopOnSignals } from '@trickle/hub';
 * const hub = await createHub({ dataDir: './.data/hub', networkId: 1, port: 8787 });
 * stopOnSignals(() => hub.close()); // systemd, docker stop and Ctrl-C drain the hub
 * ```
 */
export function stopOnSignals(stop: () => Promise<void>, options: StopOnSignalsOptions = {}): () => void {
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  const onSignal = options.onSignal ?? ((signal) => console.error(`${signal}: draining, then exiting`));
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    stopping = true;
    onSignal(signal);
    void stop().then(
      () => {
        if (options.exit ?? true) process.exit(0);
      },
      (error: unknown) => {
        console.error(`stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        if (options.exit ?? true) process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
