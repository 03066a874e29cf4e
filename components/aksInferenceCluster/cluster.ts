/**
 * AksInferenceCluster: the Azure half of the platform. An AKS cluster sized by its
 * Azure ML cluster purpose (created, or attached by id), with an ACR its nodes can pull
 * from, model storage, optional egress control, and a Kubernetes provider for the
 * components deployed on it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as containerregistry from "@pulumi/azure-native/containerregistry/index.js";
import * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as monitor from "@pulumi/azure-native/monitor/index.js";
import * as resources from "@pulumi/azure-native/resources/index.js";
import * as storage from "@pulumi/azure-native/storage/index.js";
import { MODEL_DATA_CONTAINER } from "../../router/contract/routerEnvironment.js";
import type { ClusterConnectionArgs, ClusterPurpose, LoadBalancerType } from "../shared/clusterConnection.js";
import type { AksInferenceClusterArgs } from "./args.js";
import { resolveAksInferenceClusterArgs } from "./defaults.js";
import { checkedWhenKnown, isUnknown } from "../shared/inputs.js";
import { requiredEgressFqdns, type EgressNames } from "./egress.js";
import { attachManagedCluster, createManagedCluster, devTestWarning, type ClusterFacts } from "./managedCluster.js";
import { createClusterNetwork, grantRole } from "./network.js";
import { validateAksInferenceClusterArgs } from "./validate.js";
import { createGpuDevicePlugin } from "./gpuDevicePlugin.js";
import { AKS_INFERENCE_CLUSTER_ARG_SHAPE } from "./argShape.js";
import { checkArgShape } from "../shared/argShape.js";
import { createLeafDomain, type LeafDomain } from "./leafDomain.js";
import { ACME_DIRECTORIES, createLeafIssuer } from "./certManager.js";

/** Lowercase alphanumerics of a name, for resources whose names allow nothing else. */
function alphanumeric(name: string, max: number): string {
  return (name.toLowerCase().replace(/[^a-z0-9]/g, "") || "aksml").slice(0, max);
}

export class AksInferenceCluster extends pulumi.ComponentResource {
  /** ARM id of the managed cluster (created or attached). */
  public readonly clusterId: pulumi.Output<string>;
  public readonly clusterName: pulumi.Output<string>;
  /** Resource group of the platform's own resources. */
  public readonly resourceGroupName: pulumi.Output<string>;
  public readonly location: pulumi.Output<string>;
  public readonly clusterPurpose: pulumi.Output<ClusterPurpose>;
  /** vCPUs over all node pools (node counts at creation; minimums when autoscaling). */
  public readonly totalVcpus: pulumi.Output<number>;
  /** Cluster-user kubeconfig (secret). */
  public readonly kubeconfig: pulumi.Output<string>;
  /** Kubernetes provider for resources deployed on this cluster. */
  public readonly provider: k8s.Provider;
  public readonly apiServerFqdn: pulumi.Output<string>;
  public readonly acrId: pulumi.Output<string>;
  public readonly acrName: pulumi.Output<string>;
  public readonly acrLoginServer: pulumi.Output<string>;
  public readonly storageAccountId: pulumi.Output<string>;
  public readonly storageAccountName: pulumi.Output<string>;
  public readonly storageBlobEndpoint: pulumi.Output<string>;
  public readonly modelContainerName: pulumi.Output<string>;
  /** The container the router writes captured model data to (`modeldata`). */
  public readonly modelDataContainerName: pulumi.Output<string>;
  public readonly oidcIssuerUrl: pulumi.Output<string>;
  public readonly kubeletIdentityObjectId: pulumi.Output<string>;
  /**
   * Hosts the cluster must reach (Azure ML's connectivity table, from the real names), for
   * any firewall. The ACR data endpoint host serves image layers only when dedicated data
   * endpoints are on (Premium; aksml turns them on with `egress.firewall`).
   */
  public readonly requiredEgressFqdns: pulumi.Output<string[]>;
  /** Private IP of the egress firewall (only with `egress.firewall`). */
  public readonly firewallPrivateIp?: pulumi.Output<string>;
  /**
   * The router's generated host name `<label><suffix>.<region>.cloudapp.azure.com` (only
   * with `tls.leafDomainLabel`). Azure ML: the leaf domain's FQDN.
   */
  public readonly leafDomainFqdn?: pulumi.Output<string>;
  /**
   * `https://<leafDomainFqdn>`, the base of every scoring URI on this cluster
   * (`<base>/api/v1/service/<name>/score`; only with `tls.leafDomainLabel`).
   */
  public readonly leafDomainUri?: pulumi.Output<string>;
  /** Everything AzuremlFe and ModelWebservice need, in one object. */
  public readonly connection: ClusterConnectionArgs;

