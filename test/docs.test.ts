import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "../src/config.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SKIPPED_DIRS = new Set(["node_modules", ".git", "dist", "data", "coverage", ".tmp"]);

/** Every file of the repository a clone carries (build output, data and installs left out). */
function repositoryFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : repositoryFiles(path);
    return entry.isFile() ? [path] : [];
  });
}

const markdownFiles = repositoryFiles().filter((path) => path.endsWith(".md"));
const settingsPage = readFileSync(join(ROOT, "docs/settings.md"), "utf8");

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const headings = [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => m[1] ?? "");
  return new Set(
    headings.map((heading) =>
      heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-"),
    ),
  );
}

describe("docs/settings.md documents every setting", () => {
  const rows = [...settingsPage.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]);

  it("has one table row for each variable the configuration reads, and none for a variable it does not (guards against a setting documented nowhere)", () => {
    expect(rows.length, "a variable with two rows").toBe(new Set(rows).size);
    expect([...rows].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });
});

describe("the repository stands alone", () => {
  it("links nowhere outside itself (regression: the README's dead link to the team's shared spec folder)", () => {
    // Spelt in pieces so this file does not match itself.
    const sharedFolder = ["..", "shared", ""].join("/");
    const outside = repositoryFiles()
      .filter((path) => statSync(path).size < 1_000_000 && !path.endsWith("package-lock.json"))
      .filter((path) => readFileSync(path, "utf8").includes(sharedFolder))
      .map((path) => relative(ROOT, path));
    expect(outside).toEqual([]);
  });

  it("has no dead relative link or anchor in its Markdown files, nor one leaving the repository", () => {
    const dead: string[] = [];
    for (const file of markdownFiles) {
      const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
      for (const [, target = ""] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target)) continue;
        const [path = "", anchor] = target.split("#");
        const resolved = path === "" ? file : join(dirname(file), decodeURIComponent(path));
        const where = `${relative(ROOT, file)} -> ${target}`;
        if (relative(ROOT, resolved).startsWith("..") || !existsSync(resolved)) dead.push(where);
        else if (anchor !== undefined && resolved.endsWith(".md") && !anchorsOf(readFileSync(resolved, "utf8")).has(anchor)) {
          dead.push(where);
        }
      }
    }
    expect(markdownFiles.length).toBeGreaterThan(5);
    expect(dead).toEqual([]);
  });

  it("carries the MIT licence that package.json names", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { license: string };
    expect(pkg.license).toBe("MIT");
    expect(readFileSync(join(ROOT, "LICENSE"), "utf8")).toMatch(/^MIT License\n\nCopyright \(c\) 2026 graphql-auth-api contributors\n/);
  });
});
