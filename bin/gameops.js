#!/usr/bin/env node
import { main } from "../dist/bundle/main.js";

main(process.argv).then((code) => {
  // Once the answer is printed, a keep-alive socket or a client's disconnect timer must not hold
  // the process (and a cron job or CI step) open: flush both streams, then exit with the code.
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
});
