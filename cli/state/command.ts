/**
 * `aksml state <service>`: Azure ML's state (Transitioning, Healthy, Unhealthy,
 * Unschedulable, Failed) with the reason (Azure ML `service.state`, `az ml service show`).
 */
import { printJson, runDay2Command } from "../day2/commandLine.js";
import type { ServiceStateReport } from "../day2/model.js";

export function describeState(s: ServiceStateReport): string {
  return `${s.name}: ${s.state} (${s.replicas.ready}/${s.replicas.desired} replicas ready)`;
}

export function run(argv: string[]): Promise<number> {
  return runDay2Command(argv, {
    name: "state",
    synopsis: "aksml state <service> [options]",
    description:
      "Prints the service's Azure ML state and why: an image pull error, a crash loop, a failing probe,\nthe scheduler's message when it cannot be placed (Azure ML: service.state, az ml service show).\nExits 0 whatever the state; aksml wait blocks until it is final.",
    service: "required",
    async run(ctx) {
      const s = await ctx.target.state(ctx.service!);
      if (ctx.json) printJson(ctx, s);
      else {
        ctx.out(describeState(s));
        if (s.reason) ctx.out(`  reason: ${s.reason}`);
        if (s.lastEvent) ctx.out(`  last event: ${s.lastEvent.at ? `${s.lastEvent.at} ` : ""}${s.lastEvent.message}`);
      }
      return 0;
    },
  });
}
