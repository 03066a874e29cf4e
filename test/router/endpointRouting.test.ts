/**
 * Endpoints on real sockets: a real router (StaticBackend pushes the snapshots as the
 * Kubernetes backend would) in front of real replicas on loopback. The weighted split,
 * the response header naming the version, pinning by header, the endpoint's own auth,
 * each version's own URI, and a name claimed by an endpoint and a service.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReplica, type TestReplica } from "./helpers/upstream.js";
import { KEYS, startTestRouter, type TestRouter } from "./helpers/router.js";
import { until } from "./helpers/poll.js";
import type { EndpointStatus } from "../../router/endpoints/endpointStatus.js";

const ENDPOINT_KEYS = { primaryKey: "ep-primary-0123456789abcdef", secondaryKey: "ep-secondary-0123456789abcdef" };
const AUTH = { authorization: `Bearer ${ENDPOINT_KEYS.primaryKey}` };

let blue: TestReplica;
let green: TestReplica;
let canary: TestReplica;
let router: TestRouter;

const fraud = (greenPercent: number) => ({
  name: "fraud",
  keys: ENDPOINT_KEYS,
  config: {
    versions: [
      { version: "blue", service: "fraud-blue", isDefault: true, isControlVersion: true },
      { version: "green", service: "fraud-green", trafficPercentile: greenPercent },
      { version: "canary", service: "fraud-canary", trafficPercentile: 0 },
    ],
  },
});

async function score(
  name: string,
  headers: Record<string, string> = AUTH,
): Promise<{ status: number; version: string | null; body: string }> {
  const res = await fetch(`${router.dataUrl}/api/v1/service/${name}/score`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ data: [[1, 2, 3]] }),
  });
  return { status: res.status, version: res.headers.get("azureml-model-deployment"), body: await res.text() };
}

/** `n` requests, `parallel` at a time; the versions that served them. */
async function scoreMany(n: number, parallel: number, headers: Record<string, string> = AUTH) {
  const versions = new Map<string, number>();
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        next++;
        const r = await score("fraud", headers);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        versions.set(r.version ?? "(none)", (versions.get(r.version ?? "(none)") ?? 0) + 1);
      }
    }),
  );
  return { versions, statuses };
}

beforeAll(async () => {
  [blue, green, canary] = await Promise.all([startReplica("b0"), startReplica("g0"), startReplica("c0")]);
  const cfg = { maxConcurrentRequestsPerContainer: 8 };
  router = await startTestRouter(
    [
      { name: "fraud-blue", keys: KEYS, config: cfg, replicas: [blue.endpoint] },
      { name: "fraud-green", keys: KEYS, config: cfg, replicas: [green.endpoint] },
      { name: "fraud-canary", keys: KEYS, config: cfg, replicas: [canary.endpoint] },
      { name: "plain", keys: KEYS, replicas: [blue.endpoint] },
    ],
    {},
    [fraud(20)],
  );
});

afterAll(async () => {
  await router.stop();
  await Promise.all([blue.close(), green.close(), canary.close()]);
});

describe("weighted split", () => {
  it("sends 2,000 requests 80/20 within 3 points (smooth weighted round robin), naming the version in azureml-model-deployment", async () => {
    const before = { blue: blue.hits, green: green.hits };
    const { versions, statuses } = await scoreMany(2000, 8);
    expect(statuses).toEqual(new Map([[200, 2000]]));
    const bluePct = (100 * (versions.get("blue") ?? 0)) / 2000;
    const greenPct = (100 * (versions.get("green") ?? 0)) / 2000;
    expect(Math.abs(bluePct - 80)).toBeLessThanOrEqual(3);
    expect(Math.abs(greenPct - 20)).toBeLessThanOrEqual(3);
    expect(versions.get("canary")).toBeUndefined();
    // The header tells the truth: the replicas saw exactly these counts.
    expect(blue.hits - before.blue).toBe(versions.get("blue"));
    expect(green.hits - before.green).toBe(versions.get("green"));
  });

  it("follows a changed split at once", async () => {
    router.backend.setEndpoint(fraud(50));
    const { versions } = await scoreMany(200, 1);
    expect(versions.get("blue")).toBe(100);
    expect(versions.get("green")).toBe(100);
    router.backend.setEndpoint(fraud(20));
  });
});

