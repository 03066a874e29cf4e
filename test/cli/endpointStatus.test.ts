/**
 * The endpoint display the day-2 commands call (cli/endpoints/): read from a running
 * router's admin port (a real router on loopback whose rollout loop has promoted a
 * version), and from a cluster through the Kubernetes API (test/router/backends/
 * fakeKubeApi.ts, the one test double, because no API server can run here), then
 * rendered: versions, declared and live shares, mirrors, roles, and the rollout's
 * phase, step and decisions; and `aksml endpoints` as a child process with a kubeconfig
 * holding only the day-2 viewer rules (docs/day2.md).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpointStatusesFromCluster, endpointStatusesFromRouter } from "../../cli/endpoints/endpointStatus.js";
import { renderEndpoints } from "../../cli/endpoints/renderEndpoints.js";
import { startReplica, type TestReplica } from "../router/helpers/upstream.js";
import { startTestRouter, type TestRouter } from "../router/helpers/router.js";
import { until } from "../router/helpers/poll.js";
import { FakeKubeApi } from "../router/backends/fakeKubeApi.js";
import { routerRoleGrants } from "../../components/azuremlFe/rbacRules.js";
import { DAY2_VIEWER_RULES } from "../../cli/day2/kubernetes/operatorRules.js";
import { kubeconfigFile } from "./helpers/day2Cluster.js";
import { cleanEnv, runCliIn } from "./helpers/cliProcess.js";
import { parseEndpointConfig } from "../../router/contract/endpointConfigParser.js";
import { rolloutPlanHash, serializeRolloutState } from "../../router/contract/rolloutState.js";

const config = {
  auth: { mode: "none" },
  versions: [
    { version: "v1", service: "price-v1", isDefault: true, isControlVersion: true },
    { version: "v2", service: "price-v2" },
    { version: "shadow", service: "price-shadow", mirrorPercentile: 10 },
  ],
  rollout: { version: "v2", steps: [50, 100], intervalSeconds: 1, minRequests: 5, maxP99LatencyIncreasePercent: 1000 },
};

describe("endpoint status from a running router", () => {
  let replica: TestReplica;
  let router: TestRouter;
  beforeAll(async () => {
    replica = await startReplica("r0");
    const open = { auth: { mode: "none" }, maxConcurrentRequestsPerContainer: 4 };
    router = await startTestRouter(
      ["price-v1", "price-v2", "price-shadow"].map((name) => ({ name, config: open, replicas: [replica.endpoint] })),
      { rolloutCheckIntervalMs: 50 },
      [{ name: "price", config }],
      { rollouts: true },
    );
  });
  afterAll(async () => {
    await router.stop();
    await replica.close();
  });

  it("shows the versions, the live split and every rollout decision", async () => {
    await until(async () => {
      await fetch(`${router.dataUrl}/api/v1/service/price/score`, { method: "POST", body: "{}" }).then((r) => r.text());
      return router.backend.rollouts!.states.get("price")?.phase === "promoted";
    }, "the rollout promoted");
    const statuses = await endpointStatusesFromRouter(router.adminUrl);
    const text = renderEndpoints(statuses);
    expect(text).toContain("endpoint price, auth none");
    expect(text).toMatch(/VERSION\s+SERVICE\s+DECLARED\s+LIVE\s+MIRROR\s+ROLE\s+READY/);
    expect(text).toMatch(/v1\s+price-v1\s+100%\s+0%\s+-\s+default, control\s+1/);
    expect(text).toMatch(/v2\s+price-v2\s+0%\s+100%\s+-\s+-\s+1/);
    expect(text).toMatch(/shadow\s+price-shadow\s+0%\s+0%\s+10%\s+-\s+1/);
    expect(text).toContain("rollout of v2 against v1: promoted, step 2 of 2, v2 at 100% (steps 50 -> 100%, every 1 s)");
    expect(text).toMatch(/start\s+50%\s+steps 50, 100 % every 1 s/);
    expect(text).toMatch(/promote\s+100%\s+healthy for 1 s/);
  });
});

describe("endpoint status from a cluster", () => {
  let api: FakeKubeApi;
  beforeAll(async () => {
    // The router's Roles as AzuremlFe grants them, and the day-2 viewer's rules cluster-wide.
    api = new FakeKubeApi([...routerRoleGrants("azureml", ["models"]), { rules: DAY2_VIEWER_RULES }]);
    await api.start();
  });
  afterAll(async () => {
    await api.stop();
  });

  it("reads the annotation and the router's ConfigMap, and shows a pending plan and a bad annotation", async () => {
    const parsed = parseEndpointConfig("price", config);
    if (!parsed.ok) throw new Error("bad fixture");
    const endpointService = (name: string, annotation: string) =>
      api.apply("services", {
        metadata: {
          name,
          namespace: "models",
          labels: { "aksml/endpoint": name },
          annotations: { "aksml/endpoint-config": annotation },
        },
        spec: { clusterIP: "None" },
      });
    endpointService("price", JSON.stringify(config));
    endpointService("pending", JSON.stringify(config));
    endpointService("broken", "{}");
    api.apply("configmaps", {
      metadata: { name: "price-rollout", namespace: "models", labels: { "aksml/rollout-of": "price" } },
      data: {
        "state.json": serializeRolloutState({
          planHash: rolloutPlanHash(parsed.config),
          version: "v2",
          control: "v1",
          phase: "progressing",
          step: 0,
          weights: { v1: 50, v2: 50, shadow: 0 },
          stepStartedAt: "2026-12-01T10:00:00.000Z",
          revision: 1,
          history: [{ at: "2026-12-01T10:00:00.000Z", action: "start", percent: 50, reason: "steps 50, 100" }],
        }),
      },
    });
    const { endpoints, problems } = await endpointStatusesFromCluster(api.kubeConfig("user"), "models");
    expect(endpoints.map((e) => e.name)).toEqual(["pending", "price"]);
    expect(problems).toEqual([
      expect.objectContaining({ name: "broken", problem: expect.stringContaining("versions") }),
    ]);
    const text = renderEndpoints(endpoints);
    expect(text).toContain("endpoint price (namespace models), auth none");
    expect(text).toMatch(/v1\s+price-v1\s+100%\s+50%/);
    expect(text).toContain("rollout of v2 against v1: progressing, step 1 of 2, v2 at 50%");
    expect(text).toContain("next step no earlier than 2026-12-01T10:00:01.000Z");
    expect(text).toContain("rollout of v2 against v1: pending (the router has not started it yet), v2 at 0%");
  });

  it("`aksml endpoints` reads every namespace with the viewer's rules; one endpoint, JSON, a bad annotation is exit 1", async () => {
    const env = cleanEnv({ KUBECONFIG: kubeconfigFile(api, "viewer") });
    const all = await runCliIn(["endpoints"], env);
    expect(all.code).toBe(1);
    expect(all.stdout).toContain("endpoint price (namespace models), auth none");
    expect(all.stdout).toContain("rollout of v2 against v1: progressing, step 1 of 2, v2 at 50%");
    expect(all.stderr).toMatch(/endpoint broken \(namespace models\) has an invalid aksml\/endpoint-config annotation/);
    const one = await runCliIn(["endpoints", "price", "--json"], env);
    expect(one.code).toBe(0);
    const report = JSON.parse(one.stdout) as { endpoints: { name: string; rollout?: { phase: string } }[] };
    expect(report.endpoints.map((e) => [e.name, e.rollout?.phase])).toEqual([["price", "progressing"]]);
    expect((await runCliIn(["endpoints", "price", "-n", "models"], env)).code).toBe(0);
    expect(api.denied).toEqual([]);
  });
});
