/**
 * Runs the aksml policy pack in-process over a captured resource graph, the way the
 * Pulumi engine's analyzer would, without starting the pack's gRPC server
 * (`new PolicyPack` always starts one). `aksml plan` prints these verdicts.
 *
 * Differences from the engine, on purpose: resource policies see the SDK-serialized
 * inputs (the engine hands them provider-checked inputs); stack policies see inputs
 * merged with the mocked computed outputs, as the engine hands them outputs.
 */
import type {
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { allPolicies, POLICY_FACTORIES, type AksmlPolicy } from "../policy/policies/all.js";
import type { EnforcementOverride, PolicyVerdict } from "../policy/policies/verdict.js";
import type { PolicyReport } from "./capturedGraph.js";
import type { CapturedResource } from "./mockRuntime.js";
import { unwrapSecrets } from "./secretMarker.js";

/** Every policy name in the pack (what `--enforce NAME=LEVEL` may name). */
export function policyNames(): string[] {
  return Object.keys(POLICY_FACTORIES);
}

export interface EvaluateOptions {
  /** Per-policy enforcement, overriding each policy's own level (like a policy pack config file). */
  enforcement?: Record<string, EnforcementOverride>;
  /** Per-policy configuration, merged over the policy's configSchema defaults. */
  config?: Record<string, Record<string, unknown>>;
  /** Stack tags handed to policies (the engine's `stackTags`). */
  stackTags?: Record<string, string>;
}

/** Thrown by `notApplicable`; a policy uses it to say a resource is out of its scope. */
class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "not applicable");
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Whether `resourceClass` is the class of resources of type `type` (as the engine decides it). */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const cls = resourceClass as { __pulumiType?: string; isInstance?: (o: unknown) => boolean };
  if (typeof cls.__pulumiType === "string") return cls.__pulumiType === type;
  return typeof cls.isInstance === "function" && cls.isInstance({ __pulumiType: type }) === true;
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicableError(reason);
}

function optsOf(r: CapturedResource): PolicyResourceOptions {
  return {
    protect: r.protect,
    ignoreChanges: r.ignoreChanges,
    deleteBeforeReplace: r.deleteBeforeReplace,
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    parent: r.parent || undefined,
  };
}

/** Effective level: explicit override, else the policy's own, else the pack default (advisory). */
function levelOf(policy: AksmlPolicy, options: EvaluateOptions): EnforcementOverride {
  const level = options.enforcement?.[policy.name] ?? policy.enforcementLevel ?? "advisory";
  // "remediate" has no remediation here; the engine reports its violations as mandatory.
  return level === "remediate" ? "mandatory" : level;
}

/** A policy's `getConfig`: its configSchema defaults, overridden by `options.config`. */
function configOf(policy: AksmlPolicy, options: EvaluateOptions): StackValidationArgs["getConfig"] {
  const defaults: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    if ((schema as { default?: unknown }).default !== undefined)
      defaults[key] = (schema as { default?: unknown }).default;
  }
  const merged = { ...defaults, ...(options.config?.[policy.name] ?? {}) };
  // The SDK types getConfig by what the caller expects (`getConfig<T>()`); the policy declares that shape.
  return (() => merged) as StackValidationArgs["getConfig"];
}

