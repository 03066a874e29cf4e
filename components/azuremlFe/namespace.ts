import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { PART_OF_LABEL, PART_OF_VALUE } from "../shared/conventions.js";

/**
 * Pod Security Admission labels: the router namespace admits only pods meeting the
 * `restricted` standard (router pods do; so do cert-manager's ACME solver pods since
 * cert-manager 1.10). The router may patch its own Deployment (self-scaling restarts);
 * this bounds what any template written there could run.
 */
export const ROUTER_NAMESPACE_POD_SECURITY = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
} as const;

/** The router's own namespace. */
export function k8sNamespace(
  logicalName: string,
  name: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    logicalName,
    { metadata: { name, labels: { [PART_OF_LABEL]: PART_OF_VALUE, ...ROUTER_NAMESPACE_POD_SECURITY } } },
    opts,
  );
}
