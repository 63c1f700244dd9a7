#!/usr/bin/env node
// The `twofold-emulator` command (emulator/cli.ts); see load.mjs for source versus build.
import { runCommand } from "./load.mjs";

await runCommand("emulator/cli.ts", "dist/emulator/cli.js");
