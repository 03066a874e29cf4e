/**
 * pulumi-policy-aws style helpers: build the args the engine would hand a policy,
 * run it, and assert on the violations. Policies are called directly; no server.
 */
import type {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { expect } from "vitest";
import type { CapturedResource } from "../../preview/mockRuntime.js";
import { toPolicyResources } from "../../preview/policyEvaluation.js";

class NotApplicable extends Error {}

const isTypeOf = (type: string) => (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === type;

/** Args for `validateResource`: a resource of `type` (a token or a resource class) with `props`. */
export function createResourceValidationArgs(
  type: string | { __pulumiType: string },
  props: Record<string, any>,
  name = "subject",
): ResourceValidationArgs {
  const token = typeof type === "string" ? type : type.__pulumiType;
  return {
    type: token,
    props,
    urn: `urn:pulumi:test::aksml::${token}::${name}`,
    name,
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    stackTags: new Map(),
    isType: isTypeOf(token),
    asType: ((cls: unknown) => (isTypeOf(token)(cls) ? props : undefined)) as ResourceValidationArgs["asType"],
    getConfig: (() => ({})) as ResourceValidationArgs["getConfig"],
    notApplicable: (reason?: string) => {
      throw new NotApplicable(reason);
    },
  };
}

/** Runs a resource policy; returns its violation messages (none if it was not applicable). */
export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  args: ResourceValidationArgs,
): Promise<string[]> {
  const messages: string[] = [];
  const validations = ([] as unknown[]).concat(policy.validateResource ?? []) as ((
    a: ResourceValidationArgs,
    r: (m: string) => void,
  ) => unknown)[];
  for (const validate of validations) {
    try {
      await validate(args, (m) => messages.push(m));
    } catch (e) {
      if (!(e instanceof NotApplicable)) throw e;
    }
  }
  return messages;
}

export async function assertHasResourceViolation(
  policy: ResourceValidationPolicy,
  args: ResourceValidationArgs,
  expected: { message: string | RegExp },
): Promise<void> {
  const messages = await runResourcePolicy(policy, args);
  expect(messages.length, `expected a violation of ${policy.name}`).toBeGreaterThan(0);
  expect(
    messages.some((m) =>
      typeof expected.message === "string" ? m.includes(expected.message) : expected.message.test(m),
    ),
    `violations were: ${messages.join(" | ")}`,
  ).toBe(true);
}

export async function assertNoResourceViolations(
  policy: ResourceValidationPolicy,
  args: ResourceValidationArgs,
): Promise<void> {
  expect(await runResourcePolicy(policy, args)).toEqual([]);
}

/** Args for `validateStack` over captured resources (state as props, linked by URN). */
export function createStackValidationArgs(resources: CapturedResource[]): StackValidationArgs {
  return {
    resources: toPolicyResources(resources),
    stackTags: new Map(),
    getConfig: (() => ({})) as StackValidationArgs["getConfig"],
    notApplicable: (reason?: string) => {
      throw new NotApplicable(reason);
    },
  };
}

export interface StackViolation {
  message: string;
  resource?: PolicyResource;
}

export async function runStackPolicy(
  policy: StackValidationPolicy,
  resources: CapturedResource[],
): Promise<StackViolation[]> {
  const args = createStackValidationArgs(resources);
  const out: StackViolation[] = [];
  try {
    await policy.validateStack(args, (message, urn) =>
      out.push({ message, resource: args.resources.find((r) => r.urn === urn) }),
    );
  } catch (e) {
    if (!(e instanceof NotApplicable)) throw e;
  }
  return out;
}

export async function assertHasStackViolation(
  policy: StackValidationPolicy,
  resources: CapturedResource[],
  expected: { message: string | RegExp; resourceName?: string },
): Promise<void> {
  const violations = await runStackPolicy(policy, resources);
  const messages = violations.map((v) => v.message);
  const hit = violations.find((v) =>
    typeof expected.message === "string" ? v.message.includes(expected.message) : expected.message.test(v.message),
  );
  expect(
    hit,
    `expected a violation of ${policy.name} matching ${expected.message}; got: ${messages.join(" | ") || "none"}`,
  ).toBeDefined();
  if (expected.resourceName) expect(hit!.resource?.name).toBe(expected.resourceName);
}

export async function assertNoStackViolations(
  policy: StackValidationPolicy,
  resources: CapturedResource[],
): Promise<void> {
  expect((await runStackPolicy(policy, resources)).map((v) => v.message)).toEqual([]);
}
