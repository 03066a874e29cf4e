/**
 * A stand-in for what runs the router Deployment in a cluster, because none runs here:
 * the Deployment and ReplicaSet controllers (a rolling update with maxSurge 1 and
 * maxUnavailable 0, AzuremlFe's strategy), the LimitRanger admission plugin (a new pod
 * gets the LimitRange's container defaults), the kubelet (pods are REAL router processes,
 * test/router/fixtures/routerProcess.ts; a terminating pod gets its preStop delay, then
 * SIGTERM, and drains) and kube-proxy (a TCP load balancer on loopback spreading new
 * connections over the ready, non-terminating pods). It reads and writes the objects of
 * the fake Kubernetes API (fakeKubeApi.ts) as those components would, so the router's
 * own code (routerPodCpu.ts) drives it exactly as it drives a cluster.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { startChildRouter, type ChildRouter } from "../helpers/childRouter.js";
import type { StaticService } from "../helpers/staticBackend.js";
import { cpuCoresOf, ROUTER_CONTAINER_NAME } from "../../../router/contract/routerSize.js";
import { ROUTER_LABELS, ROUTER_PEERS_SERVICE_NAME } from "../../../components/azuremlFe/names.js";
import type { FakeKubeApi } from "./fakeKubeApi.js";
import { DEPLOYMENT, NS } from "./routerSizeFixtures.js";

export interface SimPod {
  name: string;
  cores: number;
  router: ChildRouter;
  dataPort: number;
  terminating: boolean;
  /** Connections kube-proxy sent it. */
  connections: number;
}

/** kube-proxy's part: each new connection goes to the next ready endpoint; bytes are relayed as they come. */
class TcpBalancer {
  endpoints: SimPod[] = [];
  private next = 0;
  private readonly sockets = new Set<Socket>();
  readonly server: Server = createServer((client) => {
    const pod = this.endpoints.length ? this.endpoints[this.next++ % this.endpoints.length] : undefined;
    if (!pod) return void client.destroy();
    pod.connections++;
    const upstream = connect(pod.dataPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    }
    client.pipe(upstream);
    upstream.pipe(client);
    // A reset on one side resets the other, as a NATed connection would.
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });

