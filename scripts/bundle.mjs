// Bundles the CLI into dist/bundle/: Node 20 loads one file much faster than the ~300 small
// modules of zod, mysql2 and ioredis, and `gameops check` pays that on every run
// (bench/daily-check). Dynamic imports stay separate chunks, so a check's client still loads
// only when that check runs. Native, heavy or server-only packages stay in node_modules.
import { build } from "esbuild";

await build({
  // The demo game server runs as its own process (`gameops up --demo` spawns it): an entry of its own.
  entryPoints: { main: "src/cli/main.ts", "demo-game-server": "src/demo/game-server.ts" },
  outdir: "dist/bundle",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  chunkNames: "chunks/[name]-[hash]",
  external: ["better-sqlite3", "pg", "@kubernetes/client-node", "fastify", "pino", "prom-client", "yaml"],
  // Bundled CommonJS (mysql2, ioredis) calls require() for Node's own modules.
  banner: { js: 'import { createRequire as __gameopsRequire } from "node:module"; const require = __gameopsRequire(import.meta.url);' },
  logLevel: "warning",
});
