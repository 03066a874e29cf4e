// The router image's build context in the installed package (router-image/, laid out by
// scripts/build.mjs): its lockfile is cut from the repository's, and AzuremlFe finds the
// context from either layout. The image build itself needs Docker, which is not here.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { routerImageSource } from "../../components/azuremlFe/image.js";
import { type Lockfile, routerLockfile } from "../../scripts/routerLockfile.mjs";
import { REPO_ROOT } from "../cli/runCli.js";

const lock = JSON.parse(readFileSync(`${REPO_ROOT}package-lock.json`, "utf8")) as Lockfile;
const router = JSON.parse(readFileSync(`${REPO_ROOT}router/package.json`, "utf8"));

describe("the router image's lockfile, cut from the repository's", () => {
  const cut = routerLockfile(lock, router);

  it("has the router as its root, with the router's dependencies", () => {
    expect(cut.packages[""]).toMatchObject({ name: "@aksml/router", dependencies: router.dependencies });
  });

  it("resolves every dependency of every package inside itself, at the version the repository locks", () => {
    const unresolved: string[] = [];
    for (const [path, entry] of Object.entries(cut.packages)) {
      for (const name of Object.keys(entry.dependencies ?? {})) {
        // node's lookup: the package's own node_modules, then each enclosing one.
        let dir = path;
        let found: string | undefined;
        for (;;) {
          const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
          if (cut.packages[candidate]) {
            found = candidate;
            break;
          }
          if (!dir) break;
          const at = dir.lastIndexOf("/node_modules/");
          dir = at >= 0 ? dir.slice(0, at) : "";
        }
        if (!found) unresolved.push(`${path || "(root)"} -> ${name}`);
      }
    }
    expect(unresolved).toEqual([]);
    for (const [path, entry] of Object.entries(cut.packages)) {
      if (!path) continue;
      const original = lock.packages[path] ?? lock.packages[`router/${path}`];
      expect(entry.version, path).toBe(original.version);
      expect(entry.integrity, path).toBe(original.integrity);
    }
    // The router's own undici (a newer major than the one hoisted for npm's tooling) is the one kept.
    expect(cut.packages["node_modules/undici"].version).toBe(router.dependencies.undici);
  });
});

describe("routerImageSource", () => {
  it("builds from source with router/Dockerfile in the repository", () => {
    const source = routerImageSource(pathToFileURL(`${REPO_ROOT}components/azuremlFe/image.ts`).href);
    expect(source).toEqual({
      context: REPO_ROOT,
      dockerfile: `${REPO_ROOT}router/Dockerfile`,
      packageJson: `${REPO_ROOT}router/package.json`,
    });
  });

  it("builds from router-image/ in the installed package", () => {
    const installed = "/srv/app/node_modules/aksml/";
    const source = routerImageSource(pathToFileURL(`${installed}dist/components/azuremlFe/image.js`).href);
    expect(source).toEqual({
      context: `${installed}router-image/`,
      dockerfile: `${installed}router-image/Dockerfile`,
      packageJson: `${installed}router-image/package.json`,
    });
  });
});
