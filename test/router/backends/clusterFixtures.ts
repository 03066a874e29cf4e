/**
 * What the router tests against the fake Kubernetes API (fakeKubeApi.ts, the one test
 * double) put into it: model Services, Deployments and EndpointSlices shaped like
 * ModelWebservice's, a real model replica on loopback, and helpers to poll.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CONFIG_ANNOTATION, WEBSERVICE_LABEL } from "../../../router/contract/serviceConfig.js";
import type { FakeKubeApi } from "./fakeKubeApi.js";

/** Adds a model service (Service, Deployment, one ready EndpointSlice) in `namespace`. */
export function addModelService(
  api: FakeKubeApi,
  namespace: string,
  name: string,
  replicaPort: number,
  config: object = { auth: { mode: "none" } },
): void {
  api.apply("services", {
    metadata: {
      name,
      namespace,
      labels: { [WEBSERVICE_LABEL]: name },
      annotations: { [CONFIG_ANNOTATION]: JSON.stringify(config) },
    },
    spec: {},
  });
  api.apply("deployments", {
    metadata: { name, namespace, labels: { [WEBSERVICE_LABEL]: name } },
    spec: { replicas: 1 },
  });
  api.apply("endpointslices", {
    metadata: { name: `${name}-1`, namespace, labels: { "kubernetes.io/service-name": name } },
    addressType: "IPv4",
    ports: [{ name: "http", port: replicaPort }],
    endpoints: [
      { addresses: ["127.0.0.1"], conditions: { ready: true }, targetRef: { kind: "Pod", name: `${name}-0` } },
    ],
  });
}

/** A model replica on loopback that answers every request with `[1]`. */
export async function startReplica(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end("[1]"));
  });
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Polls until `cond` holds; fails after `withinMs` (a generous bound, not a measurement). */
export async function eventually(
  cond: () => boolean | Promise<boolean>,
  withinMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const silentLog = { info: () => undefined, warn: () => undefined };
