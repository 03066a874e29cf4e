/**
 * Lease leader election against test/router/backends/fakeKubeApi.ts: a FAKE
 * Kubernetes API server (real HTTP on loopback with resourceVersion/409 semantics,
 * granting exactly the Roles AzuremlFe creates, so the Lease is only reachable by its
 * real name). It is the one test double in the router tests, because no real API
 * server can run here. A "crash" is simulated by partitioning a pod's client from the
 * API. Every wait polls for its condition; time bounds are generous "eventually"s.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LeaseElection } from "../../../router/backends/kubernetes/leaseElection.js";
import { routerRoleGrants } from "../../../components/azuremlFe/rbacRules.js";
import { ROUTER_LEASE_NAME } from "../../../components/azuremlFe/names.js";
import { FakeKubeApi } from "./fakeKubeApi.js";

const DURATION_S = 2;
const RENEW_S = 0.4;
/** Each test elects in its own router namespace, so the tests share one API server without sharing a Lease. */
const NAMESPACES = { one: "lease-one", failover: "lease-failover", handover: "lease-handover" };

let api: FakeKubeApi;
const running: LeaseElection[] = [];
beforeAll(async () => {
  api = new FakeKubeApi(Object.values(NAMESPACES).flatMap((ns) => routerRoleGrants(ns, [])));
  await api.start();
});
afterAll(async () => api.stop());
afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
});

function candidate(identity: string, namespace: string): LeaseElection {
  const e = new LeaseElection(api.kubeConfig(identity), {
    namespace,
    leaseName: ROUTER_LEASE_NAME,
    identity,
    resolvePeer: (pod) => `http://${pod}.peers:9091`,
    leaseDurationSeconds: DURATION_S,
    renewSeconds: RENEW_S,
  });
  running.push(e);
  return e;
}

const lease = (namespace: string) => api.get("leases", namespace, ROUTER_LEASE_NAME);
const holderOf = (namespace: string) =>
  (lease(namespace)?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;

/** Polls until `cond` holds; fails after `withinMs` (a generous bound, not a measurement). */
async function eventually(cond: () => boolean, withinMs: number, what: string): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("LeaseElection", () => {
  it("elects exactly one leader; followers know its URL; the Lease records the holder", async () => {
    const ns = NAMESPACES.one;
    const pods = ["router-a", "router-b", "router-c"].map((p) => candidate(p, ns));
    await Promise.all(pods.map((p) => p.start()));
    // Every follower has read the holder at least once.
    await eventually(
      () => pods.filter((p) => p.isLeader()).length === 1 && pods.every((p) => p.leaderName() === holderOf(ns)),
      10_000,
      "one leader, known to all",
    );
    const spec = lease(ns)!.spec as { holderIdentity: string; leaseDurationSeconds: number; renewTime: string };
    expect(spec.leaseDurationSeconds).toBe(DURATION_S);
    expect(typeof spec.renewTime).toBe("string");
    const leader = pods.find((p) => p.isLeader())!;
    expect(spec.holderIdentity).toBe(leader.leaderName());
    for (const f of pods.filter((p) => p !== leader))
      expect(f.leaderUrl()).toBe(`http://${spec.holderIdentity}.peers:9091`);
    expect(leader.leaderUrl()).toBeUndefined();
    // Renewals keep moving the resourceVersion without a change of holder.
    const rv = lease(ns)!.metadata.resourceVersion;
    await eventually(() => lease(ns)!.metadata.resourceVersion !== rv, 10_000, "a renewal");
    expect(holderOf(ns)).toBe(spec.holderIdentity);
    expect(pods.filter((p) => p.isLeader())).toEqual([leader]);
    expect(api.denied).toEqual([]);
  });

  it("a crashed leader is replaced, never with two leaders at once, and the old leader stands down first", async () => {
    const ns = NAMESPACES.failover;
    const a = candidate("pod-a", ns);
    await a.start();
    expect(a.isLeader()).toBe(true);
    const b = candidate("pod-b", ns);
    await b.start();
    expect(b.isLeader()).toBe(false);

    api.partition("pod-a");
    let both = 0;
    let aStoodDown = false;
    let aStoodDownBeforeBLed = false;
    await eventually(
      () => {
        if (a.isLeader() && b.isLeader()) both++;
        if (!a.isLeader()) aStoodDown = true;
        if (b.isLeader()) aStoodDownBeforeBLed ||= aStoodDown;
        return b.isLeader();
      },
      15_000,
      "pod-b takes over",
    );
    expect(both).toBe(0);
    // The old leader stands down at two thirds of the duration, before anyone may take over.
    expect(aStoodDownBeforeBLed).toBe(true);
    const spec = lease(ns)!.spec as { holderIdentity: string; leaseTransitions: number };
    expect(spec.holderIdentity).toBe("pod-b");
    expect(spec.leaseTransitions).toBe(1);

    // The old leader comes back as a follower.
    api.heal("pod-a");
    await eventually(() => a.leaderName() === "pod-b", 10_000, "pod-a follows pod-b");
    expect(a.isLeader()).toBe(false);
    expect(b.isLeader()).toBe(true);
  });

  it("hands the lease over on a graceful stop, without waiting out the lease duration", async () => {
    const ns = NAMESPACES.handover;
    const a = candidate("pod-x", ns);
    await a.start();
    const b = candidate("pod-y", ns);
    await b.start();
    expect(a.isLeader()).toBe(true);
    // pod-y is held off the API while pod-x stops, so the released record can be read as pod-x left it.
    api.partition("pod-y");
    await a.stop();
    running.splice(running.indexOf(a), 1);
    // Released: the holder is cleared and the duration shortened to 1 s, so pod-y need not wait out the 2 s lease.
    const released = lease(ns)!.spec as { holderIdentity?: string; leaseDurationSeconds: number };
    expect(released.holderIdentity).toBeUndefined();
    expect(released.leaseDurationSeconds).toBe(1);
    api.heal("pod-y");
    await eventually(() => b.isLeader(), 10_000, "pod-y leads");
    expect(holderOf(ns)).toBe("pod-y");
  });
});
