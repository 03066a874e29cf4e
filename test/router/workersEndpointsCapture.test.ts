/**
 * Endpoints and model data capture in a router with 2 data-path worker threads (real
 * threads sharing the data port with SO_REUSEPORT, every request on a connection of its
 * own so the kernel spreads them, real replicas on loopback):
 * - an 80/20 endpoint split holds in aggregate (each worker's smooth weighted choice is
 *   exact, so the pod's is within one pick per worker), counted at the replicas, in the
 *   summed metrics and on the admin port's /endpoints;
 * - a rollout decision is taken on the versions' counts summed over the workers: the
 *   rollback's reason names the requests of both workers;
 * - capture writes every record exactly once, each worker to its own files, and each
 *   worker flushes what it holds when the router stops, or when it alone is retired (an
 *   in-place CPU resize with `workers: "auto"`; the CPU limit is the test's own reading,
 *   as this machine's cgroup quota cannot be changed from a test).
 *
 * Each test checks that more than one worker served its requests, so none passes on one
 * worker by luck.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { availableParallelism } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { echo, replicasClosedAfterEach } from "./helpers/upstream.js";
import { startTestRouter, type TestRouter } from "./helpers/router.js";
import { until } from "./helpers/poll.js";
import { metricValue, requestsByWorker, sendFresh } from "./helpers/workerLoad.js";
import type { CapturedLine } from "./helpers/modelData.js";
import type { EndpointStatus } from "../../router/endpoints/endpointStatus.js";
import { RolloutController } from "../../router/endpoints/rolloutController.js";
import type { VersionStatsSource } from "../../router/endpoints/versionStats.js";
import { DirectoryCaptureSink } from "../../router/capture/sinks.js";

const WORKERS = 2;
const OPEN = { auth: { mode: "none" }, maxConcurrentRequestsPerContainer: 16 };
const SCORE = (name: string) => `/api/v1/service/${name}/score`;

const replica = replicasClosedAfterEach();
let router: TestRouter | undefined;
afterEach(async () => {
  await router?.stop();
  router = undefined;
});

/** `clients` loops each sending `perClient` requests, each on a fresh connection; the statuses. */
async function load(url: string, path: string, clients: number, perClient: number, body?: (i: number) => string) {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < perClient; i++) statuses.push((await sendFresh(url, path, {}, body?.(next++))).status);
    }),
  );
  return statuses;
}

async function workersUsed(adminUrl: string): Promise<number> {
  return [...(await requestsByWorker(adminUrl)).values()].filter((n) => n > 0).length;
}

const versions = [
  { version: "blue", service: "svc-blue", isDefault: true, isControlVersion: true, trafficPercentile: 80 },
  { version: "green", service: "svc-green", trafficPercentile: 20 },
];

describe("endpoints over 2 workers", () => {
  it("splits an endpoint 80/20 over the pod: each worker exactly, the pod within one pick per worker", async () => {
    const blue = await replica("blue-0");
    const green = await replica("green-0");
    router = await startTestRouter(
      [
        { name: "svc-blue", config: OPEN, replicas: [blue.endpoint] },
        { name: "svc-green", config: OPEN, replicas: [green.endpoint] },
      ],
      { workers: WORKERS },
      [{ name: "split", config: { auth: { mode: "none" }, versions } }],
    );
    const n = 1000;
    const statuses = await load(router.dataUrl, SCORE("split"), 8, n / 8);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(await workersUsed(router.adminUrl)).toBe(WORKERS);
    expect(blue.hits + green.hits).toBe(n);
    expect(Math.abs(green.hits - n * 0.2)).toBeLessThanOrEqual(WORKERS);
    // The scrape sums every worker's endpoint counters.
    const counted = (version: string) =>
      metricValue(
        router!.adminUrl,
        "aksml_router_endpoint_requests_total",
        `endpoint="split",version="${version}",code="200"`,
      );
    expect([await counted("blue"), await counted("green")]).toEqual([blue.hits, green.hits]);
    // The main thread's catalog shows the split in force.
    const status = (await (await fetch(`${router.adminUrl}/endpoints`)).json()) as { endpoints: EndpointStatus[] };
    expect(status.endpoints[0]!.versions.map((v) => [v.version, v.livePercent])).toEqual([
      ["blue", 80],
      ["green", 20],
    ]);
  });

  it("takes a rollout decision on the versions' counts summed over the workers", async () => {
    let greenFails = false;
    const blue = await replica("blue-0");
    const green = await replica("green-0", (req, res, body) => {
      if (!greenFails) return echo(req, res, body);
      res.writeHead(500, { "content-type": "application/json" });
      res.end('{"error":"broken model"}');
    });
    // The router's own loop never ticks within the test: the test's controller checks when told.
    router = await startTestRouter(
      [
        { name: "svc-blue", config: OPEN, replicas: [blue.endpoint] },
        { name: "svc-green", config: OPEN, replicas: [green.endpoint] },
      ],
      { workers: WORKERS, rolloutCheckIntervalMs: 3_600_000 },
      [
        {
          name: "canary",
          config: {
            auth: { mode: "none" },
            versions: versions.map(({ trafficPercentile: _, ...v }) => v),
            rollout: { version: "green", steps: [50, 100], intervalSeconds: 3600, minRequests: 20 },
          },
        },
      ],
      { rollouts: true },
    );
    const store = router.backend.rollouts!;
    let refreshes = 0;
    const summed = router.versionStats;
    const stats: VersionStatsSource = {
      versionCounters: (e, v) => summed.versionCounters(e, v),
      refresh: async () => {
        await summed.refresh?.();
        refreshes++;
      },
    };
    const controller = new RolloutController({ endpoints: router.registry.endpoints, stats, store });
    const check = async () => {
      const before = refreshes;
      controller.tick();
      // The check runs right after the workers' counts are read.
      await until(() => refreshes > before, "the workers' counts were read");
    };
    await check();
    await until(() => store.states.get("canary")?.phase === "progressing", "the rollout started");
    expect(store.states.get("canary")!.weights).toEqual({ blue: 50, green: 50 });
    await check(); // the step's window starts here

    greenFails = true;
    const n = 200;
    const statuses = await load(router.dataUrl, SCORE("canary"), 8, n / 8);
    expect(statuses.filter((s) => s === 500)).toHaveLength(green.hits);
    expect(Math.abs(green.hits - n / 2)).toBeLessThanOrEqual(WORKERS);
    const perWorker = (await router.workerPool!.versionReadings())
      .slice(0, WORKERS)
      .map((r) => r.find((x) => x.endpoint === "canary" && x.version === "green")?.counters.requests ?? 0);
    expect(perWorker.filter((x) => x > 0)).toHaveLength(WORKERS);
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(green.hits);

    await check();
    await until(() => store.states.get("canary")?.phase === "rolledBack", "the rollout was rolled back");
    const reason = store.states.get("canary")!.history.at(-1)!.reason;
    // Judged on both workers' requests: more than either worker served.
    expect(reason).toContain(`error rate of green 100.0 % (${green.hits} of ${green.hits})`);
    expect(green.hits).toBeGreaterThan(Math.max(...perWorker));
    await controller.stop();
  });
});

