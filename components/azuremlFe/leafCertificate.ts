/**
 * The router's leaf domain certificate: a cert-manager Certificate for the cluster's
 * `leafDomainFqdn`, issued by the cluster's `leafCertificateIssuer` into the Secret the
 * router pods mount, and the Service through which the router relays Let's Encrypt's
 * HTTP-01 challenges to cert-manager's solver pods.
 *
 * The Certificate asks for a temporary self-signed certificate while the real one is
 * being issued (`cert-manager.io/issue-temporary-certificate`): the router pods need
 * the Secret to start, and the challenge needs the router running. cert-manager renews
 * the certificate when two thirds of its lifetime have passed and rewrites the Secret;
 * the kubelet swaps the mounted files and the router reloads them without a restart.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ACME_SOLVER_POD_SELECTOR, ACME_SOLVER_PORT, PART_OF_LABEL, PART_OF_VALUE } from "../shared/conventions.js";
import {
  ROUTER_ACME_SOLVER_SERVICE_NAME,
  ROUTER_LABELS,
  ROUTER_LEAF_CERTIFICATE_NAME,
  ROUTER_LEAF_TLS_SECRET_NAME,
} from "./names.js";

/** The router's URL of the solver Service (`AKSML_ACME_HTTP01_SOLVER_URL`). */
export function acmeSolverUrl(namespace: string): string {
  return `http://${ROUTER_ACME_SOLVER_SERVICE_NAME}.${namespace}.svc.cluster.local:${ACME_SOLVER_PORT}`;
}

/** The Certificate's spec for `fqdn` from ClusterIssuer `issuer`. Pure. */
export function leafCertificateSpec(fqdn: string, issuer: string): Record<string, unknown> {
  return {
    secretName: ROUTER_LEAF_TLS_SECRET_NAME,
    secretTemplate: { labels: { ...ROUTER_LABELS } },
    dnsNames: [fqdn],
    issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: issuer },
    // A fresh P-256 key on every renewal: a leaked key dies with its certificate.
    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
  };
}

export function createLeafCertificate(
  name: string,
  namespace: pulumi.Input<string>,
  fqdn: pulumi.Input<string>,
  issuer: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    `${name}-leaf-certificate`,
    {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: {
        name: ROUTER_LEAF_CERTIFICATE_NAME,
        namespace,
        labels: { ...ROUTER_LABELS },
        annotations: { "cert-manager.io/issue-temporary-certificate": "true" },
      },
      spec: pulumi.all([fqdn, issuer]).apply(([host, issuerName]) => leafCertificateSpec(host, issuerName)),
    },
    opts,
  );
}

/**
 * A ClusterIP Service selecting cert-manager's HTTP-01 solver pods in the router
 * namespace (where the Certificate's challenges run), on the solver's port.
 */
export function createAcmeSolverService(
  name: string,
  namespace: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Service {
  return new k8s.core.v1.Service(
    `${name}-acme-solver`,
    {
      metadata: {
        name: ROUTER_ACME_SOLVER_SERVICE_NAME,
        namespace,
        labels: { [PART_OF_LABEL]: PART_OF_VALUE, "app.kubernetes.io/component": "acme-http01-solver" },
      },
      spec: {
        type: "ClusterIP",
        selector: { ...ACME_SOLVER_POD_SELECTOR },
        ports: [{ name: "http", port: ACME_SOLVER_PORT, targetPort: ACME_SOLVER_PORT }],
      },
    },
    opts,
  );
}
