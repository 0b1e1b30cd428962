// `gameops` straight from the TypeScript sources (run under tsx), as bin/gameops.js runs the
// bundle. With --from-source a CPU profile names src/ files and packages, not bundle chunks.
import { main } from "../../src/cli/main.js";

main(process.argv).then((code) => {
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
});
