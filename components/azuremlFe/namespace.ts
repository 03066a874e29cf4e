import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { ROUTER_LABELS } from "./names.js";

/** The router's own namespace. */
export function k8sNamespace(logicalName: string, name: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(logicalName, { metadata: { name, labels: { "app.kubernetes.io/part-of": ROUTER_LABELS["app.kubernetes.io/part-of"] } } }, opts);
}
