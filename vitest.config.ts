import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The pack-and-install test (npm pack, npm install of the tarball, ~1-2.5 min) is its
    // own step: `npm run test:package` (vitest.package.config.ts), run by .ci/run.
    exclude: [...configDefaults.exclude, "test/package/**"],
    // Each file runs in its own worker: Pulumi's mock runtime is process-global state.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores in CI, but many files mostly wait (child processes, polls, real timeouts):
    // a third worker fills those waits. Measured on the 2-vCPU VM: 302 s against 324-399 s
    // with two (the whole suite passes either way; it is written for a loaded machine).
    maxWorkers: 3,
  },
});
