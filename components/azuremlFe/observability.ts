/**
 * What AzuremlFe adds so the router's data and metrics reach where operators look: the
 * router's Azure identity (model data capture writes to the cluster's `modeldata`
 * container with it, and nothing else), the Application Insights Secret, a PodMonitor for
 * Azure Monitor managed Prometheus (opt-in) and the Grafana dashboard ConfigMap (opt-in).
 */
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  CAPTURE_BUFFER_BYTES_RANGE,
  MAX_CAPTURE_FLUSH_MS,
  MODEL_DATA_CONTAINER,
  ROUTER_ADMIN_PORT,
} from "../../router/contract/routerEnvironment.js";
import type { ClusterConnectionArgs } from "../shared/clusterConnection.js";
import { isUnknown, known } from "../shared/inputs.js";
import type { PropertyProblem } from "../shared/problems.js";
import { isIntegerInRange } from "../shared/validation.js";
import {
  STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID,
  WORKLOAD_IDENTITY_AUDIENCE,
  blobContainerId,
  roleDefinitionIn,
  serviceAccountSubject,
} from "../shared/workloadIdentity.js";
import type { AzuremlFeArgs } from "./args.js";
import { routerDashboardJson } from "./grafanaDashboard.js";
import { ROUTER_DEPLOYMENT_NAME, ROUTER_LABELS, ROUTER_SERVICE_ACCOUNT_NAME } from "./names.js";

export const ROUTER_APP_INSIGHTS_SECRET_NAME = "azureml-fe-appinsights";
export const ROUTER_APP_INSIGHTS_SECRET_KEY = "connectionString";
export const ROUTER_DASHBOARD_CONFIGMAP_NAME = "azureml-fe-grafana-dashboard";
/** The label a Grafana dashboard sidecar (and the convention Azure Managed Grafana imports follow) looks for. */
export const GRAFANA_DASHBOARD_LABEL = "grafana_dashboard";
/** The pod annotations Prometheus' `kubernetes-pods` job and managed Prometheus's annotation scraping read. */
export const PROMETHEUS_SCRAPE_ANNOTATIONS = {
  "prometheus.io/scrape": "true",
  "prometheus.io/port": String(ROUTER_ADMIN_PORT),
  "prometheus.io/path": "/metrics",
} as const;

export function observabilityProblems(args: AzuremlFeArgs): PropertyProblem[] {
  const errors: PropertyProblem[] = [];
  const buffer = known(args.modelDataCapture?.bufferBytes);
  if (buffer !== undefined && !isIntegerInRange(buffer, CAPTURE_BUFFER_BYTES_RANGE.min, CAPTURE_BUFFER_BYTES_RANGE.max))
    errors.push({
      propertyPath: "modelDataCapture.bufferBytes",
      reason: `must be an integer between ${CAPTURE_BUFFER_BYTES_RANGE.min} and ${CAPTURE_BUFFER_BYTES_RANGE.max} (bytes per data-listener thread), got ${buffer}`,
    });
  const flush = known(args.modelDataCapture?.flushSeconds);
  if (flush !== undefined && !isIntegerInRange(flush, 0, MAX_CAPTURE_FLUSH_MS / 1000))
    errors.push({
      propertyPath: "modelDataCapture.flushSeconds",
      reason: `must be an integer between 0 and ${MAX_CAPTURE_FLUSH_MS / 1000} (seconds), got ${flush}`,
    });
  for (const key of ["podMonitor", "grafanaDashboard"] as const)
    if (isUnknown(args.monitoring?.[key]))
      errors.push({
        propertyPath: `monitoring.${key}`,
        reason: "must be a plain boolean, not an Output: it decides whether the resource exists",
      });
  return errors;
}

