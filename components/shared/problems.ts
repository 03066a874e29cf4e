/**
 * How every component reports bad arguments: it collects each problem as a
 * {@link PropertyProblem} (the property path, and the rule with its fix) and throws them
 * all at once in one `pulumi.InputPropertiesError`.
 */
import * as pulumi from "@pulumi/pulumi";

/** One problem with an argument: its property path (`autoscale.minReplicas`) and what is wrong, with the fix. */
export interface PropertyProblem {
  readonly propertyPath: string;
  readonly reason: string;
}

/** Records one problem. */
export type AddProblem = (propertyPath: string, reason: string) => void;

/** An empty problem list and the function that appends to it. */
export function problemList(): { problems: PropertyProblem[]; add: AddProblem } {
  const problems: PropertyProblem[] = [];
  return { problems, add: (propertyPath, reason) => problems.push({ propertyPath, reason }) };
}

/**
 * Throws one InputPropertiesError naming every problem, or returns when there is none.
 * The message holds every path and reason too: a Pulumi program's error output shows
 * only the message, not the error's list.
 *
 * @param subject what was given the arguments, e.g. `AksInferenceCluster "aks"`
 */
export function throwIfInvalid(subject: string, problems: readonly PropertyProblem[]): void {
  if (problems.length === 0) return;
  const paths = [...new Set(problems.map((p) => p.propertyPath))].join(", ");
  const details = problems.map((p) => `${p.propertyPath}: ${p.reason}`).join("; ");
  throw new pulumi.InputPropertiesError({
    message: `${subject} has ${problems.length} invalid argument${problems.length === 1 ? "" : "s"} (${paths}): ${details}`,
    errors: problems.map((p) => ({ propertyPath: p.propertyPath, reason: p.reason })),
  });
}

/** The subject of a component's arguments: its type and name, e.g. `ModelWebservice "scoring"`. */
export const componentSubject = (component: string, name: string) => `${component} ${JSON.stringify(name)}`;
