// Environment images shared by the services of one program, under Pulumi's mock runtime
// (the engine is the part that cannot run here): one Image per environment, owned by no
// service, named by content only; checked in-process, then across programs with `aksml plan`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, settle, outputValue, type MockRuntime } from "../../preview/mockRuntime.js";
import { ModelWebservice, type ModelWebserviceArgs } from "../../components/modelWebservice/index.js";
import {
  environmentContentHash,
  environmentImageName,
  MODEL_IMAGES_TYPE,
} from "../../components/modelWebservice/environmentImage.js";
import { defaultBaseImage } from "../../components/modelWebservice/defaults.js";
import { diffPlans, planResources } from "../../cli/plan/render/diff.js";
import { clusterConnection, reveal, routerConnection } from "./modelWebserviceFixtures.js";
import { expectRejectionsFrom, type ExpectedRejections } from "./expectedRejections.js";
import { runCli } from "../cli/runCli.js";

const QUICKSTART_SRC = fileURLToPath(new URL("../../examples/quickstart/model/src/", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./fixtures/sharedImages", import.meta.url));
const router = routerConnection();
const IMAGE = "docker-build:index:Image";

let rt: MockRuntime;
let rejections: ExpectedRejections;
let root: string;
const svc: Record<string, ModelWebservice> = {};
const inputs = (name: string) => reveal(rt.one(IMAGE, name).inputs) as any;

/** Two source folders and three environment files; `conda.yml` and `other/conda.yml` are copies. */
function files() {
  root = mkdtempSync(join(tmpdir(), "aksml-shared-"));
  for (const s of ["src-a", "src-b"]) cpSync(QUICKSTART_SRC, join(root, s), { recursive: true });
  writeFileSync(join(root, "src-b", "extra.py"), "X = 1\n");
  const conda = "dependencies:\n  - python=3.9\n  - pip:\n    - azureml-inference-server-http\n";
  writeFileSync(join(root, "conda.yml"), conda);
  mkdirSync(join(root, "other"));
  cpSync(join(root, "conda.yml"), join(root, "other", "conda.yml"));
  writeFileSync(join(root, "requirements.txt"), "numpy==1.26.4\n");
}

const build = (src: string, environment: Record<string, unknown>): ModelWebserviceArgs["inferenceConfig"] => ({
  entryScript: "score.py",
  sourceDirectory: join(root, src),
  environment,
});

const envHash = (env: { condaFile?: string; pipRequirements?: string }) =>
  environmentContentHash({
    entryScript: "score.py",
    sourceDirectory: join(root, "src-a"),
    baseImage: defaultBaseImage(0),
    environmentVariables: {},
    ...env,
  })!;

beforeAll(async () => {
  rt = await startMockRuntime();
  rejections = expectRejectionsFrom(['ModelWebservice "wrong-acr"']);
  files();
  // The login server as AksInferenceCluster hands it over (an Output), and as a
  // multi-language program passes it: a different Output object per service.
  const outputCluster = () => clusterConnection({ acrLoginServer: pulumi.output("aksmlacr.azurecr.io") });
  const conda = { condaFile: join(root, "conda.yml") };
  svc.first = new ModelWebservice("first", {
    cluster: outputCluster(),
    router,
    inferenceConfig: build("src-a", conda),
  });
  // Other source, other variables, the environment file elsewhere with the same content: same environment.
  svc.second = new ModelWebservice("second", {
    cluster: outputCluster(),
    router,
    inferenceConfig: build("src-b", {
      condaFile: join(root, "other", "conda.yml"),
      environmentVariables: { MODE: "b" },
    }),
  });
  svc.pip = new ModelWebservice("pip", {
    cluster: outputCluster(),
    router,
    inferenceConfig: build("src-a", { pipRequirements: join(root, "requirements.txt") }),
  });
  svc.bare = new ModelWebservice("bare", { cluster: outputCluster(), router, inferenceConfig: build("src-a", {}) });
  // Known login servers name their images apart: one environment, two registries, two images.
  for (const [name, acr] of [
    ["west", "westacr.azurecr.io"],
    ["north", "northacr.azurecr.io"],
  ])
    svc[name] = new ModelWebservice(name, {
      cluster: clusterConnection({ acrLoginServer: acr }),
      router,
      inferenceConfig: build("src-a", conda),
    });
  await settle();
});

afterAll(() => rejections.restore());

describe("environment images shared by the services of one program", () => {
  it("services with one environment register exactly one environment image, whatever their source and variables", () => {
    const condaImage = environmentImageName(envHash({ condaFile: join(root, "conda.yml") }), pulumi.output(""));
    const pipImage = environmentImageName(
      envHash({ pipRequirements: join(root, "requirements.txt") }),
      pulumi.output(""),
    );
    const envImages = rt.ofType(IMAGE).filter((r) => r.name.startsWith("env-"));
    expect(envImages.map((r) => r.name).sort()).toEqual(
      [
        condaImage,
        pipImage,
        environmentImageName(envHash({ condaFile: join(root, "conda.yml") }), "westacr.azurecr.io"),
        environmentImageName(envHash({ condaFile: join(root, "conda.yml") }), "northacr.azurecr.io"),
      ].sort(),
    );
    expect(inputs(condaImage).tags).toEqual([
      `aksmlacr.azurecr.io/aksml/environments:${envHash({ condaFile: join(root, "conda.yml") }).slice(0, 32)}`,
    ]);
    // Without a conda or pip file there is nothing to share: the model image starts from the base image.
    expect(inputs("bare-image").dockerfile.inline.split("\n")[0]).toBe(`FROM ${defaultBaseImage(0)}`);
  });

  it("every service's model image starts from the shared image's ref (tag@digest), and deploys its own image", async () => {
    const condaImage = environmentImageName(envHash({ condaFile: join(root, "conda.yml") }), pulumi.output(""));
    const envRef = (rt.one(IMAGE, condaImage).state as { ref: string }).ref;
    for (const s of ["first", "second"]) {
      expect(inputs(`${s}-image`).dockerfile.inline.split("\n")[0]).toBe(`FROM ${envRef}`);
      expect(await outputValue(svc[s].imageRef)).toMatch(new RegExp(`^aksmlacr.azurecr.io/aksml/models/${s}:`));
    }
    expect(inputs("second-image").dockerfile.inline).toContain('ENV MODE="b"');
    const west = environmentImageName(envHash({ condaFile: join(root, "conda.yml") }), "westacr.azurecr.io");
    expect(inputs("west-image").dockerfile.inline.split("\n")[0]).toMatch(
      /^FROM westacr\.azurecr\.io\/aksml\/environments:/,
    );
    expect(inputs(west).tags[0]).toMatch(/^westacr\.azurecr\.io\//);
  });

  it("the image belongs to no service: its parent is the hidden aksml-model-images component, its name is its content", () => {
    const owner = rt.one(MODEL_IMAGES_TYPE, "aksml-model-images");
    for (const r of rt.ofType(IMAGE).filter((i) => i.name.startsWith("env-"))) {
      expect(r.parent).toBe(owner.urn);
      expect(r.urn).toBe(`urn:pulumi:plan::aksml::${MODEL_IMAGES_TYPE}$${IMAGE}::${r.name}`);
    }
    expect(rt.ofType(MODEL_IMAGES_TYPE)).toHaveLength(1);
  });

  it("a service whose Output login server differs from the one the shared image was built for fails clearly", async () => {
    new ModelWebservice("wrong-acr", {
      cluster: clusterConnection({ acrLoginServer: pulumi.output("otheracr.azurecr.io") }),
      router,
      inferenceConfig: build("src-a", { condaFile: join(root, "conda.yml") }),
    });
    // The program's error: the model image fails to register (an unhandled rejection in a program).
    const deadline = Date.now() + 10_000;
    while (rejections.propertyErrors().length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const err = rejections.propertyErrors()[0];
    expect(pulumi.InputPropertiesError.isInstance(err)).toBe(true);
    expect((err as Error).message).toContain(
      'ModelWebservice "wrong-acr" has 1 invalid argument (cluster.acrLoginServer): cluster.acrLoginServer: otheracr.azurecr.io differs from aksmlacr.azurecr.io, where ModelWebservice "first" builds the same environment',
    );
  });
});

describe("across programs (aksml plan, one process per program)", () => {
  const plan = async (services: string) => {
    const res = await runCli(["plan", FIXTURE, "--json", "--config", `services=${services}`]);
    if (res.code !== 0) throw new Error(`plan ${services} failed: ${res.stderr}`);
    return JSON.parse(res.stdout);
  };

  it("the environment image's URN and inputs do not depend on which services exist or in which order they come", async () => {
    const [both, reversed, onlyBravo] = await Promise.all([plan("alpha,bravo"), plan("bravo,alpha"), plan("bravo")]);
    const envImages = (doc: any) => doc.resources.filter((r: any) => r.type === IMAGE && r.name.startsWith("env-"));
    expect(envImages(both)).toHaveLength(1);
    const [shared] = envImages(both);
    for (const doc of [reversed, onlyBravo]) {
      expect(envImages(doc).map((r: any) => r.urn)).toEqual([shared.urn]);
      expect(envImages(doc)[0].inputs).toEqual(shared.inputs);
    }
    // Removing alpha removes alpha's resources only: the shared image and bravo's stay as they were.
    const diff = diffPlans(planResources(both, "both"), planResources(onlyBravo, "only bravo"));
    expect(diff.added).toEqual([]);
    expect(diff.changed).toEqual([]);
    expect(diff.removed.length).toBeGreaterThan(0);
    expect(diff.removed.every((r) => r.urn.includes("::alpha") || r.urn.includes("alpha-"))).toBe(true);
    expect(diffPlans(planResources(both, "both"), planResources(reversed, "reversed"))).toMatchObject({
      added: [],
      changed: [],
      removed: [],
    });
  }, 120_000);
});
