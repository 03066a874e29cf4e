import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE_NAME_LABEL } from "../shared/conventions.js";
import type { ResolvedMetricsScraper } from "./defaults.js";
import {
  ROUTER_ADMIN_PORT,
  ROUTER_HTTP_PORT,
  ROUTER_HTTPS_PORT,
  ROUTER_LABELS,
  ROUTER_NETWORK_POLICY_NAME,
} from "./names.js";

/** The metrics scraper as plain values. */
export interface PlainMetricsScraper {
  enabled: boolean;
  namespace: string;
  podLabels: Record<string, string>;
}

/**
 * Who may reach the router pods: the data ports from anywhere (the load balancer
 * forwards clients' traffic); the admin port (`/metrics`, the peer load endpoint) only
 * from other router pods of this namespace and, when enabled, the metrics scraper. The
 * kubelet's probes come from the node, which network policy engines always admit.
 */
export function routerNetworkPolicySpec(scraper: PlainMetricsScraper): k8s.types.input.networking.v1.NetworkPolicySpec {
  const admin = [{ protocol: "TCP", port: ROUTER_ADMIN_PORT }];
  const adminFrom: k8s.types.input.networking.v1.NetworkPolicyPeer[] = [
    { podSelector: { matchLabels: { ...ROUTER_LABELS } } },
  ];
  if (scraper.enabled)
    adminFrom.push({
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: scraper.namespace } },
      podSelector: { matchLabels: { ...scraper.podLabels } },
    });
  return {
    podSelector: { matchLabels: { ...ROUTER_LABELS } },
    policyTypes: ["Ingress"],
    ingress: [
      {
        ports: [
          { protocol: "TCP", port: ROUTER_HTTP_PORT },
          { protocol: "TCP", port: ROUTER_HTTPS_PORT },
        ],
      },
      { from: adminFrom, ports: admin },
    ],
  };
}

export function createRouterNetworkPolicy(
  name: string,
  namespace: pulumi.Input<string>,
  scraper: ResolvedMetricsScraper,
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy {
  const spec = pulumi
    .all([scraper.enabled, scraper.namespace, scraper.podLabels])
    .apply(([enabled, scraperNamespace, podLabels]) =>
      routerNetworkPolicySpec({ enabled, namespace: scraperNamespace, podLabels }),
    );
  return new k8s.networking.v1.NetworkPolicy(
    `${name}-network-policy`,
    { metadata: { name: ROUTER_NETWORK_POLICY_NAME, namespace, labels: { ...ROUTER_LABELS } }, spec },
    opts,
  );
}
