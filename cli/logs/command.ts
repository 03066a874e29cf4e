/**
 * `aksml logs <service> [--tail N] [--follow] [--replica NAME] [--init] | --router`: the
 * model containers' output (Azure ML `get_logs(num_lines, init)`, `az ml service get-logs`).
 */
import { Day2Error } from "../day2/target.js";
import { countOption, runDay2Command } from "../day2/commandLine.js";

/** Azure ML's get_logs(num_lines=5000). */
const DEFAULT_TAIL = 5000;

export function run(argv: string[]): Promise<number> {
  return runDay2Command(argv, {
    name: "logs",
    synopsis: "aksml logs <service> [--tail N] [--follow] [--replica NAME] [--init] | aksml logs --router [options]",
    description:
      'Prints the model containers\' logs, each line prefixed by its replica (pod) name (Azure ML:\nservice.get_logs(), az ml service get-logs). --json: one {"source", "at", "text"} object per line.',
    options: {
      tail: { type: "string" },
      follow: { type: "boolean", short: "f" },
      replica: { type: "string" },
      router: { type: "boolean" },
      init: { type: "boolean" },
    },
    optionsHelp: `options:
      --tail N          the last N lines of each replica (default ${DEFAULT_TAIL}, Azure ML's num_lines)
  -f, --follow          keep printing new lines until Ctrl-C
      --replica NAME    one replica (pod name, or local-N with --local)
      --init            the model download init container (cluster only; Azure ML's init=True)
      --router          the router's own logs instead (no service name)`,
    service: "optional",
    async run(ctx) {
      const router = ctx.values.router === true;
      if (router === (ctx.service !== undefined))
        throw new Day2Error(router ? "--router takes no service name" : "expected one service name (or --router)", 2);
      const tail = countOption(ctx.values, "tail") ?? DEFAULT_TAIL;
      const follow = ctx.values.follow === true;
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      try {
        await ctx.target.logs(
          ctx.service,
          { tail, follow, replica: ctx.values.replica as string | undefined, router, init: ctx.values.init === true },
          (line) => ctx.out(ctx.json ? JSON.stringify(line) : `[${line.source}] ${line.text}`),
          controller.signal,
        );
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      }
      return 0;
    },
  });
}