describe("model data capture over 2 workers", () => {
  it("writes every record once, each worker to its own files, flushed by each worker when the router stops", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aksml-workers-capture-"));
    try {
      const scorer = await replica("echo-0");
      router = await startTestRouter(
        [
          {
            name: "captured",
            config: { ...OPEN, collectModelData: true, models: [{ name: "echo", version: 1 }], dataCollection: {} },
            replicas: [scorer.endpoint],
          },
        ],
        {
          workers: WORKERS,
          // Nothing is written before the stop: every record on disk was flushed by its worker's drain.
          capture: { sink: new DirectoryCaptureSink(dir), podName: "pod", flushIntervalMs: 600_000 },
        },
      );
      const n = 300;
      const statuses = await load(router.dataUrl, SCORE("captured"), 6, n / 6, (i) => JSON.stringify({ id: i }));
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(await workersUsed(router.adminUrl)).toBe(WORKERS);
      // Both workers' buffers, summed into the one scrape; nothing written yet.
      expect(await metricValue(router.adminUrl, "aksml_router_capture_buffer_bytes")).toBeGreaterThan(0);
      expect(await metricValue(router.adminUrl, "aksml_router_capture_records_total", 'service="captured"')).toBe(0);
      await router.stop();
      router = undefined;

      const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile() && e.parentPath.includes("/inputs/"))
        .map((e) => join(e.parentPath, e.name));
      const writers = new Set(files.map((f) => /(pod-w\d+-[0-9a-f]{6})-\d+\.jsonl$/.exec(f)![1]));
      expect(writers.size).toBe(WORKERS);
      const ids: number[] = [];
      for (const f of files)
        for (const line of (await readFile(f, "utf8")).split("\n").filter(Boolean))
          ids.push(((JSON.parse(line) as CapturedLine).input!.json as { id: number }).id);
      expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it.runIf(availableParallelism() >= 2)(
    "a retired worker writes what it captured before it ends; its counts stay in the scrape",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "aksml-retire-capture-"));
      try {
        const scorer = await replica("echo-0");
        let limit = 2;
        router = await startTestRouter(
          [
            {
              name: "captured",
              config: { ...OPEN, collectModelData: true, models: [{ name: "echo", version: 1 }], dataCollection: {} },
              replicas: [scorer.endpoint],
            },
          ],
          {
            workers: "auto",
            cpuLimit: { read: () => limit, pollMs: 50 },
            capture: { sink: new DirectoryCaptureSink(dir), podName: "pod", flushIntervalMs: 600_000 },
          },
        );
        const pool = router.workerPool!;
        await until(() => pool.workers === 2 && pool.threadIds().every((t) => t !== undefined), "two workers");
        const n = 120;
        expect(await load(router.dataUrl, SCORE("captured"), 6, n / 6, (i) => JSON.stringify({ id: i }))).toEqual(
          Array(n).fill(200),
        );
        const byWorker = await requestsByWorker(router.adminUrl);
        expect(byWorker.get("1")).toBeGreaterThan(0);

        // One core left: worker 1 drains, writes its buffer, and ends; worker 0 still holds its own.
        limit = 1;
        await until(
          () => /"from":2,"to":1,[^\n]*"data-path workers resized"/.test(router!.logText()),
          "worker 1 retired",
        );
        const inputs = async () =>
          (await readdir(dir, { recursive: true, withFileTypes: true }))
            .filter((e) => e.isFile() && e.parentPath.includes("/inputs/"))
            .map((e) => join(e.parentPath, e.name));
        const lines = async (files: string[]) =>
          (await Promise.all(files.map((f) => readFile(f, "utf8")))).flatMap((t) => t.split("\n").filter(Boolean));
        const retiredFiles = await inputs();
        expect(new Set(retiredFiles.map((f) => /(pod-w\d+-[0-9a-f]{6})-\d+\.jsonl$/.exec(f)![1])).size).toBe(1);
        expect(await lines(retiredFiles)).toHaveLength(byWorker.get("1")!);
        expect(await metricValue(router.adminUrl, "aksml_router_capture_records_total", 'service="captured"')).toBe(
          byWorker.get("1"),
        );

        await router.stop();
        router = undefined;
        const ids = (await lines(await inputs())).map(
          (l) => ((JSON.parse(l) as CapturedLine).input!.json as { id: number }).id,
        );
        expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
