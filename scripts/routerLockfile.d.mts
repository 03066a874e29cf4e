/** Types of routerLockfile.mjs (plain JavaScript: the build runs before anything is compiled). */
export interface Lockfile {
  name?: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, Record<string, unknown> & { version?: string; dependencies?: Record<string, string> }>;
}
export function routerLockfile(
  lock: Lockfile,
  routerPackage: {
    name: string;
    version: string;
    license?: string;
    engines?: unknown;
    dependencies: Record<string, string>;
  },
  workspaceDir?: string,
): Lockfile;
