import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each file runs in its own worker: Pulumi's mock runtime is process-global state.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores in CI: more workers only contend.
    maxWorkers: 2,
  },
});
