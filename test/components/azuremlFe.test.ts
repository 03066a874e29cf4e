import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  startMockRuntime,
  settle,
  outputValue,
  type MockRuntime,
  type CapturedResource,
} from "../../preview/mockRuntime.js";
import {
  AzuremlFe,
  ROUTER_NAMESPACE_RULES,
  ROUTER_SERVICE_NAMESPACE_RULES,
  routerRoleGrants,
} from "../../components/azuremlFe/index.js";
import { azuremlFeArgsProblems } from "../../components/azuremlFe/validate.js";
import { SELF_SCALING_DEFAULTS } from "../../router/autoscaler/selfScaling.js";
import { clusterConnection, reveal, validateK8sObject } from "./modelWebserviceFixtures.js";

/** The repository root: the router image is built from source there (router/Dockerfile). */
const REPOSITORY_ROOT = fileURLToPath(new URL("../../", import.meta.url));

let rt: MockRuntime;
let provider: k8s.Provider;
const fe: Record<string, AzuremlFe> = {};

const dep = (n: string) => reveal(rt.one("kubernetes:apps/v1:Deployment", `${n}-deployment`).inputs) as any;
const container = (n: string) => dep(n).spec.template.spec.containers[0];
const env = (n: string) => Object.fromEntries(container(n).env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
const children = (n: string) => rt.resources.filter((r) => r.parent === rt.one("aksml:index:AzuremlFe", n).urn);

beforeAll(async () => {
  rt = await startMockRuntime();
  provider = new k8s.Provider("k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
  fe.prod = new AzuremlFe("prod", { cluster: clusterConnection() }, { provider });
  fe.dev = new AzuremlFe(
    "dev",
    {
      cluster: clusterConnection({ clusterPurpose: "DevTest" }),
      image: `example.azurecr.io/aksml/azureml-fe@sha256:${"a".repeat(64)}`,
    },
    { provider },
  );
  fe.internal = new AzuremlFe(
    "internal",
    {
      cluster: clusterConnection({ loadBalancerType: "InternalLoadBalancer", loadBalancerSubnet: "aks-ilb" }),
      dnsRecord: { resourceGroupName: "dns-rg", zoneName: "ml.example.com", relativeRecordSetName: "scoring" },
      image: "r/x:1",
    },
    { provider },
  );
  fe.tls = new AzuremlFe(
    "tls",
    {
      cluster: clusterConnection({
        sslCertPem: pulumi.secret("CERT"),
        sslKeyPem: pulumi.secret("KEY"),
        sslCname: "ml.contoso.com",
        leafDomainLabel: "contosoml",
      }),
      image: "r/x:1",
      logLevel: "debug",
      replicas: 5,
    },
    { provider },
  );
  fe.creds = new AzuremlFe(
    "creds",
    { cluster: clusterConnection(), registryCredentials: { username: "push-token", password: "s3cret" } },
    { provider },
  );
  fe.teams = new AzuremlFe(
    "teams",
    {
      cluster: clusterConnection(),
      namespace: "routing",
      image: "r/x:1",
      serviceNamespaces: ["team-a", "team-b"],
      metricsScraper: { namespace: "monitoring", podLabels: { app: "prometheus" } },
    },
    { provider },
  );
  fe.noScraper = new AzuremlFe(
    "noscraper",
    { cluster: clusterConnection(), namespace: "routing2", image: "r/x:1", metricsScraper: { enabled: false } },
    { provider },
  );
  fe.late = new AzuremlFe(
    "late",
    { cluster: clusterConnection({ clusterPurpose: pulumi.output("FastProd" as const) }), image: "r/x:1" },
    { provider },
  );
  await settle();
});

describe("AzuremlFe defaults (FastProd)", () => {
  it("labels and annotates the router Deployment per the platform convention", () => {
    const d = dep("prod");
    const labels = { "app.kubernetes.io/name": "azureml-fe", "app.kubernetes.io/part-of": "aksml" };
    expect(d.metadata.labels).toEqual(labels);
    expect(d.metadata.annotations).toEqual({ "aksml/cluster-purpose": "FastProd" });
    expect(d.metadata.name).toBe("azureml-fe");
    expect(d.metadata.namespace).toBe("azureml");
    // The workload identity webhook gives labelled pods the router's Azure identity (model data capture).
    expect(d.spec.template.metadata.labels).toEqual({ ...labels, "azure.workload.identity/use": "true" });
    expect(d.spec.selector.matchLabels).toEqual(labels);
    // Azure Monitor managed Prometheus scrapes annotated pods.
    expect(d.spec.template.metadata.annotations).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "9091",
      "prometheus.io/path": "/metrics",
    });
  });

  it("runs 3 replicas with a PDB (maxUnavailable 1), anti-affinity and zone spread; the router owns replicas afterwards", () => {
    expect(dep("prod").spec.replicas).toBe(3);
    const pdb = reveal(rt.one("kubernetes:policy/v1:PodDisruptionBudget", "prod-pdb").inputs) as any;
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1 });
    expect(pdb.spec.minAvailable).toBeUndefined();
    const pod = dep("prod").spec.template.spec;
    expect(
      pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey,
    ).toBe("kubernetes.io/hostname");
    expect(pod.topologySpreadConstraints.map((t: any) => t.topologyKey)).toContain("topology.kubernetes.io/zone");
    expect(rt.one("kubernetes:apps/v1:Deployment", "prod-deployment").ignoreChanges).toEqual(["spec.replicas"]);
  });

  it("starts router pods only once their RBAC bindings and the peer secret exist", () => {
    const deps = rt.one("kubernetes:apps/v1:Deployment", "prod-deployment").dependencies;
    for (const [type, name] of [
      ["RoleBinding", "prod-rolebinding"],
      ["RoleBinding", "prod-rolebinding-default"],
    ])
      expect(deps).toContain(rt.one(`kubernetes:rbac.authorization.k8s.io/v1:${type}`, name).urn);
    expect(deps).toContain(rt.one("kubernetes:core/v1:Secret", "prod-peer-secret").urn);
  });

  it("sets ports, the documented environment, probes, resources and a locked-down security context", () => {
    const c = container("prod");
    expect(c.args).toEqual(["serve"]);
    expect(c.ports.map((p: any) => [p.name, p.containerPort])).toEqual([
      ["http", 8080],
      ["https", 8443],
      ["admin", 9091],
    ]);
    expect(env("prod")).toEqual({
      AKSML_BACKEND: "kubernetes",
      AKSML_MAX_REQUEST_BYTES: "104857600",
      AKSML_POD_NAME: { fieldRef: { fieldPath: "metadata.name" } },
      AKSML_POD_NAMESPACE: { fieldRef: { fieldPath: "metadata.namespace" } },
      AKSML_POD_IP: { fieldRef: { fieldPath: "status.podIP" } },
      AKSML_PEERS_SERVICE: "azureml-fe-peers",
      AKSML_LEASE_NAME: "azureml-fe-leader",
      AKSML_ROUTER_DEPLOYMENT: "azureml-fe",
      AKSML_SELF_SCALING: "true",
      AKSML_SELF_SCALING_MIN_PODS: "2",
      AKSML_SELF_SCALING_MAX_PODS: "10",
      AKSML_SELF_SCALING_MIN_CPU_PER_POD: "1",
      AKSML_SELF_SCALING_MAX_CPU_PER_POD: "4",
      AKSML_WORKERS: "auto",
      AKSML_LOG_LEVEL: "info",
      AKSML_SHUTDOWN_GRACE_MS: "65000",
      AKSML_WATCH_NAMESPACES: "default",
      AKSML_PEER_SECRET_FILE: "/etc/aksml/peer/secret",
      AKSML_MODEL_DATA_CONTAINER_URL: "https://aksmlmodels.blob.core.windows.net/modeldata",
      AKSML_CAPTURE_BUFFER_BYTES: "67108864",
      AKSML_CAPTURE_FLUSH_MS: "10000",
    });
    // Endpoint removal propagates before SIGTERM; the pod's grace covers preStop + drain + capture's flush.
    expect(c.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(dep("prod").spec.template.spec.terminationGracePeriodSeconds).toBe(85);
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "admin" });
    expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "admin" });
    // The size comes from the router's LimitRange (azuremlFeSize.test.ts), which the router may rewrite.
    expect(c.resources).toBeUndefined();
    expect(c.resizePolicy).toEqual([
      { resourceName: "cpu", restartPolicy: "NotRequired" },
      { resourceName: "memory", restartPolicy: "RestartContainer" },
    ]);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(dep("prod").spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
  });

  it("builds the router image from the repository and deploys it by digest", async () => {
    const img = reveal(rt.one("docker-build:index:Image", "prod-image").inputs) as any;
    expect(img.context.location).toBe(REPOSITORY_ROOT);
    expect(img.dockerfile.location).toBe(`${REPOSITORY_ROOT}router/Dockerfile`);
    expect(img.push).toBe(true);
    expect(img.buildOnPreview).toBe(false);
    expect(img.tags[0]).toMatch(/^aksmlacr\.azurecr\.io\/aksml\/azureml-fe:/);
    expect(img.registries).toBeUndefined();
    expect(container("prod").image).toMatch(/^aksmlacr\.azurecr\.io\/aksml\/azureml-fe:[^@]+@sha256:[0-9a-f]{64}$/);
    expect(await outputValue(fe.prod.imageRef)).toBe(container("prod").image);
  });

  it("pushes with given registry credentials (an ACR token), the password kept secret", () => {
    const img = rt.one("docker-build:index:Image", "creds-image");
    expect(img.secretInputs).toContain("registries");
    expect((reveal(img.inputs) as any).registries).toEqual([
      { address: "aksmlacr.azurecr.io", username: "push-token", password: "s3cret" },
    ]);
  });

  it("exposes 80->8080 on a public load balancer and the admin port only on the headless peers Service", async () => {
    const svc = reveal(rt.one("kubernetes:core/v1:Service", "prod-service").inputs) as any;
    expect(svc.spec.type).toBe("LoadBalancer");
    expect(svc.spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http" }]);
    expect(svc.metadata.annotations ?? {}).toEqual({});
    const peers = reveal(rt.one("kubernetes:core/v1:Service", "prod-peers").inputs) as any;
    expect(peers.spec.clusterIP).toBe("None");
    expect(peers.spec.ports).toEqual([{ name: "admin", port: 9091, targetPort: "admin" }]);
    expect(await outputValue(fe.prod.endpoint)).toBe("http://20.50.60.70");
    expect(await outputValue(fe.prod.ip)).toBe("20.50.60.70");
    expect(await outputValue(fe.prod.namespace)).toBe("azureml");
    expect(await outputValue(fe.prod.serviceAccountName)).toBe("azureml-fe");
    // No TLS Secret without a certificate (the only Secret is the peer secret).
    expect(
      children("prod")
        .filter((r) => r.type === "kubernetes:core/v1:Secret")
        .map((r) => r.name),
    ).toEqual(["prod-peer-secret"]);
  });

  it("uses the given k8s provider for every Kubernetes object", () => {
    const k8sObjects = children("prod").filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8sObjects.length).toBeGreaterThanOrEqual(9);
    for (const r of k8sObjects) expect(r.provider.startsWith(rt.one("pulumi:providers:kubernetes").urn)).toBe(true);
  });
});

