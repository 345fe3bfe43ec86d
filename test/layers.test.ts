import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const GRAPHQL = join(ROOT, "src/graphql");
const TABLES = join(ROOT, "src/store/tables.ts");

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every module a file imports or re-exports, types and dynamic imports included. */
function importsOf(path: string): string[] {
  const source = readFileSync(path, "utf8");
  const pattern = /\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm;
  return [...source.matchAll(pattern)].map((match) => match[1] ?? match[2] ?? match[3] ?? "");
}

/** A relative specifier as the file it names (`.js` in an import is the `.ts` source). */
function target(from: string, specifier: string): string {
  return specifier.startsWith(".") ? resolve(dirname(from), specifier).replace(/\.js$/, ".ts") : specifier;
}

describe("layers", () => {
  const files = typeScriptFiles(GRAPHQL);

  it("finds the GraphQL layer's files, generated ones included", () => {
    expect(files.some((file) => file.endsWith("generated/resolvers-types.ts"))).toBe(true);
    expect(files.length).toBeGreaterThan(5);
  });

  it("keeps src/graphql off store rows and Kysely (guards against a row, and its password hash, reaching a GraphQL parent)", () => {
    const offending = files.flatMap((file) =>
      importsOf(file)
        .filter((specifier) => target(file, specifier) === TABLES || specifier === "kysely" || specifier.startsWith("kysely/"))
        .map((specifier) => `${relative(ROOT, file)} imports ${specifier}`),
    );
    expect(offending).toEqual([]);
  });
});
