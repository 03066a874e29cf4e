import { ROUTER_POD_LABELS } from "../shared/conventions.js";

export { AZURE_LB_INTERNAL_ANNOTATION, CLUSTER_PURPOSE_ANNOTATION, ROUTER_APP_NAME } from "../shared/conventions.js";

/** Fixed names of the router's Kubernetes objects; the router finds its peers, lease and Deployment by them. */
export const ROUTER_DEPLOYMENT_NAME = "azureml-fe";
export const ROUTER_SERVICE_ACCOUNT_NAME = "azureml-fe";
export const ROUTER_SERVICE_NAME = "azureml-fe";
export const ROUTER_PEERS_SERVICE_NAME = "azureml-fe-peers";
export const ROUTER_LEASE_NAME = "azureml-fe-leader";
/** The LimitRange holding the router pods' size; the router finds it by its Deployment's name. */
export const ROUTER_LIMIT_RANGE_NAME = ROUTER_DEPLOYMENT_NAME;
export const ROUTER_TLS_SECRET_NAME = "azureml-fe-tls";
/**
 * The leaf domain certificate's Secret, written and renewed by cert-manager. Not
 * `azureml-fe-tls`: switching from your own certificate to a leaf domain must not have
 * Pulumi delete the Secret cert-manager has just taken over.
 */
export const ROUTER_LEAF_TLS_SECRET_NAME = "azureml-fe-leaf-tls";
/** The cert-manager Certificate of the leaf domain. */
export const ROUTER_LEAF_CERTIFICATE_NAME = "azureml-fe-leaf";
/** The Service through which the router reaches cert-manager's HTTP-01 solver pods. */
export const ROUTER_ACME_SOLVER_SERVICE_NAME = "azureml-fe-acme-solver";
/** The Secret holding the peers' shared secret; mounted into router pods only. */
export const ROUTER_PEER_SECRET_NAME = "azureml-fe-peer-secret";
/** The router pods' NetworkPolicy. */
export const ROUTER_NETWORK_POLICY_NAME = "azureml-fe";

export { ROUTER_ADMIN_PORT, ROUTER_HTTP_PORT, ROUTER_HTTPS_PORT } from "../../router/contract/routerEnvironment.js";

/** Labels on the router Deployment and pods (platform convention). */
export const ROUTER_LABELS = ROUTER_POD_LABELS;

/** Azure cloud-provider annotations on the LoadBalancer Service (the internal one is a platform convention). */
export const AZURE_LB_INTERNAL_SUBNET_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal-subnet";
export const AZURE_DNS_LABEL_ANNOTATION = "service.beta.kubernetes.io/azure-dns-label-name";
