/**
 * The router's environment contract (router/contract/routerEnvironment.ts) from both
 * sides: the env the AzuremlFe component writes is exactly what the router reads and
 * parses to the intended settings, and the image (router/Dockerfile) runs as the user
 * and exposes the ports the components assume.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { ClusterPurpose } from "../../components/shared/clusterConnection.js";
import { routerTopologyFor } from "../../components/azuremlFe/defaults.js";
import {
  routerEnv,
  ROUTER_PEER_SECRET_MOUNT,
  ROUTER_SHUTDOWN_GRACE_SECONDS,
  ROUTER_TLS_MOUNT,
} from "../../components/azuremlFe/deployment.js";
import { acmeSolverUrl } from "../../components/azuremlFe/leafCertificate.js";
import {
  ROUTER_LEASE_NAME,
  ROUTER_PEERS_SERVICE_NAME,
  ROUTER_DEPLOYMENT_NAME,
} from "../../components/azuremlFe/names.js";
import { loadRouterConfig } from "../../router/config.js";
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_REPLICA_TABLE_SIZE,
  DEFAULT_SERVICE_TABLE_SIZE,
  DEFAULT_SHUTDOWN_GRACE_MS,
  ROUTER_ADMIN_PORT,
  ROUTER_ENV,
  ROUTER_HTTP_PORT,
  ROUTER_HTTPS_PORT,
  ROUTER_RUN_AS_USER,
} from "../../router/contract/routerEnvironment.js";

/**
 * The router image's Dockerfiles: router/Dockerfile builds it from source in the
 * repository, router/image.Dockerfile from the installed package's router-image/.
 */
const DOCKERFILES = ["router/Dockerfile", "router/image.Dockerfile"].map(
  (file) => [file, readFileSync(new URL(`../../${file}`, import.meta.url), "utf8")] as const,
);
/** The instructions of an image's last stage (the one that runs). */
const runtimeStageOf = (dockerfile: string) =>
  dockerfile
    .slice(dockerfile.lastIndexOf("\nFROM "))
    .split("\n")
    .filter((l) => l.trim() && !l.trimStart().startsWith("#"));

/** What the kubelet would put in the environment for the pod's fieldRefs. */
const POD_FIELDS: Record<string, string> = {
  "metadata.name": "azureml-fe-7d9c-x2x4q",
  "metadata.namespace": "azureml",
  "status.podIP": "10.244.1.7",
};

const SOLVER_URL = acmeSolverUrl("azureml");

const CONTAINER_URL = "https://aksmlmodels.blob.core.windows.net/modeldata";
/** What the `azureml-fe-appinsights` Secret would hold. */
const CONNECTION_STRING =
  "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/";

function podEnvironment(tls: boolean, acme = false, appInsights = false): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of routerEnv(
    routerTopologyFor(ClusterPurpose.FastProd),
    1_048_576,
    "debug",
    tls,
    ["team-a", "team-b"],
    acme ? SOLVER_URL : undefined,
    { modelDataContainerUrl: CONTAINER_URL, bufferBytes: 8_388_608, flushSeconds: 20, appInsights },
  )) {
    const from = v.valueFrom as { fieldRef?: { fieldPath: string }; secretKeyRef?: unknown } | undefined;
    const fieldPath = from?.fieldRef?.fieldPath;
    env[v.name as string] = fieldPath
      ? POD_FIELDS[fieldPath]!
      : from?.secretKeyRef
        ? CONNECTION_STRING
        : (v.value as string);
  }
  return env;
}

describe("the router environment, written by AzuremlFe and read by the router", () => {
  it("names only variables the router reads, and all of them with TLS and the ACME solver on", () => {
    expect(Object.keys(podEnvironment(true, true, true)).sort()).toEqual(Object.values(ROUTER_ENV).sort());
    expect(Object.keys(podEnvironment(true, true))).not.toContain(ROUTER_ENV.appInsightsConnectionString);
    expect(Object.keys(podEnvironment(true))).not.toContain(ROUTER_ENV.acmeHttp01SolverUrl);
    expect(Object.keys(podEnvironment(false))).not.toContain(ROUTER_ENV.tlsCertFile);
    // The solver URL is only written with TLS: the router refuses it without.
    expect(Object.keys(podEnvironment(false, true))).not.toContain(ROUTER_ENV.acmeHttp01SolverUrl);
  });

  it("gives the router a solver URL it accepts, naming the solver Service", () => {
    expect(loadRouterConfig(podEnvironment(true, true)).acmeHttp01SolverUrl).toBe(
      "http://azureml-fe-acme-solver.azureml.svc.cluster.local:8089",
    );
  });

  it("parses to the settings the component means", () => {
    expect(loadRouterConfig(podEnvironment(true))).toEqual({
      backend: "kubernetes",
      tls: { certFile: `${ROUTER_TLS_MOUNT}/tls.crt`, keyFile: `${ROUTER_TLS_MOUNT}/tls.key` },
      maxRequestBytes: 1_048_576,
      podName: POD_FIELDS["metadata.name"],
      podNamespace: POD_FIELDS["metadata.namespace"],
      podIp: POD_FIELDS["status.podIP"],
      peersService: ROUTER_PEERS_SERVICE_NAME,
      leaseName: ROUTER_LEASE_NAME,
      routerDeployment: ROUTER_DEPLOYMENT_NAME,
      selfScaling: true,
      selfScalingBounds: { minPods: 2, maxPods: 10, minCpuPerPod: 1, maxCpuPerPod: 4 },
      logLevel: "debug",
      shutdownGraceMs: DEFAULT_SHUTDOWN_GRACE_MS,
      watchNamespaces: ["team-a", "team-b"],
      peerSecretFile: `${ROUTER_PEER_SECRET_MOUNT}/secret`,
      maxConnections: DEFAULT_MAX_CONNECTIONS,
      workers: "auto",
      serviceTableSize: DEFAULT_SERVICE_TABLE_SIZE,
      replicaTableSize: DEFAULT_REPLICA_TABLE_SIZE,
      modelData: { containerUrl: CONTAINER_URL },
      captureBufferBytes: 8_388_608,
      captureFlushMs: 20_000,
    });
    expect(loadRouterConfig(podEnvironment(true, false, true)).appInsights).toEqual({
      connectionString: CONNECTION_STRING,
      samplingRatio: 1,
    });
    expect(ROUTER_SHUTDOWN_GRACE_SECONDS * 1000).toBe(DEFAULT_SHUTDOWN_GRACE_MS);
  });
});

describe.each(DOCKERFILES)("the router image (%s)", (_file, dockerfile) => {
  const runtimeStage = runtimeStageOf(dockerfile);
  it("runs as ROUTER_RUN_AS_USER (uid and gid), the user the components' securityContexts name", () => {
    const users = runtimeStage.filter((l) => /^USER\s/.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(users.at(-1)).toBe(`${ROUTER_RUN_AS_USER}:${ROUTER_RUN_AS_USER}`);
  });

  it("exposes the contract's data and admin ports", () => {
    const exposed = runtimeStage
      .filter((l) => /^EXPOSE\s/.test(l))
      .flatMap((l) => l.split(/\s+/).slice(1))
      .map(Number);
    expect(exposed.sort()).toEqual([ROUTER_HTTP_PORT, ROUTER_HTTPS_PORT, ROUTER_ADMIN_PORT].sort());
  });

  it("starts /app/dist/main.js serve, the entrypoint both build paths share", () => {
    expect(runtimeStage).toContain('ENTRYPOINT ["node", "/app/dist/main.js"]');
    expect(runtimeStage).toContain('CMD ["serve"]');
  });
});
