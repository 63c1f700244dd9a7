/**
 * The dependency rules of src/ (`npm run lint` runs this; docs/design.md
 * "Layout"):
 *
 * 1. No import cycle, between files or between the folders of src/domain/.
 * 2. Layers only import downwards: cli → server → rpc → domain →
 *    core / crypto / store (with config, metrics and the generated code
 *    below everything, and the client library apart, on the generated code
 *    alone).
 * 3. A folder of src/domain/ is a module: other folders import it only
 *    through its index.ts.
 *
 * Type-only imports count like any other: a cycle of types is still a cycle
 * in what a reader must hold in mind. Prints every violation; exit status 1
 * if there is any.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// `--src DIR` checks another tree (the test's fixtures); default the project's src/.
const srcArg = process.argv.indexOf("--src");
const src = srcArg >= 0 ? resolve(process.argv[srcArg + 1] ?? "") : join(root, "src");

/** Each top-level part of src/ and the parts it may import (besides itself). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  gen: [],
  core: [],
  config: [],
  "log.ts": ["config"],
  metrics: ["config"],
  store: ["config", "metrics"],
  crypto: ["config", "core"],
  "app.ts": ["config", "crypto", "domain", "store"],
  domain: ["app.ts", "config", "core", "crypto", "log.ts", "metrics", "store"],
  rpc: ["app.ts", "config", "core", "domain", "gen"],
  // The server sets each call's deadline (store/call-deadline.ts) for the store to read.
  server: ["app.ts", "config", "domain", "gen", "log.ts", "metrics", "rpc", "store"],
  client: ["gen"],
  cli: ["app.ts", "client", "config", "core", "crypto", "domain", "gen", "log.ts", "metrics", "rpc", "server", "store"],
};

/** Single-file modules at the top of src/domain/, importable directly. */
function isDomainLeaf(path: string): boolean {
  const parts = path.split("/");
  return parts.length === 2 && parts[0] === "domain";
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === "gen" && dir === src ? [] : walk(full);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [full] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?["']([^"']+)["']/g;

/** The src-relative paths (with .ts) a file imports from inside src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? "";
    if (!spec.startsWith(".")) continue;
    const target = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
    if (!target.startsWith(src + sep)) continue;
    out.push(relative(src, target).split(sep).join("/"));
  }
  return out;
}

const layerOf = (path: string): string => (path.includes("/") ? (path.split("/")[0] ?? "") : path);

function main(): void {
  const files = walk(src).map((f) => relative(src, f).split(sep).join("/"));
  const graph = new Map<string, string[]>();
  for (const f of files) graph.set(f, importsOf(join(src, f)));
  const problems: string[] = [];

  // Layers, and imports into domain folders.
  for (const [from, targets] of graph) {
    for (const to of targets) {
      if (to.startsWith("gen/")) {
        if (!(MAY_IMPORT[layerOf(from)] ?? []).includes("gen") && layerOf(from) !== "gen") problems.push(`layer: ${from} imports ${to}`);
        continue;
      }
      if (!graph.has(to)) {
        problems.push(`missing: ${from} imports ${to}`);
        continue;
      }
      const a = layerOf(from);
      const b = layerOf(to);
      if (a !== b && !(MAY_IMPORT[a] ?? []).includes(b)) problems.push(`layer: ${from} (${a}) may not import ${to} (${b})`);
      const fromFolder = from.split("/").slice(0, 2).join("/");
      const toFolder = to.split("/").slice(0, 2).join("/");
      if (b === "domain" && !isDomainLeaf(to) && fromFolder !== toFolder && !to.endsWith("/index.ts")) {
        problems.push(`module: ${from} imports ${to}; import ${toFolder}/index.ts instead`);
      }
    }
  }

  // Cycles among files, then among domain folders (Tarjan's strongly connected components).
  const cycles = (nodes: string[], edges: (n: string) => string[]): string[][] => {
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const on = new Set<string>();
    const found: string[][] = [];
    const visit = (v: string): void => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      on.add(v);
      for (const w of edges(v)) {
        if (!idx.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
      }
      if (low.get(v) === idx.get(v)) {
        const group: string[] = [];
        let w: string | undefined;
        do {
          w = stack.pop();
          if (w !== undefined) {
            on.delete(w);
            group.push(w);
          }
        } while (w !== undefined && w !== v);
        if (group.length > 1 || edges(v).includes(v)) found.push(group.sort());
      }
    };
    for (const n of nodes) if (!idx.has(n)) visit(n);
    return found;
  };
  for (const group of cycles([...graph.keys()], (n) => (graph.get(n) ?? []).filter((t) => graph.has(t)))) {
    problems.push(`cycle between files: ${group.join(" → ")}`);
  }
  const folderOf = (f: string): string | undefined => (f.startsWith("domain/") && !isDomainLeaf(f) ? f.split("/").slice(0, 2).join("/") : undefined);
  const folderEdges = new Map<string, Set<string>>();
  for (const [from, targets] of graph) {
    const a = folderOf(from);
    if (a === undefined) continue;
    for (const to of targets) {
      const b = folderOf(to);
      if (b !== undefined && b !== a) folderEdges.set(a, (folderEdges.get(a) ?? new Set()).add(b));
    }
  }
  for (const group of cycles([...folderEdges.keys()], (n) => [...(folderEdges.get(n) ?? [])])) {
    problems.push(`cycle between domain folders: ${group.join(" ⇄ ")}`);
  }

  for (const p of problems) console.log(p);
  console.log(`check-deps: ${graph.size} files, ${problems.length} problem${problems.length === 1 ? "" : "s"}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}

main();
