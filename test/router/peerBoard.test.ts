/**
 * The peer load board's bounds, with an injected clock: what any pod that reaches the
 * admin port could otherwise make a router hold. Reports about services the router
 * does not serve are dropped, the number of peers is capped, a report repeating a
 * service is refused, and stale reports are evicted on every router, leader or not.
 */
import { describe, expect, it } from "vitest";
import { Autoscaler } from "../../router/autoscaler/autoscaler.js";
import { hasPeerSecret, PeerBoardFullError, PeerLoadBoard } from "../../router/autoscaler/peerLoads.js";
import { parseServiceConfig } from "../../router/contract/serviceConfig.js";
import type { ServiceScalingView } from "../../router/contract/backend.js";

const known = new Set(["a", "b"]);
const board = (now: () => number, maxPeers?: number) =>
  new PeerLoadBoard({ isService: (n) => known.has(n), maxAgeMs: 3000, now, maxPeers });

describe("PeerLoadBoard bounds", () => {
  it("drops loads of services this router does not serve, however many a report names", () => {
    const b = board(() => 0);
    const made_up = Array.from({ length: 10_000 }, (_, i) => ({ service: `ghost-${i}`, inFlight: 1, queued: 1 }));
    b.accept({ peer: "router-b", sentAt: 1, loads: [...made_up, { service: "a", inFlight: 2, queued: 0 }] });
    expect(b.freshLoads()).toEqual([{ service: "a", inFlight: 2, queued: 0 }]);
  });

  it("holds at most maxPeers peers; a new peer is refused until a stale one is evicted", () => {
    let now = 0;
    const b = board(() => now, 3);
    for (const peer of ["p-1", "p-2", "p-3"]) b.accept({ peer, sentAt: 1, loads: [] });
    expect(() => b.accept({ peer: "p-4", sentAt: 1, loads: [] })).toThrow(PeerBoardFullError);
    // A known peer may still update its report.
    b.accept({ peer: "p-1", sentAt: 2, loads: [{ service: "a", inFlight: 1, queued: 0 }] });
    expect(b.size()).toBe(3);
    now = 3001;
    b.accept({ peer: "p-4", sentAt: 3, loads: [] });
    expect(b.peers()).toEqual(["p-4"]);
  });

  it("refuses a report naming a service twice (its load would count double) and peer names that are not pod names", () => {
    const b = board(() => 0);
    const twice = [
      { service: "a", inFlight: 5, queued: 0 },
      { service: "a", inFlight: 5, queued: 0 },
    ];
    expect(() => b.accept({ peer: "p", sentAt: 1, loads: twice })).toThrow(/repeats service "a"/);
    expect(() => b.accept({ peer: "P/../x", sentAt: 1, loads: [] })).toThrow(/pod name/);
    expect(() => b.accept({ peer: "x".repeat(254), sentAt: 1, loads: [] })).toThrow(/pod name/);
    expect(b.size()).toBe(0);
  });

  it("evicts stale reports on a follower too: its autoscaler ticks evict them", () => {
    let now = 0;
    const b = board(() => now);
    const config = parseServiceConfig("a", { autoscale: { minReplicas: 1, maxReplicas: 10 } });
    if (!config.ok) throw new Error("config");
    const services: ServiceScalingView[] = [{ name: "a", config: config.config, currentReplicas: 1 }];
    const follower = new Autoscaler({
      services: () => services,
      load: { localLoad: () => [] },
      backend: { scale: async () => undefined },
      election: { isLeader: () => false, leaderUrl: () => undefined, start: async () => {}, stop: async () => {} },
      peers: b,
      now: () => now,
    });
    for (let i = 0; i < 20; i++)
      b.accept({ peer: `p-${i}`, sentAt: 1, loads: [{ service: "a", inFlight: 1, queued: 0 }] });
    expect(b.size()).toBe(20);
    now = 3001;
    follower.tick();
    expect(b.size()).toBe(0);
  });
});

describe("peer secret check", () => {
  const secret = "s".repeat(48);
  it.each([
    [`Bearer ${secret}`, true],
    [`Bearer ${secret}x`, false],
    [`Bearer ${secret.slice(1)}`, false],
    [`bearer ${secret}`, false],
    [secret, false],
    ["Bearer ", false],
    [undefined, false],
  ])("%s -> %s", (header, ok) => {
    expect(hasPeerSecret(header, secret)).toBe(ok);
  });
});
