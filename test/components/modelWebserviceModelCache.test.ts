// How model pods start, under Pulumi's mock runtime: the node model cache (hostPath, the
// init container that prepares it, fetch-model's arguments), models by reference, and the
// startup probe; plus the validation of their arguments.
import { beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, settle, type MockRuntime } from "../../preview/mockRuntime.js";
import { ModelWebservice, type ModelWebserviceArgs } from "../../components/modelWebservice/index.js";
import { modelWebserviceArgsProblems } from "../../components/modelWebservice/validate.js";
import { parseFetchModelArgs, parsePrepareCacheArgs } from "../../router/contract/fetchModelArgs.js";
import { clusterConnection, reveal, routerConnection, validateK8sObject } from "./modelWebserviceFixtures.js";
import { expectRejectionsFrom } from "./expectedRejections.js";

const QUICKSTART = fileURLToPath(new URL("../../examples/quickstart/model/", import.meta.url));
const LOCAL = { name: "linear", version: 1, path: `${QUICKSTART}linear-model.json` };
const LOCAL_SHA = createHash("sha256").update(readFileSync(LOCAL.path)).digest("hex");
const RESNET_SHA = "ab".repeat(32);
const RESNET = {
  name: "resnet",
  version: 2,
  blobUri: "https://registryacct.blob.core.windows.net/shared/resnet/v2/resnet%2050.onnx",
  sha256: RESNET_SHA.toUpperCase(),
};
const base = (over: Partial<ModelWebserviceArgs> = {}): ModelWebserviceArgs => ({
  cluster: clusterConnection(),
  router: routerConnection(),
  image: "aksmlacr.azurecr.io/m:1",
  models: [LOCAL],
  ...over,
});

let rt: MockRuntime;
const deployment = (n: string) => reveal(rt.one("kubernetes:apps/v1:Deployment", `${n}-deployment`).inputs) as any;
const pod = (n: string) => deployment(n).spec.template.spec;
const init = (n: string, container: string) => pod(n).initContainers.find((c: any) => c.name === container);
const model = (n: string) => pod(n).containers.find((c: any) => c.name === "model");
const fetchArgs = (n: string) => {
  const parsed = parseFetchModelArgs(init(n, "fetch-model").args);
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.args;
};

beforeAll(async () => {
  rt = await startMockRuntime();
  new ModelWebservice("cached", base());
  new ModelWebservice("uncached", base({ modelCache: { enabled: false } }));
  new ModelWebservice("bounded", base({ modelCache: { maxSizeGb: 2.5 }, startupProbe: { failureThreshold: 360 } }));
  new ModelWebservice("referenced", base({ models: [LOCAL, RESNET] }));
  new ModelWebservice("only-ref", base({ models: [RESNET] }));
  // A blob in the cluster's own account, whose endpoint is an Output.
  new ModelWebservice(
    "ref-output",
    base({
      models: [
        {
          name: "resnet",
          version: 3,
          blobUri: pulumi.interpolate`${pulumi.output("https://aksmlmodels.blob.core.windows.net/")}registry/resnet.onnx`,
          sha256: pulumi.output(RESNET_SHA),
        },
      ],
    }),
  );
  new ModelWebservice("no-models", base({ models: [] }));
  await settle();
});

