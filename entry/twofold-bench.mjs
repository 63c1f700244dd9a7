#!/usr/bin/env node
// The `twofold-bench` command (bench/cli.ts); see load.mjs for source versus build.
import { runCommand } from "./load.mjs";

await runCommand("bench/cli.ts", "dist/bench/cli.js");
