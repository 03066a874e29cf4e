/** Fixed names of the router's Kubernetes objects; the router finds its peers, lease and Deployment by them. */
export const ROUTER_APP_NAME = "azureml-fe";
export const ROUTER_DEPLOYMENT_NAME = "azureml-fe";
export const ROUTER_SERVICE_ACCOUNT_NAME = "azureml-fe";
export const ROUTER_SERVICE_NAME = "azureml-fe";
export const ROUTER_PEERS_SERVICE_NAME = "azureml-fe-peers";
export const ROUTER_LEASE_NAME = "azureml-fe-leader";
export const ROUTER_TLS_SECRET_NAME = "azureml-fe-tls";

export const ROUTER_HTTP_PORT = 8080;
export const ROUTER_HTTPS_PORT = 8443;
export const ROUTER_ADMIN_PORT = 9091;

/** Labels on the router Deployment and pods (platform convention). */
export const ROUTER_LABELS = {
  "app.kubernetes.io/name": ROUTER_APP_NAME,
  "app.kubernetes.io/part-of": "aksml",
} as const;

/** Annotation on the router Deployment recording the cluster purpose. */
export const CLUSTER_PURPOSE_ANNOTATION = "aksml/cluster-purpose";

/** Azure cloud-provider annotations on the LoadBalancer Service. */
export const AZURE_LB_INTERNAL_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal";
export const AZURE_LB_INTERNAL_SUBNET_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal-subnet";
export const AZURE_DNS_LABEL_ANNOTATION = "service.beta.kubernetes.io/azure-dns-label-name";
