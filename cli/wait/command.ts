/**
 * `aksml wait <service> [--timeout 10m]`: blocks until the service is Healthy (exit 0) or
 * Failed (exit 1), or the timeout passes (exit 1), showing progress (replicas ready, the
 * last event) like Azure ML's `wait_for_deployment(show_output=True)`.
 */
import { Day2Error } from "../day2/target.js";
import { parseDuration, printJson, runDay2Command } from "../day2/commandLine.js";
import type { ServiceStateReport } from "../day2/model.js";
import { describeState } from "../state/command.js";

export function run(argv: string[]): Promise<number> {
  return runDay2Command(argv, {
    name: "wait",
    synopsis: "aksml wait <service> [--timeout 10m] [options]",
    description:
      "Waits until the service is Healthy (exit 0) or Failed (exit 1, with the reason), printing its state,\nreplicas and last event as they change (Azure ML: service.wait_for_deployment(show_output=True)).\nUnhealthy and Unschedulable are not final: they can still resolve (a node added, a probe passing).",
    options: {
      timeout: { type: "string" },
      "poll-interval": { type: "string" },
      quiet: { type: "boolean", short: "q" },
    },
    optionsHelp: `options:
      --timeout D         give up after D (10m, 90s, 1h; default 10m): exit 1
      --poll-interval D   how often to look (default 2s)
  -q, --quiet           no progress, only the result`,
    service: "required",
    async run(ctx) {
      const timeoutMs = parseDuration(String(ctx.values.timeout ?? "10m"), "--timeout");
      const pollMs = parseDuration(String(ctx.values["poll-interval"] ?? "2s"), "--poll-interval");
      if (pollMs < 100) throw new Day2Error("--poll-interval must be at least 100ms", 2);
      const tty = process.stderr.isTTY === true;
      const started = Date.now();
      let shown = "";
      const progress = (s: ServiceStateReport) => {
        if (ctx.values.quiet) return;
        const secs = Math.round((Date.now() - started) / 1000);
        const text = `${describeState(s)}${s.reason ? ` - ${s.reason}` : ""}${s.lastEvent ? ` | last event: ${s.lastEvent.message}` : ""}`;
        if (tty) process.stderr.write(`\r\x1b[K${text.slice(0, (process.stderr.columns || 120) - 8)} [${secs}s]`);
        else if (text !== shown) ctx.err(text);
        shown = text;
      };
      let last: ServiceStateReport | undefined;
      for (;;) {
        last = await ctx.target.state(ctx.service!);
        progress(last);
        if (last.state === "Healthy" || last.state === "Failed") break;
        if (Date.now() - started + pollMs > timeoutMs) break;
        await new Promise((r) => setTimeout(r, pollMs));
      }
      if (tty && !ctx.values.quiet) process.stderr.write("\n");
      const waitedMs = Date.now() - started;
      const timedOut = last.state !== "Healthy" && last.state !== "Failed";
      if (ctx.json) printJson(ctx, { ...last, waitedMs, timedOut });
      else if (timedOut)
        ctx.out(
          `${describeState(last)}: still not Healthy after ${Math.round(waitedMs / 1000)} s${last.reason ? ` (${last.reason})` : ""}`,
        );
      else
        ctx.out(
          `${describeState(last)}${last.reason ? `: ${last.reason}` : ""} after ${Math.round(waitedMs / 1000)} s`,
        );
      return last.state === "Healthy" ? 0 : 1;
    },
  });
}
