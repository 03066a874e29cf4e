/**
 * Endpoints as the day-2 commands print them: per endpoint, its versions with their
 * declared and live shares, mirrors, roles and ready replicas, then its rollout (phase,
 * step, plan, when the next step is due, the leader's latest look, and every decision).
 */
import type { EndpointStatus } from "../../router/endpoints/endpointStatus.js";

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
}

const PHASE: Record<string, string> = {
  pending: "pending (the router has not started it yet)",
  progressing: "progressing",
  promoted: "promoted",
  rolledBack: "rolled back",
};

export function renderEndpoints(endpoints: readonly (EndpointStatus & { namespace?: string })[]): string {
  if (endpoints.length === 0) return "No endpoints.\n";
  const out: string[] = [];
  for (const e of endpoints) {
    out.push(`endpoint ${e.name}${e.namespace ? ` (namespace ${e.namespace})` : ""}, auth ${e.authMode}`);
    const rows = [["VERSION", "SERVICE", "DECLARED", "LIVE", "MIRROR", "ROLE", "READY"]];
    for (const v of e.versions)
      rows.push([
        v.version,
        v.service,
        `${v.declaredPercent}%`,
        `${v.livePercent}%`,
        v.mirrorPercentile > 0 ? `${v.mirrorPercentile}%` : "-",
        [v.isDefault ? "default" : "", v.isControlVersion ? "control" : ""].filter(Boolean).join(", ") || "-",
        v.readyReplicas === undefined ? "-" : String(v.readyReplicas),
      ]);
    out.push(...table(rows).map((l) => `  ${l}`));
    const r = e.rollout;
    if (r) {
      const step = r.step === undefined ? "" : `, step ${r.step + 1} of ${r.steps.length}`;
      out.push(
        `  rollout of ${r.version} against ${r.control}: ${PHASE[r.phase] ?? r.phase}${step}, ${r.version} at ${r.percent}% (steps ${r.steps.join(" -> ")}%, every ${r.intervalSeconds} s)`,
      );
      if (r.nextStepAt) out.push(`    next step no earlier than ${r.nextStepAt}`);
      if (r.observation) out.push(`    leader's latest look (${r.observation.at}): ${r.observation.reason}`);
      for (const h of r.history)
        out.push(`    ${h.at}  ${h.action.padEnd(8)} ${String(h.percent).padStart(3)}%  ${h.reason}`);
    }
    out.push("");
  }
  return `${out.join("\n")}`;
}
