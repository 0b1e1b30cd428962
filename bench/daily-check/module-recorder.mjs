// Preload (`node --import ./module-recorder.mjs`) that writes every module the process loaded to
// the file named by DAILY_CHECK_BENCH_MODULES, one path a line, when it exits. ESM imports are seen
// by a resolve hook (it runs on the loader thread, so it appends as it goes); CommonJS
// `require`s inside packages never reach that hook on Node 20, so require.cache is added at exit.
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const out = process.env.DAILY_CHECK_BENCH_MODULES;
if (out) {
  register("./module-recorder-hooks.mjs", import.meta.url, { data: { out } });
  const require = createRequire(import.meta.url);
  process.on("exit", () => {
    const paths = Object.keys(require.cache);
    if (paths.length > 0) appendFileSync(out, `${paths.join("\n")}\n`);
  });
}
