/**
 * The router container's environment: what AzuremlFe tells the router (backend, pod
 * identity, peers, lease, sizing bounds, workers, drain, namespaces, TLS, ACME relay,
 * model data capture and App Insights), named by router/contract/routerEnvironment.ts.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { RouterTopology } from "./defaults.js";
import { ROUTER_DEPLOYMENT_NAME, ROUTER_LEASE_NAME, ROUTER_PEERS_SERVICE_NAME } from "./names.js";
import { PEER_SECRET_KEY } from "./services.js";
import { ROUTER_APP_INSIGHTS_SECRET_KEY, ROUTER_APP_INSIGHTS_SECRET_NAME } from "./observability.js";
import { DEFAULT_SHUTDOWN_GRACE_MS, KUBERNETES_BACKEND, ROUTER_ENV } from "../../router/contract/routerEnvironment.js";
import type { RouterSizeBounds } from "../../router/contract/routerSize.js";

/** Where the TLS Secret is mounted in router pods. */
export const ROUTER_TLS_MOUNT = "/etc/aksml/tls";
/** Where the peer secret's Secret is mounted in router pods. */
export const ROUTER_PEER_SECRET_MOUNT = "/etc/aksml/peer";

export interface RouterCaptureInputs {
  modelDataContainerUrl: pulumi.Input<string>;
  bufferBytes: pulumi.Input<number>;
  flushSeconds: pulumi.Input<number>;
  /** The Secret `azureml-fe-appinsights` exists (APPLICATIONINSIGHTS_CONNECTION_STRING comes from it). */
  appInsights: boolean;
}

/** Capture settings as plain values. */
export interface PlainRouterCapture {
  modelDataContainerUrl?: string;
  bufferBytes: number;
  flushSeconds: number;
  appInsights: boolean;
}

const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/** Seconds a terminating router keeps serving before SIGTERM (endpoint removal propagates). */
export const ROUTER_PRESTOP_SECONDS = 5;
/** Seconds the router drains in-flight requests after SIGTERM: the router's own default (default scoring timeout plus margin). */
export const ROUTER_SHUTDOWN_GRACE_SECONDS = DEFAULT_SHUTDOWN_GRACE_MS / 1000;

export function routerEnv(
  topology: RouterTopology,
  maxRequestBytes: number,
  logLevel: string,
  tlsEnabled: boolean,
  serviceNamespaces: readonly string[],
  acmeHttp01SolverUrl?: string,
  capture?: PlainRouterCapture,
): k8s.types.input.core.v1.EnvVar[] {
  const env: k8s.types.input.core.v1.EnvVar[] = [
    { name: ROUTER_ENV.backend, value: KUBERNETES_BACKEND },
    { name: ROUTER_ENV.maxRequestBytes, value: String(maxRequestBytes) },
    fieldEnv(ROUTER_ENV.podName, "metadata.name"),
    fieldEnv(ROUTER_ENV.podNamespace, "metadata.namespace"),
    fieldEnv(ROUTER_ENV.podIp, "status.podIP"),
    { name: ROUTER_ENV.peersService, value: ROUTER_PEERS_SERVICE_NAME },
    { name: ROUTER_ENV.leaseName, value: ROUTER_LEASE_NAME },
    { name: ROUTER_ENV.routerDeployment, value: ROUTER_DEPLOYMENT_NAME },
    { name: ROUTER_ENV.selfScaling, value: String(topology.selfScaling) },
    ...boundsEnv(topology.bounds),
    // Workers follow the CPU limit, so a pod resized to more cores runs more of them.
    { name: ROUTER_ENV.workers, value: "auto" },
    { name: ROUTER_ENV.logLevel, value: logLevel },
    { name: ROUTER_ENV.shutdownGraceMs, value: String(ROUTER_SHUTDOWN_GRACE_SECONDS * 1000) },
    { name: ROUTER_ENV.watchNamespaces, value: serviceNamespaces.join(",") },
    { name: ROUTER_ENV.peerSecretFile, value: `${ROUTER_PEER_SECRET_MOUNT}/${PEER_SECRET_KEY}` },
  ];
  if (tlsEnabled) {
    env.push(
      { name: ROUTER_ENV.tlsCertFile, value: `${ROUTER_TLS_MOUNT}/tls.crt` },
      { name: ROUTER_ENV.tlsKeyFile, value: `${ROUTER_TLS_MOUNT}/tls.key` },
    );
    if (acmeHttp01SolverUrl) env.push({ name: ROUTER_ENV.acmeHttp01SolverUrl, value: acmeHttp01SolverUrl });
  }
  if (capture) {
    if (capture.modelDataContainerUrl)
      env.push({ name: ROUTER_ENV.modelDataContainerUrl, value: capture.modelDataContainerUrl });
    env.push(
      { name: ROUTER_ENV.captureBufferBytes, value: String(capture.bufferBytes) },
      { name: ROUTER_ENV.captureFlushMs, value: String(capture.flushSeconds * 1000) },
    );
    if (capture.appInsights)
      env.push({
        name: ROUTER_ENV.appInsightsConnectionString,
        valueFrom: { secretKeyRef: { name: ROUTER_APP_INSIGHTS_SECRET_NAME, key: ROUTER_APP_INSIGHTS_SECRET_KEY } },
      });
  }
  return env;
}

/** The self-scaling bounds, for the router (none without self-scaling). */
function boundsEnv(b: RouterSizeBounds | undefined): k8s.types.input.core.v1.EnvVar[] {
  if (!b) return [];
  return [
    { name: ROUTER_ENV.selfScalingMinPods, value: String(b.minPods) },
    { name: ROUTER_ENV.selfScalingMaxPods, value: String(b.maxPods) },
    { name: ROUTER_ENV.selfScalingMinCpuPerPod, value: String(b.minCpuPerPod) },
    { name: ROUTER_ENV.selfScalingMaxCpuPerPod, value: String(b.maxCpuPerPod) },
  ];
}
