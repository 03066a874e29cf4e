/**
 * What evaluating the pack reports, shared by everything that evaluates or prints it
 * (`aksml plan`, its renderers, the tests). The Pulumi SDK's own `EnforcementLevel`
 * also has "remediate", which reports as mandatory here (there is no remediation offline).
 */

/** The level a violation is reported at. */
export type VerdictLevel = "mandatory" | "advisory";

/** What an override may set a policy to (`aksml plan --enforce NAME=LEVEL`, like a pack config file). */
export type EnforcementOverride = VerdictLevel | "disabled";

/** The enforcement overrides, in the order usage messages list them. */
export const ENFORCEMENT_OVERRIDES: readonly EnforcementOverride[] = ["mandatory", "advisory", "disabled"];

/** One violation a policy reported, at the level it was enforced. */
export interface PolicyVerdict {
  policy: string;
  enforcementLevel: VerdictLevel;
  message: string;
  urn?: string;
  resourceName?: string;
  resourceType?: string;
}
