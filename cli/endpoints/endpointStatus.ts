/**
 * Where the day-2 commands read endpoints' status from: a cluster (the endpoint Services'
 * `aksml/endpoint-config` annotations and the routers' `<endpoint>-rollout` ConfigMaps,
 * through the Kubernetes API with the user's kubeconfig) or a running router (`aksml
 * local`, or a router's admin port: `GET /endpoints`). Both give the same EndpointStatus
 * (router/endpoints/endpointStatus.ts), which renderEndpoints.ts prints.
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import {
  ENDPOINT_CONFIG_ANNOTATION,
  ENDPOINT_LABEL,
  ROLLOUT_LABEL,
  ROLLOUT_STATE_KEY,
} from "../../router/contract/endpointConfig.js";
import { parseEndpointConfig } from "../../router/contract/endpointConfigParser.js";
import { parseRolloutState } from "../../router/contract/rolloutState.js";
import { endpointStatus, type EndpointStatus } from "../../router/endpoints/endpointStatus.js";

/** An endpoint that could not be read: its name, where, and why (a bad annotation). */
export interface EndpointReadProblem {
  name: string;
  namespace: string;
  problem: string;
}

export interface ClusterEndpoints {
  endpoints: (EndpointStatus & { namespace: string })[];
  problems: EndpointReadProblem[];
}

/**
 * Every endpoint in `namespace` (every namespace when undefined, as the other day-2
 * commands), with its rollout's live state when the router has written one.
 */
export async function endpointStatusesFromCluster(kc: KubeConfig, namespace?: string): Promise<ClusterEndpoints> {
  const core = kc.makeApiClient(CoreV1Api);
  const out: ClusterEndpoints = { endpoints: [], problems: [] };
  const [services, configMaps] = await Promise.all([
    namespace
      ? core.listNamespacedService({ namespace, labelSelector: ENDPOINT_LABEL })
      : core.listServiceForAllNamespaces({ labelSelector: ENDPOINT_LABEL }),
    namespace
      ? core.listNamespacedConfigMap({ namespace, labelSelector: ROLLOUT_LABEL })
      : core.listConfigMapForAllNamespaces({ labelSelector: ROLLOUT_LABEL }),
  ]);
  for (const svc of services.items) {
    const name = svc.metadata?.labels?.[ENDPOINT_LABEL];
    const ns = svc.metadata?.namespace ?? "default";
    if (!name || svc.metadata?.name !== name) continue;
    const parsed = parseEndpointConfig(name, svc.metadata?.annotations?.[ENDPOINT_CONFIG_ANNOTATION] ?? "{}");
    if (!parsed.ok) {
      out.problems.push({
        name,
        namespace: ns,
        problem: parsed.problems.map((p) => `${p.path} ${p.reason}`).join("; "),
      });
      continue;
    }
    const cm = configMaps.items.find(
      (c) =>
        c.metadata?.name === `${name}-rollout` &&
        (c.metadata?.namespace ?? "default") === ns &&
        c.metadata?.labels?.[ROLLOUT_LABEL] === name,
    );
    const state = parseRolloutState(cm?.data?.[ROLLOUT_STATE_KEY], parsed.config);
    out.endpoints.push({ ...endpointStatus(name, parsed.config, state), namespace: ns });
  }
  out.endpoints.sort((a, b) => a.name.localeCompare(b.name) || a.namespace.localeCompare(b.namespace));
  return out;
}

/** The endpoints a running router serves, from its admin port (`aksml local` prints the URL). */
export async function endpointStatusesFromRouter(adminUrl: string, signal?: AbortSignal): Promise<EndpointStatus[]> {
  const res = await fetch(`${adminUrl.replace(/\/+$/, "")}/endpoints`, { signal });
  if (!res.ok) throw new Error(`${adminUrl}/endpoints answered ${res.status}`);
  const body = (await res.json()) as { endpoints?: EndpointStatus[] };
  if (!Array.isArray(body.endpoints)) throw new Error(`${adminUrl}/endpoints did not answer a list of endpoints`);
  return body.endpoints;
}