describe("node model cache", () => {
  it("on by default: a root init container with no capabilities prepares the hostPath, then fetch-model (non-root) uses it", () => {
    const [prepare, fetch] = pod("cached").initContainers;
    expect(prepare.name).toBe("prepare-model-cache");
    expect(parsePrepareCacheArgs(prepare.args)).toEqual({ ok: true, cacheDir: "/var/lib/aksml/model-cache" });
    expect(prepare.image).toBe(fetch.image);
    expect(prepare.securityContext).toEqual({
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(prepare.volumeMounts).toEqual([{ name: "aksml-model-cache", mountPath: "/var/lib/aksml/model-cache" }]);
    expect(fetch.name).toBe("fetch-model");
    expect(fetch.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, readOnlyRootFilesystem: true });
    expect(fetchArgs("cached")).toMatchObject({
      cacheDir: "/var/lib/aksml/model-cache",
      cacheMaxBytes: 20 * 1024 ** 3,
      blobs: [{ blob: `default/cached/${LOCAL_SHA}`, path: "linear/1/linear-model.json" }],
    });
    expect(pod("cached").volumes).toContainEqual({
      name: "aksml-model-cache",
      hostPath: { path: "/var/lib/aksml/model-cache", type: "DirectoryOrCreate" },
    });
    // The user's code never sees the node's cache: only its own verified copy, read-only.
    expect(model("cached").volumeMounts).toEqual([
      { name: "azureml-models", mountPath: "/var/azureml-app/azureml-models", readOnly: true },
    ]);
    validateK8sObject(rt.one("kubernetes:apps/v1:Deployment", "cached-deployment"));
  });

  it("off: no hostPath, no preparing container, fetch-model downloads as before", () => {
    expect(pod("uncached").initContainers.map((c: any) => c.name)).toEqual(["fetch-model"]);
    expect(pod("uncached").volumes).toEqual([{ name: "azureml-models", emptyDir: {} }]);
    expect(fetchArgs("uncached").cacheDir).toBeUndefined();
    expect(init("uncached", "fetch-model").volumeMounts).toHaveLength(1);
  });

  it("its bound is maxSizeGb (GiB) in bytes; a pod with no models has no init containers and no cache", () => {
    expect(fetchArgs("bounded").cacheMaxBytes).toBe(Math.floor(2.5 * 1024 ** 3));
    expect(pod("no-models").initContainers).toEqual([]);
    expect(pod("no-models").volumes).toEqual([{ name: "azureml-models", emptyDir: {} }]);
  });
});

describe("models by reference", () => {
  it("a blobUri model is fetched by URL with its declared hash (lowercased), next to uploaded ones, and never uploaded", () => {
    const args = fetchArgs("referenced");
    expect(args.blobs).toEqual([{ blob: `default/referenced/${LOCAL_SHA}`, path: "linear/1/linear-model.json" }]);
    expect(args.urls).toEqual([{ url: RESNET.blobUri, sha256: RESNET_SHA, path: "resnet/2/resnet 50.onnx" }]);
    const uploads = rt.ofType("azure-native:storage:Blob").filter((b) => b.name.startsWith("referenced-"));
    expect(uploads.map((b) => (b.inputs as any).blobName)).toEqual([`default/referenced/${LOCAL_SHA}`]);
    expect(deployment("referenced").metadata.annotations["aksml/model-count"]).toBe("2");
    const env = Object.fromEntries(model("referenced").env.map((e: any) => [e.name, e.value]));
    expect(env.AZUREML_MODEL_DIR).toBe("/var/azureml-app/azureml-models");
  });

  it("a service with only referenced models uploads nothing and still fetches; its one model is AZUREML_MODEL_DIR", () => {
    expect(rt.ofType("azure-native:storage:Blob").filter((b) => b.name.startsWith("only-ref-"))).toEqual([]);
    expect(fetchArgs("only-ref")).toMatchObject({ blobs: [], urls: [{ url: RESNET.blobUri }] });
    const env = Object.fromEntries(model("only-ref").env.map((e: any) => [e.name, e.value]));
    expect(env.AZUREML_MODEL_DIR).toBe("/var/azureml-app/azureml-models/resnet/2");
  });

  it("blobUri and sha256 may be Outputs (a blob in the cluster's own account)", () => {
    expect(fetchArgs("ref-output").urls).toEqual([
      {
        url: "https://aksmlmodels.blob.core.windows.net/registry/resnet.onnx",
        sha256: RESNET_SHA,
        path: "resnet/3/resnet.onnx",
      },
    ]);
  });
});

describe("models by reference known only later", () => {
  it("a blobUri Output resolving to an invalid URL fails the Deployment with the same InputPropertiesError", async () => {
    const rejections = expectRejectionsFrom(['ModelWebservice "late-ref"']);
    try {
      new ModelWebservice(
        "late-ref",
        base({
          models: [
            { name: "resnet", version: 1, blobUri: pulumi.output("http://a/c/m.onnx?sig=x"), sha256: RESNET_SHA },
          ],
        }),
      );
      const deadline = Date.now() + 10_000;
      while (rejections.propertyErrors().length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const [err] = rejections.propertyErrors();
      expect(err?.errors.map((e) => e.propertyPath)).toEqual(["models[0].blobUri"]);
      expect(err?.message).toContain("must be https");
    } finally {
      rejections.restore();
    }
  });
});

describe("startup probe", () => {
  it("defaults: GET / on 5001 every 5 s for up to 10 minutes; liveness keeps Azure ML's values and waits for it", () => {
    expect(model("cached").startupProbe).toEqual({
      httpGet: { path: "/", port: 5001 },
      periodSeconds: 5,
      initialDelaySeconds: 0,
      timeoutSeconds: 2,
      successThreshold: 1,
      failureThreshold: 120,
    });
    expect(model("cached").livenessProbe).toMatchObject({ initialDelaySeconds: 310, failureThreshold: 3 });
  });

  it("given values replace the defaults one by one", () => {
    expect(model("bounded").startupProbe).toMatchObject({ periodSeconds: 5, failureThreshold: 360 });
  });
});

describe("validation", () => {
  const problems = (over: Partial<ModelWebserviceArgs>) =>
    modelWebserviceArgsProblems("svc", base(over)).map((p) => `${p.propertyPath}: ${p.reason}`);
  const ref = (over: Record<string, unknown>) => ({
    models: [{ ...RESNET, ...over }] as ModelWebserviceArgs["models"],
  });

  // [the rule, args, the property path, part of the reason]
  const cases: [string, Partial<ModelWebserviceArgs>, string, string][] = [
    ["path or blobUri, not both", ref({ path: LOCAL.path }), "models[0]", "exactly one of path"],
    [
      "path or blobUri, not neither",
      ref({ blobUri: undefined, sha256: undefined }),
      "models[0]",
      "exactly one of path",
    ],
    ["sha256 required with blobUri", ref({ sha256: undefined }), "models[0].sha256", "is required with blobUri"],
    ["sha256 is 64 hex", ref({ sha256: "abc" }), "models[0].sha256", "must be 64 hex digits"],
    ["sha256 only with blobUri", { models: [{ ...LOCAL, sha256: RESNET_SHA }] }, "models[0].sha256", "is for blobUri"],
    [
      "https only",
      ref({ blobUri: "http://acct.blob.core.windows.net/c/m.onnx" }),
      "models[0].blobUri",
      "must be https",
    ],
    [
      "no SAS",
      ref({ blobUri: "https://acct.blob.core.windows.net/c/m.onnx?sv=2024&sig=abc" }),
      "models[0].blobUri",
      "no SAS",
    ],
    [
      "no fragment",
      ref({ blobUri: "https://acct.blob.core.windows.net/c/m.onnx#x" }),
      "models[0].blobUri",
      "no fragment",
    ],
    [
      "a container and a blob",
      ref({ blobUri: "https://acct.blob.core.windows.net/c" }),
      "models[0].blobUri",
      "must name",
    ],
    ["not a URL", ref({ blobUri: "models/resnet.onnx" }), "models[0].blobUri", "is not a URL"],
    [
      "Azure Storage only (the token goes to the host)",
      ref({ blobUri: "https://models.example.com/c/m.onnx" }),
      "models[0].blobUri",
      "is not on an Azure Storage blob endpoint",
    ],
    [
      "no other port",
      ref({ blobUri: "https://acct.blob.core.windows.net:8443/c/m.onnx" }),
      "models[0].blobUri",
      "is not on an Azure Storage blob endpoint",
    ],
    [
      "a file name",
      ref({ blobUri: "https://acct.blob.core.windows.net/c/dir/..%2F..%2Fetc" }),
      "models[0].blobUri",
      "cannot be a file in the model folder",
    ],
    ["cache bound > 0", { modelCache: { maxSizeGb: 0 } }, "modelCache.maxSizeGb", "more than 0"],
    ["cache bound sane", { modelCache: { maxSizeGb: 1e6 } }, "modelCache.maxSizeGb", "at most 10000"],
    ["probe period >= 1", { startupProbe: { periodSeconds: 0 } }, "startupProbe.periodSeconds", "from 1 to 3600"],
    ["probe delay >= 0", { startupProbe: { initialDelaySeconds: -1 } }, "startupProbe.initialDelaySeconds", "from 0"],
    ["probe timeout whole", { startupProbe: { timeoutSeconds: 1.5 } }, "startupProbe.timeoutSeconds", "integer"],
    ["probe success 1", { startupProbe: { successThreshold: 2 } }, "startupProbe.successThreshold", "must be 1"],
    [
      "probe budget at most a day",
      { startupProbe: { periodSeconds: 3600, failureThreshold: 25 } },
      "startupProbe.failureThreshold",
      "at most 86400 s",
    ],
  ];
  it.each(cases)("%s", (_rule, over, path, reason) => {
    const found = problems(over).filter((p) => p.startsWith(`${path}: `));
    expect(found, problems(over).join("\n")).toHaveLength(1);
    expect(found[0]).toContain(reason);
  });

  it("valid references, bounds and probes pass", () => {
    expect(
      problems({
        models: [
          LOCAL,
          RESNET,
          { ...RESNET, version: 3, blobUri: "https://govacct.blob.core.usgovcloudapi.net/m/r.onnx" },
          { ...RESNET, version: 4, blobUri: "https://dnszone.z41.blob.storage.azure.net/m/r.onnx" },
        ],
        modelCache: { enabled: true, maxSizeGb: 100 },
        startupProbe: { periodSeconds: 10, initialDelaySeconds: 30, failureThreshold: 8000 },
      }),
    ).toEqual([]);
  });

  it("the constructor rejects them with one InputPropertiesError", () => {
    expect(() => new ModelWebservice("bad-ref", base(ref({ sha256: undefined })))).toThrow(
      /ModelWebservice "bad-ref" has 1 invalid argument \(models\[0\]\.sha256\)/,
    );
  });
});
