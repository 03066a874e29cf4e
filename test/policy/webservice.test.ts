import { describe, expect, it } from "vitest";
import {
  noHpaOnModelDeployments,
  tokenIssuerRegion,
  webserviceAuthRequired,
  webserviceAutoscaleBounds,
  webserviceConfigValid,
  webserviceMaxModels,
  webserviceSingleAuthMode,
  webserviceUniqueNames,
} from "../../policy/policies/webservice.js";
import { serializeServiceConfig } from "../../router/contract/serviceConfig.js";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNoResourceViolations,
  assertNoStackViolations,
  createResourceValidationArgs,
  runResourcePolicy,
  runStackPolicy,
} from "./helpers.js";
import { change, modelConfig, productionGraph, propsOf, resource, setModelConfig } from "./fixtures.js";

const SERVICE = "kubernetes:core/v1:Service";
const serviceProps = () => propsOf("churn-service");
const modelDeploymentProps = () => propsOf("churn-deployment");
const withConfig = (config: unknown) => {
  const props = serviceProps();
  props.metadata.annotations["aksml/config"] = typeof config === "string" ? config : JSON.stringify(config);
  return createResourceValidationArgs(SERVICE, props, "churn-service");
};
const tokenAuth = {
  mode: "token" as const,
  issuer: "https://login.microsoftonline.com/tenant/v2.0",
  audience: "api://churn",
  algorithms: ["RS256"],
};

describe("webservice-autoscale-bounds", () => {
  const policy = webserviceAutoscaleBounds();
  it("passes the defaults", async () => {
    await assertNoResourceViolations(policy, createResourceValidationArgs(SERVICE, serviceProps()));
  });
  it("fails min > max, naming both values", async () => {
    const config = modelConfig();
    config.autoscale.minReplicas = 5;
    config.autoscale.maxReplicas = 2;
    await assertHasResourceViolation(policy, withConfig(serializeServiceConfig(config)), {
      message: "autoscale.minReplicas (5) must be <= autoscale.maxReplicas (2)",
    });
  });
  it("fails a target utilization above 100 and a refresh below 1 s", async () => {
    const config = JSON.parse(serializeServiceConfig(modelConfig()));
    config.autoscale.targetUtilization = 150;
    await assertHasResourceViolation(policy, withConfig(config), {
      message: "autoscale.targetUtilization must be <= 100, got 150",
    });
    config.autoscale.targetUtilization = 70;
    config.autoscale.refreshSeconds = 0;
    await assertHasResourceViolation(policy, withConfig(config), {
      message: "autoscale.refreshSeconds must be >= 1, got 0",
    });
  });
  it("does not apply to Services without the annotation", async () => {
    const props = serviceProps();
    delete props.metadata.annotations;
    expect(await runResourcePolicy(policy, createResourceValidationArgs(SERVICE, props))).toEqual([]);
  });
});

describe("webservice-config-valid", () => {
  const policy = webserviceConfigValid();
  it("passes a serialized config", async () => {
    await assertNoResourceViolations(policy, createResourceValidationArgs(SERVICE, serviceProps()));
  });
  it("fails token auth without an audience and unparseable JSON", async () => {
    await assertHasResourceViolation(
      policy,
      withConfig({
        ...JSON.parse(serializeServiceConfig(modelConfig())),
        auth: { mode: "token", issuer: tokenAuth.issuer },
      }),
      {
        message: 'auth.audience is required when auth.mode is "token"',
      },
    );
    await assertHasResourceViolation(policy, withConfig("{not json"), { message: "$ not valid JSON" });
  });
});

describe("webservice-single-auth-mode", () => {
  const policy = webserviceSingleAuthMode();
  it("passes key auth alone and token auth alone", async () => {
    await assertNoResourceViolations(policy, createResourceValidationArgs(SERVICE, serviceProps()));
    await assertNoResourceViolations(policy, withConfig(serializeServiceConfig(modelConfig({ auth: tokenAuth }))));
  });
  it("fails key auth carrying token settings", async () => {
    const config = JSON.parse(serializeServiceConfig(modelConfig()));
    config.auth = { mode: "key", issuer: tokenAuth.issuer, audience: tokenAuth.audience };
    await assertHasResourceViolation(policy, withConfig(config), {
      message:
        'key and token auth must never both be on; found auth.mode "key" together with token settings (auth.issuer, auth.audience)',
    });
  });
});

describe("webservice-auth-required", () => {
  const policy = webserviceAuthRequired();
  const noAuth = serializeServiceConfig(modelConfig({ auth: { mode: "none", algorithms: ["RS256"] } }));
  it("passes key auth on FastProd and no auth on DevTest", async () => {
    await assertNoStackViolations(policy, productionGraph());
    await assertNoStackViolations(policy, setModelConfig(productionGraph("DevTest"), noAuth));
  });
  it("fails no auth on FastProd", async () => {
    await assertHasStackViolation(policy, setModelConfig(productionGraph(), noAuth), {
      message: `Web service 'churn' has auth.mode "none" on a FastProd cluster; auth is required outside DevTest`,
      resourceName: "churn-service",
    });
  });
  it("falls back to the cluster's purpose tag when the Deployment has no annotation", async () => {
    const graph = setModelConfig(productionGraph("DevTest"), noAuth);
    change(graph, "churn-deployment", (p) => delete p.metadata.annotations["aksml/cluster-purpose"]);
    await assertNoStackViolations(policy, graph);
    change(graph, "platform-aks", (p) => (p.tags["aksml-cluster-purpose"] = "DenseProd"));
    await assertHasStackViolation(policy, graph, { message: "on a DenseProd cluster" });
  });
  it("a DevTest annotation on the Deployment does not switch auth off on a FastProd cluster", async () => {
    const graph = setModelConfig(productionGraph(), noAuth);
    change(graph, "churn-deployment", (p) => (p.metadata.annotations["aksml/cluster-purpose"] = "DevTest"));
    await assertHasStackViolation(policy, graph, { message: 'has auth.mode "none" on a FastProd cluster' });
  });
});

