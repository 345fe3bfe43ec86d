import { execFile } from "node:child_process";
import { copyFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const CLIENT = fileURLToPath(new URL("..", import.meta.url));
/** Where the built example goes: index.html, styles.css and app.js, ready for any static host. */
export const EXAMPLE_DIST = `${HERE}dist`;

/**
 * Builds the client package (`npm run build:client`: tsc to ESM and .d.ts) and then bundles the
 * example against that build, as an app installing the package from npm would see it.
 */
export async function buildExample(): Promise<string> {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  await promisify(execFile)(process.execPath, [tsc, "-p", `${CLIENT}tsconfig.build.json`]);
  await mkdir(EXAMPLE_DIST, { recursive: true });
  await build({
    entryPoints: [`${HERE}src/main.ts`],
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    // Apollo Client's production entry points leave out its development warnings.
    conditions: ["production"],
    minify: true,
    sourcemap: true,
    outfile: `${EXAMPLE_DIST}/app.js`,
    logLevel: "warning",
  });
  await Promise.all(["index.html", "styles.css"].map((file) => copyFile(`${HERE}${file}`, `${EXAMPLE_DIST}/${file}`)));
  return EXAMPLE_DIST;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildExample();
  console.log(`built ${EXAMPLE_DIST}`);
}
