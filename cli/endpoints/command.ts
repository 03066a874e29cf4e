/**
 * `aksml endpoints [name]`: every endpoint (or one) with its versions' declared and live
 * shares, mirrors, roles and ready replicas, and its rollout: phase, step, when the next
 * step is due, the leader's latest look and every decision (Azure ML v1's
 * `AksEndpoint` versions and `traffic_percentile`; the rollout is aksml's own). From a
 * cluster it reads the endpoint Services' `aksml/endpoint-config` and the routers'
 * `<endpoint>-rollout` ConfigMaps; from `aksml local`, the router's own view.
 */
import { printJson, runDay2Command, type Day2Context } from "../day2/commandLine.js";
import { Day2Error } from "../day2/target.js";
import { renderEndpoints } from "./renderEndpoints.js";

export function run(argv: string[]): Promise<number> {
  return runDay2Command(argv, {
    name: "endpoints",
    synopsis: "aksml endpoints [endpoint] [options]",
    description:
      "Shows the endpoints (ModelEndpoint): each version's declared and live share, mirror, role and ready\nreplicas, and the rollout's phase, step, next step and every decision of the router's scaling leader\n(Azure ML: AksEndpoint versions and traffic_percentile).",
    service: "optional",
    async run(ctx: Day2Context) {
      const report = await ctx.target.endpoints();
      const name = ctx.service;
      const endpoints = name ? report.endpoints.filter((e) => e.name === name) : report.endpoints;
      const problems = name ? report.problems.filter((p) => p.name === name) : report.problems;
      if (name && endpoints.length === 0 && problems.length === 0)
        throw new Day2Error(
          `no endpoint ${JSON.stringify(name)} (${ctx.target.description}); aksml endpoints lists them`,
        );
      if (ctx.json) {
        printJson(ctx, { endpoints, problems });
        return problems.length ? 1 : 0;
      }
      if (endpoints.length || !problems.length) {
        const text = renderEndpoints(endpoints).trimEnd();
        ctx.out(endpoints.length ? text : `no endpoints (${ctx.target.description})`);
      }
      for (const p of problems)
        ctx.err(
          `endpoint ${p.name} (namespace ${p.namespace}) has an invalid aksml/endpoint-config annotation: ${p.problem}; fix the stack and run pulumi up`,
        );
      return problems.length ? 1 : 0;
    },
  });
}
