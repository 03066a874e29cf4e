/**
 * `aksml list`: every model service with its state, replicas (ready/desired), auth mode
 * and scoring URI (Azure ML `Webservice.list(workspace)` / `az ml service list`).
 */
import { printJson, runDay2Command, type Day2Context } from "../day2/commandLine.js";
import type { ServiceSummary } from "../day2/model.js";

function table(rows: ServiceSummary[]): string[] {
  const header = ["NAME", "STATE", "REPLICAS", "AUTH", "SCORING URI"];
  const cells = rows.map((r) => [
    r.namespace ? `${r.name} (${r.namespace})` : r.name,
    r.state,
    `${r.replicas.ready}/${r.replicas.desired}`,
    r.authMode,
    r.scoringUri ?? "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...cells.map(line)];
}

export function run(argv: string[]): Promise<number> {
  return runDay2Command(argv, {
    name: "list",
    synopsis: "aksml list [options]",
    description:
      "Lists the model services with their Azure ML state, replicas (ready/desired), auth mode and scoring URI\n(Azure ML: Webservice.list(ws), az ml service list).",
    service: "none",
    async run(ctx: Day2Context) {
      const rows = await ctx.target.list();
      if (ctx.json) {
        printJson(ctx, rows);
        return 0;
      }
      if (!rows.length) {
        ctx.out(`no model services (${ctx.target.description})`);
        return 0;
      }
      for (const l of table(rows)) ctx.out(l);
      for (const r of rows) if (r.reason && r.state !== "Healthy") ctx.out(`${r.name}: ${r.state}: ${r.reason}`);
      return 0;
    },
  });
}
