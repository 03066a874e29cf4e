/**
 * Names the whole platform agrees on: the tags, labels and annotations the components
 * write and the policy pack (and `aksml plan`) read. One definition, so the writers and
 * the checkers cannot drift apart. The router's own contract (the `aksml/webservice`
 * label, the `aksml/config` annotation) lives in `router/contract/serviceConfig.ts`,
 * which has no Pulumi dependency.
 */

/** Tag on the ManagedCluster naming its Azure ML cluster purpose. */
export const CLUSTER_PURPOSE_TAG = "aksml-cluster-purpose";
/** Tag on a node pool whose VM size is not in the vCPU table: its vCPUs per node. */
export const VCPUS_PER_NODE_TAG = "aksml-vcpus-per-node";
/** Annotation on router and model Deployments naming the cluster purpose they run under. */
export const CLUSTER_PURPOSE_ANNOTATION = "aksml/cluster-purpose";
/** Annotation on a model Deployment: how many models it serves (at most 1000). */
export const MODEL_COUNT_ANNOTATION = "aksml/model-count";
/** Label on every Kubernetes object aksml creates, with value {@link PART_OF_VALUE}. */
export const PART_OF_LABEL = "app.kubernetes.io/part-of";
export const PART_OF_VALUE = "aksml";
/** Label naming the router's pods and Deployment, with value {@link ROUTER_APP_NAME}. */
export const APP_NAME_LABEL = "app.kubernetes.io/name";
export const ROUTER_APP_NAME = "azureml-fe";
/** The labels of the router's pods: what network policies admit traffic from. */
export const ROUTER_POD_LABELS = { [APP_NAME_LABEL]: ROUTER_APP_NAME, [PART_OF_LABEL]: PART_OF_VALUE } as const;
/** The label Kubernetes puts on every namespace, naming it (what a NetworkPolicy's namespaceSelector can match). */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
/** Azure cloud provider annotation making a LoadBalancer Service internal. */
export const AZURE_LB_INTERNAL_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal";
/**
 * cert-manager's own label on every HTTP-01 solver pod: what the router's solver Service
 * selects (AzuremlFe), so challenges of whichever ClusterIssuer reach the solver.
 */
export const ACME_SOLVER_POD_SELECTOR = { "acme.cert-manager.io/http01-solver": "true" } as const;
/** The port cert-manager's HTTP-01 solver pods listen on. */
export const ACME_SOLVER_PORT = 8089;
