/**
 * What every bench case gets: the bundle under test, a work directory, fresh HELM_HOMEs, the
 * programs to run (h3 from the bundle, skopeo, a shell) with a sandboxed environment, and one
 * registry:2 shared by the transfer cases.
 * @module
 */
import {
  type RegistryOptions,
  startRegistry,
  type TestRegistry,
} from "../tests/helpers/registry.ts";
import type { OciLayout } from "../core/cache/layout.ts";
import { smallCharts } from "./_fixtures.ts";
import { type Program, sync } from "./_measure.ts";

/** Deno's cache as this process sees it; every run uses it, so HOME can point elsewhere. */
const denoDir = Deno.env.get("DENO_DIR") ||
  `${Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME")}/.cache`}/deno`;

/**
 * Where the bench's registries keep their storage: tmpfs (`/dev/shm`) when the machine has it, so
 * the ratios weigh the clients and not the disk under the registry. registry:2 fsyncs every file
 * it writes (six or more per pushed chart); on ext4 that made two thirds of its CPU time and a
 * quarter of a bulk push's wall time. `H3_BENCH_REGISTRY_DIR` chooses another directory (an empty
 * value: the system's temp dir). HELM_HOMEs and fixtures stay on the disk, as users have them.
 */
export function registryStorageDir(): string | undefined {
  const chosen = Deno.env.get("H3_BENCH_REGISTRY_DIR");
  if (chosen !== undefined) return chosen || undefined;
  try {
    return Deno.statSync("/dev/shm").isDirectory ? "/dev/shm" : undefined;
  } catch {
    return undefined;
  }
}

/** The bench's shared state. */
export class BenchContext implements AsyncDisposable {
  /** The h3 bundle (`h3.js`, built into the bench's work directory). */
  readonly bundle: string;
  /** A temp directory for fixtures, removed at the end. */
  readonly work: string;
  /** Rounds per comparison (median of these). */
  readonly rounds: number;
  /** Where registries keep their storage (see {@linkcode registryStorageDir}); unset: temp dir. */
  readonly registryDir = registryStorageDir();
  #registry?: Promise<TestRegistry>;
  #charts?: Promise<OciLayout[]>;
  #homes = 0;

  constructor(bundle: string, work: string, rounds: number) {
    this.bundle = bundle;
    this.work = work;
    this.rounds = rounds;
  }

  /** The registry the transfer cases share, started on first use. */
  registry(): Promise<TestRegistry> {
    this.#registry ??= this.startRegistry({ accessLog: true }); // requests are counted
    return this.#registry;
  }

  /** Starts a registry of the bench's own, its storage in {@linkcode registryDir}. */
  startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
    return startRegistry({ ...options, parent: this.registryDir });
  }

  /** 1000 distinct small charts (`chart-0` … `chart-999`, ~8 KiB each), made on first use. */
  charts(): Promise<OciLayout[]> {
    this.#charts ??= smallCharts(`${this.work}/charts`, 1000);
    return this.#charts;
  }

  /** A new, empty HELM_HOME path (the directory is not created). */
  home(label: string): string {
    return `${this.work}/home-${label}-${this.#homes++}`;
  }

  /** The sandboxed environment of a run using `home` as HELM_HOME. */
  env(home: string): Record<string, string> {
    return {
      HELM_HOME: home,
      HOME: home,
      DOCKER_CONFIG: `${home}/docker`,
      REGISTRY_AUTH_FILE: `${home}/auth.json`,
      NO_COLOR: "1",
      DENO_DIR: denoDir,
    };
  }

  /** `deno run -A h3.js ...args` (the bundle) with `home` as HELM_HOME. */
  h3(home: string, args: string[]): Program {
    return { argv: [Deno.execPath(), "run", "-A", this.bundle, ...args], env: this.env(home) };
  }

  /**
   * h3 from source, as `deno task h3` runs it: `deno run -A --unstable-lazy-dynamic-imports
   * main.ts ...args` in the checkout (the task runner's own start left out).
   */
  source(home: string, args: string[]): Program {
    const main = new URL("../main.ts", import.meta.url).pathname;
    return {
      argv: [Deno.execPath(), "run", "-A", "--unstable-lazy-dynamic-imports", main, ...args],
      env: this.env(home),
    };
  }

  /**
   * `deno run -A SCRIPT` of a script that imports mod.ts, with the checkout's deno.json (its npm
   * imports and lock), as a library user's script runs.
   */
  library(home: string, script: string): Program {
    const config = new URL("../deno.json", import.meta.url).pathname;
    return {
      argv: [Deno.execPath(), "run", "-A", "--config", config, script],
      env: this.env(home),
    };
  }

  /** `deno run -A FILE` (the Deno floor is this with an empty file). */
  deno(home: string, file: string): Program {
    return { argv: [Deno.execPath(), "run", "-A", file], env: this.env(home) };
  }

  /** A shell script run with `sh -e`, in the same environment. */
  async shell(home: string, name: string, lines: string[]): Promise<Program> {
    const path = `${this.work}/${name}.sh`;
    await Deno.writeTextFile(path, lines.join("\n") + "\n");
    return { argv: ["sh", "-e", path], env: this.env(home) };
  }

  /**
   * Stops the registry, removes the work directory and syncs the disk. On an ext4 without a
   * journal, the inodes of deleted files are not taken again for a minute, six while their table
   * blocks are unwritten, and every file created meanwhile checks them one by one (see
   * `bench/save.ts`): the sync keeps that to a minute for whatever runs next.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const registry = await this.#registry?.catch(() => undefined);
    await registry?.[Symbol.asyncDispose]();
    await Deno.remove(this.work, { recursive: true }).catch(() => {});
    await sync().catch(() => {});
  }
}
