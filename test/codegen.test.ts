import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const GENERATED = ["src/graphql/generated/resolvers-types.ts", "client/generated/operations.ts"];

/**
 * What `npm run codegen` would write now, from codegen.yml, without writing it: the CLI's own
 * config loader and generator with saving off. It runs in its own process, through the CommonJS
 * build the `graphql-codegen` binary uses, so the test sees the same graphql and plugins.
 */
const SCRIPT = `
const { generate, loadCodegenConfig } = require("@graphql-codegen/cli");
(async () => {
  const { config } = await loadCodegenConfig({ configFilePath: "codegen.yml" });
  const outputs = await generate({ ...config, cwd: process.cwd(), silent: true }, false);
  process.stdout.write(JSON.stringify(outputs.map(({ filename, content }) => ({ filename, content }))));
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe("generated code is up to date with schema.graphql and client/operations", () => {
  it("matches what `npm run codegen` produces now (guards against hand edits and a forgotten codegen run)", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", SCRIPT], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    const outputs = JSON.parse(stdout) as { filename: string; content: string }[];
    expect(outputs.map((o) => o.filename).sort()).toEqual([...GENERATED].sort());
    for (const { filename, content } of outputs) {
      const committed = readFileSync(join(ROOT, filename), "utf8");
      // A mismatch prints the diff; the fix is `npm run codegen`, never an edit of the output.
      expect(committed, `${filename} is stale: run npm run codegen`).toBe(content);
    }
  });
});
