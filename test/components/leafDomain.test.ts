// The leaf domain path under Pulumi's mock runtime: AksInferenceCluster names the
// router's public IP `<label><suffix>` and installs cert-manager with a Let's Encrypt
// ClusterIssuer; AzuremlFe asks that issuer for the certificate of the generated host
// name, mounts the Secret it writes, and opens port 80 for the HTTP-01 challenge only.
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, settle, outputValue, type MockRuntime } from "../../preview/mockRuntime.js";
import { AksInferenceCluster } from "../../components/aksInferenceCluster/index.js";
import { AzuremlFe } from "../../components/azuremlFe/index.js";
import {
  ACME_DIRECTORIES,
  ACME_INGRESS_CLASS,
  CERT_MANAGER_CHART,
} from "../../components/aksInferenceCluster/certManager.js";
import { evaluatePolicies } from "../../preview/policyEvaluation.js";
import { inputsOf, reveal, SAMPLE_CLUSTER_ID, T } from "./aksInferenceClusterFixtures.js";

const K = {
  release: "kubernetes:helm.sh/v3:Release",
  issuer: "kubernetes:cert-manager.io/v1:ClusterIssuer",
  certificate: "kubernetes:cert-manager.io/v1:Certificate",
  service: "kubernetes:core/v1:Service",
  deployment: "kubernetes:apps/v1:Deployment",
  random: "random:index/randomString:RandomString",
};

let rt: MockRuntime;
const c: Record<string, AksInferenceCluster> = {};
const fe: Record<string, AzuremlFe> = {};

beforeAll(async () => {
  rt = await startMockRuntime();
  c.leaf = new AksInferenceCluster("leaf", {
    tls: { leafDomainLabel: "contosoml", leafCertificate: { email: "ops@contoso.com" } },
  });
  fe.leaf = new AzuremlFe("leaf-fe", { cluster: c.leaf.connection }, { provider: c.leaf.provider });
  c.staging = new AksInferenceCluster("stg", {
    clusterPurpose: "DevTest",
    tls: { leafDomainLabel: "try-", leafCertificate: { acmeEnvironment: "staging", installCertManager: false } },
  });
  // Attached in another region than the platform's resource group: the name follows the cluster.
  c.attached = new AksInferenceCluster("att", {
    existingClusterId: SAMPLE_CLUSTER_ID,
    location: "northeurope",
    tls: { leafDomainLabel: "shared" },
  });
  c.late = new AksInferenceCluster("late", { tls: { leafDomainLabel: pulumi.output("latelabel") } });
  c.plain = new AksInferenceCluster("plain", { clusterPurpose: "DevTest" });
  fe.plain = new AzuremlFe("plain-fe", { cluster: c.plain.connection }, { provider: c.plain.provider });
  await settle();
});

const childrenOf = (type: string, name: string) => {
  const urn = rt.one(type, name).urn;
  return rt.resources.filter((r) => r.parent === urn);
};

describe("the generated name", () => {
  it("draws a stable 6-character lowercase suffix kept by the label", () => {
    const suffix = rt.one(K.random, "leaf-leaf-suffix");
    expect(suffix.inputs).toMatchObject({
      length: 6,
      lower: true,
      upper: false,
      numeric: true,
      special: false,
      keepers: { leafDomainLabel: "contosoml" },
    });
    expect(suffix.parent).toBe(rt.one(T.component, "leaf").urn);
  });

  it("outputs the full host name and the https base of every scoring URI", async () => {
    const label = await outputValue(c.leaf.connection.leafDomainLabel!);
    expect(label).toMatch(/^contosoml[a-z0-9]{6}$/);
    const fqdn = `${label}.westeurope.cloudapp.azure.com`;
    expect(await outputValue(c.leaf.leafDomainFqdn!)).toBe(fqdn);
    expect(await outputValue(c.leaf.leafDomainUri!)).toBe(`https://${fqdn}`);
    expect(await outputValue(c.leaf.connection.leafDomainFqdn!)).toBe(fqdn);
    expect(await outputValue(fe.leaf.endpoint)).toBe(`https://${fqdn}`);
  });

  it("names the host in the attached cluster's region, not the platform's", async () => {
    // The mocked existing cluster is in westeurope; the platform's resource group in northeurope.
    expect(await outputValue(c.attached.location)).toBe("northeurope");
    expect(await outputValue(c.attached.leafDomainFqdn!)).toMatch(
      /^shared[a-z0-9]{6}\.westeurope\.cloudapp\.azure\.com$/,
    );
  });

  it("builds a label given as an Output once it is known", async () => {
    expect(await outputValue(c.late.leafDomainFqdn!)).toMatch(/^latelabel[a-z0-9]{6}\.westeurope\./);
  });

  it("adds the host, Let's Encrypt and cert-manager's registry to the required egress", async () => {
    const fqdns = await outputValue(c.leaf.requiredEgressFqdns);
    expect(fqdns).toEqual(
      expect.arrayContaining([
        await outputValue(c.leaf.leafDomainFqdn!),
        "acme-v02.api.letsencrypt.org",
        "quay.io",
        "*.quay.io",
      ]),
    );
    const staging = await outputValue(c.staging.requiredEgressFqdns);
    expect(staging).toContain("acme-staging-v02.api.letsencrypt.org");
    // No cert-manager installed there, so no quay.io.
    expect(staging).not.toContain("quay.io");
  });
});

