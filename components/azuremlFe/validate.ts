import { MAX_REQUEST_BYTES } from "../../router/contract/serviceConfig.js";
import { ClusterPurpose, LoadBalancerType } from "../shared/clusterConnection.js";
import { isKnown } from "../shared/inputs.js";
import { NAMESPACE_PATTERN } from "../shared/naming.js";
import { componentSubject, throwIfInvalid, type PropertyProblem } from "../shared/problems.js";
import { isIntegerInRange, isOneOf, isPositiveInteger } from "../shared/validation.js";
import { RouterLogLevel, type AzuremlFeArgs } from "./args.js";

/** Namespaces Kubernetes itself creates and owns. */
export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** Every problem with the known values of the args; empty when valid. */
export function azuremlFeArgsProblems(args: AzuremlFeArgs): PropertyProblem[] {
  const errors: PropertyProblem[] = [];
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
  if (isKnown(args.replicas) && !isPositiveInteger(args.replicas)) {
    errors.push({ propertyPath: "replicas", reason: `must be an integer >= 1, got ${args.replicas}` });
  }
  if (isKnown(args.maxRequestBytes) && !isIntegerInRange(args.maxRequestBytes, 1, MAX_REQUEST_BYTES)) {
    errors.push({
      propertyPath: "maxRequestBytes",
      reason: `must be an integer between 1 and ${MAX_REQUEST_BYTES} (azureml-fe's 100 MB limit), got ${args.maxRequestBytes}`,
    });
  }
  if (isKnown(args.logLevel) && !isOneOf(RouterLogLevel, args.logLevel)) {
    errors.push({
      propertyPath: "logLevel",
      reason: `must be one of ${Object.values(RouterLogLevel).join(", ")}, got ${JSON.stringify(args.logLevel)}`,
    });
  }
  if (isKnown(c.clusterPurpose) && !isOneOf(ClusterPurpose, c.clusterPurpose)) {
    errors.push({
      propertyPath: "cluster.clusterPurpose",
      reason: `must be one of ${Object.values(ClusterPurpose).join(", ")}, got ${JSON.stringify(c.clusterPurpose)}`,
    });
  }
  if (isKnown(c.loadBalancerType) && !isOneOf(LoadBalancerType, c.loadBalancerType)) {
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
  if (args.dnsRecord && isKnown(args.dnsRecord.ttl) && !isPositiveInteger(args.dnsRecord.ttl)) {
    errors.push({
      propertyPath: "dnsRecord.ttl",
      reason: `must be an integer >= 1 (seconds), got ${args.dnsRecord.ttl}`,
    });
  }
  return errors;
}

/** Throws one InputPropertiesError naming every problem. */
export function validateAzuremlFeArgs(name: string, args: AzuremlFeArgs): void {
  throwIfInvalid(componentSubject("AzuremlFe", name), azuremlFeArgsProblems(args));
}
