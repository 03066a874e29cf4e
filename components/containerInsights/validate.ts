/** ContainerInsights rules, all problems reported at once. */
import { isUnknown, known } from "../shared/inputs.js";
import { LOG_ANALYTICS_WORKSPACE_ID_PATTERN } from "../shared/naming.js";
import { componentSubject, problemList, throwIfInvalid, type PropertyProblem } from "../shared/problems.js";
import { isIntegerInRange } from "../shared/validation.js";
import type { ContainerInsightsArgs } from "./args.js";

/** Log Analytics' retention bounds, in days. */
export const RETENTION_DAYS = { min: 30, max: 730 } as const;

/** Every problem with the arguments (empty when valid). Pure. */
export function containerInsightsProblems(args: ContainerInsightsArgs): PropertyProblem[] {
  const { problems, add } = problemList();
  const retention = known(args.retentionInDays);
  if (retention !== undefined && !isIntegerInRange(retention, RETENTION_DAYS.min, RETENTION_DAYS.max))
    add(
      "retentionInDays",
      `must be a whole number of days from ${RETENTION_DAYS.min} to ${RETENTION_DAYS.max} (got ${retention}).`,
    );
  const ws = known(args.existingWorkspaceId);
  if (ws !== undefined && !LOG_ANALYTICS_WORKSPACE_ID_PATTERN.test(ws))
    add(
      "existingWorkspaceId",
      `"${ws}" is not a Log Analytics workspace id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>).`,
    );
  if (args.existingWorkspaceId !== undefined && args.retentionInDays !== undefined)
    add(
      "retentionInDays",
      "applies only to a workspace aksml creates; set retention on the existing workspace, or remove existingWorkspaceId.",
    );
  if (isUnknown(args.applicationInsights))
    add("applicationInsights", "must be a plain boolean, not an Output: it decides whether the resource exists.");
  if (isUnknown(args.defenderForContainers))
    add("defenderForContainers", "must be a plain boolean, not an Output: it decides which resources exist.");
  return problems;
}

/** Throws one InputPropertiesError listing every problem. */
export function validateContainerInsightsArgs(name: string, args: ContainerInsightsArgs): void {
  throwIfInvalid(componentSubject("ContainerInsights", name), containerInsightsProblems(args));
}