describe("cert-manager and the issuer (AksInferenceCluster)", () => {
  it("installs cert-manager from its pinned chart with its CRDs, through the cluster's provider", () => {
    const release = rt.one(K.release, "leaf-cert-manager");
    expect(reveal(release.inputs)).toMatchObject({
      chart: "cert-manager",
      version: CERT_MANAGER_CHART.version,
      repositoryOpts: { repo: "https://charts.jetstack.io" },
      namespace: "cert-manager",
      createNamespace: true,
      values: { crds: { enabled: true, keep: true } },
    });
    expect(CERT_MANAGER_CHART.version).toMatch(/^v1\.\d+\.\d+$/);
    expect(release.provider.startsWith(rt.one(T.k8sProvider, "leaf-k8s").urn)).toBe(true);
    expect(release.parent).toBe(rt.one(T.component, "leaf").urn);
  });

  it("declares an ACME ClusterIssuer with the router-relayed HTTP-01 solver, after cert-manager", () => {
    const issuer = rt.one(K.issuer, "leaf-leaf-issuer");
    const spec = reveal(issuer.inputs).spec;
    expect(reveal(issuer.inputs).metadata.name).toBe("aksml-letsencrypt");
    expect(spec.acme).toMatchObject({
      server: ACME_DIRECTORIES.production,
      email: "ops@contoso.com",
      privateKeySecretRef: { name: "aksml-letsencrypt-account-key" },
    });
    expect(spec.acme.solvers).toEqual([
      {
        http01: {
          ingress: {
            ingressClassName: ACME_INGRESS_CLASS,
            serviceType: "ClusterIP",
            podTemplate: {
              metadata: {
                labels: { "app.kubernetes.io/part-of": "aksml", "app.kubernetes.io/component": "acme-http01-solver" },
              },
              spec: { nodeSelector: { "kubernetes.io/os": "linux" } },
            },
          },
        },
      },
    ]);
    expect(issuer.dependencies).toContain(rt.one(K.release, "leaf-cert-manager").urn);
    expect(issuer.provider.startsWith(rt.one(T.k8sProvider, "leaf-k8s").urn)).toBe(true);
  });

  it("is valid against cert-manager's own CRD schema", async () => {
    const { ClusterIssuer } = await import("@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer");
    const manifest = reveal(rt.one(K.issuer, "leaf-leaf-issuer").inputs);
    expect(() => new ClusterIssuer(manifest).validate()).not.toThrow();
    const broken = {
      ...manifest,
      spec: { acme: { ...manifest.spec.acme, solvers: [{ http01: { ingress: { serviceType: 5 } } }] } },
    };
    expect(() => new ClusterIssuer(broken).validate()).toThrow();
  });

  it("uses the staging directory under its own issuer name, and installs nothing when told the cluster has cert-manager", () => {
    const issuer = reveal(rt.one(K.issuer, "stg-leaf-issuer").inputs);
    expect(issuer.metadata.name).toBe("aksml-letsencrypt-staging");
    expect(issuer.spec.acme.server).toBe(ACME_DIRECTORIES.staging);
    expect(issuer.spec.acme.email).toBeUndefined();
    expect(rt.ofType(K.release).map((r) => r.name)).not.toContain("stg-cert-manager");
    expect(rt.one(K.issuer, "stg-leaf-issuer").dependencies).not.toContain(expect.stringContaining("cert-manager"));
  });

  it("creates no issuer, release, suffix, certificate or port 80 without a leaf label", async () => {
    const kinds = [K.issuer, K.release, K.random, K.certificate];
    const mine = (prefix: string) => rt.resources.filter((r) => kinds.includes(r.type) && r.name.startsWith(prefix));
    expect(mine("plain").map((r) => r.name)).toEqual(["plain-suffix"]); // the ACR/storage name suffix only
    expect(c.plain.leafDomainFqdn).toBeUndefined();
    expect(c.plain.connection.leafCertificateIssuer).toBeUndefined();
    expect(reveal(rt.one(K.service, "plain-fe-service").inputs).spec.ports).toEqual([
      { name: "http", port: 80, targetPort: "http" },
    ]);
    expect(() => rt.one(K.service, "plain-fe-acme-solver")).toThrow();
    expect(await outputValue(fe.plain.endpoint)).toBe("http://20.50.60.70");
  });
});

