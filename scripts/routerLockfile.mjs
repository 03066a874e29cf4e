/**
 * Cuts the router's lockfile out of the repository's: the router workspace's production
 * dependency closure, resolved exactly as node would from router/ (router/node_modules
 * first, then the hoisted node_modules), relocated so that router/ is the root. The
 * router image then installs the same versions the repository tests, from the package
 * alone. Throws if two versions of one package would land on the same path.
 */

/** The lockfile path node would load `name` from, for a package at `from` ("" is the root). */
function resolveFrom(packages, from, name) {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf("/node_modules/");
    dir = cut >= 0 ? dir.slice(0, cut) : "";
  }
}

const KEPT_FIELDS = [
  "version",
  "resolved",
  "integrity",
  "license",
  "dependencies",
  "optionalDependencies",
  "peerDependencies",
  "peerDependenciesMeta",
  "bin",
  "engines",
  "os",
  "cpu",
  "optional",
  "hasInstallScript",
];

export function routerLockfile(lock, routerPackage, workspaceDir = "router") {
  const { packages } = lock;
  const closure = new Set();
  const visit = (from, deps, optional) => {
    for (const name of Object.keys(deps ?? {})) {
      const path = resolveFrom(packages, from, name);
      if (!path) {
        if (optional) continue;
        throw new Error(`routerLockfile: ${name} (needed by ${from || "the root"}) is not in package-lock.json`);
      }
      if (closure.has(path)) continue;
      closure.add(path);
      const entry = packages[path];
      visit(path, entry.dependencies, false);
      visit(path, entry.optionalDependencies, true);
      visit(path, entry.peerDependencies, true);
    }
  };
  visit(workspaceDir, routerPackage.dependencies, false);

  const relocated = {};
  for (const path of [...closure].sort()) {
    const target = path.startsWith(`${workspaceDir}/`) ? path.slice(workspaceDir.length + 1) : path;
    const source = packages[path];
    if (relocated[target] && relocated[target].version !== source.version)
      throw new Error(
        `routerLockfile: ${target} would hold both ${relocated[target].version} and ${source.version}; nest one in the repository's lockfile`,
      );
    relocated[target] = Object.fromEntries(KEPT_FIELDS.filter((f) => f in source).map((f) => [f, source[f]]));
  }
  return {
    name: routerPackage.name,
    version: routerPackage.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": {
        name: routerPackage.name,
        version: routerPackage.version,
        license: routerPackage.license,
        dependencies: routerPackage.dependencies,
        engines: routerPackage.engines,
      },
      ...Object.fromEntries(Object.entries(relocated).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}
