/**
 * TLS arguments of AksInferenceCluster: Azure ML's `ssl_cname`/`ssl_cert_pem_file`/
 * `ssl_key_pem_file`, or a leaf domain with a certificate cert-manager issues.
 */
import type * as pulumi from "@pulumi/pulumi";

/** Let's Encrypt environment issuing the leaf domain certificate. */
export const AcmeEnvironment = {
  /** Trusted certificates; strict rate limits (5 duplicate certificates per week). */
  Production: "production",
  /** Untrusted test certificates with generous rate limits, for trying the path out. */
  Staging: "staging",
} as const;
export type AcmeEnvironment = (typeof AcmeEnvironment)[keyof typeof AcmeEnvironment];

export interface AksTlsArgs {
  /**
   * CNAME the certificate was issued for; with `sslCertPem` and `sslKeyPem` (all or none).
   * Azure ML: `enable_ssl(ssl_cname=...)`.
   */
  readonly sslCname?: pulumi.Input<string>;
  /** Certificate chain PEM (kept secret). Azure ML: `ssl_cert_pem_file` (the file's content here). */
  readonly sslCertPem?: pulumi.Input<string>;
  /** Private key PEM (kept secret). Azure ML: `ssl_key_pem_file` (the file's content here). */
  readonly sslKeyPem?: pulumi.Input<string>;
  /**
   * A generated endpoint name with a certificate, as Azure ML's: the router's public IP
   * gets the DNS label `<label><suffix>`, where the suffix is 6 random lowercase letters and
   * digits kept in state (stable across updates; a new label draws a new one), giving
   * `<label><suffix>.<region>.cloudapp.azure.com`, served over HTTPS with a Let's Encrypt
   * certificate that cert-manager issues and renews in the cluster (see `leafCertificate`).
   * 3-57 lowercase letters, digits and dashes, starting with a letter. Exclusive with the
   * certificate trio; not allowed with an internal load balancer or `egress.firewall`.
   * Azure ML: `leaf_domain_label`.
   */
  readonly leafDomainLabel?: pulumi.Input<string>;
  /** How the leaf domain's certificate is issued (with `leafDomainLabel` only). */
  readonly leafCertificate?: AksLeafCertificateArgs;
}

/**
 * The ACME certificate of the leaf domain. Azure ML issues a Microsoft certificate; aksml
 * has cert-manager obtain one from Let's Encrypt with an HTTP-01 challenge the router
 * answers on port 80 of its public IP, and renew it once two thirds of its lifetime
 * have passed (30 days before a 90-day certificate expires).
 */
export interface AksLeafCertificateArgs {
  /**
   * Contact email of the ACME account, for notices about the account and its
   * certificates. No Azure ML equivalent.
   * @default none (an account without a contact)
   */
  readonly email?: pulumi.Input<string>;
  /**
   * Let's Encrypt environment: "production" (trusted) or "staging" (untrusted, generous
   * rate limits, for a first try). Switching reissues the certificate.
   * @default "production"
   */
  readonly acmeEnvironment?: pulumi.Input<AcmeEnvironment>;
  /**
   * Install cert-manager (the jetstack/cert-manager Helm chart, pinned, CRDs included) in
   * the `cert-manager` namespace. Set false when the cluster already runs cert-manager
   * (v1.15 or later, with its CRDs); a plain boolean.
   * @default true
   */
  readonly installCertManager?: pulumi.Input<boolean>;
}
