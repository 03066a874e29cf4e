/**
 * Router pods find each other through the headless peers Service: its
 * EndpointSlices list every router pod (targetRef.name = pod name) and address.
 */
import { DiscoveryV1Api, type KubeConfig, type V1EndpointSlice } from "@kubernetes/client-node";
import { ROUTER_ADMIN_PORT } from "../../contract/routerEnvironment.js";
import type { Log } from "../../log.js";
import { startInformer, type RestartingInformer } from "./informers.js";

export class PeerDirectory {
  private informer?: RestartingInformer<V1EndpointSlice>;
  private stopInformer?: () => Promise<void>;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly peersService: string,
    private readonly log?: Log,
    private readonly restartDelayMs?: number,
  ) {}

  async start(): Promise<void> {
    const api = this.kc.makeApiClient(DiscoveryV1Api);
    const labelSelector = `kubernetes.io/service-name=${this.peersService}`;
    const path = `/apis/discovery.k8s.io/v1/namespaces/${this.namespace}/endpointslices`;
    const { informer, synced, stop } = startInformer<V1EndpointSlice>(
      this.kc,
      path,
      () => api.listNamespacedEndpointSlice({ namespace: this.namespace, labelSelector }),
      () => undefined,
      { labelSelector, log: this.log, restartDelayMs: this.restartDelayMs },
    );
    this.informer = informer;
    this.stopInformer = stop;
    await synced;
  }

  async stop(): Promise<void> {
    await this.stopInformer?.();
  }

  /** Every known router pod: name -> admin base URL. Not-ready pods are included: a leader that is draining still takes reports. */
  peers(): Map<string, string> {
    const out = new Map<string, string>();
    for (const slice of this.informer?.list(this.namespace) ?? []) {
      // The admin port (metrics and the peer load endpoint); the contract's when the slice names none.
      const port =
        slice.ports?.find((p) => p.name === "admin" || p.port === ROUTER_ADMIN_PORT)?.port ?? ROUTER_ADMIN_PORT;
      for (const ep of slice.endpoints ?? []) {
        const name = ep.targetRef?.name;
        const address = ep.addresses[0];
        if (!name || !address) continue;
        out.set(name, `http://${slice.addressType === "IPv6" ? `[${address}]` : address}:${port}`);
      }
    }
    return out;
  }

  urlOf(podName: string): string | undefined {
    return this.peers().get(podName);
  }
}