describe("AzuremlFe with a purpose known only later", () => {
  it("still declares the PDB and the purpose-specific Deployment once the purpose resolves", async () => {
    await settle();
    expect(
      (reveal(rt.one("kubernetes:policy/v1:PodDisruptionBudget", "late-pdb").inputs) as any).spec.maxUnavailable,
    ).toBe(1);
    expect(dep("late").spec.replicas).toBe(3);
    expect(dep("late").metadata.annotations).toEqual({ "aksml/cluster-purpose": "FastProd" });
  });
});

describe("AzuremlFe RBAC", () => {
  // Written out by hand: the exact grant, so widening one rule (or adding a ClusterRole) fails here.
  const serviceNamespaceRules = [
    { apiGroups: [""], resources: ["services", "secrets"], verbs: ["list", "watch"] },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    { apiGroups: ["apps"], resources: ["deployments"], verbs: ["list", "watch"] },
    { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "update"] },
    { apiGroups: [""], resources: ["configmaps"], verbs: ["list", "watch", "create", "update"] },
    { apiGroups: [""], resources: ["events"], verbs: ["create"] },
  ];
  const routerNamespaceRules = [
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    {
      apiGroups: ["coordination.k8s.io"],
      resources: ["leases"],
      resourceNames: ["azureml-fe-leader"],
      verbs: ["get", "update"],
    },
    { apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: ["azureml-fe"], verbs: ["get", "update"] },
    { apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["azureml-fe"], verbs: ["get", "patch"] },
    { apiGroups: [""], resources: ["limitranges"], resourceNames: ["azureml-fe"], verbs: ["get", "update"] },
    { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
    { apiGroups: [""], resources: ["pods/resize"], verbs: ["patch"] },
  ];
  const roleOf = (name: string) => reveal(rt.one("kubernetes:rbac.authorization.k8s.io/v1:Role", name).inputs) as any;

  it("grants exactly the documented rules, the exported constants are those rules, and there is no ClusterRole", () => {
    expect(ROUTER_SERVICE_NAMESPACE_RULES).toEqual(serviceNamespaceRules);
    expect(ROUTER_NAMESPACE_RULES).toEqual(routerNamespaceRules);
    expect(rt.resources.filter((r) => /rbac.*:ClusterRole(Binding)?$/.test(r.type))).toEqual([]);
    const roles = children("prod").filter((r) => /rbac.*:Role$/.test(r.type));
    expect(roles.map((r) => r.name).sort()).toEqual(["prod-role", "prod-role-default"]);
    expect(roleOf("prod-role")).toMatchObject({ metadata: { namespace: "azureml" }, rules: routerNamespaceRules });
    expect(roleOf("prod-role-default")).toMatchObject({
      metadata: { namespace: "default" },
      rules: serviceNamespaceRules,
    });
  });

  it("grants one Role per declared service namespace, and nothing in any other", () => {
    const roles = children("teams").filter((r) => /rbac.*:Role$/.test(r.type));
    expect(roles.map((r) => (reveal(r.inputs) as any).metadata.namespace).sort()).toEqual([
      "routing",
      "team-a",
      "team-b",
    ]);
    expect(routerRoleGrants("routing", ["team-a", "team-b"])).toEqual([
      { namespace: "routing", rules: routerNamespaceRules },
      { namespace: "team-a", rules: serviceNamespaceRules },
      { namespace: "team-b", rules: serviceNamespaceRules },
    ]);
    expect(env("teams").AKSML_WATCH_NAMESPACES).toBe("team-a,team-b");
    expect(fe.teams.serviceNamespaces).toEqual(["team-a", "team-b"]);
    expect(fe.teams.connection.serviceNamespaces).toEqual(["team-a", "team-b"]);
  });

  it("binds every Role to the router ServiceAccount", () => {
    for (const name of ["prod-rolebinding", "prod-rolebinding-default"]) {
      const b = reveal(rt.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", name).inputs) as any;
      expect(b.subjects).toEqual([{ kind: "ServiceAccount", name: "azureml-fe", namespace: "azureml" }]);
      expect(b.roleRef.kind).toBe("Role");
    }
    expect(dep("prod").spec.template.spec.serviceAccountName).toBe("azureml-fe");
  });
});

describe("AzuremlFe isolation from other pods", () => {
  it("keeps a random peer secret in a Secret of the router namespace, mounted into router pods only", () => {
    const secret = rt.one("kubernetes:core/v1:Secret", "prod-peer-secret");
    expect(secret.secretInputs).toContain("stringData");
    const manifest = reveal(secret.inputs) as any;
    expect(manifest.metadata).toMatchObject({ name: "azureml-fe-peer-secret", namespace: "azureml" });
    expect(manifest.stringData.secret.length).toBeGreaterThanOrEqual(32);
    expect(rt.one("random:index/randomPassword:RandomPassword", "prod-peer-secret-value").inputs).toMatchObject({
      length: 48,
      special: false,
    });
    const pod = dep("prod").spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: "peer-secret", secret: { secretName: "azureml-fe-peer-secret" } });
    expect(container("prod").volumeMounts).toContainEqual({
      name: "peer-secret",
      mountPath: "/etc/aksml/peer",
      readOnly: true,
    });
    // Never in the environment (env is visible in the pod spec and to `kubectl describe`).
    expect(JSON.stringify(container("prod").env)).not.toContain(manifest.stringData.secret);
  });

  it("admits the data ports from anywhere, the admin port from router pods and the metrics scraper only", () => {
    const policy = (n: string) =>
      reveal(rt.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", `${n}-network-policy`).inputs) as any;
    const routerPods = {
      podSelector: { matchLabels: { "app.kubernetes.io/name": "azureml-fe", "app.kubernetes.io/part-of": "aksml" } },
    };
    const dataPorts = {
      ports: [
        { protocol: "TCP", port: 8080 },
        { protocol: "TCP", port: 8443 },
      ],
    };
    const admin = [{ protocol: "TCP", port: 9091 }];
    expect(policy("prod").metadata.namespace).toBe("azureml");
    expect(policy("prod").spec).toEqual({
      ...routerPods,
      policyTypes: ["Ingress"],
      ingress: [
        dataPorts,
        {
          from: [
            routerPods,
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { rsName: "ama-metrics" } },
            },
          ],
          ports: admin,
        },
      ],
    });
    expect(policy("teams").spec.ingress[1].from[1]).toEqual({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
      podSelector: { matchLabels: { app: "prometheus" } },
    });
    expect(policy("noscraper").spec.ingress[1]).toEqual({ from: [routerPods], ports: admin });
  });
});

