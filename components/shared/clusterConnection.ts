/**
 * What AksInferenceCluster hands to the components deployed on it (AzuremlFe,
 * ModelWebservice). A flat interface of Inputs rather than a resource reference,
 * so it stays expressible in every Pulumi language and can be filled by hand for a
 * cluster managed elsewhere.
 */
import type * as pulumi from "@pulumi/pulumi";

/** Azure ML `cluster_purpose`. */
export const ClusterPurpose = {
  DevTest: "DevTest",
  FastProd: "FastProd",
  DenseProd: "DenseProd",
} as const;
export type ClusterPurpose = (typeof ClusterPurpose)[keyof typeof ClusterPurpose];

/** Azure ML `load_balancer_type`. */
export const LoadBalancerType = {
  PublicIp: "PublicIp",
  InternalLoadBalancer: "InternalLoadBalancer",
} as const;
export type LoadBalancerType = (typeof LoadBalancerType)[keyof typeof LoadBalancerType];

export interface ClusterConnectionArgs {
  /** ARM id of the managed cluster (created or attached). */
  clusterId: pulumi.Input<string>;
  clusterName: pulumi.Input<string>;
  /** Resource group holding the platform's own resources (ACR, storage, identities). */
  resourceGroupName: pulumi.Input<string>;
  /** Azure region of the platform's own resources. */
  location: pulumi.Input<string>;
  clusterPurpose: pulumi.Input<ClusterPurpose>;
  /** OIDC issuer URL of the cluster (workload identity federation). */
  oidcIssuerUrl: pulumi.Input<string>;
  acrId: pulumi.Input<string>;
  acrName: pulumi.Input<string>;
  /** e.g. `myacr.azurecr.io`. */
  acrLoginServer: pulumi.Input<string>;
  storageAccountId: pulumi.Input<string>;
  storageAccountName: pulumi.Input<string>;
  /** e.g. `https://acct.blob.core.windows.net/`. */
  storageBlobEndpoint: pulumi.Input<string>;
  /** Blob container holding model files. */
  modelContainerName: pulumi.Input<string>;
  loadBalancerType: pulumi.Input<LoadBalancerType>;
  /** Subnet name for the internal load balancer. */
  loadBalancerSubnet?: pulumi.Input<string>;
  /** TLS: CNAME the certificate is for (with sslCertPem and sslKeyPem). */
  sslCname?: pulumi.Input<string>;
  /** TLS certificate PEM (secret). */
  sslCertPem?: pulumi.Input<string>;
  /** TLS private key PEM (secret). */
  sslKeyPem?: pulumi.Input<string>;
  /** TLS via an Azure DNS label on the public IP (`<label>.<region>.cloudapp.azure.com`). */
  leafDomainLabel?: pulumi.Input<string>;
}
