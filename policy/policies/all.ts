/**
 * The aksml policy pack's policies, each at its default enforcement level unless
 * `levels` overrides it. Imported by the pack entry point (`index.ts`), by the offline
 * evaluator (`preview/policyEvaluation.ts`, for aksml plan) and by the tests; only
 * `index.ts` starts a server.
 */
import type { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { devTestClusterCapacity, prodClusterCapacity } from "./cluster.js";
import { firewallCoversEgressFqdns } from "./egress.js";
import { routerHighAvailability, routerMaxRequestBytes, routerTlsOnPublicLoadBalancer } from "./router.js";
import { acrAdminUserDisabled, storageMinTls12, storageNoPublicBlobAccess } from "./storage.js";
import {
  noHpaOnModelDeployments,
  tokenIssuerRegion,
  webserviceAuthRequired,
  webserviceAutoscaleBounds,
  webserviceConfigValid,
  webserviceMaxModels,
  webserviceSingleAuthMode,
  webserviceUniqueNames,
} from "./webservice.js";
import { imagesFromClusterAcr, resourceLimitsCoverRequests } from "./workloads.js";
import {
  endpointAuthRequired,
  endpointConfigValid,
  endpointUniqueNames,
  endpointVersionsDeclared,
  modelRollingUpdateSafe,
} from "./endpoint.js";

export type AksmlPolicy = ResourceValidationPolicy | StackValidationPolicy;

/** Every policy factory, keyed by the policy name it produces. */
export const POLICY_FACTORIES = {
  "prod-cluster-capacity": prodClusterCapacity,
  "devtest-cluster-capacity": devTestClusterCapacity,
  "no-hpa-on-model-deployments": noHpaOnModelDeployments,
  "webservice-config-valid": webserviceConfigValid,
  "webservice-auth-required": webserviceAuthRequired,
  "webservice-single-auth-mode": webserviceSingleAuthMode,
  "webservice-autoscale-bounds": webserviceAutoscaleBounds,
  "webservice-max-models": webserviceMaxModels,
  "webservice-unique-names": webserviceUniqueNames,
  "endpoint-config-valid": endpointConfigValid,
  "endpoint-auth-required": endpointAuthRequired,
  "endpoint-unique-names": endpointUniqueNames,
  "endpoint-versions-declared": endpointVersionsDeclared,
  "model-rolling-update-safe": modelRollingUpdateSafe,
  "token-issuer-region": tokenIssuerRegion,
  "router-high-availability": routerHighAvailability,
  "router-tls-on-public-lb": routerTlsOnPublicLoadBalancer,
  "router-max-request-bytes": routerMaxRequestBytes,
  "resource-limits-cover-requests": resourceLimitsCoverRequests,
  "images-from-cluster-acr": imagesFromClusterAcr,
  "storage-no-public-blob-access": storageNoPublicBlobAccess,
  "storage-min-tls-1-2": storageMinTls12,
  "acr-admin-user-disabled": acrAdminUserDisabled,
  "firewall-covers-egress-fqdns": firewallCoversEgressFqdns,
} as const satisfies Record<string, (level?: EnforcementLevel) => AksmlPolicy>;

export type PolicyName = keyof typeof POLICY_FACTORIES;

/** All policies; `levels` sets the enforcement of individual policies (default: each policy's own). */
export function allPolicies(levels: Partial<Record<PolicyName, EnforcementLevel>> = {}): AksmlPolicy[] {
  return (Object.keys(POLICY_FACTORIES) as PolicyName[]).map((name) => POLICY_FACTORIES[name](levels[name]));
}
