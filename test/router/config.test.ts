/** The router's environment: defaults, TLS pairing, limits, and one error listing every bad value. */
import { describe, expect, it } from "vitest";
import { loadRouterConfig, RouterConfigError } from "../../router/config.js";
import { MAX_REQUEST_BYTES } from "../../router/contract/serviceConfig.js";

const GUID = "00000000-1111-2222-3333-444444444444";

describe("loadRouterConfig", () => {
  it("applies the defaults", () => {
    const c = loadRouterConfig({ AKSML_POD_NAME: "azureml-fe-0" });
    expect(c).toMatchObject({
      backend: "kubernetes",
      tls: undefined,
      maxRequestBytes: MAX_REQUEST_BYTES,
      podName: "azureml-fe-0",
      selfScaling: false,
      logLevel: "info",
      shutdownGraceMs: 65_000,
      maxConnections: 4096,
      workers: "auto",
      serviceTableSize: 1024,
      replicaTableSize: 8192,
    });
  });

  it("reads every variable", () => {
    const c = loadRouterConfig({
      AKSML_BACKEND: "local",
      AKSML_TLS_CERT_FILE: "/tls/tls.crt",
      AKSML_TLS_KEY_FILE: "/tls/tls.key",
      AKSML_MAX_REQUEST_BYTES: "1048576",
      AKSML_POD_NAME: "p",
      AKSML_POD_NAMESPACE: "azureml",
      AKSML_POD_IP: "10.0.0.5",
      AKSML_PEERS_SERVICE: "azureml-fe-peers",
      AKSML_LEASE_NAME: "azureml-fe-leader",
      AKSML_ROUTER_DEPLOYMENT: "azureml-fe",
      AKSML_SELF_SCALING: "true",
      AKSML_SELF_SCALING_MIN_PODS: "2",
      AKSML_SELF_SCALING_MAX_PODS: "10",
      AKSML_SELF_SCALING_MIN_CPU_PER_POD: "1",
      AKSML_SELF_SCALING_MAX_CPU_PER_POD: "4",
      AKSML_LOG_LEVEL: "debug",
      AKSML_SHUTDOWN_GRACE_MS: "0",
      AKSML_WATCH_NAMESPACES: "team-a,team-b",
      AKSML_PEER_SECRET_FILE: "/etc/aksml/peer/secret",
      AKSML_MAX_CONNECTIONS: "100",
      AKSML_WORKERS: "3",
      AKSML_SERVICE_TABLE_SIZE: "64",
      AKSML_REPLICA_TABLE_SIZE: "512",
      AKSML_MODEL_DATA_CONTAINER_URL: "https://acct.blob.core.windows.net/modeldata",
      AKSML_CAPTURE_BUFFER_BYTES: "8388608",
      AKSML_CAPTURE_FLUSH_MS: "0",
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${GUID};IngestionEndpoint=https://x/`,
      AKSML_APP_INSIGHTS_SAMPLING_RATIO: "0.25",
    });
    expect(c).toEqual({
      backend: "local",
      tls: { certFile: "/tls/tls.crt", keyFile: "/tls/tls.key" },
      maxRequestBytes: 1048576,
      podName: "p",
      podNamespace: "azureml",
      podIp: "10.0.0.5",
      peersService: "azureml-fe-peers",
      leaseName: "azureml-fe-leader",
      routerDeployment: "azureml-fe",
      selfScaling: true,
      selfScalingBounds: { minPods: 2, maxPods: 10, minCpuPerPod: 1, maxCpuPerPod: 4 },
      logLevel: "debug",
      shutdownGraceMs: 0,
      watchNamespaces: ["team-a", "team-b"],
      peerSecretFile: "/etc/aksml/peer/secret",
      maxConnections: 100,
      workers: 3,
      serviceTableSize: 64,
      replicaTableSize: 512,
      modelData: { containerUrl: "https://acct.blob.core.windows.net/modeldata" },
      captureBufferBytes: 8388608,
      captureFlushMs: 0,
      appInsights: { connectionString: `InstrumentationKey=${GUID};IngestionEndpoint=https://x/`, samplingRatio: 0.25 },
    });
  });

  it("reads the other model data destinations, and none by default", () => {
    expect(loadRouterConfig({ AKSML_MODEL_DATA_DIR: "/data" }).modelData).toEqual({ dir: "/data" });
    expect(loadRouterConfig({ AKSML_MODEL_DATA_CONNECTION_STRING: "UseDevelopmentStorage=true" }).modelData).toEqual({
      connectionString: "UseDevelopmentStorage=true",
      container: "modeldata",
    });
    expect(loadRouterConfig({}).modelData).toBeUndefined();
    expect(loadRouterConfig({}).appInsights).toBeUndefined();
  });

  it.each([
    [
      { AKSML_MODEL_DATA_DIR: "/d", AKSML_MODEL_DATA_CONTAINER_URL: "https://a.blob.core.windows.net/modeldata" },
      "set one model data destination",
    ],
    [
      { AKSML_MODEL_DATA_CONTAINER_URL: "https://a.blob.core.windows.net/" },
      "AKSML_MODEL_DATA_CONTAINER_URL must be a blob container URL",
    ],
    [{ AKSML_CAPTURE_BUFFER_BYTES: "1024" }, "AKSML_CAPTURE_BUFFER_BYTES must be an integer between 1048576"],
    [{ AKSML_CAPTURE_FLUSH_MS: "-1" }, "AKSML_CAPTURE_FLUSH_MS"],
    [
      { APPLICATIONINSIGHTS_CONNECTION_STRING: "abc" },
      "APPLICATIONINSIGHTS_CONNECTION_STRING must be an Application Insights connection string",
    ],
    [{ AKSML_APP_INSIGHTS_SAMPLING_RATIO: "2" }, "AKSML_APP_INSIGHTS_SAMPLING_RATIO must be a number from 0 to 1"],
  ])("rejects capture and telemetry settings %j", (env, message) => {
    expect(() => loadRouterConfig(env)).toThrow(message);
  });

  it("reports every bad value at once", () => {
    let err: unknown;
    try {
      loadRouterConfig({
        AKSML_BACKEND: "docker",
        AKSML_TLS_CERT_FILE: "/c",
        AKSML_MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES + 1),
        AKSML_SELF_SCALING: "yes",
        AKSML_LOG_LEVEL: "loud",
        AKSML_SHUTDOWN_GRACE_MS: "30s",
        AKSML_MAX_CONNECTIONS: "0",
        AKSML_WORKERS: "65",
        AKSML_REPLICA_TABLE_SIZE: "0",
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RouterConfigError);
    const problems = (err as RouterConfigError).problems;
    expect(problems).toHaveLength(9);
    for (const v of [
      "AKSML_BACKEND",
      "AKSML_TLS_KEY_FILE",
      "AKSML_MAX_REQUEST_BYTES",
      "AKSML_SELF_SCALING",
      "AKSML_LOG_LEVEL",
      "AKSML_SHUTDOWN_GRACE_MS",
      "AKSML_MAX_CONNECTIONS",
      "AKSML_WORKERS",
      "AKSML_REPLICA_TABLE_SIZE",
    ])
      expect(problems.join("\n")).toContain(v);
  });

  it.each(["0", "-1", "1.5", "65", "two", "AUTO"])("rejects AKSML_WORKERS=%s", (v) => {
    expect(() => loadRouterConfig({ AKSML_WORKERS: v })).toThrow(
      /AKSML_WORKERS must be "auto" \(one worker per CPU the container is allotted\) or an integer between 1 and 64/,
    );
  });

  it.each([
    ["auto", "auto"],
    [" auto ", "auto"],
    ["1", 1],
    ["64", 64],
  ] as const)("accepts AKSML_WORKERS=%j", (v, workers) => {
    expect(loadRouterConfig({ AKSML_WORKERS: v }).workers).toBe(workers);
  });

  it.each([
    ["AKSML_SERVICE_TABLE_SIZE", "65537"],
    ["AKSML_REPLICA_TABLE_SIZE", "262145"],
  ])("rejects %s=%s (past its maximum)", (name, v) => {
    expect(() => loadRouterConfig({ [name]: v })).toThrow(new RegExp(`${name} must be an integer between 1 and`));
  });

  it.each([
    [{ AKSML_SELF_SCALING_MIN_PODS: "0" }, "AKSML_SELF_SCALING_MIN_PODS must be an integer between 1 and 32"],
    [{ AKSML_SELF_SCALING_MAX_PODS: "33" }, "AKSML_SELF_SCALING_MAX_PODS must be an integer between 1 and 32"],
    [
      { AKSML_SELF_SCALING_MAX_CPU_PER_POD: "1.5" },
      "AKSML_SELF_SCALING_MAX_CPU_PER_POD must be an integer between 1 and 64",
    ],
    [
      { AKSML_SELF_SCALING_MIN_CPU_PER_POD: "65" },
      "AKSML_SELF_SCALING_MIN_CPU_PER_POD must be an integer between 1 and 64",
    ],
    [
      { AKSML_SELF_SCALING_MIN_PODS: "5", AKSML_SELF_SCALING_MAX_PODS: "3" },
      "AKSML_SELF_SCALING_MIN_PODS (5) must not exceed AKSML_SELF_SCALING_MAX_PODS (3)",
    ],
    [
      { AKSML_SELF_SCALING_MIN_CPU_PER_POD: "4", AKSML_SELF_SCALING_MAX_CPU_PER_POD: "2" },
      "AKSML_SELF_SCALING_MIN_CPU_PER_POD (4) must not exceed AKSML_SELF_SCALING_MAX_CPU_PER_POD (2)",
    ],
  ])("rejects self-scaling bounds %j", (env, message) => {
    expect(() => loadRouterConfig(env)).toThrow(message);
  });

  it("reads the self-scaling bounds that are set, and none when none are", () => {
    expect(loadRouterConfig({ AKSML_SELF_SCALING_MAX_PODS: "6" }).selfScalingBounds).toEqual({ maxPods: 6 });
    expect(loadRouterConfig({}).selfScalingBounds).toEqual({});
  });

  it.each(["0", "-1", "1.5", "1e6", "abc"])("rejects AKSML_MAX_REQUEST_BYTES=%s", (v) => {
    expect(() => loadRouterConfig({ AKSML_MAX_REQUEST_BYTES: v })).toThrow(/AKSML_MAX_REQUEST_BYTES/);
  });

  it.each(["0", "-1", "1.5", "50001", "4e3"])("rejects AKSML_MAX_CONNECTIONS=%s", (v) => {
    expect(() => loadRouterConfig({ AKSML_MAX_CONNECTIONS: v })).toThrow(
      /AKSML_MAX_CONNECTIONS must be an integer between 1 and 50000/,
    );
  });

  it.each(["-1", "1.5", "30s", "3600001", String(2 ** 31)])("rejects AKSML_SHUTDOWN_GRACE_MS=%s", (v) => {
    expect(() => loadRouterConfig({ AKSML_SHUTDOWN_GRACE_MS: v })).toThrow(/AKSML_SHUTDOWN_GRACE_MS/);
  });
});
