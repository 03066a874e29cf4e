/**
 * ModelEndpoint's defaults, and the `aksml/endpoint-config` the router enforces, built
 * from the resolved args. Azure ML's rule for the default version applies: the first
 * version is the default when no version says which.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
  ENDPOINT_CONFIG_VERSION,
  ENDPOINT_VERSION_SETTINGS,
  ROLLOUT_SETTINGS,
  type EndpointConfig,
} from "../../router/contract/endpointConfig.js";
import { SERVICE_CONFIG_DEFAULTS, type AuthMode } from "../../router/contract/serviceConfig.js";
import type { ModelEndpointArgs, ModelEndpointVersionArgs, RolloutPlanArgs } from "./args.js";

export const MODEL_ENDPOINT_DEFAULTS = {
  namespace: "default",
  rolloutSteps: [10, 50, 100],
  rolloutIntervalSeconds: ROLLOUT_SETTINGS.intervalSeconds.default,
  maxErrorRateIncreasePercent: ROLLOUT_SETTINGS.maxErrorRateIncreasePercent.default,
  maxP99LatencyIncreasePercent: ROLLOUT_SETTINGS.maxP99LatencyIncreasePercent.default,
  minRequests: ROLLOUT_SETTINGS.minRequests.default,
  trafficPercentile: ENDPOINT_VERSION_SETTINGS.trafficPercentile.default,
  mirrorPercentile: ENDPOINT_VERSION_SETTINGS.mirrorPercentile.default,
} as const;

/** The default token audience of endpoint `name` (its versions accept the same). */
export const defaultEndpointAudience = (name: string) => `api://aksml/${name}`;

/** A version's routing args, as plain values. */
export type PlainVersionRouting = pulumi.Unwrap<
  Pick<
    ModelEndpointVersionArgs,
    "versionName" | "trafficPercentile" | "isDefault" | "isControlVersion" | "mirrorPercentile"
  >
>;

/** What the endpoint's annotation is built from, as plain values. */
export interface EndpointConfigInput {
  versions: PlainVersionRouting[];
  rollout?: pulumi.Unwrap<RolloutPlanArgs>;
  auth: pulumi.Unwrap<
    Pick<
      ModelEndpointArgs,
      "authEnabled" | "tokenAuthEnabled" | "tokenIssuer" | "tokenAudience" | "tokenJwksUri" | "tokenRequiredRole"
    >
  >;
}

/** The version that is the default: the one that says so, else the first when none says anything (Azure ML). */
export function defaultVersionFlags(versions: readonly { isDefault?: boolean }[]): boolean[] {
  const anySet = versions.some((v) => v.isDefault !== undefined);
  return versions.map((v, i) => v.isDefault ?? (!anySet && i === 0));
}

export function authModeOf(a: EndpointConfigInput["auth"]): AuthMode {
  const token = a.tokenAuthEnabled ?? false;
  const key = a.authEnabled ?? !token;
  return token ? "token" : key ? "key" : "none";
}

/** The `aksml/endpoint-config` of endpoint `name`; version services are `<name>-<versionName>`. */
export function endpointConfigFor(name: string, i: EndpointConfigInput): EndpointConfig {
  const d = MODEL_ENDPOINT_DEFAULTS;
  const defaults = defaultVersionFlags(i.versions);
  const mode = authModeOf(i.auth);
  const r = i.rollout;
  return {
    version: ENDPOINT_CONFIG_VERSION,
    auth: {
      mode,
      issuer: mode === "token" ? i.auth.tokenIssuer : undefined,
      audience: mode === "token" ? (i.auth.tokenAudience ?? defaultEndpointAudience(name)) : undefined,
      jwksUri: mode === "token" ? i.auth.tokenJwksUri : undefined,
      requiredRole: mode === "token" ? i.auth.tokenRequiredRole : undefined,
      algorithms: [...SERVICE_CONFIG_DEFAULTS.auth.algorithms],
    },
    versions: i.versions.map((v, n) => ({
      version: v.versionName,
      service: `${name}-${v.versionName}`,
      trafficPercentile: v.trafficPercentile ?? d.trafficPercentile,
      isDefault: defaults[n]!,
      isControlVersion: v.isControlVersion ?? false,
      mirrorPercentile: v.mirrorPercentile ?? d.mirrorPercentile,
    })),
    ...(r
      ? {
          rollout: {
            version: r.version,
            steps: r.steps ?? [...d.rolloutSteps],
            intervalSeconds: r.intervalSeconds ?? d.rolloutIntervalSeconds,
            maxErrorRateIncreasePercent: r.maxErrorRateIncreasePercent ?? d.maxErrorRateIncreasePercent,
            maxP99LatencyIncreasePercent: r.maxP99LatencyIncreasePercent ?? d.maxP99LatencyIncreasePercent,
            minRequests: r.minRequests ?? d.minRequests,
          },
        }
      : {}),
  };
}
