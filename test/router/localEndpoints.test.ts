/**
 * Endpoints, rollouts and rolling updates on the local-process backend with REAL child
 * processes (examples/local/scorer.mjs) behind a real router on loopback: the shipped
 * endpoint example split 80/20, a rollout promoted and one rolled back, a mirror, and a
 * rolling replacement of every replica under sustained load with zero failed requests.
 */
import { afterEach, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { Agent, request } from "undici";
import { loadLocalConfig, validateLocalConfig, type LocalConfig } from "../../cli/local/config.js";
import { LocalProcessBackend } from "../../router/backends/local/localBackend.js";
import { startRouter, type RunningRouter } from "../../router/startRouter.js";
import { createLogger } from "../../router/log.js";
import { until } from "./helpers/poll.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/local/", import.meta.url));
const SCORER = `${EXAMPLES}scorer.mjs`;
const KEY = "DEV-ONLY-local-endpoint-primary-key-not-a-secret";

let router: RunningRouter | undefined;
let backend: LocalProcessBackend | undefined;
afterEach(async () => {
  await router?.stop();
  await backend?.stop();
  router = undefined;
  backend = undefined;
});

async function serve(config: LocalConfig, rolloutCheckIntervalMs?: number): Promise<RunningRouter> {
  const log = createLogger("silent");
  backend = new LocalProcessBackend(config.services, { log, endpoints: config.endpoints, onOutput: () => undefined });
  router = await startRouter({
    backend,
    logger: log,
    host: "127.0.0.1",
    dataPort: 0,
    adminPort: 0,
    processMetrics: false,
    rolloutCheckIntervalMs,
  });
  return router;
}

async function score(
  name: string,
  headers: Record<string, string> = {},
  dispatcher?: Agent,
): Promise<{ status: number; version?: string }> {
  const res = await request(`${router!.dataUrl}/api/v1/service/${name}/score`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ data: [[3, 80, 10]] }),
    dispatcher,
  });
  await res.body.text();
  return { status: res.statusCode, version: res.headers["azureml-model-deployment"] as string | undefined };
}

/** A config with services running the sample scorer (`env` per service) and one endpoint over them. */
function localConfig(
  services: Record<string, Record<string, string>>,
  endpoint: object,
  extra: object = {},
): LocalConfig {
  return validateLocalConfig(
    {
      services: Object.entries(services).map(([name, env]) => ({
        name,
        command: `node ${SCORER} --port $PORT`,
        env,
        config: { auth: { mode: "none" }, numReplicas: 1, maxConcurrentRequestsPerContainer: 4, ...extra },
      })),
      endpoints: [{ name: "prices", config: { auth: { mode: "none" }, ...endpoint } }],
    },
    `${EXAMPLES}test-config.json`,
  );
}

