import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterPurpose } from "../shared/clusterConnection.js";
import { routerTopologyFor, type RouterSizing, type RouterTopology } from "./defaults.js";
import { isPlainValue } from "../shared/inputs.js";
import {
  CLUSTER_PURPOSE_ANNOTATION,
  ROUTER_DEPLOYMENT_NAME,
  ROUTER_LABELS,
  ROUTER_LIMIT_RANGE_NAME,
  ROUTER_PEER_SECRET_NAME,
  ROUTER_LEAF_TLS_SECRET_NAME,
  ROUTER_TLS_SECRET_NAME,
} from "./names.js";
import { acmeSolverUrl } from "./leafCertificate.js";
import { PROMETHEUS_SCRAPE_ANNOTATIONS } from "./observability.js";
import { WORKLOAD_IDENTITY_USE_LABEL } from "../shared/workloadIdentity.js";
import {
  DEFAULT_CAPTURE_BUFFER_BYTES,
  DEFAULT_CAPTURE_FLUSH_MS,
  ROUTER_ADMIN_PORT,
  ROUTER_HTTP_PORT,
  ROUTER_HTTPS_PORT,
  ROUTER_RUN_AS_USER,
} from "../../router/contract/routerEnvironment.js";
import { ROUTER_CONTAINER_NAME, ROUTER_CPU_ANNOTATION, routerResourcesFor } from "../../router/contract/routerSize.js";
import type { RouterSelfScalingArgs } from "./args.js";
import {
  routerEnv,
  ROUTER_PEER_SECRET_MOUNT,
  ROUTER_PRESTOP_SECONDS,
  ROUTER_SHUTDOWN_GRACE_SECONDS,
  ROUTER_TLS_MOUNT,
  type PlainRouterCapture,
  type RouterCaptureInputs,
} from "./routerEnv.js";

export {
  routerEnv,
  ROUTER_PEER_SECRET_MOUNT,
  ROUTER_PRESTOP_SECONDS,
  ROUTER_SHUTDOWN_GRACE_SECONDS,
  ROUTER_TLS_MOUNT,
} from "./routerEnv.js";
export type { PlainRouterCapture, RouterCaptureInputs } from "./routerEnv.js";

export interface RouterDeploymentInputs {
  namespace: pulumi.Input<string>;
  image: pulumi.Input<string>;
  serviceAccountName: pulumi.Input<string>;
  purpose: pulumi.Input<ClusterPurpose>;
  replicas?: pulumi.Input<number>;
  cpuPerPod?: pulumi.Input<number>;
  selfScaling?: RouterSelfScalingArgs;
  maxRequestBytes: pulumi.Input<number>;
  logLevel: pulumi.Input<string>;
  tlsEnabled: boolean;
  /** TLS from the leaf domain's cert-manager Secret; the router then also relays ACME challenges. */
  leafCertificate: boolean;
  serviceNamespaces: readonly string[];
  /** Model data capture: the container URL (written with the pod's workload identity) and the buffer bounds. */
  capture: RouterCaptureInputs;
  /** `prometheus.io/*` annotations on the pods. */
  scrapeAnnotations: pulumi.Input<boolean>;
}

function podSpread(
  topology: RouterTopology,
): Pick<k8s.types.input.core.v1.PodSpec, "affinity" | "topologySpreadConstraints"> {
  if (!topology.spread) return {};
  const labelSelector = { matchLabels: { ...ROUTER_LABELS } };
  return {
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { labelSelector, topologyKey: "kubernetes.io/hostname" } },
        ],
      },
    },
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector },
      { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector },
    ],
  };
}

/**
 * The pod template's annotations: in DevTest the size Pulumi owns (a new size restarts the
 * pod), and the `prometheus.io/*` scrape annotations unless turned off.
 */
function podAnnotations(topology: RouterTopology, scrape: boolean): { annotations?: Record<string, string> } {
  const annotations: Record<string, string> = {
    ...(topology.selfScaling ? {} : { [ROUTER_CPU_ANNOTATION]: String(topology.cpuPerPod) }),
    ...(scrape ? PROMETHEUS_SCRAPE_ANNOTATIONS : {}),
  };
  return Object.keys(annotations).length ? { annotations } : {};
}

