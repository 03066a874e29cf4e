/**
 * Rules for the workloads aksml runs (model and router Deployments): sane resource
 * limits, and images pulled from the platform's own registry.
 */
import type { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ofType, REGISTRY_TYPE } from "./azureResources.js";
import { loginServerOf } from "./storage.js";
import {
  containersOf,
  isModelDeployment,
  isRouterDeployment,
  objectName,
  parseQuantity,
  type Props,
} from "./kubernetesObjects.js";

const isPlatformDeployment = (type: string, props: Props) =>
  isModelDeployment(type, props) || isRouterDeployment(type, props);

/** Every container's memory and CPU limits are at least its requests (Kubernetes rejects the pod otherwise). */
export function resourceLimitsCoverRequests(
  enforcementLevel: EnforcementLevel = "mandatory",
): ResourceValidationPolicy {
  return {
    name: "resource-limits-cover-requests",
    description: "Model and router containers have memory/CPU limits at least as large as their requests.",
    enforcementLevel,
    validateResource: (args, report) => {
      if (!isPlatformDeployment(args.type, args.props)) return args.notApplicable("not a model or router Deployment");
      const deployment = objectName(args.props, args.name);
      for (const c of containersOf(args.props)) {
        for (const resource of ["memory", "cpu"]) {
          const request = c.resources.requests?.[resource];
          const limit = c.resources.limits?.[resource];
          if (request === undefined || limit === undefined) continue;
          const r = parseQuantity(request);
          const l = parseQuantity(limit);
          if (r === undefined || l === undefined) {
            report(
              `Deployment '${deployment}' container '${c.name}': ${resource} request ${JSON.stringify(request)} or limit ${JSON.stringify(limit)} is not a valid Kubernetes quantity. Fix: use quantities like "500m", "2", "1Gi".`,
            );
          } else if (l < r) {
            report(
              `Deployment '${deployment}' container '${c.name}': ${resource} limit ${limit} is below its request ${request}; limits must be >= requests (Kubernetes rejects the pod). ` +
                `Fix: raise the ${resource} limit to at least ${request} or lower the request.`,
            );
          }
        }
      }
    },
  };
}

/** Model and router images come from the cluster's own ACR (pulled with the kubelet identity, scanned, private). */
export function imagesFromClusterAcr(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "images-from-cluster-acr",
    description: "Images of model and router Deployments come from the cluster's own Azure Container Registry.",
    enforcementLevel,
    validateStack: ({ resources }, report) => {
      const loginServers = ofType(resources, REGISTRY_TYPE)
        .map(loginServerOf)
        .filter((s): s is string => s !== undefined);
      // With no registry in the graph (attached cluster, external registry) there is nothing to compare with.
      if (loginServers.length === 0) return;
      for (const d of resources.filter((r) => isPlatformDeployment(r.type, r.props))) {
        for (const c of containersOf(d.props)) {
          if (!c.image) continue;
          const host = c.image.split("/")[0].toLowerCase();
          if (c.image.includes("/") && loginServers.includes(host)) continue;
          report(
            `Deployment '${objectName(d.props, d.name)}' container '${c.name}' uses image '${c.image}', which is not from the cluster's registry (${loginServers.join(", ")}). ` +
              `Fix: push the image to the cluster's ACR and reference it as '${loginServers[0]}/<repository>:<tag>'.`,
            d.urn,
          );
        }
      }
    },
  };
}
