/** The arg shapes of the connection types several components take (see argShape.ts). */
import type { ArgShape } from "./argShape.js";
import type { ClusterConnectionArgs } from "./clusterConnection.js";
import type { RouterConnectionArgs } from "./routerConnection.js";

export const CLUSTER_CONNECTION_SHAPE = {
  clusterId: "string",
  clusterName: "string",
  resourceGroupName: "string",
  location: "string",
  clusterPurpose: "string",
  oidcIssuerUrl: "string",
  acrId: "string",
  acrName: "string",
  acrLoginServer: "string",
  storageAccountId: "string",
  storageAccountName: "string",
  storageBlobEndpoint: "string",
  modelContainerName: "string",
  modelDataContainerName: "string",
  loadBalancerType: "string",
  loadBalancerSubnet: "string",
  sslCname: "string",
  sslCertPem: "string",
  sslKeyPem: "string",
  leafDomainLabel: "string",
  leafDomainFqdn: "string",
  leafCertificateIssuer: "string",
} as const satisfies ArgShape<ClusterConnectionArgs>;

export const ROUTER_CONNECTION_SHAPE = {
  endpoint: "string",
  image: "string",
  namespace: "string",
  serviceNamespaces: "stringList",
  appInsightsConnectionString: "string",
} as const satisfies ArgShape<RouterConnectionArgs>;

export const REGISTRY_CREDENTIALS_SHAPE = { username: "string", password: "string" } as const;