  constructor(name: string, args: AksInferenceClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArgShape("AksInferenceCluster", name, AKS_INFERENCE_CLUSTER_ARG_SHAPE, args);
    validateAksInferenceClusterArgs(name, args);
    super("aksml:index:AksInferenceCluster", name, {}, opts);
    const r = resolveAksInferenceClusterArgs(name, args);
    // biome-ignore lint/complexity/noUselessThisAlias: every child takes `{ parent }` and helpers take it as an argument
    const parent = this;
    // Sizing values that were Outputs are validated once known, by the same rules (a created cluster's only).
    if (r.existingClusterId === undefined) this.checkSizing(name, args, r);
    const tags = r.tags;
    const subscriptionId = authorization.getClientConfigOutput({ parent }).subscriptionId;

    let resourceGroupName: pulumi.Output<string>;
    let location: pulumi.Output<string>;
    if (r.resourceGroupName !== undefined) {
      resourceGroupName = pulumi.output(r.resourceGroupName);
      location =
        r.location !== undefined
          ? pulumi.output(r.location)
          : resources.getResourceGroupOutput({ resourceGroupName: r.resourceGroupName }, { parent }).location;
    } else {
      const rg = new resources.ResourceGroup(`${name}-rg`, { location: r.location, tags }, { parent });
      resourceGroupName = rg.name;
      location = rg.location;
    }
    const common = { resourceGroupName, location, tags };

    // ACR and storage names are global and allow only lowercase alphanumerics.
    const suffix = new random.RandomString(`${name}-suffix`, { length: 8, special: false, upper: false }, { parent });
    const acr = new containerregistry.Registry(
      `${name}-acr`,
      {
        ...common,
        registryName: pulumi.interpolate`${alphanumeric(name, 42)}${suffix.result}`,
        sku: { name: r.acrSku },
        adminUserEnabled: false,
        dataEndpointEnabled: r.firewall ? true : undefined,
      },
      { parent },
    );
    const account = new storage.StorageAccount(
      `${name}-storage`,
      {
        ...common,
        accountName: pulumi.interpolate`${alphanumeric(name, 16)}${suffix.result}`,
        kind: "StorageV2",
        sku: { name: "Standard_LRS" },
        allowBlobPublicAccess: false,
        minimumTlsVersion: "TLS1_2",
        enableHttpsTrafficOnly: true,
      },
      { parent },
    );
    const container = new storage.BlobContainer(
      `${name}-models`,
      {
        resourceGroupName,
        accountName: account.name,
        containerName: r.modelContainerName,
        publicAccess: "None",
      },
      { parent },
    );

    // Model data the router captures (collect_model_data): its own container, so the
    // router's identity can be granted write access on it alone, never on `models`.
    const modelData = new storage.BlobContainer(
      `${name}-modeldata`,
      { resourceGroupName, accountName: account.name, containerName: MODEL_DATA_CONTAINER, publicAccess: "None" },
      { parent },
    );

    const leafCert = r.leafCertificate;
    const egressNames = (apiServerFqdn: pulumi.Input<string>, leaf?: LeafDomain): pulumi.Output<EgressNames> =>
      pulumi
        .all([
          apiServerFqdn,
          acr.loginServer,
          account.primaryEndpoints,
          location,
          leaf?.fqdn,
          leafCert?.acmeEnvironment,
          r.extraFqdns,
          r.monitoring?.applicationInsights,
        ])
        .apply(([api, loginServer, endpoints, loc, leafFqdn, acmeEnvironment, extra, appInsights]) => ({
          apiServerFqdn: api,
          acrLoginServer: loginServer,
          storageBlobEndpoint: endpoints.blob ?? "",
          storageTableEndpoint: endpoints.table ?? "",
          location: loc,
          leafDomainFqdn: leafFqdn,
          // cert-manager orders the leaf certificate from the cluster, with images from quay.io.
          acmeDirectory: acmeEnvironment && ACME_DIRECTORIES[acmeEnvironment],
          certManagerImages: leafCert?.installCertManager,
          monitoring: r.monitoring !== undefined,
          applicationInsights: appInsights === true,
          extraFqdns: extra,
        }));

    let facts: ClusterFacts;
    let firewallPrivateIp: pulumi.Output<string> | undefined;
    if (r.existingClusterId !== undefined) {
      facts = attachManagedCluster(name, r.existingClusterId, r.clusterPurpose, parent);
    } else {
      const network = createClusterNetwork(name, r, {
        ...common,
        subscriptionId,
        // The API server FQDN exists only after the cluster; its rule is added then.
        hostsBeforeCluster: egressNames("").apply(requiredEgressFqdns),
        parent,
      });
      facts = createManagedCluster(name, r, { ...common, subscriptionId, network, parent });
      if (network.firewall) {
        network.firewall.allowApiServer(name, facts.apiServerFqdn, network.nodeSubnetPrefix!, parent);
        firewallPrivateIp = network.firewall.privateIp;
      }
    }

    const acrPull = grantRole(`${name}-acr-pull`, "acrPull", facts.kubeletObjectId, acr.id, subscriptionId, { parent });
    if (r.monitoring) {
      // The omsagent addon is set on a created cluster; on an attached one its owner enables it.
      new monitor.DataCollectionRuleAssociation(
        `${name}-dcra`,
        {
          resourceUri: facts.id,
          associationName: "ContainerInsightsExtension",
          dataCollectionRuleId: r.monitoring.dataCollectionRuleId,
        },
        { parent, dependsOn: facts.resources },
      );
    }

    const credentials = containerservice.listManagedClusterUserCredentialsOutput(
      { resourceGroupName: facts.resourceGroupName, resourceName: facts.name },
      { parent, dependsOn: facts.resources, provider: facts.azureProvider },
    );
    this.kubeconfig = pulumi.secret(
      credentials.kubeconfigs.apply((k) => {
        if (!k?.[0]?.value) throw new Error(`${name}: the cluster returned no user kubeconfig`);
        return Buffer.from(k[0].value, "base64").toString("utf8");
      }),
    );
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      {
        kubeconfig: this.kubeconfig,
        // Only a different cluster replaces the provider (and everything deployed with it);
        // kubeconfig churn such as token rotation is an update.
        clusterIdentifier: facts.id,
        enableServerSideApply: true,
        // Everything deployed with this provider (router, model pods) pulls from the ACR:
        // the kubelet's AcrPull grant must exist first, or first pulls fail.
      },
      { parent, dependsOn: [...facts.resources, acrPull] },
    );
    if (r.gpuNodePool && r.gpuDevicePluginImage) {
      createGpuDevicePlugin(name, r.gpuNodePool.name, r.gpuDevicePluginImage, { parent, provider: this.provider });
    }
    // The leaf domain: its name from the cluster's region (where the router's public IP
    // lives), its certificate from cert-manager in the cluster.
    const leaf =
      r.tls.leafDomainLabel === undefined
        ? undefined
        : createLeafDomain(name, this.checkedLeafLabel(name, r.tls.leafDomainLabel), facts.location, parent);
    const leafIssuer = leafCert && createLeafIssuer(name, leafCert, { parent, provider: this.provider });