describe("aksml local endpoints (real processes)", () => {
  it("serves the shipped example endpoint 80/20, naming the version, with the endpoint's key; pinning works", async () => {
    const config = loadLocalConfig(`${EXAMPLES}aksml-endpoint.json`);
    await serve(config);
    const auth = { authorization: `Bearer ${KEY}` };
    const seen = new Map<string, number>();
    // 100 sequential requests (the example's v1 takes 50 ms each); the split is exact per 100.
    for (let i = 0; i < 100; i++) {
      const r = await score("house-prices", auth);
      expect(r.status).toBe(200);
      seen.set(r.version!, (seen.get(r.version!) ?? 0) + 1);
    }
    expect(seen).toEqual(
      new Map([
        ["v1", 80],
        ["v2", 20],
      ]),
    );
    for (let i = 0; i < 20; i++)
      expect((await score("house-prices", { ...auth, "azureml-model-deployment": "v2" })).version).toBe("v2");
    expect((await score("house-prices")).status).toBe(401);
    // Each version keeps its own URI and keys.
    expect(
      (await score("house-prices-v2", { authorization: "Bearer DEV-ONLY-local-v2-primary-key-not-a-secret" })).status,
    ).toBe(200);
  });

  it("rolls back a version that fails at the first step, recording each decision", async () => {
    const plan = { steps: [20, 100], intervalSeconds: 1, minRequests: 10, maxP99LatencyIncreasePercent: 1000 };
    const config = localConfig(
      { "p-blue": {}, "p-green": { SCORER_FAIL_PERCENT: "100" } },
      {
        versions: [
          { version: "blue", service: "p-blue", isDefault: true, isControlVersion: true },
          { version: "green", service: "p-green" },
        ],
        rollout: { version: "green", ...plan },
      },
    );
    await serve(config, 50);
    const events = () => backend!.rollouts.events.map((e) => e.event.reason);
    let running = true;
    const load = Promise.all(
      Array.from({ length: 3 }, async () => {
        while (running) await score("prices");
      }),
    );
    await until(() => events().includes("RolloutRolledBack"), "the failing version rolled back", 20_000);
    running = false;
    await load;
    expect(events()).toEqual(["RolloutStarted", "RolloutRolledBack"]);
    for (let i = 0; i < 10; i++) expect(await score("prices")).toEqual({ status: 200, version: "blue" });
  });

  it("promotes a healthy version through its steps (real scorers)", async () => {
    const config = localConfig(
      { "p-blue": {}, "p-green": {} },
      {
        versions: [
          { version: "blue", service: "p-blue", isDefault: true, isControlVersion: true },
          { version: "green", service: "p-green" },
        ],
        rollout: {
          version: "green",
          steps: [20, 60, 100],
          intervalSeconds: 1,
          minRequests: 10,
          maxP99LatencyIncreasePercent: 1000,
        },
      },
    );
    await serve(config, 50);
    const events = () => backend!.rollouts.events.map((e) => e.event.reason);
    let running = true;
    const load = Promise.all(
      Array.from({ length: 3 }, async () => {
        while (running) await score("prices");
      }),
    );
    await until(() => events().includes("RolloutPromoted"), "promoted", 20_000);
    running = false;
    await load;
    expect(events()).toEqual(["RolloutStarted", "RolloutAdvanced", "RolloutPromoted"]);
    for (let i = 0; i < 10; i++) expect(await score("prices")).toEqual({ status: 200, version: "green" });
  });

  it("mirrors 20 % of the endpoint's requests to a shadow version", async () => {
    const config = localConfig(
      { "p-blue": {}, "p-shadow": {} },
      {
        versions: [
          { version: "blue", service: "p-blue", isDefault: true },
          { version: "shadow", service: "p-shadow", mirrorPercentile: 20 },
        ],
      },
    );
    await serve(config);
    for (let i = 0; i < 200; i++) expect(await score("prices")).toEqual({ status: 200, version: "blue" });
    const answered = async () => {
      const text = await (await fetch(`${router!.adminUrl}/metrics`)).text();
      return Number(
        /aksml_router_mirrored_requests_total\{[^}]*version="shadow",outcome="answered"\} (\d+)/.exec(text)?.[1] ?? 0,
      );
    };
    await until(async () => (await answered()) === 40, "40 mirrored copies answered");
  });

  it("replaces every replica one by one under sustained load with zero failed requests", async () => {
    const config = validateLocalConfig(
      {
        services: [
          {
            name: "rolling",
            command: `node ${SCORER} --port $PORT`,
            env: { SCORER_DELAY_MS: "10" },
            config: { auth: { mode: "none" }, numReplicas: 2, maxConcurrentRequestsPerContainer: 4 },
          },
        ],
      },
      `${EXAMPLES}test-config.json`,
    );
    await serve(config);
    await until(() => router!.registry.get("rolling")?.snapshot.replicas.length === 2, "2 replicas ready", 30_000);
    const client = new Agent({ connections: 8 });
    const outcomes = new Map<string, number>();
    let running = true;
    const load = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (running) {
          const key = await score("rolling", {}, client).then(
            (r) => String(r.status),
            (e: { code?: string }) => e.code ?? "error",
          );
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        }
      }),
    );
    const firstPids = backend!.processes("rolling").map((p) => p.pid);
    for (let round = 0; round < 2; round++) {
      const before = [...outcomes.values()].reduce((a, b) => a + b, 0);
      await until(() => [...outcomes.values()].reduce((a, b) => a + b, 0) > before + 50, "load flows");
      expect(await backend!.rollReplicas("rolling")).toBe(true);
    }
    const after = [...outcomes.values()].reduce((a, b) => a + b, 0);
    await until(() => [...outcomes.values()].reduce((a, b) => a + b, 0) > after + 50, "load flows after");
    running = false;
    await load;
    await client.close();
    const pids = backend!.processes("rolling").map((p) => p.pid);
    expect(pids).toHaveLength(2);
    expect(pids.some((p) => firstPids.includes(p))).toBe(false);
    const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
    expect(outcomes).toEqual(new Map([["200", total]]));
  });
});

describe("aksml local config: endpoints", () => {
  const services = [
    { name: "a", command: "x --port $PORT" },
    { name: "b", command: "x --port $PORT" },
  ];
  const problems = (endpoints: unknown): string[] => {
    try {
      validateLocalConfig({ services, endpoints }, "/tmp/c.json");
      return [];
    } catch (e) {
      return (e as { problems: string[] }).problems;
    }
  };
  it.each([
    ["not an array", {}, /^endpoints: must be an array/],
    [
      "an unknown key",
      [{ name: "e", config: { versions: [{ version: "v", service: "a", isDefault: true }] }, x: 1 }],
      /^endpoints\[0\]\.x: unknown key/,
    ],
    [
      "a name a service has",
      [{ name: "a", config: { versions: [{ version: "v", service: "b", isDefault: true }] } }],
      /is also a service's name/,
    ],
    [
      "a version on an unknown service",
      [{ name: "e", config: { versions: [{ version: "v", service: "zz", isDefault: true }] } }],
      /^endpoints\[0\]\.config\.versions\[0\]\.service: "zz" is not one of this file's services/,
    ],
    [
      "an invalid split",
      [{ name: "e", config: { versions: [{ version: "v", service: "a" }] } }],
      /^endpoints\[0\]\.config\.versions: exactly one version must be the default/,
    ],
    [
      "a short key",
      [
        {
          name: "e",
          config: { versions: [{ version: "v", service: "a", isDefault: true }] },
          keys: { primaryKey: "short", secondaryKey: "short-but-longer-one" },
        },
      ],
      /^endpoints\[0\]\.keys\.primaryKey: must be at least 16 characters/,
    ],
  ])("rejects %s", (_what, endpoints, pattern) => {
    expect(problems(endpoints).some((p) => pattern.test(p))).toBe(true);
  });

  it("accepts the shipped example", () => {
    const c = loadLocalConfig(`${EXAMPLES}aksml-endpoint.json`);
    expect(c.endpoints.map((e) => e.name)).toEqual(["house-prices"]);
  });
});
