import { MAX_REQUEST_BYTES } from "../../router/contract/serviceConfig.js";
import { MAX_ROUTER_REPLICAS, MAX_WATCH_NAMESPACES } from "../../router/contract/routerEnvironment.js";
import { ClusterPurpose, LoadBalancerType } from "../shared/clusterConnection.js";
import { isKnown, isUnknown, known } from "../shared/inputs.js";
import { NAMESPACE_PATTERN } from "../shared/naming.js";
import { componentSubject, throwIfInvalid, type PropertyProblem } from "../shared/problems.js";
import { isIntegerInRange, isLabelKey, isLabelValue, isOneOf, isPositiveInteger } from "../shared/validation.js";
import { AZUREML_FE_DEFAULTS } from "./defaults.js";
import { RouterLogLevel, type AzuremlFeArgs } from "./args.js";
import { observabilityProblems } from "./observability.js";
import { routerSizeProblems } from "./validateSize.js";

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
  if (isKnown(args.replicas) && !isIntegerInRange(args.replicas, 1, MAX_ROUTER_REPLICAS)) {
    errors.push({
      propertyPath: "replicas",
      reason: `must be an integer between 1 and ${MAX_ROUTER_REPLICAS} (the peer load board's bound), got ${args.replicas}`,
    });
  }
  errors.push(
    ...routerSizeProblems(args),
    ...serviceNamespaceProblems(args),
    ...metricsScraperProblems(args),
    ...observabilityProblems(args),
  );
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
  if (c.leafCertificateIssuer !== undefined) {
    // The certificate names the leaf domain, which exists only as the public IP's DNS label.
    for (const [field, value] of [
      ["leafDomainFqdn", c.leafDomainFqdn],
      ["leafDomainLabel", c.leafDomainLabel],
    ] as const)
      if (value === undefined)
        errors.push({
          propertyPath: `cluster.${field}`,
          reason: `a leaf domain certificate (cluster.leafCertificateIssuer) needs cluster.${field}: the router's public IP carries the label and the certificate names the host`,
        });
    if (c.sslCertPem !== undefined || c.sslKeyPem !== undefined)
      errors.push({
        propertyPath: "cluster.leafCertificateIssuer",
        reason:
          "the router serves one certificate: either your own (sslCertPem, sslKeyPem) or the leaf domain's from cert-manager, not both",
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

/** `serviceNamespaces`: plain, 1..20 distinct valid names, none a system namespace or the router's own. */
function serviceNamespaceProblems(args: AzuremlFeArgs): PropertyProblem[] {
  const path = "serviceNamespaces";
  const list = args.serviceNamespaces ?? AZUREML_FE_DEFAULTS.serviceNamespaces;
  if (isUnknown(list) || (Array.isArray(list) && list.some((n) => !isKnown(n))))
    return [
      {
        propertyPath: path,
        reason:
          "must be plain strings known when the program runs: each namespace gets its own Role and RoleBinding (pass the namespace name, not an Output)",
      },
    ];
  const names = list as readonly string[];
  const problems: PropertyProblem[] = [];
  if (names.length < 1 || names.length > MAX_WATCH_NAMESPACES)
    problems.push({
      propertyPath: path,
      reason: `must list 1 to ${MAX_WATCH_NAMESPACES} namespaces (the router runs four watches in each), got ${names.length}`,
    });
  const routerNamespace =
    known(args.namespace) ?? (args.namespace === undefined ? AZUREML_FE_DEFAULTS.namespace : undefined);
  names.forEach((n, i) => {
    const at = `${path}[${i}]`;
    if (!NAMESPACE_PATTERN.test(n))
      problems.push({ propertyPath: at, reason: `${JSON.stringify(n)} is not a valid namespace name` });
    else if (SYSTEM_NAMESPACES.includes(n) && n !== "default")
      problems.push({
        propertyPath: at,
        reason: `${JSON.stringify(n)} is a Kubernetes system namespace; the router would read its Secrets and scale its Deployments. Deploy model services in a namespace of their own`,
      });
    else if (n === routerNamespace)
      problems.push({
        propertyPath: at,
        reason: `${JSON.stringify(n)} is the router's own namespace; model pods run user code and must not share it with the router (its peer secret, ServiceAccount and names). Use another namespace`,
      });
    else if (names.indexOf(n) !== i)
      problems.push({ propertyPath: at, reason: `${JSON.stringify(n)} is listed twice` });
  });
  return problems;
}

/** `metricsScraper`: a valid namespace and at least one valid label (an empty selector would admit every pod there). */
function metricsScraperProblems(args: AzuremlFeArgs): PropertyProblem[] {
  const m = args.metricsScraper;
  if (!m) return [];
  const problems: PropertyProblem[] = [];
  const ns = known(m.namespace);
  if (ns !== undefined && !NAMESPACE_PATTERN.test(ns))
    problems.push({
      propertyPath: "metricsScraper.namespace",
      reason: `${JSON.stringify(ns)} is not a valid namespace name`,
    });
  const labels = known(m.podLabels);
  if (labels !== undefined) {
    if (Object.keys(labels).length === 0)
      problems.push({
        propertyPath: "metricsScraper.podLabels",
        reason:
          "must name at least one label: an empty selector would admit every pod of the namespace to the admin port",
      });
    for (const [k, v] of Object.entries(labels)) {
      const value = known(v);
      if (!isLabelKey(k) || (typeof value === "string" && !isLabelValue(value)))
        problems.push({
          propertyPath: `metricsScraper.podLabels.${k}`,
          reason:
            "is not a valid Kubernetes label (key up to 63 characters with an optional DNS prefix; value up to 63 letters, digits, '-', '_', '.')",
        });
    }
  }
  return problems;
}

/** Throws one InputPropertiesError naming every problem. */
export function validateAzuremlFeArgs(name: string, args: AzuremlFeArgs): void {
  throwIfInvalid(componentSubject("AzuremlFe", name), azuremlFeArgsProblems(args));
}
