import * as dns from "@pulumi/azure-native/dns/index.js";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { MIN_PEER_SECRET_LENGTH } from "../../router/contract/routerEnvironment.js";
import { LoadBalancerType, type ClusterConnectionArgs } from "../shared/clusterConnection.js";
import type { RouterDnsRecordArgs } from "./args.js";
import { AZUREML_FE_DEFAULTS } from "./defaults.js";
import {
  AZURE_DNS_LABEL_ANNOTATION,
  AZURE_LB_INTERNAL_ANNOTATION,
  AZURE_LB_INTERNAL_SUBNET_ANNOTATION,
  ROUTER_ADMIN_PORT,
  ROUTER_LABELS,
  ROUTER_PEER_SECRET_NAME,
  ROUTER_PEERS_SERVICE_NAME,
  ROUTER_SERVICE_NAME,
  ROUTER_TLS_SECRET_NAME,
} from "./names.js";

/** Azure cloud-provider annotations for the router's load balancer. */
export function loadBalancerAnnotations(c: {
  loadBalancerType: LoadBalancerType;
  loadBalancerSubnet?: string;
  leafDomainLabel?: string;
}): Record<string, string> {
  const a: Record<string, string> = {};
  if (c.loadBalancerType === LoadBalancerType.InternalLoadBalancer) {
    a[AZURE_LB_INTERNAL_ANNOTATION] = "true";
    if (c.loadBalancerSubnet) a[AZURE_LB_INTERNAL_SUBNET_ANNOTATION] = c.loadBalancerSubnet;
  }
  if (c.leafDomainLabel) a[AZURE_DNS_LABEL_ANNOTATION] = c.leafDomainLabel;
  return a;
}

/**
 * The router's ports on its load balancer: 80->8080 without TLS; with TLS 443->8443,
 * plus 80->8080 for a leaf domain certificate (there 8080 answers only ACME HTTP-01
 * challenges). The admin port is never exposed.
 */
export function routerServicePorts(tlsEnabled: boolean, acmePort: boolean): k8s.types.input.core.v1.ServicePort[] {
  if (!tlsEnabled) return [{ name: "http", port: 80, targetPort: "http" }];
  const https = { name: "https", port: 443, targetPort: "https" };
  return acmePort ? [https, { name: "acme-http01", port: 80, targetPort: "http" }] : [https];
}

/** The public (or internal) entry point, on {@link routerServicePorts}. */
export function createRouterService(
  name: string,
  namespace: pulumi.Input<string>,
  cluster: ClusterConnectionArgs,
  tlsEnabled: boolean,
  acmePort: boolean,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Service {
  const annotations = pulumi
    .all([cluster.loadBalancerType, cluster.loadBalancerSubnet, cluster.leafDomainLabel])
    .apply(([loadBalancerType, loadBalancerSubnet, leafDomainLabel]) =>
      loadBalancerAnnotations({ loadBalancerType, loadBalancerSubnet, leafDomainLabel }),
    );
  const ports = routerServicePorts(tlsEnabled, acmePort);
  return new k8s.core.v1.Service(
    `${name}-service`,
    {
      metadata: { name: ROUTER_SERVICE_NAME, namespace, labels: { ...ROUTER_LABELS }, annotations },
      spec: { type: "LoadBalancer", selector: { ...ROUTER_LABELS }, ports },
    },
    opts,
  );
}

/** Headless Service through which router pods find each other (peer load reports on the admin port). */
export function createPeersService(
  name: string,
  namespace: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Service {
  return new k8s.core.v1.Service(
    `${name}-peers`,
    {
      metadata: { name: ROUTER_PEERS_SERVICE_NAME, namespace, labels: { ...ROUTER_LABELS } },
      spec: {
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: { ...ROUTER_LABELS },
        ports: [{ name: "admin", port: ROUTER_ADMIN_PORT, targetPort: "admin" }],
      },
    },
    opts,
  );
}

/** The TLS Secret from the cluster's certificate and key; both stay secret. */
export function createTlsSecret(
  name: string,
  namespace: pulumi.Input<string>,
  cluster: ClusterConnectionArgs,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    `${name}-tls`,
    {
      metadata: { name: ROUTER_TLS_SECRET_NAME, namespace, labels: { ...ROUTER_LABELS } },
      type: "kubernetes.io/tls",
      stringData: { "tls.crt": pulumi.secret(cluster.sslCertPem!), "tls.key": pulumi.secret(cluster.sslKeyPem!) },
    },
    opts,
  );
}

/** The key of the peer secret in its Secret (the file name where router pods see it). */
export const PEER_SECRET_KEY = "secret";

/**
 * The secret router pods share on the peer load endpoint: random, stored in the router
 * namespace (which holds no model pods), mounted into router pods only, and never in
 * an environment variable.
 */
export function createPeerSecret(
  name: string,
  namespace: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  const value = new random.RandomPassword(
    `${name}-peer-secret-value`,
    { length: Math.max(48, MIN_PEER_SECRET_LENGTH), special: false },
    { parent: opts.parent },
  );
  return new k8s.core.v1.Secret(
    `${name}-peer-secret`,
    {
      metadata: { name: ROUTER_PEER_SECRET_NAME, namespace, labels: { ...ROUTER_LABELS } },
      type: "Opaque",
      stringData: { [PEER_SECRET_KEY]: pulumi.secret(value.result) },
    },
    opts,
  );
}

/** An A record in an existing Azure DNS zone pointing at the router's IP. */
export function createDnsRecord(
  name: string,
  record: RouterDnsRecordArgs,
  ip: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): dns.RecordSet {
  return new dns.RecordSet(
    `${name}-dns`,
    {
      resourceGroupName: record.resourceGroupName,
      zoneName: record.zoneName,
      relativeRecordSetName: record.relativeRecordSetName,
      recordType: "A",
      ttl: record.ttl ?? AZUREML_FE_DEFAULTS.dnsTtl,
      aRecords: [{ ipv4Address: ip }],
    },
    opts,
  );
}
