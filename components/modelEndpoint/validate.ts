/**
 * ModelEndpoint's rules. A version is a model service: its args are checked by
 * ModelWebservice's own rules (reported under `versions[i].`), and the endpoint's
 * namespace, auth and keys by the same rules (reported once, at the top). The split and
 * the rollout plan are checked by the router contract's parser itself (Azure ML's
 * AksEndpoint rules: percentiles 0-100 summing to at most 100, exactly one default, at
 * most one control, at most 6 versions; mirrors; the plan), so the component and the
 * router cannot disagree. Values not known yet are checked by the same rules once known.
 */
import type * as pulumi from "@pulumi/pulumi";
import { MAX_ENDPOINT_VERSIONS, VERSION_NAME_PATTERN } from "../../router/contract/endpointConfig.js";
import { parseEndpointConfig } from "../../router/contract/endpointConfigParser.js";
import { isKnown, isUnknown, known } from "../shared/inputs.js";
import {
  componentSubject,
  problemList,
  throwIfInvalid,
  type AddProblem,
  type PropertyProblem,
} from "../shared/problems.js";
import type { ModelWebserviceArgs } from "../modelWebservice/args.js";
import { modelWebserviceArgsProblems, SERVICE_NAME_PATTERN } from "../modelWebservice/validate.js";
import type { ModelEndpointArgs, ModelEndpointVersionArgs } from "./args.js";
import { ENDPOINT_OWNED_ARGS } from "./argShape.js";
import { endpointConfigFor, type EndpointConfigInput } from "./defaults.js";

/** The ModelWebservice args of version `v` (its own, and the endpoint's). */
export function versionServiceArgs(a: ModelEndpointArgs, v: ModelEndpointVersionArgs): ModelWebserviceArgs {
  const {
    versionName: _name,
    trafficPercentile: _traffic,
    isDefault: _default,
    isControlVersion: _control,
    mirrorPercentile: _mirror,
    ...service
  } = v;
  return {
    ...service,
    cluster: a.cluster,
    router: a.router,
    namespace: a.namespace,
    authEnabled: a.authEnabled,
    tokenAuthEnabled: a.tokenAuthEnabled,
    tokenIssuer: a.tokenIssuer,
    tokenAudience: a.tokenAudience,
    tokenJwksUri: a.tokenJwksUri,
    tokenRequiredRole: a.tokenRequiredRole,
    primaryKey: a.primaryKey,
    secondaryKey: a.secondaryKey,
  };
}

