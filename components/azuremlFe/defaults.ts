import type * as pulumi from "@pulumi/pulumi";
import { MAX_REQUEST_BYTES } from "../../router/contract/serviceConfig.js";
import { DEFAULT_CAPTURE_BUFFER_BYTES, DEFAULT_CAPTURE_FLUSH_MS } from "../../router/contract/routerEnvironment.js";
import { ClusterPurpose } from "../shared/clusterConnection.js";
import type { AzuremlFeArgs, RouterLogLevel } from "./args.js";

/** azureml-fe's published pod resources (request 900m/800Mi, limit 2 vCPU/1.2Gi). */
export const ROUTER_RESOURCES = {
  requests: { cpu: "900m", memory: "800Mi" },
  limits: { cpu: "2", memory: "1229Mi" },
} as const;

export const AZUREML_FE_DEFAULTS = {
  namespace: "azureml",
  maxRequestBytes: MAX_REQUEST_BYTES,
  logLevel: "info",
  dnsTtl: 300,
  serviceNamespaces: ["default"],
  metricsScraper: { enabled: true, namespace: "kube-system", podLabels: { rsName: "ama-metrics" } },
  modelDataCapture: { bufferBytes: DEFAULT_CAPTURE_BUFFER_BYTES, flushSeconds: DEFAULT_CAPTURE_FLUSH_MS / 1000 },
  monitoring: { podAnnotations: true, podMonitor: false, grafanaDashboard: false },
} as const;

/** How the router is laid out for a cluster purpose (azureml-fe: HA with 3 routers; DevTest: 1, no self-scaling). */
export interface RouterTopology {
  replicas: number;
  selfScaling: boolean;
  /**
   * PodDisruptionBudget maxUnavailable, or undefined for no PDB. maxUnavailable rather
   * than minAvailable: the router scales itself (down to 2), and a minAvailable fixed at
   * the initial count would then allow no eviction at all, blocking node drains and AKS upgrades.
   */
  pdbMaxUnavailable?: number;
  /** Anti-affinity and zone/host topology spread. */
  spread: boolean;
}

export function routerTopologyFor(purpose: ClusterPurpose, replicas?: number): RouterTopology {
  if (purpose === ClusterPurpose.DevTest) return { replicas: replicas ?? 1, selfScaling: false, spread: false };
  const n = replicas ?? 3;
  return { replicas: n, selfScaling: true, pdbMaxUnavailable: n > 1 ? 1 : undefined, spread: true };
}

/** The metrics scraper the router's NetworkPolicy admits, with defaults applied. */
export interface ResolvedMetricsScraper {
  readonly enabled: pulumi.Input<boolean>;
  readonly namespace: pulumi.Input<string>;
  readonly podLabels: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface ResolvedAzuremlFeArgs {
  readonly namespace: pulumi.Input<string>;
  readonly maxRequestBytes: pulumi.Input<number>;
  readonly logLevel: pulumi.Input<RouterLogLevel>;
  readonly tlsEnabled: boolean;
  /** TLS with the leaf domain's certificate from cert-manager (the router also answers ACME challenges). */
  readonly leafCertificate: boolean;
  /** Plain once validated (each namespace names a Role). */
  readonly serviceNamespaces: readonly string[];
  readonly metricsScraper: ResolvedMetricsScraper;
}

/** Applies every default that does not depend on the cluster purpose. */
export function resolveAzuremlFeArgs(args: AzuremlFeArgs): ResolvedAzuremlFeArgs {
  return {
    namespace: args.namespace ?? AZUREML_FE_DEFAULTS.namespace,
    maxRequestBytes: args.maxRequestBytes ?? AZUREML_FE_DEFAULTS.maxRequestBytes,
    logLevel: args.logLevel ?? AZUREML_FE_DEFAULTS.logLevel,
    // HTTPS when the cluster hands over a certificate and its key, or an issuer for its leaf domain.
    tlsEnabled:
      (args.cluster.sslCertPem !== undefined && args.cluster.sslKeyPem !== undefined) ||
      args.cluster.leafCertificateIssuer !== undefined,
    leafCertificate: args.cluster.leafCertificateIssuer !== undefined,
    serviceNamespaces: (args.serviceNamespaces ?? AZUREML_FE_DEFAULTS.serviceNamespaces) as readonly string[],
    metricsScraper: {
      enabled: args.metricsScraper?.enabled ?? AZUREML_FE_DEFAULTS.metricsScraper.enabled,
      namespace: args.metricsScraper?.namespace ?? AZUREML_FE_DEFAULTS.metricsScraper.namespace,
      podLabels: args.metricsScraper?.podLabels ?? { ...AZUREML_FE_DEFAULTS.metricsScraper.podLabels },
    },
  };
}