/** The router Deployment spec for one purpose; exported so tests and docs see the same object. */
export function routerDeploymentSpec(i: {
  image: string;
  serviceAccountName: string;
  topology: RouterTopology;
  maxRequestBytes: number;
  logLevel: string;
  tlsEnabled: boolean;
  serviceNamespaces: readonly string[];
  /** The Secret holding `tls.crt`/`tls.key`. @default the router's own TLS Secret */
  tlsSecretName?: string;
  /** cert-manager's HTTP-01 solver, for the leaf domain certificate. */
  acmeHttp01SolverUrl?: string;
  /** Model data capture and Application Insights. @default no destination, default bounds */
  capture?: PlainRouterCapture;
  /** `prometheus.io/*` annotations on the pods. @default true */
  scrapeAnnotations?: boolean;
}): k8s.types.input.apps.v1.DeploymentSpec {
  const flushSeconds = i.capture?.flushSeconds ?? DEFAULT_CAPTURE_FLUSH_MS / 1000;
  const probe = (path: string, initialDelaySeconds: number) => ({
    httpGet: { path, port: "admin" },
    initialDelaySeconds,
    periodSeconds: 5,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  const volumes: k8s.types.input.core.v1.Volume[] = [
    { name: "tmp", emptyDir: {} },
    { name: "peer-secret", secret: { secretName: ROUTER_PEER_SECRET_NAME } },
  ];
  const mounts: k8s.types.input.core.v1.VolumeMount[] = [
    { name: "tmp", mountPath: "/tmp" },
    { name: "peer-secret", mountPath: ROUTER_PEER_SECRET_MOUNT, readOnly: true },
  ];
  if (i.tlsEnabled) {
    volumes.push({ name: "tls", secret: { secretName: i.tlsSecretName ?? ROUTER_TLS_SECRET_NAME } });
    mounts.push({ name: "tls", mountPath: ROUTER_TLS_MOUNT, readOnly: true });
  }
  return {
    replicas: i.topology.replicas,
    selector: { matchLabels: { ...ROUTER_LABELS } },
    // HA: never fewer routers than wanted during a rollout. DevTest's single 2-vCPU node
    // has no room for a second 900m router, so it replaces in place (no fault tolerance there).
    strategy: {
      type: "RollingUpdate",
      rollingUpdate: i.topology.spread ? { maxUnavailable: 0, maxSurge: 1 } : { maxUnavailable: 1, maxSurge: 0 },
    },
    template: {
      // DevTest: Pulumi owns the size, and a new size must restart the pod. Elsewhere the
      // router owns this annotation (it sets it to restart its pods at a new size).
      metadata: {
        // The workload identity webhook gives pods with this label the ServiceAccount's Azure identity.
        labels: { ...ROUTER_LABELS, [WORKLOAD_IDENTITY_USE_LABEL]: "true" },
        ...podAnnotations(i.topology, i.scrapeAnnotations ?? true),
      },
      spec: {
        serviceAccountName: i.serviceAccountName,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: ROUTER_RUN_AS_USER,
          runAsGroup: ROUTER_RUN_AS_USER,
          seccompProfile: { type: "RuntimeDefault" },
        },
        // preStop delay + the router's drain (AKSML_SHUTDOWN_GRACE_MS) + capture's flush + margin.
        terminationGracePeriodSeconds: ROUTER_PRESTOP_SECONDS + ROUTER_SHUTDOWN_GRACE_SECONDS + flushSeconds + 5,
        ...podSpread(i.topology),
        containers: [
          {
            name: ROUTER_CONTAINER_NAME,
            image: i.image,
            args: ["serve"],
            ports: [
              { name: "http", containerPort: ROUTER_HTTP_PORT },
              { name: "https", containerPort: ROUTER_HTTPS_PORT },
              { name: "admin", containerPort: ROUTER_ADMIN_PORT },
            ],
            env: routerEnv(
              i.topology,
              i.maxRequestBytes,
              i.logLevel,
              i.tlsEnabled,
              i.serviceNamespaces,
              i.acmeHttp01SolverUrl,
              i.capture ?? {
                bufferBytes: DEFAULT_CAPTURE_BUFFER_BYTES,
                flushSeconds,
                appInsights: false,
              },
            ),
            // No resources here: the router's LimitRange gives every router pod its current
            // size at admission (see createRouterLimitRange). CPU resizes in place need no
            // restart; memory never changes (a lower limit could OOM-kill the pod).
            resizePolicy: [
              { resourceName: "cpu", restartPolicy: "NotRequired" },
              { resourceName: "memory", restartPolicy: "RestartContainer" },
            ],
            // Keep serving while the endpoint removal reaches the load balancer and the
            // peers; only then does SIGTERM stop the listener and drain.
            lifecycle: { preStop: { sleep: { seconds: ROUTER_PRESTOP_SECONDS } } },
            livenessProbe: probe("/healthz", 10),
            readinessProbe: probe("/readyz", 2),
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ["ALL"] },
            },
            volumeMounts: mounts,
          },
        ],
        volumes,
      },
    },
  };
}

/** The router's size args, resolved to plain values. */
function sizingOf(i: RouterDeploymentInputs): pulumi.Output<RouterSizing> {
  return pulumi
    .all([i.replicas, i.cpuPerPod, pulumi.output(i.selfScaling)])
    .apply(([replicas, cpuPerPod, selfScaling]) => ({ replicas, cpuPerPod, selfScaling }));
}

