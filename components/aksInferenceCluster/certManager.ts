/**
 * cert-manager and the ACME ClusterIssuer of the leaf domain. AzuremlFe asks the issuer
 * for the router's certificate (a Certificate in the router namespace); cert-manager
 * then proves the name to Let's Encrypt with an HTTP-01 challenge and renews it.
 *
 * How the challenge reaches the solver: the issuer's HTTP-01 solver is of the `ingress`
 * kind, the one every cert-manager supports, but with an ingress class no controller
 * serves: the Ingress cert-manager creates for each challenge is inert. The router owns
 * the public IP and answers `http://<name>/.well-known/acme-challenge/<token>` itself, by
 * relaying to cert-manager's solver pod through a fixed Service that selects solver pods
 * (`acme.cert-manager.io/http01-solver: "true"`, AzuremlFe's `azureml-fe-acme-solver`).
 * DNS-01 is impossible here (cloudapp.azure.com is not our zone), and an ingress
 * controller would need a public IP of its own, which the generated name cannot follow.
 *
 * cert-manager is installed with `helm.v3.Release`: Helm then runs the chart as its
 * authors intend (CRDs from the chart's templates, kept on uninstall; the startupapicheck
 * hook; `--wait`), and the release plans offline as one resource whose chart, version
 * and values a test can read. `helm.v4.Chart` registers under Pulumi's mocks as one
 * opaque component, and `helm.v3.Chart` needs the chart rendered by the
 * `kubernetes:helm:template` invoke, which mocks cannot do.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PART_OF_LABEL, PART_OF_VALUE } from "../shared/conventions.js";
import { AcmeEnvironment } from "./args.js";
import type { ResolvedLeafCertificate } from "./defaults.js";

/** The cert-manager release installed, pinned. */
export const CERT_MANAGER_CHART = {
  chart: "cert-manager",
  version: "v1.20.2",
  repository: "https://charts.jetstack.io",
  namespace: "cert-manager",
} as const;

/** Let's Encrypt's ACME directories. */
export const ACME_DIRECTORIES: Record<AcmeEnvironment, string> = {
  [AcmeEnvironment.Production]: "https://acme-v02.api.letsencrypt.org/directory",
  [AcmeEnvironment.Staging]: "https://acme-staging-v02.api.letsencrypt.org/directory",
};

/**
 * The ClusterIssuer's name per environment: a switch changes the Certificate's issuer
 * reference, which makes cert-manager issue again from the other environment.
 */
export const LEAF_ISSUER_NAMES: Record<AcmeEnvironment, string> = {
  [AcmeEnvironment.Production]: "aksml-letsencrypt",
  [AcmeEnvironment.Staging]: "aksml-letsencrypt-staging",
};

/**
 * The ingress class of the solver's Ingresses. No controller serves it (and none must):
 * the router relays the challenge to the solver pods instead.
 */
export const ACME_INGRESS_CLASS = "aksml-acme-via-router";

/** cert-manager's chart values: CRDs installed with the chart and kept when it is uninstalled. */
export const CERT_MANAGER_VALUES = {
  crds: { enabled: true, keep: true },
  // Leader election in cert-manager's own namespace rather than kube-system.
  global: { leaderElection: { namespace: CERT_MANAGER_CHART.namespace } },
} as const;

/** The ClusterIssuer's spec: an ACME account at `server` and the router-relayed HTTP-01 solver. Pure. */
export function leafIssuerSpec(environment: AcmeEnvironment, email: string | undefined): Record<string, unknown> {
  return {
    acme: {
      server: ACME_DIRECTORIES[environment],
      ...(email ? { email } : {}),
      privateKeySecretRef: { name: `${LEAF_ISSUER_NAMES[environment]}-account-key` },
      solvers: [
        {
          http01: {
            ingress: {
              ingressClassName: ACME_INGRESS_CLASS,
              serviceType: "ClusterIP",
              podTemplate: {
                metadata: {
                  labels: { [PART_OF_LABEL]: PART_OF_VALUE, "app.kubernetes.io/component": "acme-http01-solver" },
                },
                spec: { nodeSelector: { "kubernetes.io/os": "linux" } },
              },
            },
          },
        },
      ],
    },
  };
}

export interface LeafIssuer {
  /** The ClusterIssuer's name, resolving once it exists (a Certificate naming it waits for it). */
  name: pulumi.Output<string>;
  /** The cert-manager release, when aksml installs it. */
  release?: k8s.helm.v3.Release;
  issuer: k8s.apiextensions.CustomResource;
}

/** Installs cert-manager (unless the cluster has one) and declares the leaf domain's ClusterIssuer. */
export function createLeafIssuer(
  name: string,
  cert: ResolvedLeafCertificate,
  opts: { parent: pulumi.Resource; provider: pulumi.ProviderResource },
): LeafIssuer {
  const release = cert.installCertManager
    ? new k8s.helm.v3.Release(
        `${name}-cert-manager`,
        {
          name: CERT_MANAGER_CHART.chart,
          chart: CERT_MANAGER_CHART.chart,
          version: CERT_MANAGER_CHART.version,
          repositoryOpts: { repo: CERT_MANAGER_CHART.repository },
          namespace: CERT_MANAGER_CHART.namespace,
          createNamespace: true,
          values: CERT_MANAGER_VALUES,
          // The webhook must answer before a ClusterIssuer can be admitted.
          skipAwait: false,
        },
        opts,
      )
    : undefined;
  const env = pulumi.output(cert.acmeEnvironment);
  const issuer = new k8s.apiextensions.CustomResource(
    `${name}-leaf-issuer`,
    {
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: {
        name: env.apply((e) => LEAF_ISSUER_NAMES[e]),
        labels: { [PART_OF_LABEL]: PART_OF_VALUE },
      },
      spec: pulumi.all([env, cert.email]).apply(([e, email]) => leafIssuerSpec(e, email)),
    },
    { ...opts, dependsOn: release ? [release] : [] },
  );
  return { name: issuer.metadata.name, release, issuer };
}
