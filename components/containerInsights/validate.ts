/** ContainerInsights rules, all problems reported at once. */
import * as pulumi from "@pulumi/pulumi";
import type { ContainerInsightsArgs } from "./args.js";
import { known } from "../shared/inputs.js";

const WORKSPACE_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+$/i;

/** Every problem with the arguments (empty when valid). Pure. */
export function containerInsightsProblems(args: ContainerInsightsArgs): pulumi.InputPropertyErrorDetails[] {
  const problems: pulumi.InputPropertyErrorDetails[] = [];
  const retention = known(args.retentionInDays);
  if (retention !== undefined && !(Number.isInteger(retention) && retention >= 30 && retention <= 730))
    problems.push({
      propertyPath: "retentionInDays",
      reason: `must be a whole number of days from 30 to 730 (got ${retention}).`,
    });
  const ws = known(args.existingWorkspaceId);
  if (ws !== undefined && !WORKSPACE_ID.test(ws))
    problems.push({
      propertyPath: "existingWorkspaceId",
      reason: `"${ws}" is not a Log Analytics workspace id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>).`,
    });
  if (args.existingWorkspaceId !== undefined && args.retentionInDays !== undefined)
    problems.push({
      propertyPath: "retentionInDays",
      reason:
        "applies only to a workspace aksml creates; set retention on the existing workspace, or remove existingWorkspaceId.",
    });
  if (args.defenderForContainers !== undefined && known(args.defenderForContainers) === undefined)
    problems.push({
      propertyPath: "defenderForContainers",
      reason: "must be a plain boolean, not an Output: it decides which resources exist.",
    });
  return problems;
}

/** Throws one InputPropertiesError listing every problem. */
export function validateContainerInsightsArgs(name: string, args: ContainerInsightsArgs): void {
  const errors = containerInsightsProblems(args);
  if (errors.length === 0) return;
  throw new pulumi.InputPropertiesError({
    message: `ContainerInsights "${name}" has ${errors.length} invalid argument${errors.length === 1 ? "" : "s"} (${[...new Set(errors.map((e) => e.propertyPath))].join(", ")})`,
    errors,
  });
}
