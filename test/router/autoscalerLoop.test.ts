/**
 * The autoscaler loop with an injected clock: when it samples, when it calls the
 * backend, leader/follower behaviour, peer load aggregation and staleness, and the
 * peer load endpoint's validation (over a real loopback socket).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { Autoscaler, type ScalingDecision } from "../../router/autoscaler/autoscaler.js";
import {
  PeerLoadBoard,
  handlePeerLoadRequest,
  parsePeerLoadReport,
  sendPeerLoadReport,
} from "../../router/autoscaler/peerLoads.js";
import {
  PEER_LOAD_PATH,
  type LeaderElection,
  type PeerLoadReport,
  type ServiceLoad,
  type ServiceSnapshot,
} from "../../router/contract/backend.js";
import { parseServiceConfig } from "../../router/contract/serviceConfig.js";

function snapshot(name: string, currentReplicas: number, autoscale: object = {}, extra: object = {}): ServiceSnapshot {
  const r = parseServiceConfig(name, {
    autoscale: { minReplicas: 1, maxReplicas: 10, scaleDownDelaySeconds: 5, ...autoscale },
    ...extra,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { name, config: r.config, replicas: [], currentReplicas };
}

class Harness {
  t = 0;
  services = new Map<string, ServiceSnapshot>();
  load = new Map<string, ServiceLoad>();
  scaled: Array<{ service: string; replicas: number }> = [];
  decisions: ScalingDecision[] = [];
  desired = new Map<string, number>();
  failScale = false;
  leader = true;
  reports: Array<{ url: string; report: PeerLoadReport }> = [];
  readonly board = new PeerLoadBoard({ isService: (n) => this.services.has(n), maxAgeMs: 3000, now: () => this.t });
  readonly election: LeaderElection = {
    isLeader: () => this.leader,
    leaderUrl: () => (this.leader ? undefined : "http://leader:9091"),
    start: async () => undefined,
    stop: async () => undefined,
  };
  readonly autoscaler = new Autoscaler({
    services: () => [...this.services.values()],
    load: { localLoad: () => [...this.load.values()] },
    backend: {
      scale: async (service, replicas) => {
        if (this.failScale) throw new Error("api down");
        this.scaled.push({ service, replicas });
        // The backend's watch reports the new count.
        const s = this.services.get(service)!;
        this.services.set(service, { ...s, currentReplicas: replicas });
      },
    },
    election: this.election,
    peers: this.board,
    peerName: "me",
    now: () => this.t,
    onDecision: (d) => this.decisions.push(d),
    metrics: { setDesiredReplicas: (s, n) => this.desired.set(s, n), recordScalingDecision: () => undefined },
    sendReport: async (url, report) => {
      this.reports.push({ url, report });
    },
  });

  /** Advances the clock in 100 ms steps, ticking the loop each step. */
  async run(ms: number): Promise<void> {
    for (let end = this.t + ms; this.t < end; ) {
      this.t += 100;
      this.autoscaler.tick();
      await new Promise((r) => setImmediate(r));
    }
  }
}

