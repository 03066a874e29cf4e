import * as pulumi from "@pulumi/pulumi";
import { MAX_REQUEST_BYTES } from "../../router/contract/serviceConfig.js";
import { ClusterPurpose, LoadBalancerType } from "../shared/clusterConnection.js";
import { RouterLogLevel, type AzuremlFeArgs } from "./args.js";
import { isKnown } from "../shared/inputs.js";

/** Kubernetes namespace rule (RFC 1123 label), as Azure ML's `namespace` regex. */
export const NAMESPACE_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Namespaces Kubernetes itself creates and owns. */
export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

export interface PropertyError {
  propertyPath: string;
  reason: string;
}

/** Every problem with the known values of the args; empty when valid. */
export function azuremlFeArgsProblems(args: AzuremlFeArgs): PropertyError[] {
  const errors: PropertyError[] = [];
  const c = args.cluster;
  if (isKnown(args.namespace) && !NAMESPACE_PATTERN.test(args.namespace)) {
    errors.push({
      propertyPath: "namespace",
      reason: `${JSON.stringify(args.namespace)} is not a valid namespace: lowercase letters, digits and "-", 1-63 characters, starting and ending alphanumeric`,
    });
  }
  // AzuremlFe creates (and on destroy deletes) its namespace: never one Kubernetes owns.
  if (isKnown(args.namespace) && SYSTEM_NAMESPACES.includes(args.namespace)) {
    errors.push({
      propertyPath: "namespace",
      reason: `${JSON.stringify(args.namespace)} is a Kubernetes system namespace; AzuremlFe creates its namespace and deletes it on destroy, so pick a dedicated one (default "azureml")`,
    });
  }
  if (isKnown(args.replicas) && (!Number.isInteger(args.replicas) || args.replicas < 1)) {
    errors.push({ propertyPath: "replicas", reason: `must be an integer >= 1, got ${args.replicas}` });
  }
  if (
    isKnown(args.maxRequestBytes) &&
    (!Number.isInteger(args.maxRequestBytes) || args.maxRequestBytes < 1 || args.maxRequestBytes > MAX_REQUEST_BYTES)
  ) {
    errors.push({
      propertyPath: "maxRequestBytes",
      reason: `must be an integer between 1 and ${MAX_REQUEST_BYTES} (azureml-fe's 100 MB limit), got ${args.maxRequestBytes}`,
    });
  }
  if (isKnown(args.logLevel) && !(Object.values(RouterLogLevel) as string[]).includes(args.logLevel)) {
    errors.push({
      propertyPath: "logLevel",
      reason: `must be one of ${Object.values(RouterLogLevel).join(", ")}, got ${JSON.stringify(args.logLevel)}`,
    });
  }
  if (isKnown(c.clusterPurpose) && !(Object.values(ClusterPurpose) as string[]).includes(c.clusterPurpose)) {
    errors.push({
      propertyPath: "cluster.clusterPurpose",
      reason: `must be one of ${Object.values(ClusterPurpose).join(", ")}, got ${JSON.stringify(c.clusterPurpose)}`,
    });
  }
  if (isKnown(c.loadBalancerType) && !(Object.values(LoadBalancerType) as string[]).includes(c.loadBalancerType)) {
    errors.push({
      propertyPath: "cluster.loadBalancerType",
      reason: `must be PublicIp or InternalLoadBalancer, got ${JSON.stringify(c.loadBalancerType)}`,
    });
  }
  if ((c.sslCertPem === undefined) !== (c.sslKeyPem === undefined)) {
    errors.push({
      propertyPath: c.sslCertPem === undefined ? "cluster.sslCertPem" : "cluster.sslKeyPem",
      reason: "TLS needs both sslCertPem and sslKeyPem; give both or neither",
    });
  } else if (c.sslCertPem !== undefined && c.sslCname === undefined) {
    // Azure ML: cname, cert and key go together. Without the name the endpoint would be
    // https://<ip>, which the certificate does not cover.
    errors.push({
      propertyPath: "cluster.sslCname",
      reason: "TLS needs sslCname (the host name the certificate is for) with sslCertPem and sslKeyPem",
    });
  }
  if (
    isKnown(c.loadBalancerType) &&
    c.loadBalancerType === LoadBalancerType.InternalLoadBalancer &&
    c.leafDomainLabel !== undefined
  ) {
    errors.push({
      propertyPath: "cluster.leafDomainLabel",
      reason:
        "an Azure DNS label only exists on a public IP; drop leafDomainLabel or use a PublicIp load balancer (use dnsRecord for an internal name)",
    });
  }
  if (
    args.dnsRecord &&
    isKnown(args.dnsRecord.ttl) &&
    (!Number.isInteger(args.dnsRecord.ttl) || args.dnsRecord.ttl < 1)
  ) {
    errors.push({
      propertyPath: "dnsRecord.ttl",
      reason: `must be an integer >= 1 (seconds), got ${args.dnsRecord.ttl}`,
    });
  }
  return errors;
}

/** Throws one InputPropertiesError naming every problem. */
export function validateAzuremlFeArgs(args: AzuremlFeArgs): void {
  const errors = azuremlFeArgsProblems(args);
  if (errors.length) {
    throw new pulumi.InputPropertiesError({
      message: `AzuremlFe: ${errors.length} invalid argument(s): ${errors.map((e) => `${e.propertyPath} ${e.reason}`).join("; ")}`,
      errors,
    });
  }
}
