/**
 * The day-2 commands against a deployed platform: `aksml` runs as a real child process
 * with a kubeconfig, against the fake Kubernetes API server (the one test double: no API
 * server can run here; client-node talks to it unchanged), and a real router (its
 * Kubernetes backend watching the same fake API) in front of a real replica for `score`.
 *
 * `aksml token` gets its Entra ID token through the real DefaultAzureCredential from a
 * stand-in for Azure's managed identity endpoint (the App Service protocol, selected by
 * IDENTITY_ENDPOINT/IDENTITY_HEADER), which hands out tokens signed by a test issuer the
 * router trusts: Entra ID itself cannot run here either.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeKubeApi } from "../router/backends/fakeKubeApi.js";
import { startIssuer, type TestIssuer } from "../router/helpers/jwks.js";
import { startReplica, type TestReplica } from "../router/helpers/upstream.js";
import { startRouter, type RunningRouter } from "../../router/startRouter.js";
import { KubernetesBackend } from "../../router/backends/kubernetes/kubernetesBackend.js";
import { createLogger } from "../../router/log.js";
import {
  NS,
  ROUTER_LB_IP,
  addDeployment,
  addEndpointSlice,
  addEvent,
  addKeys,
  addModelService,
  addPod,
  addRouterLoadBalancer,
  clusterGrants,
  kubeconfigFile,
} from "./helpers/day2Cluster.js";
import { cleanEnv, currentCli, runCliIn, startCli, until } from "./helpers/cliProcess.js";

const PRIMARY = "pk-day2-0123456789abcdefghijkl";
const SECONDARY = "sk-day2-0123456789abcdefghijkl";
const CLIENT_ID = "7f1c3a52-9d4e-4b8a-a6f1-2c3d4e5f6a7b";

let api: FakeKubeApi;
let issuer: TestIssuer;
let replica: TestReplica;
let router: RunningRouter;
let identity: Server;
const identityRequests: string[] = [];
let env: Record<string, string>;
// The compiled CLI when dist/ is current (the sources' CLI, at less than half the start-up cost), else tsx.
const cli = currentCli();

/**
 * One `aksml` run to its exit. A test starts the runs that change nothing, with nothing
 * changed between them, at once (Promise.all); the rest run one after another in order.
 */
function run(args: string[], extraEnv: Record<string, string> = {}) {
  return runCliIn(args, { ...env, ...extraEnv }, cli);
}

