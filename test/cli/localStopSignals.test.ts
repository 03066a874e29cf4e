/**
 * The stop-signal rules of `aksml local` (cli/local/stopSignals.ts), with real signals
 * sent to this test process: the first stop signal starts a graceful stop; a repeat
 * before the force is armed (one Ctrl-C delivered twice) changes nothing; once armed, a
 * SIGINT or SIGTERM forces; SIGHUP never does. The CLI end to end, SIGHUP as the first
 * signal included, is in test/router/localLifetimes.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { watchStopSignals, type StopSignalWatch } from "../../cli/local/stopSignals.js";

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

let watch: StopSignalWatch | undefined;
afterEach(() => {
  watch?.dispose();
  watch = undefined;
});

function record(forceAfterMs: number) {
  const calls: string[] = [];
  watch = watchStopSignals(
    {
      stop: (sig) => calls.push(`stop ${sig}`),
      forceArmed: () => calls.push("armed"),
      force: (sig) => calls.push(`force ${sig}`),
    },
    forceAfterMs,
  );
  return calls;
}

describe("aksml local stop signals", () => {
  it("ignores a repeat before the force is armed, never forces on SIGHUP, forces on SIGINT or SIGTERM once armed", async () => {
    // Long enough that the repeat below is handled well before the force is armed.
    const calls = record(1000);
    process.kill(process.pid, "SIGINT");
    await until(() => calls.length === 1);
    process.kill(process.pid, "SIGINT");
    await until(() => calls.includes("armed"));
    expect(calls).toEqual(["stop SIGINT", "armed"]);

    // SIGHUP (1) is delivered before SIGTERM (15) when both are pending; only SIGTERM forces.
    process.kill(process.pid, "SIGHUP");
    process.kill(process.pid, "SIGTERM");
    await until(() => calls.length === 3);
    expect(calls).toEqual(["stop SIGINT", "armed", "force SIGTERM"]);
  });
});
