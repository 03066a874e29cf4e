/**
 * Which Services a real router (startRouter + the Kubernetes backend) serves, against
 * test/router/backends/fakeKubeApi.ts: a FAKE Kubernetes API server (real HTTP on
 * loopback, granting exactly the Roles AzuremlFe creates). It is the one test double
 * in the router tests, because no real API server can run here. The model replica is a
 * real HTTP server on loopback.
 *
 * The attack: a real service is deleted and re-created; meanwhile a look-alike with
 * auth "none" in another namespace takes its name, its traffic and its clients' keys.
 * The router serves only the declared namespaces, and a name claimed twice is served
 * by neither (503) with the details on the admin /readyz only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "node:http";
import { request } from "undici";
import { startRouter, type RunningRouter } from "../../../router/startRouter.js";
import { KubernetesBackend } from "../../../router/backends/kubernetes/kubernetesBackend.js";
import { routerRoleGrants } from "../../../components/azuremlFe/rbacRules.js";
import { FakeKubeApi } from "./fakeKubeApi.js";
import { addModelService, eventually, silentLog, startReplica } from "./clusterFixtures.js";

const TEAM_A = "team-a";
const TEAM_B = "team-b";
const UNWATCHED = "sandbox";
const KEY = "key-0123456789abcdef0123456789abcdef";

let api: FakeKubeApi;
let replica: { server: Server; port: number };
let router: RunningRouter;
/** The Authorization header every request the replica received carried. */
const seenAuthorization: Array<string | undefined> = [];

beforeAll(async () => {
  api = new FakeKubeApi(routerRoleGrants("azureml", [TEAM_A, TEAM_B]));
  await api.start();
  replica = await startReplica();
  replica.server.on("request", (req) => seenAuthorization.push(req.headers.authorization));
  // Present before the router starts, so its first list would include it if it looked there.
  addModelService(api, UNWATCHED, "churn", replica.port);
  router = await startRouter({
    backend: new KubernetesBackend(
      { podName: "router-a", selfScaling: false, watchNamespaces: [TEAM_A, TEAM_B] },
      silentLog,
      api.kubeConfig("router"),
      { restartDelayMs: 50 },
    ),
    host: "127.0.0.1",
    dataPort: 0,
    adminPort: 0,
    logLevel: "silent",
    processMetrics: false,
  });
});

afterAll(async () => {
  await router.stop();
  await new Promise((r) => replica.server.close(r));
  await api.stop();
});

async function score(name: string): Promise<{ status: number; body: string }> {
  const res = await request(`${router.dataUrl}/api/v1/service/${name}/score`, {
    method: "POST",
    body: "{}",
    headers: { authorization: `Bearer ${KEY}` },
  });
  return { status: res.statusCode, body: await res.body.text() };
}

async function adminProblems(): Promise<Array<{ service: string; reason: string; servingLastGood: boolean }>> {
  const res = await request(`${router.adminUrl}/readyz`);
  return ((await res.body.json()) as { problems: [] }).problems;
}

describe("name squatting across namespaces", () => {
  it("a look-alike in a namespace the router does not watch gets nothing", async () => {
    expect((await score("churn")).status).toBe(404);
    expect(api.requests.some((r) => r.path.includes(`/namespaces/${UNWATCHED}/`))).toBe(false);
  });

  it("a name claimed in two watched namespaces answers 503 with a clear message; the details are on the admin /readyz", async () => {
    addModelService(api, TEAM_A, "fraud", replica.port);
    await eventually(async () => (await score("fraud")).status === 200, 5000, "fraud served");
    const before = seenAuthorization.length;
    addModelService(api, TEAM_B, "fraud", replica.port);
    await eventually(async () => (await score("fraud")).status === 503, 5000, "fraud withdrawn");
    const { body } = await score("fraud");
    const message = (JSON.parse(body) as { error: { message: string } }).error.message;
    expect(message).toContain('service "fraud" is unavailable');
    expect(message).toContain("claimed by more than one Service");
    expect(message).not.toContain(TEAM_B); // clients learn nothing about the cluster
    expect(seenAuthorization.length).toBe(before); // nothing reached a replica, no key went anywhere
    const problem = (await adminProblems()).find((p) => p.service === "fraud");
    expect(problem).toMatchObject({ servingLastGood: false });
    expect(problem!.reason).toContain(`namespaces ${TEAM_A}, ${TEAM_B}`);

    // Remove the look-alike: the real one is served again and the problem is gone.
    api.delete("services", TEAM_B, "fraud");
    await eventually(async () => (await score("fraud")).status === 200, 5000, "fraud served again");
    expect((await adminProblems()).some((p) => p.service === "fraud")).toBe(false);
    expect(api.denied).toEqual([]);
  });
});
