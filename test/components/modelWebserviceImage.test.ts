import { beforeAll, describe, expect, it } from "vitest";
import { cpSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startMockRuntime, settle, type MockRuntime } from "../../preview/mockRuntime.js";
import { ModelWebservice } from "../../components/modelWebservice/index.js";
import {
  generateDockerfile,
  imageContentHash,
  imageTag,
  type PlainInferenceConfig,
} from "../../components/modelWebservice/image.js";
import {
  environmentContentHash,
  environmentDockerfile,
  environmentImageName,
} from "../../components/modelWebservice/environmentImage.js";
import { clusterConnection, reveal, routerConnection } from "./modelWebserviceFixtures.js";

const QUICKSTART = fileURLToPath(new URL("../../examples/quickstart/model/", import.meta.url));
const router = routerConnection();

/** A fresh copy of the quickstart source plus env files, so each case can change one thing. */
function fixture(): PlainInferenceConfig & { root: string } {
  const root = mkdtempSync(join(tmpdir(), "aksml-image-"));
  cpSync(join(QUICKSTART, "src"), join(root, "src"), { recursive: true });
  writeFileSync(
    join(root, "conda.yml"),
    "dependencies:\n  - python=3.9\n  - pip:\n    - azureml-inference-server-http\n",
  );
  writeFileSync(join(root, "requirements.txt"), "numpy==1.26.4\n");
  return {
    root,
    entryScript: "score.py",
    sourceDirectory: join(root, "src"),
    baseImage: "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest",
    environmentVariables: { WORKER_COUNT: "1" },
  };
}

describe("model image content hash", () => {
  it("is stable for identical inputs (also in a different folder)", () => {
    const a = fixture();
    const b = fixture();
    expect(imageContentHash(a)).toBe(imageContentHash({ ...a }));
    expect(imageContentHash(a)).toBe(imageContentHash(b));
    expect(imageTag(imageContentHash(a))).toMatch(/^[0-9a-f]{32}$/);
  });

  const changes: [string, (c: PlainInferenceConfig & { root: string }) => PlainInferenceConfig][] = [
    ["entry script content", (c) => (writeFileSync(join(c.sourceDirectory, "score.py"), "def init():\n    pass\n"), c)],
    ["a new source file", (c) => (writeFileSync(join(c.sourceDirectory, "helper.py"), "X = 1\n"), c)],
    [
      "a renamed source file",
      (c) => (
        renameSync(join(c.sourceDirectory, "score.py"), join(c.sourceDirectory, "score2.py")),
        { ...c, entryScript: "score.py" }
      ),
    ],
    [
      "the entry script name",
      (c) => (writeFileSync(join(c.sourceDirectory, "other.py"), ""), { ...c, entryScript: "other.py" }),
    ],
    ["the base image", (c) => ({ ...c, baseImage: "mcr.microsoft.com/azureml/minimal-py312-inference:latest" })],
    ["an environment variable value", (c) => ({ ...c, environmentVariables: { WORKER_COUNT: "2" } })],
    [
      "an added environment variable",
      (c) => ({ ...c, environmentVariables: { ...c.environmentVariables, LOG: "debug" } }),
    ],
    ["adding a conda file", (c) => ({ ...c, condaFile: join(c.root, "conda.yml") })],
    ["adding pip requirements", (c) => ({ ...c, pipRequirements: join(c.root, "requirements.txt") })],
  ];
  it.each(changes)("changes when %s changes", (_what, change) => {
    const c = fixture();
    const before = imageContentHash(c);
    expect(imageContentHash(change(c))).not.toBe(before);
  });

  it("changes when the conda file's content changes", () => {
    const c = { ...fixture() };
    const withConda = { ...c, condaFile: join(c.root, "conda.yml") };
    const before = imageContentHash(withConda);
    writeFileSync(join(c.root, "conda.yml"), "dependencies:\n  - python=3.10\n");
    expect(imageContentHash(withConda)).not.toBe(before);
  });

  it("the generated Dockerfile runs the inference server on 5001 over the entry script, from the environment image", () => {
    const c = fixture();
    const df = generateDockerfile(c);
    expect(df.split("\n")[0]).toBe(`FROM ${c.baseImage}`);
    expect(generateDockerfile(c, "acr.io/aksml/environments:abc@sha256:1").split("\n")[0]).toBe(
      "FROM acr.io/aksml/environments:abc@sha256:1",
    );
    expect(df).toContain('ENV AZUREML_ENTRY_SCRIPT="score.py"');
    expect(df).toContain('ENV WORKER_COUNT="1"');
    expect(df).toContain("EXPOSE 5001");
    // `$` is escaped, or Docker would substitute `$HOME` etc. into the value.
    expect(generateDockerfile({ ...c, environmentVariables: { GREETING: "costs $5 at $HOME" } })).toContain(
      'ENV GREETING="costs \\$5 at \\$HOME"',
    );
    expect(df.trim().split("\n").pop()).toBe(
      'CMD ["azmlinfsrv","--entry_script","/var/azureml-app/score.py","--port","5001"]',
    );
  });

  it("the environment image applies the conda or pip file to the base image, and there is none without one", () => {
    const c = fixture();
    expect(environmentDockerfile({ ...c, pipRequirements: join(c.root, "requirements.txt") })).toBe(
      [
        `FROM ${c.baseImage}`,
        "COPY requirements.txt /tmp/aksml-requirements.txt",
        "RUN python -m pip install --no-cache-dir -r /tmp/aksml-requirements.txt",
        "",
      ].join("\n"),
    );
    expect(environmentDockerfile({ ...c, condaFile: join(c.root, "conda.yml") })).toContain(
      'RUN conda env update -p "${AZUREML_CONDA_ENVIRONMENT_PATH:-/opt/miniconda/envs/amlenv}" -f /tmp/aksml-conda.yml',
    );
    expect(environmentDockerfile(c)).toBeUndefined();
    expect(environmentContentHash(c)).toBeUndefined();
  });

  it("the environment hash covers the base image and the env file's content, not the source or environment variables", () => {
    const c = { ...fixture() };
    const withConda = { ...c, condaFile: join(c.root, "conda.yml") };
    const before = environmentContentHash(withConda);
    expect(environmentContentHash({ ...withConda, environmentVariables: { OTHER: "x" } })).toBe(before);
    writeFileSync(join(c.sourceDirectory, "helper.py"), "X = 1\n");
    expect(environmentContentHash(withConda)).toBe(before);
    expect(environmentContentHash({ ...withConda, baseImage: "mcr.microsoft.com/other:1" })).not.toBe(before);
    writeFileSync(join(c.root, "conda.yml"), "dependencies:\n  - python=3.10\n");
    expect(environmentContentHash(withConda)).not.toBe(before);
  });
});

