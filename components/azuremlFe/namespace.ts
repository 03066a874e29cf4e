import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { PART_OF_LABEL, PART_OF_VALUE } from "../shared/conventions.js";

/** The router's own namespace. */
export function k8sNamespace(
  logicalName: string,
  name: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    logicalName,
    { metadata: { name, labels: { [PART_OF_LABEL]: PART_OF_VALUE } } },
    opts,
  );
}
