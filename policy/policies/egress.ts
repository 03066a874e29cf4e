/**
 * When a cluster's egress goes through Azure Firewall (outboundType
 * userDefinedRouting), the firewall must allow every host the platform needs, or
 * nodes cannot pull images, the router cannot reach the API server, and models
 * cannot be downloaded. The required hosts come from the real resource names in the
 * graph (API server FQDN, ACR login server, storage account) through the cluster
 * component's own table, so the policy and the firewall the component builds agree.
 */
import type { EnforcementLevel, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { CONFIG_ANNOTATION, parseServiceConfig } from "../../router/contract/serviceConfig.js";
import {
  azureNameOf,
  MANAGED_CLUSTER_TYPE,
  ofType,
  REGISTRY_TYPE,
  RULE_COLLECTION_GROUP_TYPE,
  STORAGE_ACCOUNT_TYPE,
} from "./azureResources.js";
import { annotationsOf, SERVICE_TYPE } from "./kubernetesObjects.js";
import { loginServerOf } from "./storage.js";
import { egressHosts, regionName } from "../../components/aksInferenceCluster/egress.js";

/**
 * Hosts the `AzureKubernetesService` FQDN tag allows (AKS outbound rules): a rule with
 * the tag covers these without listing them.
 */
export function aksFqdnTagHosts(location: string): string[] {
  return [
    `*.hcp.${location}.azmk8s.io`,
    "mcr.microsoft.com",
    "*.data.mcr.microsoft.com",
    "management.azure.com",
    "login.microsoftonline.com",
    "packages.microsoft.com",
    "acs-mirror.azureedge.net",
  ];
}
export const AKS_FQDN_TAG = "AzureKubernetesService";
/** Container Insights hosts, also allowed by the `AzureMonitor` service tag in a network rule. */
export const MONITOR_SERVICE_TAG = "AzureMonitor";
const MONITORING_HOSTS = [
  "dc.services.visualstudio.com",
  "*.ods.opinsights.azure.com",
  "*.oms.opinsights.azure.com",
  "*.monitoring.azure.com",
];
const DCR_ASSOCIATION_TYPE = "azure-native:monitor:DataCollectionRuleAssociation";
/** An Application Insights resource in the stack: the cluster's telemetry goes to its ingestion hosts. */
const APP_INSIGHTS_TYPE = "azure-native:applicationinsights:Component";

export interface RequiredHost {
  host: string;
  why: string;
}

/** Whether allowed pattern `allowed` (exact host, `*.suffix`, or `*`) covers required host or pattern `required`. */
export function fqdnCovers(allowed: string, required: string): boolean {
  const a = allowed.toLowerCase().replace(/\.$/, "");
  const r = required.toLowerCase().replace(/\.$/, "");
  if (a === "*" || a === r) return true;
  if (!a.startsWith("*.")) return false;
  const suffix = a.slice(1); // ".example.com"
  return r.endsWith(suffix) && r.length > suffix.length;
}

function urlHost(url: unknown): string | undefined {
  if (typeof url !== "string") return undefined;
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The hosts a cluster's platform must reach: the cluster component's own
 * `egressHosts` table fed with the real names found in the graph (API server FQDN,
 * ACR login server, storage endpoints, region, monitoring), plus the token issuers
 * the router fetches signing keys from.
 */
export function requiredHosts(cluster: PolicyResource, resources: PolicyResource[]): RequiredHost[] {
  const location = regionName(String(cluster.props.location ?? ""));
  const registries = ofType(resources, REGISTRY_TYPE).map((acr) => loginServerOf(acr) ?? "");
  const accounts = ofType(resources, STORAGE_ACCOUNT_TYPE).map((account) => {
    const name = azureNameOf(account, "accountName");
    const endpoints = account.props.primaryEndpoints ?? {};
    return {
      blob: String(endpoints.blob ?? (name ? `https://${name}.blob.core.windows.net/` : "")),
      table: String(endpoints.table ?? (name ? `https://${name}.table.core.windows.net/` : "")),
    };
  });
  const monitoring =
    cluster.props.addonProfiles?.omsagent?.enabled === true || ofType(resources, DCR_ASSOCIATION_TYPE).length > 0;
  const hosts: RequiredHost[] = [];
  for (const acrLoginServer of registries.length ? registries : [""]) {
    for (const account of accounts.length ? accounts : [{ blob: "", table: "" }]) {
      const table = egressHosts({
        apiServerFqdn: String(cluster.props.fqdn ?? ""),
        acrLoginServer,
        storageBlobEndpoint: account.blob,
        storageTableEndpoint: account.table,
        location,
        monitoring,
        applicationInsights: ofType(resources, APP_INSIGHTS_TYPE).length > 0,
        extraFqdns: [],
      });
      hosts.push(...table.map((h) => ({ host: h.fqdn, why: h.usedBy })));
    }
  }
  for (const svc of ofType(resources, SERVICE_TYPE)) {
    const annotation = annotationsOf(svc.props)[CONFIG_ANNOTATION];
    if (annotation === undefined) continue;
    const parsed = parseServiceConfig(svc.name, annotation);
    if (!parsed.ok || parsed.config.auth.mode !== "token") continue;
    for (const url of [parsed.config.auth.issuer, parsed.config.auth.jwksUri]) {
      const host = urlHost(url);
      if (host)
        hosts.push({ host, why: `token issuer of web service '${svc.name}': the router fetches its signing keys` });
    }
  }
  // A name missing from the graph (e.g. no registry in an attach-existing stack) yields an empty or dangling host.
  const seen = new Set<string>();
  return hosts.filter(
    (h) => h.host && !h.host.startsWith(".") && !seen.has(h.host.toLowerCase()) && seen.add(h.host.toLowerCase()),
  );
}

interface Allowed {
  fqdns: string[];
  fqdnTags: string[];
  serviceTags: string[];
}

/** What the firewall's Allow rule collections permit (application and network rules). */
export function allowedByFirewall(groups: PolicyResource[]): Allowed {
  const allowed: Allowed = { fqdns: [], fqdnTags: [], serviceTags: [] };
  for (const group of groups) {
    for (const collection of group.props.ruleCollections ?? []) {
      if (collection.action?.type !== undefined && collection.action.type !== "Allow") continue;
      for (const rule of collection.rules ?? []) {
        if (rule.ruleType === "ApplicationRule") {
          allowed.fqdns.push(...(rule.targetFqdns ?? []));
          allowed.fqdnTags.push(...(rule.fqdnTags ?? []));
        } else if (rule.ruleType === "NetworkRule") {
          allowed.fqdns.push(...(rule.destinationFqdns ?? []));
          allowed.serviceTags.push(...(rule.destinationAddresses ?? []));
        }
      }
    }
  }
  return allowed;
}

function covered(required: RequiredHost, allowed: Allowed, location: string): boolean {
  if (allowed.fqdns.some((a) => fqdnCovers(a, required.host))) return true;
  const byAksTag =
    allowed.fqdnTags.includes(AKS_FQDN_TAG) && aksFqdnTagHosts(location).some((b) => fqdnCovers(b, required.host));
  const byMonitorTag = allowed.serviceTags.includes(MONITOR_SERVICE_TAG) && MONITORING_HOSTS.includes(required.host);
  return byAksTag || byMonitorTag;
}

export function firewallCoversEgressFqdns(enforcementLevel: EnforcementLevel = "mandatory"): StackValidationPolicy {
  return {
    name: "firewall-covers-egress-fqdns",
    description:
      "When cluster egress goes through Azure Firewall, its allow rules cover every host the platform needs.",
    enforcementLevel,
    validateStack: ({ resources }, report) => {
      const groups = ofType(resources, RULE_COLLECTION_GROUP_TYPE);
      // Without rule collection groups in the stack the firewall is managed elsewhere: nothing to compare.
      if (groups.length === 0) return;
      const allowed = allowedByFirewall(groups);
      for (const cluster of ofType(resources, MANAGED_CLUSTER_TYPE)) {
        if (cluster.props.networkProfile?.outboundType !== "userDefinedRouting") continue;
        const location = regionName(String(cluster.props.location ?? ""));
        const missing = requiredHosts(cluster, resources).filter((h) => !covered(h, allowed, location));
        if (missing.length === 0) continue;
        report(
          `Cluster '${azureNameOf(cluster, "resourceName") ?? cluster.name}' sends egress through the firewall, but its rules do not allow ${missing.map((m) => `${m.host} (${m.why})`).join(", ")}. ` +
            `Fix: add these hosts to an Allow application rule's targetFqdns (HTTPS 443) in firewall policy rule collection group '${groups[0].name}'.`,
          groups[0].urn,
        );
      }
    },
  };
}
