// The lifecycle rules of AksInferenceCluster (upgrades, maintenance window, surge, system
// pool autoscaler, autoscaler profile) and of the leaf domain path, each with its path.
import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import {
  aksInferenceClusterProblems,
  resolveAksInferenceClusterArgs,
  type AksInferenceClusterArgs,
} from "../../components/aksInferenceCluster/index.js";
import { maxSurgeProblem } from "../../components/aksInferenceCluster/validateUpgrades.js";
import { SAMPLE_CLUSTER_ID } from "./aksInferenceClusterFixtures.js";

/** [case, args, expected propertyPath, reason fragment] */
const INVALID: [string, AksInferenceClusterArgs, string, RegExp][] = [
  ["unknown channel", { upgrade: { channel: "weekly" as never } }, "upgrade.channel", /none, patch, stable, rapid/],
  ["unknown node OS channel", { upgrade: { nodeOsChannel: "Auto" as never } }, "upgrade.nodeOsChannel", /NodeImage/],
  [
    "node-image channel with another OS channel",
    { upgrade: { channel: "node-image", nodeOsChannel: "SecurityPatch" } },
    "upgrade.nodeOsChannel",
    /requires nodeOsChannel "NodeImage"/,
  ],
  [
    "stable channel with a pinned minor version",
    { kubernetesVersion: "1.33", upgrade: { channel: "stable" } },
    "upgrade.channel",
    /moves the cluster to newer minor versions/,
  ],
  [
    "patch channel with a pinned patch version",
    { kubernetesVersion: "1.33.2", upgrade: { channel: "patch" } },
    "kubernetesVersion",
    /give the minor version only \("1\.33"\)/,
  ],
  [
    "window shorter than AKS allows",
    { upgrade: { maintenanceWindow: { durationHours: 3 } } },
    "upgrade.maintenanceWindow.durationHours",
    /from 4 to 24/,
  ],
  [
    "window longer than a day",
    { upgrade: { maintenanceWindow: { durationHours: 25 } } },
    "upgrade.maintenanceWindow.durationHours",
    /from 4 to 24/,
  ],
  [
    "bad day",
    { upgrade: { maintenanceWindow: { dayOfWeek: "Sat" as never } } },
    "upgrade.maintenanceWindow.dayOfWeek",
    /Saturday/,
  ],
  [
    "bad start time",
    { upgrade: { maintenanceWindow: { startTime: "24:00" } } },
    "upgrade.maintenanceWindow.startTime",
    /HH:mm/,
  ],
  [
    "bad UTC offset",
    { upgrade: { maintenanceWindow: { utcOffset: "+2" } } },
    "upgrade.maintenanceWindow.utcOffset",
    /\+05:30/,
  ],
  [
    "interval of 5 weeks",
    { upgrade: { maintenanceWindow: { intervalWeeks: 5 } } },
    "upgrade.maintenanceWindow.intervalWeeks",
    /from 1 to 4/,
  ],
  [
    "window switch as an Output",
    { upgrade: { maintenanceWindow: { enabled: pulumi.output(true) } } },
    "upgrade.maintenanceWindow.enabled",
    /plain boolean/,
  ],
  ["zero surge", { agentMaxSurge: "0" }, "agentMaxSurge", /from 1 to 1000/],
  [
    "surge over 100%",
    { userNodePools: [{ name: "cpu", vmSize: "Standard_D8s_v5", maxSurge: "150%" }] },
    "userNodePools[0].maxSurge",
    /1% to 100%/,
  ],
  ["surge as words", { gpuNodePool: { maxSurge: "one" } }, "gpuNodePool.maxSurge", /not a surge AKS takes/],
  ["system min without max", { agentMinCount: 3 }, "agentMaxCount", /both agentMinCount and agentMaxCount/],
  ["system min of 0", { agentMinCount: 0, agentMaxCount: 3, agentCount: 3 }, "agentMinCount", /greater than 0/],
  ["system max over AKS's pool size", { agentMinCount: 3, agentMaxCount: 1001 }, "agentMaxCount", /from 1 to 1000/],
  ["system min above max", { agentMinCount: 5, agentMaxCount: 4, agentCount: 4 }, "agentMinCount", /must not exceed/],
  [
    "agentCount outside the bounds",
    { agentMinCount: 3, agentMaxCount: 5, agentCount: 6 },
    "agentCount",
    /between agentMinCount and agentMaxCount/,
  ],
  [
    "FastProd autoscaler floor below 3 nodes",
    { agentMinCount: 2, agentMaxCount: 5, agentCount: 3 },
    "agentMinCount",
    /FastProd needs at least 3 nodes .*raise agentMinCount/,
  ],
  [
    "bad expander",
    { autoscalerProfile: { expander: "cheapest" as never } },
    "autoscalerProfile.expander",
    /least-waste/,
  ],
  [
    "scale-down delay in seconds",
    { autoscalerProfile: { scaleDownDelayAfterAdd: "600s" } },
    "autoscalerProfile.scaleDownDelayAfterAdd",
    /whole minutes from 1m to 1440m/,
  ],
  [
    "scale-down time over a day",
    { autoscalerProfile: { scaleDownUnneededTime: "2000m" } },
    "autoscalerProfile.scaleDownUnneededTime",
    /1440m/,
  ],
  [
    "upgrade settings on an attached cluster",
    { existingClusterId: SAMPLE_CLUSTER_ID, upgrade: { channel: "patch" } },
    "upgrade",
    /configures a created cluster/,
  ],
  [
    "system autoscaler on an attached cluster",
    { existingClusterId: SAMPLE_CLUSTER_ID, agentMinCount: 3, agentMaxCount: 5 },
    "agentMinCount",
    /configures a created cluster/,
  ],
  [
    "leaf label leaving no room for the suffix",
    { tls: { leafDomainLabel: `a${"b".repeat(57)}` } },
    "tls.leafDomainLabel",
    /3-57 lowercase/,
  ],
  [
    "leaf label behind the egress firewall",
    {
      network: { plugin: "azure" },
      egress: { firewall: true },
      acrSku: "Premium",
      tls: { leafDomainLabel: "contosoml" },
    },
    "tls.leafDomainLabel",
    /asymmetric routing/,
  ],
  [
    "leaf certificate without a leaf label",
    { tls: { leafCertificate: { email: "ops@contoso.com" } } },
    "tls.leafCertificate",
    /set tls.leafDomainLabel/,
  ],
  [
    "leaf certificate with a bad email",
    { tls: { leafDomainLabel: "contosoml", leafCertificate: { email: "ops at contoso" } } },
    "tls.leafCertificate.email",
    /not an email address/,
  ],
  [
    "leaf certificate from an unknown environment",
    { tls: { leafDomainLabel: "contosoml", leafCertificate: { acmeEnvironment: "test" as never } } },
    "tls.leafCertificate.acmeEnvironment",
    /production, staging/,
  ],
  [
    "cert-manager switch as an Output",
    { tls: { leafDomainLabel: "contosoml", leafCertificate: { installCertManager: pulumi.output(false) } } },
    "tls.leafCertificate.installCertManager",
    /plain boolean/,
  ],
];

