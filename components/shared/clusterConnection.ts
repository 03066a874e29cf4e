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
  readonly clusterId: pulumi.Input<string>;
  /** Name of the managed cluster. */
  readonly clusterName: pulumi.Input<string>;
  /** Resource group holding the platform's own resources (ACR, storage, identities). */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Azure region of the platform's own resources. */
  readonly location: pulumi.Input<string>;
  /** Azure ML `cluster_purpose` of the cluster; decides HA defaults (e.g. one router replica on DevTest). */
  readonly clusterPurpose: pulumi.Input<ClusterPurpose>;
  /** OIDC issuer URL of the cluster (workload identity federation). */
  readonly oidcIssuerUrl: pulumi.Input<string>;
  /** ARM id of the cluster's container registry. */
  readonly acrId: pulumi.Input<string>;
  /** Name of the cluster's container registry. */
  readonly acrName: pulumi.Input<string>;
  /** e.g. `myacr.azurecr.io`. */
  readonly acrLoginServer: pulumi.Input<string>;
  /** ARM id of the storage account holding model files. */
  readonly storageAccountId: pulumi.Input<string>;
  /** Name of the storage account holding model files. */
  readonly storageAccountName: pulumi.Input<string>;
  /** e.g. `https://acct.blob.core.windows.net/`. */
  readonly storageBlobEndpoint: pulumi.Input<string>;
  /** Blob container holding model files. */
  readonly modelContainerName: pulumi.Input<string>;
  /**
   * Blob container the router writes captured model data to, in the same account; the
   * router's identity may write there only. @default "modeldata"
   */
  readonly modelDataContainerName?: pulumi.Input<string>;
  /** Azure ML `load_balancer_type` of the router: public IP or internal load balancer. */
  readonly loadBalancerType: pulumi.Input<LoadBalancerType>;
  /** Subnet name for the internal load balancer. */
  readonly loadBalancerSubnet?: pulumi.Input<string>;
  /** TLS: CNAME the certificate is for (with sslCertPem and sslKeyPem). */
  readonly sslCname?: pulumi.Input<string>;
  /** TLS certificate PEM (secret). */
  readonly sslCertPem?: pulumi.Input<string>;
  /** TLS private key PEM (secret). */
  readonly sslKeyPem?: pulumi.Input<string>;
  /**
   * The Azure DNS label of the router's public IP (AksInferenceCluster: the leaf domain
   * label with its random suffix), giving `<label>.<region>.cloudapp.azure.com`.
   */
  readonly leafDomainLabel?: pulumi.Input<string>;
  /** The host name that label gives, `<label>.<region>.cloudapp.azure.com` (with `leafCertificateIssuer`). */
  readonly leafDomainFqdn?: pulumi.Input<string>;
  /**
   * A cert-manager ClusterIssuer that issues `leafDomainFqdn` with an ACME HTTP-01
   * challenge through an ingress solver (AksInferenceCluster's Let's Encrypt issuer).
   * With it the router serves HTTPS with that certificate, and answers the challenges
   * on port 80. Exclusive with `sslCertPem`/`sslKeyPem`.
   */
  readonly leafCertificateIssuer?: pulumi.Input<string>;
}