describe("model image build under mocks", () => {
  let rt: MockRuntime;
  let c: ReturnType<typeof fixture>;
  beforeAll(async () => {
    rt = await startMockRuntime();
    c = fixture();
    const cluster = clusterConnection();
    new ModelWebservice("cpu", {
      cluster,
      router,
      inferenceConfig: {
        entryScript: "score.py",
        sourceDirectory: c.sourceDirectory,
        environment: { condaFile: join(c.root, "conda.yml") },
      },
    });
    new ModelWebservice("gpu", {
      cluster,
      router,
      gpuCores: 1,
      inferenceConfig: { entryScript: "score.py", sourceDirectory: c.sourceDirectory },
    });
    new ModelWebservice("same", {
      cluster,
      router,
      gpuCores: 1,
      inferenceConfig: { entryScript: "score.py", sourceDirectory: c.sourceDirectory },
    });
    await settle();
  });

  it("builds with docker-build: pushed to the cluster's ACR, tagged by content, the registry as its cache, not on preview", () => {
    const img = reveal(rt.one("docker-build:index:Image", "cpu-image").inputs) as any;
    expect(img).toMatchObject({ push: true, buildOnPreview: false, platforms: ["linux/amd64"] });
    expect(img.context).toEqual({ location: c.sourceDirectory });
    const plain = {
      entryScript: "score.py",
      sourceDirectory: c.sourceDirectory,
      baseImage: "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest",
      condaFile: join(c.root, "conda.yml"),
      environmentVariables: {},
    };
    const tag = `aksmlacr.azurecr.io/aksml/models/cpu:${imageContentHash(plain).slice(0, 32)}`;
    expect(img.tags).toEqual([tag]);
    expect(img.cacheFrom).toEqual([{ registry: { ref: tag } }]);
    expect(img.cacheTo).toEqual([{ inline: {} }]);
    expect(img.registries).toBeUndefined();

    // The conda environment is its own image, and the model image starts from it.
    const envHash = environmentContentHash(plain)!;
    const env = rt.one("docker-build:index:Image", environmentImageName(envHash, "aksmlacr.azurecr.io"));
    const envInputs = reveal(env.inputs) as any;
    const envTag = `aksmlacr.azurecr.io/aksml/environments:${envHash.slice(0, 32)}`;
    expect(envInputs).toMatchObject({ push: true, buildOnPreview: false, tags: [envTag] });
    expect(envInputs.context).toEqual({ location: c.root });
    expect(envInputs.dockerfile.inline).toContain("COPY conda.yml /tmp/aksml-conda.yml");
    expect(envInputs.cacheFrom).toEqual([{ registry: { ref: envTag } }]);
    expect(img.dockerfile.inline.split("\n")[0]).toMatch(new RegExp(`^FROM ${envTag}@sha256:[0-9a-f]{64}$`));
    expect(img.dockerfile.inline).not.toContain("conda");
  });

  it("defaults to the GPU inference image when gpuCores > 0; identical inputs give the identical tag", () => {
    const gpu = reveal(rt.one("docker-build:index:Image", "gpu-image").inputs) as any;
    const same = reveal(rt.one("docker-build:index:Image", "same-image").inputs) as any;
    expect(gpu.dockerfile.inline.split("\n")[0]).toBe(
      "FROM mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cuda11.8-gpu-inference:latest",
    );
    expect(gpu.tags[0].split(":").pop()).toBe(same.tags[0].split(":").pop());
  });
});
