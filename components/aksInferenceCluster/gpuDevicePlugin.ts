/**
 * The NVIDIA device plugin on the GPU pool. AKS installs the GPU drivers on N-series
 * nodes but not the device plugin, and without it no node advertises `nvidia.com/gpu`:
 * every GPU model pod would stay Pending. The DaemonSet follows NVIDIA's static
 * manifest (k8s-device-plugin, deployments/static), pinned to the GPU pool.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { PART_OF_LABEL, PART_OF_VALUE } from "../shared/conventions.js";

export const GPU_DEVICE_PLUGIN_NAME = "nvidia-device-plugin-daemonset";

export function createGpuDevicePlugin(
  name: string,
  gpuPoolName: pulumi.Input<string>,
  image: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.apps.v1.DaemonSet {
  const labels = { name: "nvidia-device-plugin-ds", [PART_OF_LABEL]: PART_OF_VALUE };
  return new k8s.apps.v1.DaemonSet(
    `${name}-gpu-device-plugin`,
    {
      metadata: { name: GPU_DEVICE_PLUGIN_NAME, namespace: "kube-system", labels },
      spec: {
        selector: { matchLabels: { name: labels.name } },
        updateStrategy: { type: "RollingUpdate" },
        template: {
          metadata: { labels },
          spec: {
            // Only the GPU pool's nodes, whose taint keeps everything else off.
            nodeSelector: { "kubernetes.azure.com/agentpool": gpuPoolName },
            tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
            priorityClassName: "system-node-critical",
            containers: [
              {
                name: "nvidia-device-plugin-ctr",
                image,
                env: [{ name: "FAIL_ON_INIT_ERROR", value: "false" }],
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                volumeMounts: [{ name: "device-plugin", mountPath: "/var/lib/kubelet/device-plugins" }],
              },
            ],
            volumes: [{ name: "device-plugin", hostPath: { path: "/var/lib/kubelet/device-plugins" } }],
          },
        },
      },
    },
    opts,
  );
}

/** The registry host of an image reference (`nvcr.io/nvidia/x:tag` -> `nvcr.io`); Docker Hub for bare names. */
export function imageRegistryHost(image: string): string {
  const first = image.split("/")[0]!;
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")
    ? first
    : "registry-1.docker.io";
}