/** Whether the router owns its size (self-scaling): unless the purpose is known now to be DevTest. */
function routerOwnsSize(purpose: pulumi.Input<ClusterPurpose>): boolean {
  return !(isPlainValue(purpose) && purpose === ClusterPurpose.DevTest);
}

/**
 * The router Deployment. Outside DevTest `spec.replicas` is set at creation and then left
 * to the router (ignoreChanges): the router scales itself, and `pulumi up` must not
 * fight it. On DevTest nothing else scales it, so changes to `replicas` apply. Its pods'
 * size is the LimitRange's ({@link createRouterLimitRange}), which must exist first.
 */
export function createRouterDeployment(
  name: string,
  i: RouterDeploymentInputs,
  opts: pulumi.CustomResourceOptions,
): k8s.apps.v1.Deployment {
  const capture = pulumi
    .all([i.capture.modelDataContainerUrl, i.capture.bufferBytes, i.capture.flushSeconds, i.scrapeAnnotations])
    .apply(([modelDataContainerUrl, bufferBytes, flushSeconds, scrape]) => ({
      plain: { modelDataContainerUrl, bufferBytes, flushSeconds, appInsights: i.capture.appInsights },
      scrape,
    }));
  const spec = pulumi
    .all([i.image, i.serviceAccountName, i.purpose, sizingOf(i), i.maxRequestBytes, i.logLevel, i.namespace, capture])
    .apply(([image, serviceAccountName, purpose, sizing, maxRequestBytes, logLevel, namespace, c]) =>
      routerDeploymentSpec({
        image,
        serviceAccountName,
        topology: routerTopologyFor(purpose, sizing),
        maxRequestBytes,
        logLevel,
        tlsEnabled: i.tlsEnabled,
        serviceNamespaces: i.serviceNamespaces,
        tlsSecretName: i.leafCertificate ? ROUTER_LEAF_TLS_SECRET_NAME : undefined,
        acmeHttp01SolverUrl: i.leafCertificate ? acmeSolverUrl(namespace) : undefined,
        capture: c.plain,
        scrapeAnnotations: c.scrape,
      }),
    );
  return new k8s.apps.v1.Deployment(
    `${name}-deployment`,
    {
      metadata: {
        name: ROUTER_DEPLOYMENT_NAME,
        namespace: i.namespace,
        labels: { ...ROUTER_LABELS },
        annotations: { [CLUSTER_PURPOSE_ANNOTATION]: i.purpose },
      },
      spec,
    },
    // DevTest (known now): self-scaling is off, so `replicas` stays Pulumi's to change.
    // Otherwise (or when the purpose is an Output) the router owns the count.
    { ...opts, ignoreChanges: routerOwnsSize(i.purpose) ? ["spec.replicas"] : [] },
  );
}

/** The LimitRange holding the router pods' size: its container defaults are a router pod's resources at `cores`. */
export function routerLimitRangeSpec(cores: number): k8s.types.input.core.v1.LimitRangeSpec {
  const r = routerResourcesFor(cores);
  return { limits: [{ type: "Container", default: { ...r.limits }, defaultRequest: { ...r.requests } }] };
}

/**
 * The router's size (router/contract/routerSize.ts): every router pod is admitted with
 * these requests and limits. Outside DevTest it is set at creation and then left to the
 * router (ignoreChanges `spec.limits`, a path with no list index, which pulumi-kubernetes
 * leaves to the router's field manager under server-side apply); the router rewrites it
 * when it scales up or down. The router namespace holds no other pods without resources
 * of their own (cert-manager's solver pods set theirs).
 */
export function createRouterLimitRange(
  name: string,
  i: Pick<RouterDeploymentInputs, "namespace" | "purpose" | "cpuPerPod">,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.LimitRange {
  const spec = pulumi
    .all([i.purpose, i.cpuPerPod])
    .apply(([purpose, cpuPerPod]) => routerLimitRangeSpec(routerTopologyFor(purpose, { cpuPerPod }).cpuPerPod));
  return new k8s.core.v1.LimitRange(
    `${name}-size`,
    { metadata: { name: ROUTER_LIMIT_RANGE_NAME, namespace: i.namespace, labels: { ...ROUTER_LABELS } }, spec },
    { ...opts, ignoreChanges: routerOwnsSize(i.purpose) ? ["spec.limits"] : [] },
  );
}

/** PodDisruptionBudget keeping all but one router up during node drains. */
export function createRouterPdb(
  name: string,
  namespace: pulumi.Input<string>,
  maxUnavailable: number,
  opts: pulumi.CustomResourceOptions,
): k8s.policy.v1.PodDisruptionBudget {
  return new k8s.policy.v1.PodDisruptionBudget(
    `${name}-pdb`,
    {
      metadata: { name: ROUTER_DEPLOYMENT_NAME, namespace, labels: { ...ROUTER_LABELS } },
      spec: { maxUnavailable, selector: { matchLabels: { ...ROUTER_LABELS } } },
    },
    opts,
  );
}
