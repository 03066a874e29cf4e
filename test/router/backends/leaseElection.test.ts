/**
 * Lease leader election against test/router/backends/fakeKubeApi.ts: a FAKE
 * Kubernetes API server (real HTTP on loopback with resourceVersion/409 semantics).
 * It is the one test double in the router tests, because no real API server can
 * run here. A "crash" is simulated by partitioning a pod's client from the API.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LeaseElection } from "../../../router/backends/kubernetes/leaseElection.js";
import { FakeKubeApi } from "./fakeKubeApi.js";

const NS = "azureml";
const DURATION_S = 2;
const RENEW_S = 0.4;

let api: FakeKubeApi;
const running: LeaseElection[] = [];
beforeAll(async () => {
  api = new FakeKubeApi();
  await api.start();
});
afterAll(async () => api.stop());
afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
});

function candidate(identity: string, leaseName: string): LeaseElection {
  const e = new LeaseElection(api.kubeConfig(identity), {
    namespace: NS,
    leaseName,
    identity,
    resolvePeer: (pod) => `http://${pod}.peers:9091`,
    leaseDurationSeconds: DURATION_S,
    renewSeconds: RENEW_S,
  });
  running.push(e);
  return e;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("LeaseElection", () => {
  it("elects exactly one leader; followers know its URL; the Lease records the holder", async () => {
    const pods = ["router-a", "router-b", "router-c"].map((p) => candidate(p, "one"));
    await Promise.all(pods.map((p) => p.start()));
    await sleep(RENEW_S * 1000 * 3);
    const leaders = pods.filter((p) => p.isLeader());
    expect(leaders).toHaveLength(1);
    const lease = api.get("leases", NS, "one")!;
    const spec = lease.spec as { holderIdentity: string; leaseDurationSeconds: number; renewTime: string };
    expect(spec.leaseDurationSeconds).toBe(DURATION_S);
    expect(typeof spec.renewTime).toBe("string");
    const leader = pods.find((p) => p.isLeader())!;
    expect(spec.holderIdentity).toBe(leader.leaderName());
    for (const f of pods.filter((p) => p !== leader))
      expect(f.leaderUrl()).toBe(`http://${spec.holderIdentity}.peers:9091`);
    expect(leader.leaderUrl()).toBeUndefined();
    // Renewals keep moving the resourceVersion without a change of holder.
    const rv = lease.metadata.resourceVersion;
    await sleep(RENEW_S * 1000 * 2);
    expect(api.get("leases", NS, "one")!.metadata.resourceVersion).not.toBe(rv);
    expect((api.get("leases", NS, "one")!.spec as { holderIdentity: string }).holderIdentity).toBe(spec.holderIdentity);
  });

  it("a crashed leader is replaced within the lease duration (plus one renew period), never with two leaders at once", async () => {
    const a = candidate("pod-a", "failover");
    await a.start();
    expect(a.isLeader()).toBe(true);
    const b = candidate("pod-b", "failover");
    await b.start();
    expect(b.isLeader()).toBe(false);

    api.partition("pod-a");
    const cutAt = performance.now();
    let both = 0;
    let aStoppedAt: number | undefined;
    let bLeadsAt: number | undefined;
    while (performance.now() - cutAt < (DURATION_S * 2 + 2) * 1000 && bLeadsAt === undefined) {
      if (a.isLeader() && b.isLeader()) both++;
      if (!a.isLeader() && aStoppedAt === undefined) aStoppedAt = performance.now() - cutAt;
      if (b.isLeader()) bLeadsAt = performance.now() - cutAt;
      await sleep(20);
    }
    expect(both).toBe(0);
    expect(bLeadsAt, "pod-b took over").toBeDefined();
    console.log(
      `old leader stood down after ${aStoppedAt?.toFixed(0)} ms; new leader after ${bLeadsAt!.toFixed(0)} ms (lease ${DURATION_S} s, renew ${RENEW_S} s)`,
    );
    // The new leader needs the record unchanged for a whole duration by its own clock, measured from its last read.
    expect(bLeadsAt!).toBeLessThan((DURATION_S + 2 * RENEW_S) * 1000 + 500);
    // The old leader stands down at two thirds of the duration, well before the takeover.
    expect(aStoppedAt!).toBeLessThan(bLeadsAt! - 300);
    const lease = api.get("leases", NS, "failover")!.spec as { holderIdentity: string; leaseTransitions: number };
    expect(lease.holderIdentity).toBe("pod-b");
    expect(lease.leaseTransitions).toBe(1);

    // The old leader comes back as a follower.
    api.heal("pod-a");
    await sleep(RENEW_S * 1000 * 3);
    expect(a.isLeader()).toBe(false);
    expect(a.leaderName()).toBe("pod-b");
    expect(b.isLeader()).toBe(true);
  });

  it("hands the lease over at once on a graceful stop", async () => {
    const a = candidate("pod-x", "handover");
    await a.start();
    const b = candidate("pod-y", "handover");
    await b.start();
    expect(a.isLeader()).toBe(true);
    await a.stop();
    running.splice(running.indexOf(a), 1);
    const t0 = performance.now();
    while (!b.isLeader() && performance.now() - t0 < 5000) await sleep(20);
    expect(b.isLeader()).toBe(true);
    // Released leases expire in 1 s instead of the full duration.
    expect(performance.now() - t0).toBeLessThan(DURATION_S * 1000);
  });
});
