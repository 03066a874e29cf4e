import type * as pulumi from "@pulumi/pulumi";
import { MAX_REQUEST_BYTES } from "../../router/contract/serviceConfig.js";
import { DEFAULT_CAPTURE_BUFFER_BYTES, DEFAULT_CAPTURE_FLUSH_MS } from "../../router/contract/routerEnvironment.js";
import { ClusterPurpose } from "../shared/clusterConnection.js";
import { routerResourcesFor, type RouterSizeBounds } from "../../router/contract/routerSize.js";
import type { AzuremlFeArgs, RouterLogLevel } from "./args.js";

/** The router pod's resources at the default 2 cores: azureml-fe's published request 900m/800Mi, limit 2 vCPU/1.2Gi. */
export const ROUTER_RESOURCES = routerResourcesFor(2);

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

/**
 * The router's size per cluster purpose. DevTest: one pod of one core, fixed (its single
 * 2-vCPU node also runs the models; Azure ML disables self-scaling there). FastProd and
 * DenseProd: azureml-fe's HA layout of 3 pods at its published 2-vCPU size, then 2..10
 * pods (the previous horizontal range) of 1..4 cores (4: the vCPUs of their default
 * Standard_D4s_v5 node; the request at 4 cores, 1800m, leaves room on it for models).
 */
export const ROUTER_SIZE_DEFAULTS = {
  devTest: { replicas: 1, cpuPerPod: 1 },
  prod: { replicas: 3, cpuPerPod: 2, minPods: 2, maxPods: 10, minCpuPerPod: 1, maxCpuPerPod: 4 },
} as const;

/** How the router is laid out for a cluster purpose (azureml-fe: HA with 3 routers; DevTest: 1, no self-scaling). */
export interface RouterTopology {
  /** Pods at creation (outside DevTest the router owns the count afterwards). */
  replicas: number;
  /** Whole CPU cores per pod at creation (outside DevTest the router owns it afterwards). */
  cpuPerPod: number;
  selfScaling: boolean;
  /** The self-scaling bounds; present with `selfScaling`. */
  bounds?: RouterSizeBounds;
  /**
   * PodDisruptionBudget maxUnavailable, or undefined for no PDB. maxUnavailable rather
   * than minAvailable: the router scales itself, and a minAvailable fixed at the initial
   * count would then allow no eviction at all, blocking node drains and AKS upgrades.
   */
  pdbMaxUnavailable?: number;
  /** Anti-affinity and zone/host topology spread. */
  spread: boolean;
}

/** What the args say about the router's size, plain (defaults not applied). */
export interface RouterSizing {
  replicas?: number;
  cpuPerPod?: number;
  selfScaling?: Partial<RouterSizeBounds>;
}

export function routerTopologyFor(purpose: ClusterPurpose, sizing: RouterSizing = {}): RouterTopology {
  if (purpose === ClusterPurpose.DevTest)
    return {
      replicas: sizing.replicas ?? ROUTER_SIZE_DEFAULTS.devTest.replicas,
      cpuPerPod: sizing.cpuPerPod ?? ROUTER_SIZE_DEFAULTS.devTest.cpuPerPod,
      selfScaling: false,
      spread: false,
    };
  const d = ROUTER_SIZE_DEFAULTS.prod;
  const s = sizing.selfScaling ?? {};
  const bounds: RouterSizeBounds = {
    minPods: s.minPods ?? d.minPods,
    maxPods: s.maxPods ?? d.maxPods,
    minCpuPerPod: s.minCpuPerPod ?? d.minCpuPerPod,
    maxCpuPerPod: s.maxCpuPerPod ?? d.maxCpuPerPod,
  };
  return {
    replicas: sizing.replicas ?? d.replicas,
    cpuPerPod: sizing.cpuPerPod ?? d.cpuPerPod,
    selfScaling: true,
    bounds,
    // The router may scale to more than one pod: a drain must then leave the others.
    pdbMaxUnavailable: bounds.maxPods > 1 ? 1 : undefined,
    spread: true,
  };
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