describe("Autoscaler loop", () => {
  it("samples once per refreshSeconds and scales up on the first tick that sees the step", async () => {
    const h = new Harness();
    h.services.set("a", snapshot("a", 1));
    await h.run(3000);
    expect(h.scaled).toEqual([]);
    expect(h.desired.get("a")).toBe(1);
    h.load.set("a", { service: "a", inFlight: 4, queued: 2 });
    const stepAt = h.t;
    await h.run(1000);
    expect(h.scaled).toEqual([{ service: "a", replicas: 9 }]); // ceil(6 / 0.7)
    expect(h.decisions[0]!.at - stepAt).toBeLessThanOrEqual(1000);
    expect(h.decisions[0]).toMatchObject({ from: 1, to: 9, reason: "up" });
  });

  it("a sample is the peak of the refresh period, not the load at one instant", async () => {
    const h = new Harness();
    h.services.set("a", snapshot("a", 1));
    await h.run(1000);
    // Load comes and goes between two samples: it still counts.
    h.load.set("a", { service: "a", inFlight: 3, queued: 0 });
    await h.run(300);
    h.load.delete("a");
    await h.run(700);
    expect(h.scaled).toEqual([{ service: "a", replicas: 5 }]);
  });

  it("honours a slower refreshSeconds per service", async () => {
    const h = new Harness();
    h.services.set("slow", snapshot("slow", 1, { refreshSeconds: 5 }));
    await h.run(200); // first sample at t=100
    h.load.set("slow", { service: "slow", inFlight: 3, queued: 0 });
    await h.run(4000);
    expect(h.scaled).toEqual([]);
    await h.run(1000);
    expect(h.scaled).toEqual([{ service: "slow", replicas: 5 }]);
  });

  it("scales down only after the window, to the window's highest count", async () => {
    const h = new Harness();
    h.services.set("a", snapshot("a", 1));
    h.load.set("a", { service: "a", inFlight: 7, queued: 0 });
    await h.run(1000);
    expect(h.services.get("a")!.currentReplicas).toBe(10);
    h.load.set("a", { service: "a", inFlight: 2, queued: 0 });
    await h.run(4000);
    expect(h.scaled).toHaveLength(1);
    await h.run(2500);
    expect(h.scaled.at(-1)).toEqual({ service: "a", replicas: 3 });
  });

  it("ignores services with autoscale off", async () => {
    const h = new Harness();
    h.services.set("fixed", snapshot("fixed", 2, { enabled: false }, { numReplicas: 2 }));
    h.load.set("fixed", { service: "fixed", inFlight: 50, queued: 50 });
    await h.run(3000);
    expect(h.scaled).toEqual([]);
  });

  it("retries a failed scale request after a short delay, not on every tick", async () => {
    const h = new Harness();
    h.services.set("a", snapshot("a", 1));
    h.load.set("a", { service: "a", inFlight: 2, queued: 0 });
    h.failScale = true;
    await h.run(1000);
    expect(h.decisions).toHaveLength(1);
    await h.run(1000);
    expect(h.decisions).toHaveLength(1); // still inside the retry delay
    h.failScale = false;
    await h.run(1500);
    expect(h.scaled).toEqual([{ service: "a", replicas: 3 }]);
    expect(h.decisions).toHaveLength(2);
  });

  it("repeats a request the backend has not applied after a while", async () => {
    const h = new Harness();
    h.services.set("a", snapshot("a", 1));
    h.load.set("a", { service: "a", inFlight: 2, queued: 0 });
    // A backend that accepts but never converges (e.g. someone keeps resetting the Deployment).
    const stuck = new Autoscaler({
      services: () => [h.services.get("a")!],
      load: { localLoad: () => [...h.load.values()] },
      backend: { scale: async (service, replicas) => void h.scaled.push({ service, replicas }) },
      now: () => h.t,
    });
    for (let i = 0; i < 125; i++) {
      h.t += 100;
      stuck.tick();
      await new Promise((r) => setImmediate(r));
    }
    expect(h.scaled).toEqual([
      { service: "a", replicas: 3 },
      { service: "a", replicas: 3 },
    ]);
  });

  it("as a follower never scales and sends its load to the leader every tick", async () => {
    const h = new Harness();
    h.leader = false;
    h.services.set("a", snapshot("a", 1));
    h.load.set("a", { service: "a", inFlight: 9, queued: 9 });
    await h.run(3000);
    expect(h.scaled).toEqual([]);
    expect(h.reports.length).toBeGreaterThanOrEqual(2);
    expect(h.reports.length).toBeLessThanOrEqual(4);
    expect(h.reports[0]!.url).toBe("http://leader:9091");
    expect(h.reports[0]!.report).toMatchObject({ peer: "me", loads: [{ service: "a", inFlight: 9, queued: 9 }] });
  });

  it("as the leader adds fresh peer reports to its own load and ignores stale ones", async () => {
    const h = new Harness();
    h.services.set("a", snapshot("a", 1));
    h.load.set("a", { service: "a", inFlight: 1, queued: 0 });
    h.board.accept({ peer: "p1", sentAt: 1, loads: [{ service: "a", inFlight: 3, queued: 1 }] });
    h.board.accept({ peer: "p2", sentAt: 1, loads: [{ service: "a", inFlight: 2, queued: 0 }] });
    await h.run(1000);
    expect(h.scaled).toEqual([{ service: "a", replicas: 10 }]); // ceil(7 / 0.7)
    // Stale peers drop out of the sum.
    await h.run(4000);
    expect(h.board.peers()).toEqual([]);
    expect(h.board.freshLoads()).toEqual([]);
  });

  it("starts a fresh window when it becomes leader, so it cannot scale down on partial history", async () => {
    const h = new Harness();
    h.leader = false;
    h.services.set("a", snapshot("a", 6));
    await h.run(10_000);
    h.leader = true;
    await h.run(4000);
    expect(h.scaled).toEqual([]);
    await h.run(2000);
    expect(h.scaled).toEqual([{ service: "a", replicas: 1 }]);
  });
});

