/** Every ModelEndpoint arg and its kind (the compiler holds this complete; see shared/argShape.ts). */
import type { ArgShape } from "../shared/argShape.js";
import { CLUSTER_CONNECTION_SHAPE, ROUTER_CONNECTION_SHAPE } from "../shared/connectionShapes.js";
import { MODEL_WEBSERVICE_ARG_SHAPE } from "../modelWebservice/argShape.js";
import type { EndpointOwnedArg, ModelEndpointArgs, ModelEndpointVersionArgs, RolloutPlanArgs } from "./args.js";

const OWNED: Record<EndpointOwnedArg, true> = {
  cluster: true,
  router: true,
  namespace: true,
  authEnabled: true,
  tokenAuthEnabled: true,
  tokenIssuer: true,
  tokenAudience: true,
  tokenJwksUri: true,
  tokenRequiredRole: true,
  primaryKey: true,
  secondaryKey: true,
};
/** The ModelWebservice args a version does not take: the endpoint's. */
export const ENDPOINT_OWNED_ARGS = Object.keys(OWNED) as EndpointOwnedArg[];

function without<T extends object, K extends keyof T>(table: T, keys: readonly K[]): Omit<T, K> {
  return Object.fromEntries(Object.entries(table).filter(([k]) => !(keys as readonly string[]).includes(k))) as Omit<
    T,
    K
  >;
}

const VERSION = {
  ...without(MODEL_WEBSERVICE_ARG_SHAPE, ENDPOINT_OWNED_ARGS),
  versionName: "string",
  trafficPercentile: "number",
  isDefault: "boolean",
  isControlVersion: "boolean",
  mirrorPercentile: "number",
} as const satisfies ArgShape<ModelEndpointVersionArgs>;

const ROLLOUT = {
  version: "string",
  steps: "numberList",
  intervalSeconds: "number",
  maxErrorRateIncreasePercent: "number",
  maxP99LatencyIncreasePercent: "number",
  minRequests: "number",
} as const satisfies ArgShape<RolloutPlanArgs>;

export const MODEL_ENDPOINT_ARG_SHAPE = {
  cluster: { fields: CLUSTER_CONNECTION_SHAPE },
  router: { fields: ROUTER_CONNECTION_SHAPE },
  versions: { items: { fields: VERSION } },
  rollout: { fields: ROLLOUT },
  namespace: "string",
  authEnabled: "boolean",
  tokenAuthEnabled: "boolean",
  tokenIssuer: "string",
  tokenAudience: "string",
  tokenJwksUri: "string",
  tokenRequiredRole: "string",
  primaryKey: "string",
  secondaryKey: "string",
  description: "string",
} as const satisfies ArgShape<ModelEndpointArgs>;
