import { defineConfig } from "vitest/config";

/**
 * `npm run test:package`: the packed tarball installed into an empty project and used as a
 * consumer would (test/package/). Slow (npm pack builds dist/, npm install fetches the
 * dependencies from the local cache or the registry), so it is kept out of `npm test` and
 * run as its own CI step.
 */
export default defineConfig({
  test: {
    include: ["test/package/**/*.test.ts"],
    pool: "forks",
    testTimeout: 240_000,
    hookTimeout: 300_000,
  },
});