beforeAll(async () => {
  api = new FakeKubeApi(clusterGrants());
  await api.start();
  issuer = await startIssuer(CLIENT_ID);
  replica = await startReplica("house-prices-a");

  addModelService(api, "house-prices", { autoscale: { minReplicas: 2, maxReplicas: 4 } });
  addKeys(api, "house-prices", PRIMARY, SECONDARY);
  addDeployment(api, "house-prices", 2, 2);
  addPod(api, "house-prices", "house-prices-a", { ready: true });
  addPod(api, "house-prices", "house-prices-b", { ready: true });
  addEndpointSlice(api, "house-prices", "house-prices-a", replica.endpoint.url);
  api.day2.appendLog(NS, "house-prices-a", "model", "a: loading model", "a: listening on 5001");
  api.day2.appendLog(NS, "house-prices-b", "model", "b: loading model", "b: listening on 5001");
  api.day2.appendLog(NS, "house-prices-a", "fetch-model", "a: downloaded 3 blobs");

  addModelService(api, "broken", { numReplicas: 1 });
  addKeys(api, "broken", PRIMARY, SECONDARY);
  addDeployment(api, "broken", 1, 0);
  addPod(api, "broken", "broken-x", {
    ready: false,
    waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "acr.example/missing:1"' },
  });

  addModelService(api, "pending", { numReplicas: 1 });
  addDeployment(api, "pending", 1, 0);
  addPod(api, "pending", "pending-x", { ready: false, unschedulable: true });
  addEvent(api, "pending-x", "Pod", "FailedScheduling", "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.");

  addModelService(api, "rolling", { numReplicas: 1 });
  addDeployment(api, "rolling", 1, 0);

  addModelService(api, "tokened", {
    numReplicas: 1,
    auth: {
      mode: "token",
      issuer: issuer.issuer,
      audience: CLIENT_ID,
      additionalAudiences: [`api://${CLIENT_ID}`],
      jwksUri: issuer.jwksUri,
      requiredRole: "Score",
    },
  });
  addDeployment(api, "tokened", 1, 1);
  addEndpointSlice(api, "tokened", "tokened-a", replica.endpoint.url);
  addRouterLoadBalancer(api);
  api.apply("pods", {
    metadata: { name: "azureml-fe-0", namespace: "azureml", labels: { "app.kubernetes.io/name": "azureml-fe" } },
    spec: { containers: [{ name: "router" }] },
    status: { phase: "Running" },
  });
  api.day2.appendLog("azureml", "azureml-fe-0", "router", '{"level":"info","msg":"router started"}');

  router = await startRouter({
    backend: new KubernetesBackend(
      { podName: "router-0", selfScaling: false, watchNamespaces: [NS] },
      createLogger("silent"),
      api.kubeConfig("router"),
    ),
    host: "127.0.0.1",
    dataPort: 0,
    adminPort: 0,
    processMetrics: false,
    logger: createLogger("silent"),
  });

  // Stand-in for Azure's managed identity endpoint (App Service protocol): a token for `resource`.
  identity = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    identityRequests.push(url.searchParams.get("resource") ?? "");
    if (req.headers["x-identity-header"] !== "day2-identity-header") return void res.writeHead(401).end();
    void issuer.sign({ roles: ["Score"] }, { aud: url.searchParams.get("resource") ?? "", exp: "1h" }).then((token) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          access_token: token,
          expires_on: String(Math.floor(Date.now() / 1000) + 3600),
          resource: url.searchParams.get("resource"),
          token_type: "Bearer",
        }),
      );
    });
  });
  identity.listen(0, "127.0.0.1");
  await new Promise((r) => identity.once("listening", r));

  env = cleanEnv({
    HOME: mkdtempSync(join(tmpdir(), "aksml-home-")),
    KUBECONFIG: kubeconfigFile(api, "cli-user"),
    IDENTITY_ENDPOINT: `http://127.0.0.1:${(identity.address() as AddressInfo).port}/msi/token`,
    IDENTITY_HEADER: "day2-identity-header",
  });
}, 60_000);

afterAll(async () => {
  await router?.stop();
  await replica?.close();
  await issuer?.close();
  identity?.closeAllConnections();
  await new Promise((r) => identity?.close(r));
  await api?.stop();
});