function isStackPolicy(p: AksmlPolicy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

/**
 * Evaluates every policy of the pack (or `policies`, for tests) over `resources`.
 * Synchronous: every aksml policy is synchronous, and an asynchronous one is reported
 * as a failure rather than silently skipped. Throws for an enforcement override that
 * names no policy (a typo would otherwise silently change nothing).
 */
export function evaluatePolicies(
  resources: CapturedResource[],
  options: EvaluateOptions = {},
  policies: AksmlPolicy[] = allPolicies(),
): PolicyVerdict[] {
  const known = new Set(policies.map((p) => p.name));
  const unknown = Object.keys(options.enforcement ?? {}).filter((name) => !known.has(name));
  if (unknown.length > 0)
    throw new Error(`unknown policy name(s) ${unknown.join(", ")}; the pack has: ${[...known].join(", ")}`);
  const verdicts: PolicyVerdict[] = [];
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  // Unwrapped once and shared by every policy (frozen, so no policy can change what the next one sees).
  const inputProps = new Map(
    resources.map((r) => [r.urn, deepFreeze(unwrapSecrets(r.inputs)) as PolicyResource["props"]]),
  );
  const stackResources = toPolicyResources(resources);
  const stackTags: ReadonlyMap<string, string> = new Map(Object.entries(options.stackTags ?? {}));

  for (const policy of policies) {
    const level = levelOf(policy, options);
    if (level === "disabled") continue;
    const getConfig = configOf(policy, options);
    const reporterFor =
      (subject?: CapturedResource): ReportViolation =>
      (message: string, urn?: string) => {
        const target = urn !== undefined ? byUrn.get(urn) : subject;
        verdicts.push({
          policy: policy.name,
          enforcementLevel: level,
          message,
          urn: urn ?? target?.urn,
          resourceName: target?.name,
          resourceType: target?.type,
        });
      };
    const run = (fn: () => unknown, subject?: CapturedResource) => {
      try {
        const result = fn();
        if (result && typeof (result as Promise<unknown>).then === "function") {
          throw new Error("returned a Promise; evaluatePolicies runs policies synchronously");
        }
      } catch (e) {
        if (e instanceof NotApplicableError) return;
        verdicts.push({
          policy: policy.name,
          enforcementLevel: "mandatory",
          message: `policy '${policy.name}' failed to run: ${(e as Error).message ?? String(e)}`,
          urn: subject?.urn,
          resourceName: subject?.name,
          resourceType: subject?.type,
        });
      }
    };

    if (isStackPolicy(policy)) {
      const args: StackValidationArgs = {
        resources: stackResources,
        stackTags,
        getConfig,
        notApplicable: throwNotApplicable,
      };
      run(() => policy.validateStack(args, reporterFor()));
      continue;
    }

    const validations = ([] as ResourceValidationPolicy["validateResource"][])
      .concat((policy as ResourceValidationPolicy).validateResource)
      .flat()
      .filter((v): v is ResourceValidation => typeof v === "function");
    for (const r of resources) {
      // The engine analyzes resources, not components or providers.
      if (!r.custom || r.type.startsWith("pulumi:providers:")) continue;
      const props = inputProps.get(r.urn)!;
      const providerUrn = r.provider ? r.provider.split("::").slice(0, -1).join("::") : "";
      const provider = providerUrn ? byUrn.get(providerUrn) : undefined;
      const args: ResourceValidationArgs = {
        type: r.type,
        props,
        urn: r.urn,
        name: r.name,
        opts: optsOf(r),
        provider: provider && {
          type: provider.type,
          props: inputProps.get(provider.urn)!,
          urn: provider.urn,
          name: provider.name,
        },
        stackTags,
        isType: (cls) => isTypeOf(r.type, cls),
        asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
        getConfig,
        notApplicable: throwNotApplicable,
      };
      for (const validate of validations) run(() => validate(args, reporterFor(r)), r);
    }
  }
  return verdicts;
}

/** Builds the engine's view of the stack: outputs as props, parent/dependencies linked by URN. */
export function toPolicyResources(resources: CapturedResource[]): PolicyResource[] {
  const out = new Map<string, PolicyResource>();
  for (const r of resources) {
    const props = deepFreeze(unwrapSecrets(r.state)) as PolicyResource["props"];
    out.set(r.urn, {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: optsOf(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(r.type, cls),
      asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
    });
  }
  for (const r of resources) {
    const pr = out.get(r.urn)!;
    if (r.parent && out.has(r.parent)) pr.parent = out.get(r.parent);
    pr.dependencies = r.dependencies.map((u) => out.get(u)).filter((d): d is PolicyResource => d !== undefined);
    const providerUrn = r.provider ? r.provider.split("::").slice(0, -1).join("::") : "";
    const provider = out.get(providerUrn);
    if (provider) pr.provider = { type: provider.type, props: provider.props, urn: provider.urn, name: provider.name };
  }
  return [...out.values()];
}

/** The pack's verdicts for `aksml plan`: mandatory first, then advisory, each in evaluation order. */
export function policyReport(
  resources: CapturedResource[],
  enforcement: Record<string, EnforcementOverride>,
): PolicyReport {
  const rank = (v: PolicyVerdict) => (v.enforcementLevel === "mandatory" ? 0 : 1);
  const verdicts = evaluatePolicies(resources, { enforcement });
  return { evaluated: true, verdicts: [...verdicts].sort((a, b) => rank(a) - rank(b)) };
}
