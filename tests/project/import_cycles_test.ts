/**
 * No import cycles: none among h3's files (static or dynamic imports, types included), and none
 * among core's folders (auth, cache, chart, oci, plugin, transport, ...), so each folder can be
 * read, tested and replaced on top of the ones below it.
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).href;

/** Every .ts file of the product: the entry points, commands, core and plugins. */
async function productFiles(): Promise<string[]> {
  const files = ["main.ts", "mod.ts"];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir, root))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  for (const dir of ["commands", "core", "plugins"]) await walk(dir);
  return files.sort();
}

/** Who imports whom among the product's files, as `deno info` sees the module graph. */
async function importGraph(): Promise<Map<string, Set<string>>> {
  const dir = await Deno.makeTempDir();
  try {
    const entry = `${dir}/all.ts`;
    const files = await productFiles();
    await Deno.writeTextFile(
      entry,
      files.map((file) => `import "${new URL(file, root).href}";`).join("\n"),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", new URL("deno.json", root).pathname, entry],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout));
    const graph = new Map<string, Set<string>>();
    for (const module of info.modules) {
      if (!module.specifier?.startsWith(root)) continue;
      const edges = new Set<string>();
      for (const dep of module.dependencies ?? []) {
        for (const target of [dep.code?.specifier, dep.type?.specifier]) {
          if (target?.startsWith(root)) edges.add(target.slice(root.length));
        }
      }
      graph.set(module.specifier.slice(root.length), edges);
    }
    return graph;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The groups of nodes that reach each other (strongly connected, more than one node). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (stack.includes(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      group.push(member);
    } while (member !== node);
    if (group.length > 1) found.push(group.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

const folder = (file: string) => file.slice(0, file.lastIndexOf("/"));

Deno.test("no import cycles among h3's files, nor among core's folders", async () => {
  const graph = await importGraph();
  assert.ok(graph.size > 50, `the graph has ${graph.size} files`);
  assert.deepEqual(cycles(graph), []);

  // Files directly under core/ sit above the folders (api, client, copy) or below them (errors,
  // digest, target): only the folders themselves are layered.
  const folders = new Map<string, Set<string>>();
  for (const [file, imports] of graph) {
    if (!file.startsWith("core/") || folder(file) === "core") continue;
    const edges = folders.get(folder(file)) ?? new Set();
    folders.set(folder(file), edges);
    for (const target of imports) {
      const to = folder(target);
      if (target.startsWith("core/") && to !== "core" && to !== folder(file)) edges.add(to);
    }
  }
  assert.deepEqual(cycles(folders), []);
});
