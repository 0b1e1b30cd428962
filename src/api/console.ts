import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import type { FastifyInstance } from "fastify";
import { packageRoot } from "../package-root.js";

/** `web/` at the package root. */
export const consoleDir = join(packageRoot(), "web");

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

// Everything the console needs is served from here; nothing is loaded from elsewhere.
const contentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * Serves the console's files, one route per file found at start: a path outside `web/` cannot
 * be asked for, and an unknown one gets the API's 404. They hold no data, so no token is needed.
 */
export function registerConsole(app: FastifyInstance, dir: string = consoleDir): void {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && contentTypes[extname(entry.name)] !== undefined)
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"));
  for (const file of files) {
    const urls = file === "index.html" ? ["/", "/index.html"] : [`/${file}`];
    for (const url of urls) {
      app.get(url, async (_request, reply) => {
        // Read on each request so an edited console shows on reload; the files are small.
        const body = await readFile(join(dir, file));
        return reply
          .header("content-type", contentTypes[extname(file)])
          .header("cache-control", "no-cache")
          .header("x-content-type-options", "nosniff")
          .header("content-security-policy", contentSecurityPolicy)
          .header("referrer-policy", "no-referrer")
          .send(body);
      });
    }
  }
}