describe("AzuremlFe on DevTest, internal and TLS clusters", () => {
  it("DevTest: 1 replica, self-scaling off, no PDB, no spread; a given image is used as is", async () => {
    expect(dep("dev").spec.replicas).toBe(1);
    expect(env("dev").AKSML_SELF_SCALING).toBe("false");
    expect(dep("dev").metadata.annotations).toEqual({ "aksml/cluster-purpose": "DevTest" });
    expect(children("dev").some((r) => r.type.includes("PodDisruptionBudget"))).toBe(false);
    expect(dep("dev").spec.template.spec.affinity).toBeUndefined();
    expect(dep("dev").spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 1, maxSurge: 0 });
    // Nothing scales the router on DevTest, so a changed replicas argument must reach the cluster.
    expect(rt.one("kubernetes:apps/v1:Deployment", "dev-deployment").ignoreChanges ?? []).not.toContain(
      "spec.replicas",
    );
    expect(dep("prod").spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    expect(children("dev").some((r) => r.type === "docker-build:index:Image")).toBe(false);
    expect(container("dev").image).toBe(`example.azurecr.io/aksml/azureml-fe@sha256:${"a".repeat(64)}`);
  });

  it("internal load balancer: Azure's internal annotations and subnet; an A record at the internal IP", async () => {
    const svc = reveal(rt.one("kubernetes:core/v1:Service", "internal-service").inputs) as any;
    expect(svc.metadata.annotations).toEqual({
      "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
      "service.beta.kubernetes.io/azure-load-balancer-internal-subnet": "aks-ilb",
    });
    const rec = rt.one("azure-native:dns:RecordSet", "internal-dns").inputs as any;
    expect(rec).toMatchObject({
      resourceGroupName: "dns-rg",
      zoneName: "ml.example.com",
      relativeRecordSetName: "scoring",
      recordType: "A",
      ttl: 300,
      aRecords: [{ ipv4Address: "10.240.0.200" }],
    });
    expect(await outputValue(fe.internal.endpoint)).toBe("http://scoring.ml.example.com");
  });

  it("TLS: 443->8443 only, a kubernetes.io/tls Secret kept secret, cert files in the environment, DNS label annotation", async () => {
    const svc = reveal(rt.one("kubernetes:core/v1:Service", "tls-service").inputs) as any;
    expect(svc.spec.ports).toEqual([{ name: "https", port: 443, targetPort: "https" }]);
    expect(svc.metadata.annotations).toEqual({ "service.beta.kubernetes.io/azure-dns-label-name": "contosoml" });
    const secret = rt.one("kubernetes:core/v1:Secret", "tls-tls");
    expect(secret.secretInputs).toContain("stringData");
    expect(reveal(secret.inputs)).toMatchObject({
      type: "kubernetes.io/tls",
      stringData: { "tls.crt": "CERT", "tls.key": "KEY" },
    });
    expect(env("tls")).toMatchObject({
      AKSML_TLS_CERT_FILE: "/etc/aksml/tls/tls.crt",
      AKSML_TLS_KEY_FILE: "/etc/aksml/tls/tls.key",
      AKSML_LOG_LEVEL: "debug",
    });
    expect(dep("tls").spec.replicas).toBe(5);
    // The router may scale itself down to SELF_SCALING_DEFAULTS.minPods (2): at every
    // count it can reach, the PDB must still let a node drain evict one router.
    const pdb = (reveal(rt.one("kubernetes:policy/v1:PodDisruptionBudget", "tls-pdb").inputs) as any).spec;
    for (let current = SELF_SCALING_DEFAULTS.minPods; current <= 5; current++) {
      const allowed = pdb.maxUnavailable !== undefined ? pdb.maxUnavailable : current - pdb.minAvailable;
      expect(allowed, `${current} router replicas`).toBeGreaterThanOrEqual(1);
    }
    expect(await outputValue(fe.tls.endpoint)).toBe("https://ml.contoso.com");
  });

  it("every Kubernetes object validates against the Kubernetes schema", () => {
    const objects = rt.resources.filter(
      (r: CapturedResource) => r.type.startsWith("kubernetes:") && r.custom && !r.type.startsWith("pulumi:"),
    );
    expect(objects.length).toBeGreaterThan(30);
    for (const r of objects) expect(() => validateK8sObject(r), r.name).not.toThrow();
  });
});

