import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { buildExample } from "./build.js";
import { serveExample } from "./static-server.js";

/**
 * `npm run example`: builds the client package and the example, serves the example on
 * http://localhost:5173 and starts the API (`npm start`, port 4000) beside it with that origin in
 * CORS_ORIGINS, so a browser shows the whole flow working. Ctrl-C stops both.
 */
const EXAMPLE_PORT = 5173;
// One host name for both: the refresh cookie is SameSite=Lax, and localhost and 127.0.0.1 are different sites.
const EXAMPLE_ORIGIN = `http://localhost:${EXAMPLE_PORT}`;
const API_URL = "http://localhost:4000/graphql";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const dist = await buildExample();
const example = await serveExample(dist, () => API_URL, EXAMPLE_PORT, "localhost");
const api = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
  cwd: ROOT,
  stdio: "inherit",
  env: { ...process.env, PORT: "4000", CORS_ORIGINS: EXAMPLE_ORIGIN },
});
console.log(`example app: ${EXAMPLE_ORIGIN}  (API ${API_URL}, CORS_ORIGINS=${EXAMPLE_ORIGIN})`);

const stop = () => api.kill("SIGTERM");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
api.on("exit", (code) => {
  void example.close();
  process.exit(code ?? 0);
});