    this.clusterId = facts.id;
    this.clusterName = facts.name;
    this.resourceGroupName = resourceGroupName;
    this.location = location;
    this.clusterPurpose = pulumi.output(r.clusterPurpose);
    this.totalVcpus = facts.totalVcpus;
    this.apiServerFqdn = facts.apiServerFqdn;
    this.acrId = acr.id;
    this.acrName = acr.name;
    this.acrLoginServer = acr.loginServer;
    this.storageAccountId = account.id;
    this.storageAccountName = account.name;
    this.storageBlobEndpoint = account.primaryEndpoints.apply((e) => e.blob);
    this.modelContainerName = container.name;
    this.modelDataContainerName = modelData.name;
    this.oidcIssuerUrl = facts.oidcIssuerUrl;
    this.kubeletIdentityObjectId = facts.kubeletObjectId;
    this.requiredEgressFqdns = egressNames(facts.apiServerFqdn, leaf).apply(requiredEgressFqdns);
    this.firewallPrivateIp = firewallPrivateIp;
    this.leafDomainFqdn = leaf?.fqdn;
    this.leafDomainUri = leaf && pulumi.interpolate`https://${leaf.fqdn}`;
    this.connection = {
      clusterId: this.clusterId,
      clusterName: this.clusterName,
      resourceGroupName,
      location,
      clusterPurpose: this.clusterPurpose,
      oidcIssuerUrl: this.oidcIssuerUrl,
      acrId: this.acrId,
      acrName: this.acrName,
      acrLoginServer: this.acrLoginServer,
      storageAccountId: this.storageAccountId,
      storageAccountName: this.storageAccountName,
      storageBlobEndpoint: this.storageBlobEndpoint,
      modelContainerName: this.modelContainerName,
      modelDataContainerName: this.modelDataContainerName,
      loadBalancerType: r.loadBalancerType as pulumi.Input<LoadBalancerType>,
      loadBalancerSubnet: r.loadBalancerSubnet,
      sslCname: r.tls.sslCname,
      sslCertPem: r.tls.sslCertPem,
      sslKeyPem: r.tls.sslKeyPem,
      leafDomainLabel: leaf?.fullLabel,
      leafDomainFqdn: leaf?.fqdn,
      leafCertificateIssuer: leafIssuer?.name,
    };