describe("pinning a version (azureml-model-deployment)", () => {
  it("always hits the named version, also one at 0 %", async () => {
    for (const version of ["green", "canary", "blue"]) {
      const { versions } = await scoreMany(50, 4, { ...AUTH, "azureml-model-deployment": version });
      expect(versions).toEqual(new Map([[version, 50]]));
    }
  });

  it("answers an unknown version 400 naming the endpoint's versions, without echoing it", async () => {
    const r = await score("fraud", { ...AUTH, "azureml-model-deployment": "purple<script>" });
    expect(r.status).toBe(400);
    expect(r.body).toContain("its versions are blue, green, canary");
    expect(r.body).not.toContain("purple");
  });

  it("names no version to a client without the endpoint's key (401 first)", async () => {
    const r = await score("fraud", { "azureml-model-deployment": "nope" });
    expect(r.status).toBe(401);
    expect(r.body).not.toContain("blue");
  });
});

describe("the endpoint's own auth and each version's own URI", () => {
  it("accepts the endpoint's keys, not a version's", async () => {
    expect((await score("fraud", { authorization: `Bearer ${ENDPOINT_KEYS.secondaryKey}` })).status).toBe(200);
    expect((await score("fraud", { authorization: `Bearer ${KEYS.primaryKey}` })).status).toBe(401);
  });

  it("serves each version at its own URI with its own keys", async () => {
    const r = await score("fraud-canary", { authorization: `Bearer ${KEYS.primaryKey}` });
    expect(r.status).toBe(200);
    expect(r.version).toBeNull();
    expect(JSON.parse(r.body).headers["x-aksml-mirrored"]).toBeUndefined();
  });

  it("does not forward the endpoint key to the replica", async () => {
    const r = await score("fraud", { ...AUTH, "azureml-model-deployment": "green" });
    expect(JSON.parse(r.body).headers.authorization).toBeUndefined();
  });
});

describe("availability", () => {
  it("answers 503 for a pinned version whose service is gone, and routes around it otherwise", async () => {
    router.backend.remove("fraud-green");
    try {
      expect((await score("fraud", { ...AUTH, "azureml-model-deployment": "green" })).status).toBe(503);
      const { versions } = await scoreMany(50, 2);
      expect(versions).toEqual(new Map([["blue", 50]]));
    } finally {
      router.backend.set({
        name: "fraud-green",
        keys: KEYS,
        config: { maxConcurrentRequestsPerContainer: 8 },
        replicas: [green.endpoint],
      });
    }
  });

  it("serves neither when an endpoint and a service claim one name (503, the detail on /readyz)", async () => {
    router.backend.set({ name: "fraud", keys: KEYS, replicas: [blue.endpoint] });
    try {
      const r = await score("fraud");
      expect(r.status).toBe(503);
      expect(r.body).toContain("claimed by both an endpoint and a service");
      const ready = (await (await fetch(`${router.adminUrl}/readyz`)).json()) as { problems: unknown };
      expect(JSON.stringify(ready.problems)).toContain("claimed by an endpoint");
    } finally {
      router.backend.remove("fraud");
    }
    await until(async () => (await score("fraud")).status === 200, "the endpoint serves again");
  });

  it("shows the endpoint's versions and live split on the admin port", async () => {
    const body = (await (await fetch(`${router.adminUrl}/endpoints`)).json()) as { endpoints: EndpointStatus[] };
    const ep = body.endpoints.find((e) => e.name === "fraud")!;
    expect(ep.versions.map((v) => [v.version, v.livePercent])).toEqual([
      ["blue", 80],
      ["green", 20],
      ["canary", 0],
    ]);
    expect(ep.versions[0].readyReplicas).toBe(1);
  });
});