describe("the router's certificate (AzuremlFe)", () => {
  it("asks the cluster's issuer for the generated host, into the Secret the router mounts", async () => {
    const cert = rt.one(K.certificate, "leaf-fe-leaf-certificate");
    const manifest = reveal(cert.inputs);
    expect(manifest.metadata).toMatchObject({
      name: "azureml-fe-leaf",
      namespace: "azureml",
      annotations: { "cert-manager.io/issue-temporary-certificate": "true" },
    });
    expect(manifest.spec).toEqual({
      secretName: "azureml-fe-leaf-tls",
      secretTemplate: { labels: { "app.kubernetes.io/name": "azureml-fe", "app.kubernetes.io/part-of": "aksml" } },
      dnsNames: [await outputValue(c.leaf.leafDomainFqdn!)],
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "aksml-letsencrypt" },
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    });
    // The Certificate names the issuer's output, so it waits for the issuer (and cert-manager).
    expect(cert.dependencies).toContain(rt.one(K.issuer, "leaf-leaf-issuer").urn);
    const { Certificate } = await import("@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate");
    expect(() => new Certificate(manifest).validate()).not.toThrow();
  });

  it("mounts that Secret, turns TLS on and points the ACME port at the solver Service", () => {
    const dep = reveal(rt.one(K.deployment, "leaf-fe-deployment").inputs);
    const pod = dep.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: "tls", secret: { secretName: "azureml-fe-leaf-tls" } });
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({
      AKSML_TLS_CERT_FILE: "/etc/aksml/tls/tls.crt",
      AKSML_TLS_KEY_FILE: "/etc/aksml/tls/tls.key",
      AKSML_ACME_HTTP01_SOLVER_URL: "http://azureml-fe-acme-solver.azureml.svc.cluster.local:8089",
    });
    // Pods start once the Certificate exists (its temporary certificate fills the Secret first).
    expect(rt.one(K.deployment, "leaf-fe-deployment").dependencies).toContain(
      rt.one(K.certificate, "leaf-fe-leaf-certificate").urn,
    );
    // No Pulumi-managed TLS Secret on this path.
    expect(childrenOf("aksml:index:AzuremlFe", "leaf-fe").map((r) => r.name)).not.toContain("leaf-fe-tls");
  });

  it("selects cert-manager's solver pods with the solver Service", () => {
    const svc = reveal(rt.one(K.service, "leaf-fe-acme-solver").inputs);
    expect(svc.metadata).toMatchObject({ name: "azureml-fe-acme-solver", namespace: "azureml" });
    expect(svc.spec).toEqual({
      type: "ClusterIP",
      selector: { "acme.cert-manager.io/http01-solver": "true" },
      ports: [{ name: "http", port: 8089, targetPort: 8089 }],
    });
  });

  it("puts the suffixed label on the public load balancer, with 443 for HTTPS and 80 for the challenge", async () => {
    const svc = reveal(rt.one(K.service, "leaf-fe-service").inputs);
    expect(svc.metadata.annotations).toEqual({
      "service.beta.kubernetes.io/azure-dns-label-name": await outputValue(c.leaf.connection.leafDomainLabel!),
    });
    expect(svc.spec.ports).toEqual([
      { name: "https", port: 443, targetPort: "https" },
      { name: "acme-http01", port: 80, targetPort: "http" },
    ]);
  });
});

describe("the policy pack", () => {
  it("passes the FastProd leaf domain platform (router-tls-on-public-lb included)", () => {
    const graph = rt.resources.filter((r) => r.name === "leaf" || r.name === "leaf-fe" || r.name.startsWith("leaf-"));
    expect(graph.some((r) => r.type === K.certificate)).toBe(true);
    const verdicts = evaluatePolicies(graph).filter((v) => v.enforcementLevel === "mandatory");
    expect(verdicts.map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
  });

  it("still catches a public router whose TLS was taken away on this path", () => {
    const graph = structuredClone(
      rt.resources.filter((r) => r.name === "leaf" || r.name === "leaf-fe" || r.name.startsWith("leaf-")),
    );
    const dep = graph.find((r) => r.name === "leaf-fe-deployment")!;
    for (const props of [dep.inputs, dep.state] as any[])
      for (const ctr of props.spec.template.spec.containers)
        ctr.env = ctr.env.filter((e: { name: string }) => !e.name.startsWith("AKSML_TLS_"));
    const verdicts = evaluatePolicies(graph).filter((v) => v.enforcementLevel === "mandatory");
    expect(verdicts.map((v) => v.policy)).toEqual(["router-tls-on-public-lb"]);
  });
});

describe("inputs of the ManagedCluster are unchanged by the leaf path", () => {
  it("keeps the cluster's own settings (the leaf path adds Kubernetes objects only)", () => {
    const aks = inputsOf(rt, T.cluster, "leaf-aks");
    expect(aks.networkProfile.outboundType).toBe("loadBalancer");
  });
});