describe("AzuremlFe validation", () => {
  const base = { cluster: clusterConnection() };
  const cases: [string, Parameters<typeof azuremlFeArgsProblems>[0], string][] = [
    ["namespace pattern", { ...base, namespace: "Bad_NS" }, "namespace"],
    ["namespace not a system one (it is created and deleted)", { ...base, namespace: "kube-system" }, "namespace"],
    ["replicas >= 1", { ...base, replicas: 0 }, "replicas"],
    ["replicas <= 32 (the peer board's bound)", { ...base, replicas: 33 }, "replicas"],
    ["service namespaces: at least one", { ...base, serviceNamespaces: [] }, "serviceNamespaces"],
    [
      "service namespaces: at most 20",
      { ...base, serviceNamespaces: Array.from({ length: 21 }, (_, i) => `ns-${i}`) },
      "serviceNamespaces",
    ],
    ["service namespaces: valid names", { ...base, serviceNamespaces: ["Team_A"] }, "serviceNamespaces[0]"],
    ["service namespaces: never kube-system", { ...base, serviceNamespaces: ["kube-system"] }, "serviceNamespaces[0]"],
    [
      "service namespaces: not the router's own",
      { ...base, serviceNamespaces: ["default", "azureml"] },
      "serviceNamespaces[1]",
    ],
    ["service namespaces: no duplicates", { ...base, serviceNamespaces: ["a", "a"] }, "serviceNamespaces[1]"],
    [
      "service namespaces: plain values (each names a Role)",
      { ...base, serviceNamespaces: [pulumi.output("team-a")] },
      "serviceNamespaces",
    ],
    ["metrics scraper namespace", { ...base, metricsScraper: { namespace: "Mon" } }, "metricsScraper.namespace"],
    ["metrics scraper: a selector", { ...base, metricsScraper: { podLabels: {} } }, "metricsScraper.podLabels"],
    ["replicas integer", { ...base, replicas: 1.5 }, "replicas"],
    ["max request bytes <= 100 MB", { ...base, maxRequestBytes: 200 * 1024 * 1024 }, "maxRequestBytes"],
    ["log level", { ...base, logLevel: "loud" as any }, "logLevel"],
    ["cluster purpose", { cluster: clusterConnection({ clusterPurpose: "Prod" as any }) }, "cluster.clusterPurpose"],
    [
      "load balancer type",
      { cluster: clusterConnection({ loadBalancerType: "Public" as any }) },
      "cluster.loadBalancerType",
    ],
    ["cert without key", { cluster: clusterConnection({ sslCertPem: "c" }) }, "cluster.sslKeyPem"],
    [
      "cert and key without the name they are for",
      { cluster: clusterConnection({ sslCertPem: "c", sslKeyPem: "k" }) },
      "cluster.sslCname",
    ],
    [
      "DNS label on internal LB",
      { cluster: clusterConnection({ loadBalancerType: "InternalLoadBalancer", leafDomainLabel: "x" }) },
      "cluster.leafDomainLabel",
    ],
    [
      "dns ttl",
      { ...base, dnsRecord: { resourceGroupName: "r", zoneName: "z", relativeRecordSetName: "a", ttl: 0 } },
      "dnsRecord.ttl",
    ],
  ];
  it.each(cases)("%s", (_label, args, path) => {
    expect(azuremlFeArgsProblems(args).map((e) => e.propertyPath)).toEqual([path]);
  });
  it("collects every problem into one InputPropertiesError, and accepts Outputs without checking them", () => {
    expect(azuremlFeArgsProblems({ ...base, replicas: pulumi.output(0) })).toEqual([]);
    let err: any;
    try {
      new AzuremlFe("bad", { ...base, namespace: "X", replicas: -1 });
    } catch (e) {
      err = e;
    }
    expect(pulumi.InputPropertiesError.isInstance(err)).toBe(true);
    expect(err.errors.map((e: any) => e.propertyPath)).toEqual(["namespace", "replicas"]);
  });
});