const ownedByEndpoint = (path: string) => (ENDPOINT_OWNED_ARGS as readonly string[]).includes(path.split(/[.[]/)[0]!);

/** Every problem with the known values of the args. Empty when valid. */
export function modelEndpointArgsProblems(name: string, a: ModelEndpointArgs): PropertyProblem[] {
  const { problems, add } = problemList();
  const nameOk = SERVICE_NAME_PATTERN.test(name);
  if (!nameOk)
    add(
      "name",
      `${JSON.stringify(name)} is not a valid endpoint name: 3-32 characters, lowercase letters, digits and "-", starting with a letter and ending with a letter or digit (it is the URL path /api/v1/service/<name>/score)`,
    );
  const versions: ModelEndpointVersionArgs[] = Array.isArray(a.versions) ? a.versions : [];
  if (versions.length === 0)
    add("versions", 'needs at least one version, e.g. [{ versionName: "blue", image: "...", isDefault: true }]');
  if (versions.length > MAX_ENDPOINT_VERSIONS)
    add(
      "versions",
      `at most ${MAX_ENDPOINT_VERSIONS} versions behind one endpoint (Azure ML's limit), got ${versions.length}; delete the versions no longer served`,
    );
  // The endpoint's own args, by ModelWebservice's rules (once, not once per version).
  const endpointLevel = new Map<string, string>();
  const seen = new Set<string>();
  const check = (serviceName: string, args: ModelWebserviceArgs, prefix: string | undefined) => {
    for (const p of modelWebserviceArgsProblems(serviceName, args)) {
      if (p.propertyPath === "name") continue;
      if (ownedByEndpoint(p.propertyPath)) endpointLevel.set(`${p.propertyPath}\u0000${p.reason}`, p.propertyPath);
      else if (prefix !== undefined) add(`${prefix}${p.propertyPath}`, p.reason);
    }
  };
  versions.forEach((v, i) => {
    const at = `versions[${i}]`;
    const vn = v.versionName;
    if (isUnknown(vn))
      add(`${at}.versionName`, "must be a plain value known when the program runs (it names the version's service)");
    else if (typeof vn !== "string" || !VERSION_NAME_PATTERN.test(vn))
      add(
        `${at}.versionName`,
        `${JSON.stringify(vn)} is not a version name: 1-32 lowercase letters, digits and "-", starting with a letter and ending with a letter or digit`,
      );
    else if (seen.has(vn)) add(`${at}.versionName`, `version ${JSON.stringify(vn)} is listed twice`);
    else if (nameOk && !SERVICE_NAME_PATTERN.test(`${name}-${vn}`))
      add(
        `${at}.versionName`,
        `the version's service would be named ${JSON.stringify(`${name}-${vn}`)}, which is not a valid service name (at most 32 characters); shorten the endpoint or the version name`,
      );
    if (typeof vn === "string") seen.add(vn);
    check(`${name}-${typeof vn === "string" ? vn : "version"}`, versionServiceArgs(a, v), `${at}.`);
  });
  if (versions.length === 0)
    check(`${name}-version`, { ...versionServiceArgs(a, {} as ModelEndpointVersionArgs), image: "-" }, undefined);
  for (const [key, path] of endpointLevel) add(path, key.slice(path.length + 1));
  // A web service without an issuer gets its own Entra ID application; an endpoint has
  // none (every version must accept the same tokens), so it names its issuer.
  if (known(a.tokenAuthEnabled) === true && a.tokenIssuer === undefined)
    add(
      "tokenIssuer",
      "an endpoint with token auth needs tokenIssuer (e.g. https://login.microsoftonline.com/<tenant>/v2.0): it has no Entra ID application of its own, unlike a ModelWebservice",
    );
  splitProblems(name, a, versions, add);
  return problems;
}

/**
 * The split and the rollout plan, by the router contract's parser, once every value it
 * needs is known. Version names and services have their own rules above.
 */
function splitProblems(
  name: string,
  a: ModelEndpointArgs,
  versions: ModelEndpointVersionArgs[],
  add: AddProblem,
): void {
  const routing = ["trafficPercentile", "isDefault", "isControlVersion", "mirrorPercentile"] as const;
  if (versions.some((v) => !isKnown(v.versionName) || routing.some((k) => isUnknown(v[k])))) return;
  const r = a.rollout;
  if (r !== undefined) {
    const fields = [
      r.version,
      r.intervalSeconds,
      r.maxErrorRateIncreasePercent,
      r.maxP99LatencyIncreasePercent,
      r.minRequests,
    ];
    if (fields.some((f) => isUnknown(f)) || isUnknown(r.steps)) return;
    if (Array.isArray(r.steps) && r.steps.some((s) => isUnknown(s))) return;
  }
  const input: EndpointConfigInput = {
    versions: versions.map((v) => ({
      versionName: v.versionName as string,
      trafficPercentile: known(v.trafficPercentile),
      isDefault: known(v.isDefault),
      isControlVersion: known(v.isControlVersion),
      mirrorPercentile: known(v.mirrorPercentile),
    })),
    rollout: r as pulumi.Unwrap<typeof r>,
    auth: { authEnabled: false },
  };
  const parsed = parseEndpointConfig(name, endpointConfigFor(name, input));
  if (parsed.ok) return;
  for (const p of parsed.problems) {
    // Names and services are checked above (with the component's words); auth by ModelWebservice's rules.
    if (/^versions\[\d+\]\.(version|service)$/.test(p.path) || p.path.startsWith("auth")) continue;
    add(p.path, p.reason);
  }
}

/** Throws one InputPropertiesError naming every problem. */
export function validateModelEndpointArgs(name: string, a: ModelEndpointArgs): void {
  throwIfInvalid(componentSubject("ModelEndpoint", name), modelEndpointArgsProblems(name, a));
}
