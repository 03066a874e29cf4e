/**
 * Environment images: the base image with a service's conda or pip environment applied
 * (the slow part of a build), keyed by that environment's content hash and built once per
 * program however many services use it, then the FROM of each service's model image.
 *
 * Pulumi has no registry of resources, so the component keeps one: module state, per
 * Pulumi program process. The first service that needs an environment creates its Image;
 * later ones reuse its `ref`. The Image belongs to neither: its parent is the hidden
 * component `aksml-model-images` and its name derives from the content hash alone, so
 * adding, removing or reordering services never renames, replaces or deletes it while a
 * service still uses it (Pulumi deletes it with the last one).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { componentSubject, throwIfInvalid } from "../shared/problems.js";
import type { RegistryPushCredentialsArgs } from "./args.js";
import { hashParts } from "./contentHash.js";
import type { PlainInferenceConfig } from "./image.js";
import { imageTag, registriesFor, registryCache } from "./imageRegistry.js";

/** The conda environment of Azure ML's inference images when the image does not name it. */
export const DEFAULT_CONDA_ENV = "/opt/miniconda/envs/amlenv";
export const ENVIRONMENT_IMAGE_REPOSITORY = "aksml/environments";
export const MODEL_IMAGES_TYPE = "aksml:index:ModelImages";
/** The one hidden component owning the program's environment images. */
export const MODEL_IMAGES_NAME = "aksml-model-images";

/**
 * The environment image's Dockerfile: the base image with the conda or pip environment
 * applied, the slow part of a build. Undefined when the environment adds nothing to the
 * base image (the model image then starts from the base image itself).
 */
export function environmentDockerfile(c: PlainInferenceConfig): string | undefined {
  const lines = [`FROM ${c.baseImage}`];
  if (c.condaFile) {
    lines.push(
      `COPY ${basename(c.condaFile)} /tmp/aksml-conda.yml`,
      // Update the image's own environment (Azure ML images name it in
      // AZUREML_CONDA_ENVIRONMENT_PATH), so the inference server stays installed and the
      // non-root image user can write it.
      `RUN conda env update -p "\${AZUREML_CONDA_ENVIRONMENT_PATH:-${DEFAULT_CONDA_ENV}}" -f /tmp/aksml-conda.yml && conda clean -afy`,
    );
  } else if (c.pipRequirements) {
    lines.push(
      `COPY ${basename(c.pipRequirements)} /tmp/aksml-requirements.txt`,
      "RUN python -m pip install --no-cache-dir -r /tmp/aksml-requirements.txt",
    );
  } else return undefined;
  return `${lines.join("\n")}\n`;
}

/**
 * Content hash of the environment image (its Dockerfile and the conda/pip file), or
 * undefined without one. Services with the same environment share that image.
 */
export function environmentContentHash(c: PlainInferenceConfig): string | undefined {
  const dockerfile = environmentDockerfile(c);
  const envFile = c.condaFile ?? c.pipRequirements;
  if (dockerfile === undefined || envFile === undefined) return undefined;
  return hashParts([
    { name: "Dockerfile", data: dockerfile },
    { name: `env/${basename(envFile)}`, data: readFileSync(envFile) },
  ]);
}

/**
 * The environment image's resource name: `env-<16 hex of the content hash>`, plus 8 hex of
 * the registry's login server when that is a plain string (so one environment pushed to two
 * known registries is two images). A login server that is an Output cannot name anything
 * when the program runs: services sharing the name must resolve to one registry.
 */
export function environmentImageName(envHash: string, registry: pulumi.Input<string>): string {
  const name = `env-${envHash.slice(0, 16)}`;
  if (typeof registry !== "string") return name;
  return `${name}-${createHash("sha256").update(registry.toLowerCase()).digest("hex").slice(0, 8)}`;
}

/** The hidden owner of the shared environment images: no service owns them, so deleting one keeps them. */
class ModelImages extends pulumi.ComponentResource {
  constructor() {
    super(MODEL_IMAGES_TYPE, MODEL_IMAGES_NAME, {}, {});
    this.registerOutputs({});
  }
}

interface SharedImage {
  image: dockerBuild.Image;
  registry: pulumi.Input<string>;
  service: string;
}

/** Per program process (one Pulumi program per process). */
let owner: ModelImages | undefined;
const images = new Map<string, SharedImage>();

/**
 * The `ref` of the environment image of `c` in `registry`, created by the first service
 * asking for it; undefined when the environment adds nothing to the base image. The
 * first service's registry credentials push it.
 */
export function sharedEnvironmentImage(
  service: string,
  c: PlainInferenceConfig,
  registry: pulumi.Input<string>,
  credentials: RegistryPushCredentialsArgs | undefined,
): pulumi.Output<string> | undefined {
  const hash = environmentContentHash(c);
  const dockerfile = environmentDockerfile(c);
  const envFile = c.condaFile ?? c.pipRequirements;
  if (hash === undefined || dockerfile === undefined || envFile === undefined) return undefined;
  const name = environmentImageName(hash, registry);
  let shared = images.get(name);
  if (!shared) {
    owner ??= new ModelImages();
    const tag = pulumi.interpolate`${registry}/${ENVIRONMENT_IMAGE_REPOSITORY}:${imageTag(hash)}`;
    const image = new dockerBuild.Image(
      name,
      {
        context: { location: dirname(resolve(envFile)) },
        dockerfile: { inline: dockerfile },
        platforms: ["linux/amd64"],
        push: true,
        buildOnPreview: false,
        tags: [tag],
        ...registryCache(tag),
        registries: registriesFor(registry, credentials),
      },
      { parent: owner },
    );
    shared = { image, registry, service };
    images.set(name, shared);
  }
  if (shared.registry === registry) return shared.image.ref;
  const first = shared;
  return pulumi.all([first.image.ref, first.registry, registry]).apply(([ref, theirs, mine]) => {
    if (theirs !== mine)
      throwIfInvalid(componentSubject("ModelWebservice", service), [
        {
          propertyPath: "cluster.acrLoginServer",
          reason: `${mine} differs from ${theirs}, where ModelWebservice "${first.service}" builds the same environment (image ${name}); one program can build one environment for several registries only when their login servers are plain strings. Give cluster.acrLoginServer as a plain string, or a prebuilt image`,
        },
      ]);
    return ref;
  });
}
