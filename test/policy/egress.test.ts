import { describe, expect, it } from "vitest";
import { firewallCoversEgressFqdns, fqdnCovers, requiredHosts } from "../../policy/policies/egress.js";
import { toPolicyResources } from "../../preview/policyEvaluation.js";
import { serializeServiceConfig } from "../../router/contract/serviceConfig.js";
import { assertHasStackViolation, assertNoStackViolations } from "./helpers.js";
import { API_FQDN, change, modelConfig, productionGraph, setModelConfig, STORAGE_NAME } from "./fixtures.js";

const RULES = "platform-fw-rules";
const inferenceHosts = (p: any) => p.ruleCollections[0].rules[1].targetFqdns as string[];

describe("fqdnCovers", () => {
  it("matches exact hosts, wildcards over subdomains only, and *", () => {
    expect(fqdnCovers("mcr.microsoft.com", "MCR.microsoft.com")).toBe(true);
    expect(fqdnCovers("*.blob.core.windows.net", "acct.blob.core.windows.net")).toBe(true);
    expect(fqdnCovers("*.blob.core.windows.net", "blob.core.windows.net")).toBe(false);
    expect(fqdnCovers("*.core.windows.net", "*.blob.core.windows.net")).toBe(true);
    expect(fqdnCovers("acct.blob.core.windows.net", "*.blob.core.windows.net")).toBe(false);
    expect(fqdnCovers("*", "anything.example")).toBe(true);
  });
});

describe("firewall-covers-egress-fqdns", () => {
  const policy = firewallCoversEgressFqdns();

  it("derives the hosts from the real names in the graph", () => {
    const resources = toPolicyResources(productionGraph());
    const hosts = requiredHosts(resources.find((r) => r.name === "platform-aks")!, resources).map((h) => h.host);
    expect(hosts).toEqual(
      expect.arrayContaining([
        API_FQDN,
        "platformacr1a2b3c4d.azurecr.io",
        `${STORAGE_NAME}.blob.core.windows.net`,
        "mcr.microsoft.com",
      ]),
    );
  });

  it("passes when the rules (and the AKS FQDN tag) cover every host", async () => {
    await assertNoStackViolations(policy, productionGraph());
  });

  it("fails when the storage host is missing, naming it and the rule collection group", async () => {
    const graph = change(
      productionGraph(),
      RULES,
      (p) => (p.ruleCollections[0].rules[1].targetFqdns = inferenceHosts(p).filter((h) => !h.includes(".blob."))),
    );
    await assertHasStackViolation(policy, graph, {
      message: `Cluster 'platform-aks1a2b3c4d' sends egress through the firewall, but its rules do not allow ${STORAGE_NAME}.blob.core.windows.net`,
      resourceName: RULES,
    });
  });

  it("fails without the API server rule; a wildcard rule covers it", async () => {
    const graph = productionGraph().filter((r) => r.name !== "platform-fw-rules-cluster");
    change(graph, RULES, (p) => (p.ruleCollections[0].rules = [p.ruleCollections[0].rules[1]]));
    await assertHasStackViolation(policy, graph, { message: `${API_FQDN} (AKS API server` });
    change(graph, RULES, (p) =>
      p.ruleCollections[0].rules[0].targetFqdns.push(
        "*.hcp.westeurope.azmk8s.io",
        "mcr.microsoft.com",
        "*.data.mcr.microsoft.com",
        "login.microsoftonline.com",
      ),
    );
    await assertNoStackViolations(policy, graph);
  });

  it("does not count Deny collections", async () => {
    const graph = change(productionGraph(), RULES, (p) => (p.ruleCollections[0].action.type = "Deny"));
    await assertHasStackViolation(policy, graph, {
      message: "platformacr1a2b3c4d.azurecr.io (your Azure Container Registry",
    });
  });

  it("requires the token issuer host of token-auth services", async () => {
    const auth = {
      mode: "token" as const,
      issuer: "https://issuer.example.com/",
      audience: "api://churn",
      algorithms: ["RS256"],
    };
    await assertHasStackViolation(
      policy,
      setModelConfig(productionGraph(), serializeServiceConfig(modelConfig({ auth }))),
      { message: "issuer.example.com (token issuer of web service" },
    );
  });

  it("does not apply when egress does not go through the firewall", async () => {
    const graph = change(productionGraph(), "platform-aks", (p) => (p.networkProfile.outboundType = "loadBalancer"));
    change(graph, RULES, (p) => (p.ruleCollections = []));
    await assertNoStackViolations(policy, graph);
  });
});
