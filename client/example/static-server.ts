import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
};

export interface ExampleServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Serves the built example from `dir`, with `graphqlUrl()` written into index.html's
 * `graphql-url` meta tag, so the one build runs against whichever API it is served beside.
 */
export async function serveExample(dir: string, graphqlUrl: () => string, port = 0, host = "127.0.0.1"): Promise<ExampleServer> {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://example").pathname;
    const file = normalize(path === "/" ? "/index.html" : path);
    const type = TYPES[extname(file)];
    try {
      if (type === undefined || file.includes("..")) throw new Error("not served");
      let body: string | Buffer = await readFile(join(dir, file));
      if (file === "/index.html") {
        const escaped = graphqlUrl().replaceAll("&", "&amp;").replaceAll('"', "&quot;");
        body = body.toString("utf8").replace(/(<meta name="graphql-url" content=")[^"]*(")/, `$1${escaped}$2`);
      }
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