const SECRET = "s".repeat(48);

describe("peer load reports", () => {
  it("keeps the newest report per peer", () => {
    let now = 0;
    const board = new PeerLoadBoard({ isService: () => true, maxAgeMs: 3000, now: () => now });
    board.accept({ peer: "p", sentAt: 10, loads: [{ service: "a", inFlight: 5, queued: 0 }] });
    board.accept({ peer: "p", sentAt: 5, loads: [{ service: "a", inFlight: 1, queued: 0 }] });
    expect(board.freshLoads()).toEqual([{ service: "a", inFlight: 5, queued: 0 }]);
    now = 3001;
    expect(board.freshLoads()).toEqual([]);
  });

  it.each([
    null,
    [],
    { peer: "", sentAt: 1, loads: [] },
    { peer: "p", sentAt: "x", loads: [] },
    { peer: "p", sentAt: 1, loads: [{ service: "a", inFlight: -1, queued: 0 }] },
    { peer: "p", sentAt: 1, loads: [{ service: "a", inFlight: 1.5, queued: 0 }] },
  ])("rejects %j", (bad) => {
    expect(() => parsePeerLoadReport(bad)).toThrow();
  });

  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  it("the admin endpoint accepts a follower's report and refuses bad ones", async () => {
    const board = new PeerLoadBoard({ isService: (n) => n === "m" });
    server = createServer((req, res) => {
      if (!handlePeerLoadRequest(board, req, res, () => SECRET)) res.writeHead(404).end();
    });
    server.listen(0, "127.0.0.1");
    await new Promise((r) => server!.once("listening", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await sendPeerLoadReport(
      url,
      { peer: "router-b", sentAt: Date.now(), loads: [{ service: "m", inFlight: 2, queued: 1 }] },
      SECRET,
    );
    expect(board.freshLoads()).toEqual([{ service: "m", inFlight: 2, queued: 1 }]);
    const authorization = `Bearer ${SECRET}`;
    const post = (body: string) =>
      fetch(`${url}${PEER_LOAD_PATH}`, { method: "POST", body, headers: { authorization } });
    expect((await post("{not json")).status).toBe(400);
    expect((await fetch(`${url}${PEER_LOAD_PATH}`, { method: "GET" })).status).toBe(405);
    expect((await fetch(`${url}/other`, { method: "POST", body: "{}" })).status).toBe(404);
    // One byte over the 1 MiB limit, and exactly as many as declared: the endpoint has read
    // everything when it refuses, so its close cannot reset the connection before the answer arrives.
    const over = 1024 * 1024 + 1;
    const socket = connect(Number(new URL(url).port), "127.0.0.1");
    let answer = "";
    socket.setEncoding("latin1").on("data", (c: string) => (answer += c));
    socket.write(
      `POST ${PEER_LOAD_PATH} HTTP/1.1\r\nhost: leader\r\nauthorization: ${authorization}\r\ncontent-length: ${over}\r\n\r\n`,
    );
    socket.end(Buffer.alloc(over, 120));
    await once(socket, "close");
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
  });
});
