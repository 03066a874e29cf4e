/**
 * How `aksml local` answers stop signals. SIGINT (Ctrl-C), SIGTERM and SIGHUP (the
 * terminal was closed) each start one graceful stop. Once that stop has been running for
 * FORCE_AFTER_MS, a second SIGINT or SIGTERM means "now": kill every replica and exit.
 *
 * Why not at once: one Ctrl-C can arrive twice (the terminal signals the whole foreground
 * process group, and a runner such as npm or pnpm may forward the same signal to its
 * child), and a single key press must not turn into a forced stop. SIGHUP never forces:
 * a closing terminal may send it more than once.
 */

/** How long a graceful stop runs before a second Ctrl-C forces it. */
export const FORCE_AFTER_MS = 500;

const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export interface StopSignalHandlers {
  /** The first stop signal: begin the graceful stop. */
  stop(signal: NodeJS.Signals): void;
  /** The graceful stop is still running FORCE_AFTER_MS later: a second Ctrl-C now forces it. */
  forceArmed(): void;
  /** A second SIGINT or SIGTERM after forceArmed: kill everything and exit. */
  force(signal: NodeJS.Signals): void;
}

export interface StopSignalWatch {
  /** The graceful stop finished: no forceArmed() after this. */
  stopped(): void;
  /** Stops listening (tests; `aksml local` listens until the process exits). */
  dispose(): void;
}

/** Listens for stop signals from now on (before anything starts, so a stop during startup is seen). */
export function watchStopSignals(handlers: StopSignalHandlers, forceAfterMs = FORCE_AFTER_MS): StopSignalWatch {
  let stopping = false;
  let armed = false;
  let timer: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping) {
      stopping = true;
      timer = setTimeout(() => {
        armed = true;
        handlers.forceArmed();
      }, forceAfterMs);
      timer.unref();
      handlers.stop(signal);
    } else if (armed && signal !== "SIGHUP") handlers.force(signal);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return {
    stopped: () => clearTimeout(timer),
    dispose: () => {
      clearTimeout(timer);
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}
