/**
 * A small platform in the fake Kubernetes API (test/router/backends/fakeKubeApi.ts, the
 * one test double: no API server can run here) for the day-2 commands: model Services
 * with their `aksml/config`, key Secrets, Deployments with status, Pods with container
 * statuses, Events, EndpointSlices, and the router's LoadBalancer Service; and a
 * kubeconfig file per client.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FakeKubeApi } from "../../router/backends/fakeKubeApi.js";
import { routerRoleGrants, type RoleGrant } from "../../../components/azuremlFe/rbacRules.js";
import { DAY2_OPERATOR_RULES } from "../../../cli/day2/kubernetes/operatorRules.js";
import { CONFIG_ANNOTATION, WEBSERVICE_LABEL } from "../../../router/contract/serviceConfig.js";

export const NS = "models";
export const ROUTER_LB_IP = "20.50.60.70";
const b64 = (s: string) => Buffer.from(s).toString("base64");

/**
 * What the fake API allows: the router's Roles exactly as AzuremlFe grants them, and the
 * day-2 commands' documented rules cluster-wide (a call outside them is a 403 that fails
 * the test). Per-client refusals come on top (`api.day2.deny`).
 */
export function clusterGrants(): RoleGrant[] {
  return [...routerRoleGrants("azureml", [NS]), { rules: DAY2_OPERATOR_RULES }];
}

/** Writes a kubeconfig for `client` (its requests reach the fake as `/c/<client>`); returns the path. */
export function kubeconfigFile(api: FakeKubeApi, client: string, token = "day2-test-token"): string {
  const dir = mkdtempSync(join(tmpdir(), "aksml-kube-"));
  const file = join(dir, "config");
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      // Plain HTTP on loopback; client-node insists on this flag for it.
      clusters: [{ name: "fake", cluster: { server: `${api.url}/c/${client}`, "insecure-skip-tls-verify": true } }],
      users: [{ name: client, user: { token } }],
      contexts: [{ name: "fake-aks", context: { cluster: "fake", user: client } }],
      "current-context": "fake-aks",
    }),
  );
  return file;
}

export function addModelService(api: FakeKubeApi, name: string, config: object): void {
  api.apply("services", {
    metadata: {
      name,
      namespace: NS,
      labels: { [WEBSERVICE_LABEL]: name, "app.kubernetes.io/part-of": "aksml" },
      annotations: { [CONFIG_ANNOTATION]: JSON.stringify(config) },
    },
    spec: { type: "ClusterIP", ports: [{ name: "http", port: 80, targetPort: 5001 }] },
  });
}

export function addKeys(api: FakeKubeApi, name: string, primary: string, secondary: string): void {
  api.apply("secrets", {
    metadata: { name: `${name}-keys`, namespace: NS, labels: { [WEBSERVICE_LABEL]: name } },
    type: "Opaque",
    data: { primaryKey: b64(primary), secondaryKey: b64(secondary) },
  });
}

export function addDeployment(api: FakeKubeApi, name: string, desired: number, ready: number): void {
  api.apply("deployments", {
    metadata: { name, namespace: NS, labels: { [WEBSERVICE_LABEL]: name } },
    spec: { replicas: desired },
    status: { observedGeneration: 1, replicas: desired, updatedReplicas: desired, readyReplicas: ready },
  });
}

export interface PodShape {
  ready: boolean;
  /** A waiting container (e.g. ImagePullBackOff), or running. */
  waiting?: { reason: string; message?: string };
  /** Pending and not scheduled. */
  unschedulable?: boolean;
}

export function addPod(api: FakeKubeApi, service: string, pod: string, shape: PodShape): void {
  api.apply("pods", {
    metadata: { name: pod, namespace: NS, labels: { [WEBSERVICE_LABEL]: service } },
    spec: { containers: [{ name: "model" }], initContainers: [{ name: "fetch-model" }] },
    status: shape.unschedulable
      ? {
          phase: "Pending",
          conditions: [
            { type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available" },
          ],
        }
      : {
          phase: shape.waiting ? "Pending" : "Running",
          conditions: [{ type: "Ready", status: shape.ready ? "True" : "False" }],
          containerStatuses: [
            {
              name: "model",
              ready: shape.ready,
              restartCount: 0,
              image: "acr.example/model:1",
              imageID: "",
              state: shape.waiting ? { waiting: shape.waiting } : { running: { startedAt: "2026-01-01T00:00:00Z" } },
            },
          ],
        },
  });
}

export function addEvent(api: FakeKubeApi, about: string, kind: string, reason: string, message: string): void {
  api.apply("events", {
    metadata: { name: `${about}.${reason}.${Math.random().toString(16).slice(2, 8)}`, namespace: NS },
    involvedObject: { kind, name: about, namespace: NS },
    reason,
    message,
    type: "Warning",
    lastTimestamp: new Date().toISOString(),
  });
}

export function addEndpointSlice(api: FakeKubeApi, service: string, pod: string, url: string): void {
  const { hostname, port } = new URL(url);
  api.apply("endpointslices", {
    metadata: { name: `${service}-eps`, namespace: NS, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    ports: [{ name: "http", port: Number(port), protocol: "TCP" }],
    endpoints: [
      { addresses: [hostname], conditions: { ready: true }, targetRef: { kind: "Pod", name: pod, namespace: NS } },
    ],
  });
}

export function addRouterLoadBalancer(api: FakeKubeApi): void {
  api.apply("services", {
    metadata: {
      name: "azureml-fe",
      namespace: "azureml",
      labels: { "app.kubernetes.io/name": "azureml-fe", "app.kubernetes.io/part-of": "aksml" },
    },
    spec: { type: "LoadBalancer", ports: [{ name: "http", port: 80, targetPort: "http" }] },
    status: { loadBalancer: { ingress: [{ ip: ROUTER_LB_IP }] } },
  });
}