export interface RouterIdentity {
  identity: managedidentity.UserAssignedIdentity;
  federatedCredential: managedidentity.FederatedIdentityCredential;
  roleAssignment: authorization.RoleAssignment;
  /** `<blob endpoint><container>`: AKSML_MODEL_DATA_CONTAINER_URL. */
  modelDataContainerUrl: pulumi.Output<string>;
}

/**
 * The router pods' Azure identity: trusted for the router's ServiceAccount only, and
 * allowed to write blobs in the `modeldata` container only (Storage Blob Data Contributor
 * scoped to the container, not the account): it cannot read or change `models`.
 */
export function createRouterIdentity(
  name: string,
  cluster: ClusterConnectionArgs,
  namespace: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): RouterIdentity {
  const identity = new managedidentity.UserAssignedIdentity(
    `${name}-identity`,
    { resourceGroupName: cluster.resourceGroupName, location: cluster.location },
    opts,
  );
  const federatedCredential = new managedidentity.FederatedIdentityCredential(
    `${name}-federated`,
    {
      resourceGroupName: cluster.resourceGroupName,
      resourceName: identity.name,
      issuer: cluster.oidcIssuerUrl,
      subject: pulumi.output(namespace).apply((ns) => serviceAccountSubject(ns, ROUTER_SERVICE_ACCOUNT_NAME)),
      audiences: [WORKLOAD_IDENTITY_AUDIENCE],
    },
    opts,
  );
  const container = cluster.modelDataContainerName ?? MODEL_DATA_CONTAINER;
  const roleAssignment = new authorization.RoleAssignment(
    `${name}-modeldata-writer`,
    {
      scope: pulumi.all([cluster.storageAccountId, container]).apply(([id, c]) => blobContainerId(id, c)),
      principalId: identity.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: pulumi
        .output(cluster.storageAccountId)
        .apply((id) => roleDefinitionIn(id, STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID)),
    },
    opts,
  );
  const modelDataContainerUrl = pulumi
    .all([cluster.storageBlobEndpoint, container])
    .apply(([endpoint, c]) => `${endpoint.replace(/\/+$/, "")}/${c}`);
  return { identity, federatedCredential, roleAssignment, modelDataContainerUrl };
}

/** `azureml-fe-appinsights`: the router's Application Insights connection string. */
export function createRouterAppInsightsSecret(
  name: string,
  namespace: pulumi.Input<string>,
  connectionString: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    `${name}-appinsights`,
    {
      metadata: { name: ROUTER_APP_INSIGHTS_SECRET_NAME, namespace, labels: { ...ROUTER_LABELS } },
      type: "Opaque",
      stringData: { [ROUTER_APP_INSIGHTS_SECRET_KEY]: pulumi.secret(connectionString) },
    },
    opts,
  );
}

/** A PodMonitor of Azure Monitor managed Prometheus (its own API group) for the router's admin port. */
export function createRouterPodMonitor(
  name: string,
  namespace: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    `${name}-podmonitor`,
    {
      apiVersion: "azmonitoring.coreos.com/v1",
      kind: "PodMonitor",
      metadata: { name: ROUTER_DEPLOYMENT_NAME, namespace, labels: { ...ROUTER_LABELS } },
      spec: {
        selector: { matchLabels: { ...ROUTER_LABELS } },
        podMetricsEndpoints: [{ port: "admin", path: "/metrics", interval: "30s" }],
      },
    },
    opts,
  );
}

/** The Grafana dashboard as a ConfigMap (`grafana_dashboard: "1"`). */
export function createDashboardConfigMap(
  name: string,
  namespace: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ConfigMap {
  return new k8s.core.v1.ConfigMap(
    `${name}-grafana-dashboard`,
    {
      metadata: {
        name: ROUTER_DASHBOARD_CONFIGMAP_NAME,
        namespace,
        labels: { ...ROUTER_LABELS, [GRAFANA_DASHBOARD_LABEL]: "1" },
      },
      data: { "aksml-router.json": routerDashboardJson() },
    },
    opts,
  );
}