describe("webservice-unique-names", () => {
  const policy = webserviceUniqueNames();
  /** The churn Service again, in another namespace (a look-alike with auth off). */
  const lookAlike = (namespace: string) => {
    const props = serviceProps();
    props.metadata.namespace = namespace;
    props.metadata.annotations["aksml/config"] = serializeServiceConfig(
      modelConfig({ auth: { mode: "none", algorithms: ["RS256"] } }),
    );
    return resource(SERVICE, `churn-${namespace}-service`, props);
  };
  it("passes one Service per name", async () => {
    await assertNoStackViolations(policy, productionGraph());
  });
  it("flags every Service claiming a name another one claims, naming the namespaces", async () => {
    const graph = [...productionGraph(), lookAlike("team-b")];
    const violations = await runStackPolicy(policy, graph);
    expect(violations.map((v) => v.resource?.name)).toEqual(["churn-service", "churn-team-b-service"]);
    for (const v of violations) {
      expect(v.message).toContain(
        "Web service name 'churn' is declared by 2 model Services (namespaces 'models', 'team-b')",
      );
      expect(v.message).toContain("Fix: keep one web service per name");
    }
  });
  it("ignores Services that are not model Services", async () => {
    const graph = productionGraph();
    const plain = structuredClone(serviceProps());
    plain.metadata.namespace = "team-b";
    delete plain.metadata.annotations["aksml/config"];
    await assertNoStackViolations(policy, [...graph, resource(SERVICE, "churn-plain", plain)]);
  });
});

describe("no-hpa-on-model-deployments", () => {
  const policy = noHpaOnModelDeployments();
  const hpa = (target: string, namespace = "models") =>
    resource("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", `${target}-hpa`, {
      metadata: { name: `${target}-hpa`, namespace },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target },
        minReplicas: 1,
        maxReplicas: 5,
      },
    });
  it("passes an HPA on a non-model Deployment (or in another namespace)", async () => {
    await assertNoStackViolations(policy, [...productionGraph(), hpa("some-api"), hpa("churn", "other")]);
  });
  it("fails an HPA targeting a model Deployment", async () => {
    await assertHasStackViolation(policy, [...productionGraph(), hpa("churn")], {
      message:
        "HorizontalPodAutoscaler 'churn-hpa' targets model Deployment 'churn' (web service 'churn'); the router scales model Deployments",
      resourceName: "churn-hpa",
    });
  });
});

describe("webservice-max-models", () => {
  const policy = webserviceMaxModels();
  const withCount = (n: string) => {
    const props = modelDeploymentProps();
    props.metadata.annotations["aksml/model-count"] = n;
    return createResourceValidationArgs("kubernetes:apps/v1:Deployment", props);
  };
  it("passes 1000 models", async () => {
    await assertNoResourceViolations(policy, withCount("1000"));
  });
  it("fails 1001 models", async () => {
    await assertHasResourceViolation(policy, withCount("1001"), {
      message: `Web service 'churn' deploys "1001" models; at most 1000 models are allowed per deployment`,
    });
  });
});

describe("token-issuer-region", () => {
  const policy = tokenIssuerRegion();
  const token = (issuerRegion: string) => serializeServiceConfig(modelConfig({ auth: { ...tokenAuth, issuerRegion } }));
  it("passes an issuer in the cluster's region (any spelling)", async () => {
    await assertNoStackViolations(policy, setModelConfig(productionGraph(), token("West Europe")));
  });
  it("reads the region of an AKS OIDC issuer from its host; a global issuer has none", async () => {
    const aksIssuer = (region: string) =>
      serializeServiceConfig(
        modelConfig({ auth: { ...tokenAuth, issuer: `https://${region}.oic.prod-aks.azure.com/tenant/guid/` } }),
      );
    await assertNoStackViolations(policy, setModelConfig(productionGraph(), aksIssuer("westeurope")));
    await assertHasStackViolation(policy, setModelConfig(productionGraph(), aksIssuer("northeurope")), {
      message: "issuer in region 'northeurope'",
    });
    await assertNoStackViolations(
      policy,
      setModelConfig(productionGraph(), serializeServiceConfig(modelConfig({ auth: tokenAuth }))),
    );
  });
  it("advises when the issuer is in another region", async () => {
    await assertHasStackViolation(policy, setModelConfig(productionGraph(), token("eastus")), {
      message:
        "Web service 'churn' validates tokens from an issuer in region 'eastus' while the cluster runs in 'westeurope'",
    });
    expect(policy.enforcementLevel).toBe("advisory");
  });
});
