import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AzuremlFeArgs } from "./args.js";
import type { RouterConnectionArgs } from "../shared/routerConnection.js";
import { resolveAzuremlFeArgs, routerTopologyFor } from "./defaults.js";
import { checkedWhenKnown, isPlainValue } from "../shared/inputs.js";
import type { ClusterPurpose } from "../shared/clusterConnection.js";
import { createRouterDeployment, createRouterLimitRange, createRouterPdb } from "./deployment.js";
import { buildRouterImage } from "./image.js";
import { createRouterRbac } from "./rbac.js";
import {
  createDnsRecord,
  createPeerSecret,
  createPeersService,
  createRouterService,
  createTlsSecret,
} from "./services.js";
import { createRouterNetworkPolicy } from "./networkPolicy.js";
import {
  createDashboardConfigMap,
  createRouterAppInsightsSecret,
  createRouterIdentity,
  createRouterPodMonitor,
} from "./observability.js";
import { AZUREML_FE_DEFAULTS } from "./defaults.js";
import { createAcmeSolverService, createLeafCertificate } from "./leafCertificate.js";
import { validateAzuremlFeArgs } from "./validate.js";
import { k8sNamespace } from "./namespace.js";
import { AZUREML_FE_ARG_SHAPE } from "./argShape.js";
import { checkArgShape } from "../shared/argShape.js";

export * from "./args.js";
export { AZUREML_FE_DEFAULTS, ROUTER_RESOURCES, ROUTER_SIZE_DEFAULTS, routerTopologyFor } from "./defaults.js";
export { routerLimitRangeSpec } from "./deployment.js";
export { ROUTER_NAMESPACE_RULES, ROUTER_SERVICE_NAMESPACE_RULES, routerRoleGrants } from "./rbacRules.js";
export type { RbacRule, RoleGrant } from "./rbacRules.js";
export { routerNetworkPolicySpec } from "./networkPolicy.js";
export { acmeSolverUrl, leafCertificateSpec } from "./leafCertificate.js";
export { routerServicePorts } from "./services.js";
export { routerDashboard, routerDashboardJson } from "./grafanaDashboard.js";
export {
  GRAFANA_DASHBOARD_LABEL,
  PROMETHEUS_SCRAPE_ANNOTATIONS,
  ROUTER_APP_INSIGHTS_SECRET_NAME,
  ROUTER_DASHBOARD_CONFIGMAP_NAME,
} from "./observability.js";
export * from "./names.js";

/**
 * The aksml router (the azureml-fe equivalent) deployed into the cluster: one per
 * cluster, routing `POST /api/v1/service/<name>/score` to model replicas and scaling them.
 *
 * Creates: a Namespace (Pod Security `restricted` enforced); a ServiceAccount with
 * least-privilege RBAC; the router Deployment (3 pods of 2 cores, scaling itself up to 4
 * cores per pod, then out to 10 pods, and back down to 1 core, then in to 2 pods;
 * PodDisruptionBudget maxUnavailable 1, anti-affinity and zone spread; on DevTest 1 pod
 * of 1 core, no PDB, self-scaling off) and the LimitRange holding its pods' size; a
 * LoadBalancer Service (public, or internal with Azure's internal-LB annotations; DNS
 * label for `leafDomainLabel`; HTTPS only when the cluster has a certificate or a leaf
 * domain issuer); a headless peers Service; the peer secret (a random password in a Secret
 * mounted into router pods only); a NetworkPolicy admitting the admin port from router
 * pods and the metrics scraper only; the TLS Secret, or with `leafCertificateIssuer` a
 * cert-manager Certificate for `leafDomainFqdn` and the Service through which the router
 * relays the ACME HTTP-01 challenges on port 80; optionally an A record in an Azure DNS
 * zone. The image
 * is built from `router/Dockerfile` and pushed to the cluster's ACR unless `image` is given.
 *
 * RBAC, exactly, and no ClusterRole (exported as `ROUTER_NAMESPACE_RULES` /
 * `ROUTER_SERVICE_NAMESPACE_RULES`, `routerRoleGrants` lists every Role):
 * - a Role in each of `serviceNamespaces`: `list,watch` on core `services`, `secrets`,
 *   `discovery.k8s.io` `endpointslices` and `apps` `deployments`; `get,update` on `apps`
 *   `deployments/scale`; `list,watch,create,update` on core `configmaps` (endpoint
 *   rollouts' live state) and `create` on core `events` (rollout decisions);
 * - a Role in the router namespace: `list,watch` on `discovery.k8s.io` `endpointslices`;
 *   `create` on `coordination.k8s.io` `leases` and `get,update` on the Lease
 *   `azureml-fe-leader`; `get,update` on `apps` `deployments/scale` and `get,patch` on
 *   `apps` `deployments` of `azureml-fe`; `get,update` on the `limitranges` `azureml-fe`;
 *   `get` on `pods` and `patch` on `pods/resize` (router pods' CPU; pods cannot be named).
 */