    this.registerOutputs({
      clusterId: this.clusterId,
      clusterName: this.clusterName,
      resourceGroupName: this.resourceGroupName,
      location: this.location,
      clusterPurpose: this.clusterPurpose,
      totalVcpus: this.totalVcpus,
      kubeconfig: this.kubeconfig,
      apiServerFqdn: this.apiServerFqdn,
      acrId: this.acrId,
      acrLoginServer: this.acrLoginServer,
      storageAccountName: this.storageAccountName,
      modelContainerName: this.modelContainerName,
      modelDataContainerName: this.modelDataContainerName,
      oidcIssuerUrl: this.oidcIssuerUrl,
      kubeletIdentityObjectId: this.kubeletIdentityObjectId,
      requiredEgressFqdns: this.requiredEgressFqdns,
      firewallPrivateIp: this.firewallPrivateIp,
      leafDomainFqdn: this.leafDomainFqdn,
      leafDomainUri: this.leafDomainUri,
    });
  }

  /**
   * A label given as an Output is checked by the same rules once known (its length must
   * leave room for the suffix); the name is built from the checked value only.
   */
  private checkedLeafLabel(name: string, label: pulumi.Input<string>): pulumi.Input<string> {
    if (!isUnknown(label)) return label;
    return checkedWhenKnown({ label }, (v) =>
      validateAksInferenceClusterArgs(name, { tls: { leafDomainLabel: v.label } }),
    ).apply((v) => v.label);
  }

  /**
   * Sizing inputs given as Outputs cannot be checked at construction; they are checked
   * here once known, and a failure fails the program with the same InputPropertiesError
   * (an eager apply: it is deliberately not an input of the cluster, whose registration
   * would otherwise hang on the rejected input instead of failing). Also warns for a
   * DevTest cluster below 2 vCPUs.
   */
  private checkSizing(
    name: string,
    args: AksInferenceClusterArgs,
    r: ReturnType<typeof resolveAksInferenceClusterArgs>,
  ): void {
    const sizing = [args.clusterPurpose, args.agentCount, args.vmSize, args.vcpusPerNode];
    const deferred = sizing.some((v) => isUnknown(v));
    checkedWhenKnown(
      {
        purpose: r.clusterPurpose,
        count: r.systemPool.count,
        vmSize: r.systemPool.vmSize,
        vcpus: r.systemPool.vcpusPerNode,
      },
      ({ purpose, count, vmSize, vcpus }) => {
        if (!deferred) return;
        validateAksInferenceClusterArgs(name, {
          clusterPurpose: purpose,
          agentCount: count,
          vmSize,
          vcpusPerNode: args.vcpusPerNode === undefined ? undefined : vcpus,
        });
      },
    ).apply(({ purpose, count, vcpus }) => {
      const warning = devTestWarning(purpose, count * (vcpus ?? 0));
      if (warning) pulumi.log.warn(warning, this);
    });
  }
}
