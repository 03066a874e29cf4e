/**
 * The endpoint's Kubernetes objects the router reads: a Service with no selector (it
 * fronts no pods; the versions' Services do) labelled `aksml/endpoint: <name>` and
 * annotated `aksml/endpoint-config`, and the `<name>-keys` Secret labelled the same
 * way. Nothing here declares the rollout's live state (`<name>-rollout`): the router
 * owns it, so `pulumi up` never resets or fights it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IService } from "kubernetes-models/v1/Service";
import {
  ENDPOINT_CONFIG_ANNOTATION,
  ENDPOINT_LABEL,
  serializeEndpointConfig,
  type EndpointConfig,
} from "../../router/contract/endpointConfig.js";
import { KEYS_SECRET_SUFFIX } from "../../router/contract/serviceConfig.js";
import { PART_OF_LABEL, PART_OF_VALUE } from "../shared/conventions.js";

export const DESCRIPTION_ANNOTATION = "aksml/description";

/** Labels on the endpoint's Service and keys Secret. */
export const endpointLabels = (name: string) => ({ [ENDPOINT_LABEL]: name, [PART_OF_LABEL]: PART_OF_VALUE });

export function endpointServiceManifest(
  name: string,
  namespace: string,
  config: EndpointConfig,
  description?: string,
): IService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace,
      labels: endpointLabels(name),
      annotations: {
        [ENDPOINT_CONFIG_ANNOTATION]: serializeEndpointConfig(config),
        ...(description ? { [DESCRIPTION_ANNOTATION]: description } : {}),
      },
    },
    // Headless and selector-less: no address, no EndpointSlices; the router routes by the annotation.
    spec: { clusterIP: "None" },
  };
}

export function createEndpointKeysSecret(
  name: string,
  namespace: pulumi.Input<string>,
  primaryKey: pulumi.Input<string>,
  secondaryKey: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    `${name}-keys`,
    {
      metadata: { name: `${name}${KEYS_SECRET_SUFFIX}`, namespace, labels: endpointLabels(name) },
      type: "Opaque",
      stringData: { primaryKey: pulumi.secret(primaryKey), secondaryKey: pulumi.secret(secondaryKey) },
    },
    opts,
  );
}