  async listen(): Promise<number> {
    this.server.listen(0, "127.0.0.1");
    await new Promise((r) => this.server.once("listening", r));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

export interface RouterDeploymentSimOptions {
  services: StaticService[];
  /** The pods' preStop delay (AzuremlFe's is 5 s: endpoint removal reaching kube-proxy everywhere). */
  preStopMs: number;
  /** The router's drain after SIGTERM. */
  shutdownGraceMs: number;
}

export class RouterDeploymentSim {
  readonly pods = new Map<string, SimPod>();
  /** Every pod that was ever terminated, and how its process exited. */
  readonly exits = new Map<string, Promise<number | null>>();
  private readonly lb = new TcpBalancer();
  private seq = 0;
  private rolledFor = "";
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  private stopped = false;
  url = "";

  constructor(
    private readonly api: FakeKubeApi,
    private readonly o: RouterDeploymentSimOptions,
  ) {}

  /** Starts the Deployment's pods and then acts on every change of its pod template. */
  async start(): Promise<void> {
    this.url = `http://127.0.0.1:${await this.lb.listen()}`;
    const d = this.api.get("deployments", NS, DEPLOYMENT)!;
    this.rolledFor = JSON.stringify((d.spec as { template: unknown }).template);
    for (let i = 0; i < this.wanted(); i++) await this.startPod();
    this.report();
    this.timer = setInterval(() => {
      if (!this.busy && !this.stopped) this.busy = this.reconcile().finally(() => (this.busy = undefined));
    }, 50);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.busy;
    for (const p of this.pods.values()) p.router.proc.kill("SIGKILL");
    await this.lb.close();
  }

  /** The pods the peers Service lists (ready or not, terminating ones included, as EndpointSlices do). */
  podNames(): string[] {
    return [...this.pods.keys()];
  }

  private wanted(): number {
    return (this.api.get("deployments", NS, DEPLOYMENT)!.spec as { replicas: number }).replicas;
  }

  /** A rolling update when the template changed: one new pod up and ready, then one old pod out and draining. */
  private async reconcile(): Promise<void> {
    const d = this.api.get("deployments", NS, DEPLOYMENT)!;
    const template = JSON.stringify((d.spec as { template: unknown }).template);
    if (template === this.rolledFor) return;
    this.rolledFor = template;
    const old = [...this.pods.values()].filter((p) => !p.terminating);
    let updated = 0;
    this.report(updated);
    for (const pod of old) {
      await this.startPod();
      updated++;
      this.report(updated);
      this.terminate(pod);
      this.report(updated);
    }
    this.report();
  }

  /** LimitRanger, scheduler and kubelet: a pod at the LimitRange's size, running the router, ready. */
  private async startPod(): Promise<SimPod> {
    const lr = this.api.get("limitranges", NS, DEPLOYMENT)!;
    const item = (
      lr.spec as { limits: { type: string; default: Record<string, string>; defaultRequest: Record<string, string> }[] }
    ).limits.find((l) => l.type === "Container")!;
    const resources = { requests: { ...item.defaultRequest }, limits: { ...item.default } };
    const name = `${DEPLOYMENT}-${++this.seq}`;
    this.api.apply("pods", {
      metadata: { name, namespace: NS, labels: { ...ROUTER_LABELS } },
      spec: { containers: [{ name: ROUTER_CONTAINER_NAME, resources }] },
      status: { phase: "Running", containerStatuses: [{ name: ROUTER_CONTAINER_NAME, resources }] },
    });
    const router = await startChildRouter(this.o.services, {
      env: { ROUTER_GRACE_MS: String(this.o.shutdownGraceMs), AKSML_LOG_LEVEL: "warn" },
    });
    // The readiness probe: /readyz on the admin port.
    for (;;) {
      const ok = await fetch(`${router.adminUrl}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const pod: SimPod = {
      name,
      cores: cpuCoresOf(resources.limits.cpu)!,
      router,
      dataPort: Number(new URL(router.dataUrl).port),
      terminating: false,
      connections: 0,
    };
    this.pods.set(name, pod);
    this.publish();
    return pod;
  }

  /** Pod deletion: out of the endpoints at once, preStop, then SIGTERM; gone when the process exits. */
  private terminate(pod: SimPod): void {
    pod.terminating = true;
    const obj = this.api.get("pods", NS, pod.name)!;
    this.api.apply("pods", { ...obj, metadata: { ...obj.metadata, deletionTimestamp: new Date().toISOString() } });
    this.publish();
    setTimeout(() => pod.router.proc.kill("SIGTERM"), this.o.preStopMs);
    const exited = pod.router.exited.then((code) => {
      this.pods.delete(pod.name);
      this.api.delete("pods", NS, pod.name);
      this.publish();
      return code;
    });
    this.exits.set(pod.name, exited);
  }

  /** kube-proxy's endpoints and the peers Service's EndpointSlice. */
  private publish(): void {
    const pods = [...this.pods.values()];
    this.lb.endpoints = pods.filter((p) => !p.terminating);
    this.api.apply("endpointslices", {
      metadata: {
        name: `${ROUTER_PEERS_SERVICE_NAME}-sim`,
        namespace: NS,
        labels: { "kubernetes.io/service-name": ROUTER_PEERS_SERVICE_NAME },
      },
      addressType: "IPv4",
      endpoints: pods.map((p) => ({
        addresses: ["127.0.0.1"],
        conditions: { ready: !p.terminating, terminating: p.terminating },
        targetRef: { kind: "Pod", name: p.name },
      })),
    });
  }

  /** The Deployment controller's status: `updated` pods of the new template so far (all when omitted). */
  private report(updated?: number): void {
    const d = this.api.get("deployments", NS, DEPLOYMENT)!;
    const live = [...this.pods.values()].filter((p) => !p.terminating).length;
    this.api.apply("deployments", {
      ...d,
      status: {
        observedGeneration: d.metadata.generation,
        replicas: live,
        updatedReplicas: updated ?? live,
        readyReplicas: live,
        availableReplicas: live,
      },
    });
  }
}
