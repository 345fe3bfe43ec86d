import { defineConfig } from "vitest/config";

export default defineConfig({
  // graphql 16 has no "exports" map: Node loads its CommonJS build, Vite would pick the ESM one, and
  // two copies of graphql cannot share a schema. Make tests load what production loads.
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Files in a worker share its module cache: re-importing the app for each file took 58 s of
    // the SQLite run's summed time (7 s shared), which kept `npm test` over two minutes. No test
    // mocks a module or stubs a global; one that needs a fresh process spawns it
    // (lazy-dependencies.test.ts does).
    isolate: false,
    // Two cores here: a few files at a time keeps argon2 and the stores from starving each other.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