export class AzuremlFe extends pulumi.ComponentResource {
  /** Base URL of the router, e.g. `http://20.1.2.3` or `https://ml.example.com`. */
  public readonly endpoint: pulumi.Output<string>;
  /** Load balancer IP (public or internal). */
  public readonly ip: pulumi.Output<string>;
  public readonly namespace: pulumi.Output<string>;
  /** The router image as deployed (`repo:tag@sha256:...` when built here). */
  public readonly imageRef: pulumi.Output<string>;
  public readonly serviceAccountName: pulumi.Output<string>;
  /** The namespaces the router serves (`serviceNamespaces`, defaulted). */
  public readonly serviceNamespaces: string[];
  /** Client id of the router's Azure identity (model data capture writes to `modeldata` with it). */
  public readonly identityClientId: pulumi.Output<string>;
  /** What a ModelWebservice takes as `router`. */
  public readonly connection: RouterConnectionArgs;

  constructor(name: string, args: AzuremlFeArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArgShape("AzuremlFe", name, AZUREML_FE_ARG_SHAPE, args);
    validateAzuremlFeArgs(name, args);
    super("aksml:index:AzuremlFe", name, {}, opts);
    const r = resolveAzuremlFeArgs(args);
    const cluster = args.cluster;
    const k8sOpts: pulumi.CustomResourceOptions = { parent: this };

    // Values that were Outputs are validated once known, by the same rules; every object hangs off the namespace.
    const checkedNamespace = checkedWhenKnown(
      {
        namespace: r.namespace,
        replicas: args.replicas,
        cpuPerPod: args.cpuPerPod,
        selfScaling: args.selfScaling,
        nodeVcpus: args.nodeVcpus,
        maxRequestBytes: r.maxRequestBytes,
        logLevel: r.logLevel,
        clusterPurpose: cluster.clusterPurpose,
        loadBalancerType: cluster.loadBalancerType,
      },
      (v) =>
        validateAzuremlFeArgs(name, {
          ...args,
          ...v,
          cluster: { ...cluster, clusterPurpose: v.clusterPurpose, loadBalancerType: v.loadBalancerType },
        }),
    ).apply((v) => v.namespace);
    const ns: k8s.core.v1.Namespace = k8sNamespace(`${name}-namespace`, checkedNamespace, k8sOpts);
    const namespace = ns.metadata.name;
    const inNs: pulumi.CustomResourceOptions = { parent: this, dependsOn: [ns] };

    const identity = createRouterIdentity(name, cluster, namespace, { parent: this });
    const rbac = createRouterRbac(name, namespace, r.serviceNamespaces, inNs, identity.identity.clientId);
    const insightsSecret =
      args.appInsightsConnectionString !== undefined
        ? createRouterAppInsightsSecret(name, namespace, args.appInsightsConnectionString, inNs)
        : undefined;
    if (args.monitoring?.podMonitor === true) createRouterPodMonitor(name, namespace, inNs);
    if (args.monitoring?.grafanaDashboard === true) createDashboardConfigMap(name, namespace, inNs);
    const peerSecret = createPeerSecret(name, namespace, inNs);
    createRouterNetworkPolicy(name, namespace, r.metricsScraper, inNs);
    const image =
      args.image !== undefined
        ? pulumi.output(args.image)
        : buildRouterImage(name, cluster.acrLoginServer, args.registryCredentials, { parent: this }).ref;
    // TLS material: your certificate in a Secret, or the leaf domain's from cert-manager.
    const tlsObjects: pulumi.Resource[] = [];
    if (r.leafCertificate)
      tlsObjects.push(
        createLeafCertificate(name, namespace, cluster.leafDomainFqdn!, cluster.leafCertificateIssuer!, inNs),
        createAcmeSolverService(name, namespace, inNs),
      );
    else if (r.tlsEnabled) tlsObjects.push(createTlsSecret(name, namespace, cluster, inNs));

    const size = createRouterLimitRange(
      name,
      { namespace, purpose: cluster.clusterPurpose, cpuPerPod: args.cpuPerPod },
      inNs,
    );
    createRouterDeployment(
      name,
      {
        namespace,
        image,
        serviceAccountName: rbac.serviceAccount.metadata.name,
        purpose: cluster.clusterPurpose,
        replicas: args.replicas,
        cpuPerPod: args.cpuPerPod,
        selfScaling: args.selfScaling,
        maxRequestBytes: r.maxRequestBytes,
        logLevel: r.logLevel,
        tlsEnabled: r.tlsEnabled,
        leafCertificate: r.leafCertificate,
        serviceNamespaces: r.serviceNamespaces,
        capture: {
          modelDataContainerUrl: identity.modelDataContainerUrl,
          bufferBytes: args.modelDataCapture?.bufferBytes ?? AZUREML_FE_DEFAULTS.modelDataCapture.bufferBytes,
          flushSeconds: args.modelDataCapture?.flushSeconds ?? AZUREML_FE_DEFAULTS.modelDataCapture.flushSeconds,
          appInsights: insightsSecret !== undefined,
        },
        scrapeAnnotations: args.monitoring?.podAnnotations ?? AZUREML_FE_DEFAULTS.monitoring.podAnnotations,
      },
      // Router pods list Services/Secrets from their first second: the bindings come first;
      // they are admitted at the LimitRange's size, so it comes first too; and the identity's
      // grant comes before capture's first write.
      {
        ...inNs,
        dependsOn: [
          ns,
          peerSecret,
          size,
          ...tlsObjects,
          ...rbac.roles,
          ...rbac.bindings,
          identity.federatedCredential,
          identity.roleAssignment,
          ...(insightsSecret ? [insightsSecret] : []),
        ],
      },
    );
    const pdbFor = (purpose: ClusterPurpose, maxPods: number | undefined) => {
      const maxUnavailable = routerTopologyFor(purpose, { selfScaling: { maxPods } }).pdbMaxUnavailable;
      if (maxUnavailable !== undefined) createRouterPdb(name, namespace, maxUnavailable, inNs);
    };
    // Usually the purpose comes from stack config and is known now, so the PDB shows in
    // every preview; if it is an Output, the PDB is declared once it resolves.
    const maxPods = args.selfScaling?.maxPods;
    if (isPlainValue(cluster.clusterPurpose) && isPlainValue(maxPods)) pdbFor(cluster.clusterPurpose, maxPods);
    else pulumi.all([cluster.clusterPurpose, maxPods]).apply(([purpose, pods]) => pdbFor(purpose, pods));

    const service = createRouterService(name, namespace, cluster, r.tlsEnabled, r.leafCertificate, inNs);
    createPeersService(name, namespace, inNs);
    this.ip = service.status.loadBalancer.ingress.apply((ingress) => ingress?.[0]?.ip ?? ingress?.[0]?.hostname ?? "");
    const record = args.dnsRecord ? createDnsRecord(name, args.dnsRecord, this.ip, { parent: this }) : undefined;

    const recordHost = args.dnsRecord
      ? pulumi.interpolate`${args.dnsRecord.relativeRecordSetName}.${args.dnsRecord.zoneName}`
      : undefined;
    this.endpoint = pulumi
      .all([
        this.ip,
        cluster.sslCname,
        cluster.leafDomainLabel,
        cluster.leafDomainFqdn,
        cluster.location,
        recordHost,
        record?.id,
      ])
      .apply(([ip, cname, label, leafFqdn, location, dnsHost]) => {
        // The name the certificate is for comes first: the leaf domain's, or your CNAME.
        const host =
          (r.leafCertificate ? leafFqdn : undefined) ??
          (r.tlsEnabled ? cname : undefined) ??
          dnsHost ??
          leafFqdn ??
          (label ? `${label}.${location}.cloudapp.azure.com` : undefined) ??
          ip;
        return `${r.tlsEnabled ? "https" : "http"}://${host}`;
      });
    this.namespace = namespace;
    this.imageRef = image;
    this.serviceAccountName = rbac.serviceAccount.metadata.name;
    this.serviceNamespaces = [...r.serviceNamespaces];
    this.connection = {
      endpoint: this.endpoint,
      image: this.imageRef,
      namespace: this.namespace,
      serviceNamespaces: this.serviceNamespaces,
      appInsightsConnectionString:
        args.appInsightsConnectionString !== undefined ? pulumi.secret(args.appInsightsConnectionString) : undefined,
    };
    this.identityClientId = identity.identity.clientId;
    this.registerOutputs({
      endpoint: this.endpoint,
      ip: this.ip,
      namespace: this.namespace,
      imageRef: this.imageRef,
      serviceAccountName: this.serviceAccountName,
      serviceNamespaces: this.serviceNamespaces,
      identityClientId: this.identityClientId,
    });
  }
}