describe("lifecycle and leaf domain validation", () => {
  it.each(INVALID)("rejects %s", (_, args, path, reason) => {
    const problems = aksInferenceClusterProblems("c", args);
    const hit = problems.find((p) => p.propertyPath === path);
    expect(hit, `problems: ${JSON.stringify(problems)}`).toBeDefined();
    expect(hit!.reason).toMatch(reason);
  });

  it.each<[string, AksInferenceClusterArgs]>([
    ["patch channel with a minor version", { kubernetesVersion: "1.33", upgrade: { channel: "patch" } }],
    ["a pinned patch version with the default channel (then none)", { kubernetesVersion: "1.33.2" }],
    ["rapid channel without a version", { upgrade: { channel: "rapid" } }],
    [
      "a full window",
      {
        upgrade: {
          maintenanceWindow: {
            dayOfWeek: "Sunday",
            startTime: "23:59",
            durationHours: 24,
            utcOffset: "-07:00",
            intervalWeeks: 4,
          },
        },
      },
    ],
    ["surges as count and percentage", { agentMaxSurge: "1000", gpuNodePool: { maxSurge: "100%" } }],
    ["a FastProd system autoscaler from 3 nodes", { agentMinCount: 3, agentMaxCount: 6 }],
    ["a DevTest system autoscaler from 1 node", { clusterPurpose: "DevTest", agentMinCount: 1, agentMaxCount: 2 }],
    [
      "an autoscaler profile",
      { autoscalerProfile: { expander: "most-pods", scaleDownDelayAfterAdd: "1m", scaleDownUnneededTime: "1440m" } },
    ],
    ["a 57-character leaf label ending in a dash", { tls: { leafDomainLabel: `a${"b".repeat(55)}-` } }],
    [
      "a leaf certificate from staging without cert-manager",
      { tls: { leafDomainLabel: "try", leafCertificate: { acmeEnvironment: "staging", installCertManager: false } } },
    ],
    ["a leaf label given as an Output (checked once known)", { tls: { leafDomainLabel: pulumi.output("x") } }],
  ])("accepts %s", (_, args) => {
    expect(aksInferenceClusterProblems("c", args)).toEqual([]);
  });

  it("shapes maxSurge like AKS", () => {
    for (const ok of ["1", "33%", "100%", "1000"]) expect(maxSurgeProblem(ok)).toBeUndefined();
    for (const bad of ["0", "0%", "101%", "1001", "-1", "1.5", "33 %", ""]) expect(maxSurgeProblem(bad)).toBeDefined();
  });

  it("starts an autoscaled system pool at its minimum unless agentCount says otherwise", () => {
    expect(resolveAksInferenceClusterArgs("c", { agentMinCount: 3, agentMaxCount: 6 }).systemPool.count).toBe(3);
    expect(
      resolveAksInferenceClusterArgs("c", { agentMinCount: 3, agentMaxCount: 6, agentCount: 5 }).systemPool.count,
    ).toBe(5);
  });
});
