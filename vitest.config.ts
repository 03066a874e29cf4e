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
    // Two cores in CI: more workers only contend.
    maxWorkers: 2,
  },
});
