/**
 * The router's own objects in the fake Kubernetes API (fakeKubeApi.ts, the one test
 * double), shaped like AzuremlFe's: the router Deployment with a finished rollout, the
 * LimitRange holding its pods' size, and router pods as the LimitRange admitted them.
 * Nothing here runs a controller: tests set the Deployment's status themselves (or run
 * routerDeploymentSim.ts) where the Deployment controller would.
 */
import { routerRoleGrants } from "../../../components/azuremlFe/rbacRules.js";
import { routerLimitRangeSpec } from "../../../components/azuremlFe/deployment.js";
import { ROUTER_DEPLOYMENT_NAME, ROUTER_LABELS } from "../../../components/azuremlFe/names.js";
import { ROUTER_CONTAINER_NAME, routerResourcesFor } from "../../../router/contract/routerSize.js";
import { FakeKubeApi, type FakeKubeApiOptions } from "./fakeKubeApi.js";

export const NS = "azureml";
export const DEPLOYMENT = ROUTER_DEPLOYMENT_NAME;

/** A started fake API granting exactly the router's RBAC (no service namespaces). */
export async function routerApi(options?: FakeKubeApiOptions): Promise<FakeKubeApi> {
  const api = new FakeKubeApi(routerRoleGrants(NS, []), options);
  await api.start();
  return api;
}

/** The router Deployment (rollout finished) and its LimitRange at `cores`. */
export function addRouterDeployment(api: FakeKubeApi, replicas: number, cores: number): void {
  api.apply("deployments", {
    metadata: { name: DEPLOYMENT, namespace: NS, labels: { ...ROUTER_LABELS } },
    spec: {
      replicas,
      selector: { matchLabels: { ...ROUTER_LABELS } },
      template: { metadata: { labels: { ...ROUTER_LABELS } }, spec: { containers: [{ name: ROUTER_CONTAINER_NAME }] } },
    },
  });
  finishRollout(api);
  api.apply("limitranges", {
    metadata: { name: DEPLOYMENT, namespace: NS },
    spec: structuredClone(routerLimitRangeSpec(cores)) as unknown as Record<string, unknown>,
  });
}

/** What the Deployment controller reports once every wanted pod is updated and available. */
export function finishRollout(api: FakeKubeApi, available?: number): void {
  const d = api.get("deployments", NS, DEPLOYMENT)!;
  const replicas = (d.spec as { replicas: number }).replicas;
  api.apply("deployments", {
    ...d,
    status: {
      observedGeneration: d.metadata.generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: available ?? replicas,
      availableReplicas: available ?? replicas,
    },
  });
}

/** A running router pod at `cores`, its container status reporting them (Kubernetes >= 1.33). */
export function addRouterPod(api: FakeKubeApi, name: string, cores: number): void {
  api.apply("pods", {
    metadata: { name, namespace: NS, labels: { ...ROUTER_LABELS } },
    spec: {
      containers: [{ name: ROUTER_CONTAINER_NAME, image: "aksml/router", resources: routerResourcesFor(cores) }],
    },
    status: {
      phase: "Running",
      containerStatuses: [{ name: ROUTER_CONTAINER_NAME, ready: true, resources: routerResourcesFor(cores) }],
    },
  });
}

/** The pod's CPU limit: as asked (spec) and as running (status). */
export function podCores(api: FakeKubeApi, name: string): { spec?: string; status?: string } {
  const p = api.get("pods", NS, name) as unknown as {
    spec: { containers: { resources?: { limits?: { cpu?: string } } }[] };
    status?: { containerStatuses?: { resources?: { limits?: { cpu?: string } } }[] };
  };
  return {
    spec: p.spec.containers[0]?.resources?.limits?.cpu,
    status: p.status?.containerStatuses?.[0]?.resources?.limits?.cpu,
  };
}

/** The LimitRange's container defaults. */
export function limitRangeDefaults(api: FakeKubeApi): {
  default: Record<string, string>;
  defaultRequest: Record<string, string>;
} {
  const lr = api.get("limitranges", NS, DEPLOYMENT)!;
  return (lr.spec as { limits: { default: Record<string, string>; defaultRequest: Record<string, string> }[] })
    .limits[0]!;
}
