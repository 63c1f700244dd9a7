#!/usr/bin/env node
// The `twofold` command (src/cli/main.ts); see load.mjs for source versus build.
import { runCommand } from "./load.mjs";

await runCommand("src/cli/main.ts", "dist/src/cli/main.js");
