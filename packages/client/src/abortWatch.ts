/**
 * One `abort` listener per signal, however many payments wait on it: a page-wide signal
 * passed to thousands of concurrent pay() calls would otherwise trip Node's
 * MaxListenersExceededWarning, and removing each listener would scan them all.
 */

/** Calls `onAbort` when `signal` aborts; returns the function that stops watching. */
export type AbortWatch = (signal: AbortSignal, onAbort: () => void) => () => void;

/** Creates a watch that shares one listener per signal. Internal to the payment queue. */
export function createAbortWatch(): AbortWatch {
  const watched = new Map<AbortSignal, { readonly callbacks: Set<() => void>; readonly listener: () => void }>();
  return (signal, onAbort) => {
    let entry = watched.get(signal);
    if (entry === undefined) {
      const callbacks = new Set<() => void>();
      const listener = (): void => {
        watched.delete(signal);
        // A copy: each callback stops watching as it settles its payment.
        for (const callback of [...callbacks]) callback();
      };
      entry = { callbacks, listener };
      watched.set(signal, entry);
      signal.addEventListener('abort', listener, { once: true });
    }
    const { callbacks, listener } = entry;
    callbacks.add(onAbort);
    return () => {
      if (!callbacks.delete(onAbort) || callbacks.size > 0) return;
      if (watched.get(signal)?.callbacks === callbacks) watched.delete(signal);
      signal.removeEventListener('abort', listener);
    };
  };
}