describe("aksml day-2 commands on a cluster (fake Kubernetes API)", () => {
  it("list: every service with state, replicas, auth mode and the router's scoring URI", async () => {
    const [r, human] = await Promise.all([run(["list", "--json"]), run(["list"])]);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as {
      name: string;
      state: string;
      replicas: object;
      authMode: string;
      scoringUri?: string;
    }[];
    const byName = Object.fromEntries(rows.map((x) => [x.name, x]));
    expect(byName["house-prices"]).toMatchObject({
      namespace: NS,
      state: "Healthy",
      replicas: { ready: 2, desired: 2 },
      authMode: "key",
      scoringUri: `http://${ROUTER_LB_IP}/api/v1/service/house-prices/score`,
    });
    expect(byName.broken).toMatchObject({ state: "Failed", replicas: { ready: 0, desired: 1 } });
    expect(byName.pending).toMatchObject({ state: "Unschedulable" });
    expect(byName.tokened).toMatchObject({ authMode: "token" });

    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^NAME\s+STATE\s+REPLICAS\s+AUTH\s+SCORING URI$/m);
    expect(human.stdout).toMatch(/^house-prices \(models\)\s+Healthy\s+2\/2\s+key\s+http:\/\/20\.50\.60\.70\//m);
    expect(human.stdout).toContain("broken: Failed: image pull error");
  }, 30_000);

  it("state: the reason of each state, from container statuses and the scheduler's Event", async () => {
    const [broken, pending] = await Promise.all([run(["state", "broken", "--json"]), run(["state", "pending"])]);
    expect(broken.code, broken.stderr).toBe(0);
    expect(JSON.parse(broken.stdout)).toMatchObject({
      name: "broken",
      state: "Failed",
      reason: expect.stringMatching(
        /^image pull error: pod broken-x container model: ImagePullBackOff: Back-off pulling image/,
      ),
    });
    expect(pending.stdout).toContain("pending: Unschedulable (0/1 replicas ready)");
    expect(pending.stdout).toContain(
      "reason: unschedulable: pod pending-x: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
    );
  }, 30_000);

  it("keys: both keys from the Secret", async () => {
    const r = await run(["keys", "house-prices", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ primaryKey: PRIMARY, secondaryKey: SECONDARY });
  }, 30_000);

  it("score: one call with the primary key through the router, status and latency on stderr", async () => {
    const r = await run([
      "score",
      "house-prices",
      "--endpoint",
      router.dataUrl,
      "--data",
      '{"data":[[1,2,3]]}',
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      status: number;
      latencyMs: number;
      body: { headers: Record<string, string> };
    };
    expect(out.status).toBe(200);
    expect(out.latencyMs).toBeGreaterThanOrEqual(0);
    const human = await run([
      "score",
      "house-prices",
      "--endpoint",
      router.dataUrl,
      "--data",
      "{}",
      "--key",
      "secondary",
    ]);
    expect(human.code).toBe(0);
    expect(human.stderr).toMatch(/^HTTP 200 OK in \d+ ms/m);
  }, 30_000);

  it("regen-key: a new key in one slot of the Secret, the other unchanged; the router serves it", async () => {
    const r = await run(["regen-key", "house-prices", "--key", "primary", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      primaryKey: string;
      secondaryKey: string;
      regenerated: string;
      persisted: string;
    };
    expect(report.regenerated).toBe("primary");
    expect(report.primaryKey).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(report.primaryKey).not.toBe(PRIMARY);
    expect(report.secondaryKey).toBe(SECONDARY);
    expect(report.persisted).toContain("Secret models/house-prices-keys");
    const stored = api.get("secrets", NS, "house-prices-keys")!.data as Record<string, string>;
    expect(Buffer.from(stored.primaryKey!, "base64").toString()).toBe(report.primaryKey);
    expect(Buffer.from(stored.secondaryKey!, "base64").toString()).toBe(SECONDARY);
    const keys = JSON.parse((await run(["keys", "house-prices", "--json"])).stdout);
    expect(keys).toEqual({ primaryKey: report.primaryKey, secondaryKey: SECONDARY });
    const score = async (key: string) =>
      (
        await fetch(`${router.dataUrl}/api/v1/service/house-prices/score`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}` },
          body: "{}",
        })
      ).status;
    await until(async () => (await score(report.primaryKey)) === 200 || undefined, "the router to serve the new key");
    expect(await score(PRIMARY)).toBe(401);
    expect(await score(SECONDARY)).toBe(200);

    const given = await run([
      "regen-key",
      "house-prices",
      "--key",
      "secondary",
      "--value",
      "given-secondary-key-0123456789",
    ]);
    expect(given.code, given.stderr).toBe(0);
    expect(given.stdout).toContain("new secondary key given-secondary-key-0123456789");
    expect(given.stdout).toContain("the primary key is unchanged and keeps working");
  }, 60_000);

  it("token: an Entra ID token from DefaultAzureCredential for <client id>/.default, with refreshBy; it scores, a forged one does not", async () => {
    const r = await run(["token", "tokened", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout) as { accessToken: string; tokenType: string; refreshBy: string; expiresOn: string };
    expect(identityRequests).toContain(CLIENT_ID);
    expect(t.tokenType).toBe("Bearer");
    const refreshBy = Date.parse(t.refreshBy);
    const expiresOn = Date.parse(t.expiresOn);
    expect(refreshBy).toBeGreaterThan(Date.now());
    expect(expiresOn - refreshBy).toBe(5 * 60_000);

    const forged = `${t.accessToken.slice(0, t.accessToken.lastIndexOf(".") + 1)}${Buffer.from("forged").toString("base64url")}`;
    const [scored, denied] = await Promise.all([
      run(["score", "tokened", "--endpoint", router.dataUrl, "--data", "{}"]),
      run(["score", "tokened", "--endpoint", router.dataUrl, "--data", "{}", "--token", forged]),
    ]);
    expect(scored.code, scored.stderr).toBe(0);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("HTTP 401");
    expect(denied.stderr).toContain('error_description="bad signature"');
    expect(denied.stderr + denied.stdout).not.toContain(forged);
  }, 60_000);

  it("logs: every pod's model container, prefixed; --tail, --replica, --init, --router; --follow streams new lines", async () => {
    const [all, one, init, router] = await Promise.all([
      run(["logs", "house-prices"]),
      run(["logs", "house-prices", "--replica", "house-prices-b", "--tail", "1", "--json"]),
      run(["logs", "house-prices", "--init", "--replica", "house-prices-a"]),
      run(["logs", "--router"]),
    ]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain("[house-prices-a] a: listening on 5001");
    expect(all.stdout).toContain("[house-prices-b] b: loading model");
    expect(
      one.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual([{ source: "house-prices-b", text: "b: listening on 5001" }]);
    expect(init.stdout).toBe("[house-prices-a] a: downloaded 3 blobs\n");
    expect(router.stdout).toBe('[azureml-fe-0] {"level":"info","msg":"router started"}\n');

    const follow = startCli(
      ["logs", "house-prices", "--replica", "house-prices-a", "--follow", "--tail", "1"],
      env,
      cli,
    );
    await until(() => follow.out().includes("a: listening on 5001"), "the tail");
    api.day2.appendLog(NS, "house-prices-a", "model", "a: scored 1 request");
    await until(() => follow.out().includes("[house-prices-a] a: scored 1 request"), "the followed line");
    follow.proc.kill("SIGINT");
    expect(await follow.exited, follow.err()).toBe(0);
  }, 60_000);

  it("wait: blocks while Transitioning and returns 0 once Healthy; 1 with the reason when Failed; 1 on timeout", async () => {
    const waiting = startCli(["wait", "rolling", "--poll-interval", "200ms", "--timeout", "30s"], env, cli);
    await until(() => waiting.err().includes("rolling: Transitioning"), "the first progress line");
    addDeployment(api, "rolling", 1, 1);
    expect(await waiting.exited).toBe(0);
    expect(waiting.out()).toMatch(/^rolling: Healthy \(1\/1 replicas ready\) after \d+ s$/m);

    const [failed, timeout] = await Promise.all([
      run(["wait", "broken", "--timeout", "30s"]),
      run(["wait", "pending", "--timeout", "1s", "--poll-interval", "200ms", "--json"]),
    ]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("broken: Failed (0/1 replicas ready): image pull error");
    expect(timeout.code).toBe(1);
    expect(JSON.parse(timeout.stdout)).toMatchObject({ state: "Unschedulable", timedOut: true });
  }, 60_000);
});

describe("bad input on a cluster: one line saying what to do, nothing changed", () => {
  it("an unknown service", async () => {
    const r = await run(["keys", "nope"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'aksml keys: no model service "nope" in any namespace (context fake-aks); aksml list shows the services there',
    );
  }, 30_000);

  it("keys of a token-auth service, a token for a key-auth service, keys of a service without a Secret", async () => {
    const [keys, token, missing] = await Promise.all([
      run(["keys", "tokened"]),
      run(["token", "house-prices"]),
      run(["regen-key", "pending", "--key", "primary"]),
    ]);
    expect(keys.code).toBe(1);
    expect(keys.stderr.trim()).toBe(
      "aksml keys: service tokened uses token auth and has no keys to show; use aksml token tokened",
    );
    expect(token.code).toBe(1);
    expect(token.stderr).toContain(
      "service house-prices uses key auth; tokens are for token-auth services: use aksml keys house-prices",
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      "Secret models/pending-keys not found: service pending has no keys yet (run pulumi up)",
    );
  }, 30_000);

  it("an RBAC denial names the permission; regen-key without update rights leaves the Secret as it was", async () => {
    api.day2.deny("reader", { verb: "update", resource: "secrets" });
    api.day2.deny("reader", { verb: "list", resource: "services", clusterScopeOnly: true });
    const before = api.get("secrets", NS, "house-prices-keys")!.data;
    const readerEnv = { KUBECONFIG: kubeconfigFile(api, "reader") };
    const [listed, regen] = await Promise.all([
      run(["list"], readerEnv),
      run(["regen-key", "house-prices", "--key", "primary", "-n", NS], readerEnv),
    ]);
    expect(listed.code).toBe(1);
    expect(listed.stderr).toContain(
      'not allowed to list model services in any namespace (context fake-aks): services is forbidden: User "reader" cannot list resource "services" in API group "" at the cluster scope',
    );
    expect(listed.stderr).toContain("pass --namespace <namespace>");
    expect(regen.code).toBe(1);
    expect(regen.stderr).toContain("not allowed to update Secret models/house-prices-keys");
    expect(api.get("secrets", NS, "house-prices-keys")!.data).toEqual(before);
  }, 30_000);

  it("rejected and expired credentials, and no cluster at all", async () => {
    api.day2.rejectCredentials("revoked");
    const expiredJwt = [
      Buffer.from(JSON.stringify({ alg: "RS256" })).toString("base64url"),
      Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) - 60 })).toString("base64url"),
      "sig",
    ].join(".");
    const [revoked, expired, none] = await Promise.all([
      run(["state", "house-prices"], { KUBECONFIG: kubeconfigFile(api, "revoked") }),
      run(["list"], { KUBECONFIG: kubeconfigFile(api, "expired", expiredJwt) }),
      run(["list"], { KUBECONFIG: join(mkdtempSync(join(tmpdir(), "aksml-nokube-")), "missing") }),
    ]);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain("rejected the kubeconfig's credentials");
    expect(revoked.stderr).toContain("az aks get-credentials");

    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(/aksml list: the kubeconfig's credentials .* expired at \S+; get fresh credentials/);
    // None of its requests reached the API (the router in this test keeps making its own).
    expect(api.requests.filter((r) => r.client === "expired")).toEqual([]);

    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no cluster to talk to");
  }, 30_000);

  it("--stack-output: the exported kubeconfig, or every output (routerEndpoint included); '[secret]' is explained", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aksml-stack-"));
    const { readFileSync } = await import("node:fs");
    const kubeconfig = readFileSync(kubeconfigFile(api, "cli-user"), "utf8");
    writeFileSync(join(dir, "kubeconfig"), kubeconfig);
    writeFileSync(
      join(dir, "outputs.json"),
      JSON.stringify({ kubeconfig, routerEndpoint: "https://scoring.contoso.example" }),
    );
    writeFileSync(join(dir, "hidden"), "[secret]\n");
    const noKube = { KUBECONFIG: join(dir, "absent") };
    const [raw, all, hidden] = await Promise.all([
      run(["keys", "house-prices", "--stack-output", join(dir, "kubeconfig")], noKube),
      run(["list", "--json", "--stack-output", join(dir, "outputs.json")], noKube),
      run(["list", "--stack-output", join(dir, "hidden")], noKube),
    ]);
    expect(raw.code, raw.stderr).toBe(0);
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout)[0].scoringUri).toMatch(/^https:\/\/scoring\.contoso\.example\/api\/v1\/service\//);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain('holds "[secret]": export the kubeconfig with --show-secrets');
  }, 30_000);

  it("usage errors exit 2: a missing --key, a wrong target combination, a bad duration", async () => {
    const [noKey, both, duration, help] = await Promise.all([
      run(["regen-key", "house-prices"]),
      run(["keys", "house-prices", "--local", "--kubeconfig", "x"]),
      run(["wait", "house-prices", "--timeout", "soon"]),
      run(["regen-key", "--help"]),
    ]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("--key must be primary or secondary (it is required)");
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--local talks to aksml local; --kubeconfig is for a cluster");
    expect(duration.code).toBe(2);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: aksml regen-key <service> --key primary|secondary");
  }, 30_000);
});
