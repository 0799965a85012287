/**
 * The h3 client: opened once, it resolves each registry host's settings once (options, then
 * `H3_*` variables, then `config.yaml`, then defaults), keeps one HTTP client (connections and
 * credentials' tokens) per host and one cache handle, and runs the CLI's chart operations.
 * Disposing it closes every connection and the cache's index.json it holds open; cache locks last
 * one operation each.
 *
 * Each operation imports the code it runs when it runs (`import()`), so a script that lists the
 * cache or reads the version loads neither the registry client nor the chart, signing and YAML
 * code (nor, from source, Deno's Node layer for the CommonJS packages among them).
 * @module
 */
import type { OciLayout } from "./cache/layout.ts";
import { isChartArchivePath } from "./chart/archive_path.ts";
import { option, phrase, RefError, SettingError, SignatureError } from "./errors.ts";
import type {
  ChartPullResult,
  ChartPushResult,
  H3,
  H3Options,
  SignedChart,
  SignOptions,
  VerifySignatureOptions,
} from "./h3.ts";
import {
  archiveReference,
  formatReference,
  isLayoutLocation,
  parseReference,
  type Reference,
} from "./ref.ts";
import type { ReferrersOptions } from "./referrers.ts";
import type { RegistryHosts } from "./registry_hosts.ts";
import type { Config } from "./config.ts";
import type { Repository } from "./transport/repository.ts";
import type { Target } from "./target.ts";
import type { CopyEvent } from "./copy.ts";
import type { Descriptor, Manifest } from "./oci/descriptor.ts";

/**
 * Opens an h3 client; use it with `await using h3 = await openH3()` so its connections close.
 *
 * @example
 * ```ts ignore
 * import { openH3 } from "./mod.ts";
 *
 * await using h3 = await openH3({ timeoutMs: 30_000 });
 * const pulled = await h3.pull("localhost:5000/myrepo/mychart", { version: "^1.0.0" });
 * console.log(pulled.ref.tag);
 * ```
 */
export async function openH3(options: H3Options = {}): Promise<H3> {
  const { openCache } = await import("./cache/layout.ts");
  return new Client(options, await openCache());
}

class Client implements H3 {
  readonly cache: OciLayout;
  #options: H3Options;
  #hosts?: Promise<RegistryHosts>;
  #concurrency?: Promise<number>;
  #loaded?: Promise<Config>;
  #listeners = new Set<(message: string, problem?: unknown) => void>();

  constructor(options: H3Options, cache: OciLayout) {
    this.#options = options;
    this.cache = cache;
  }

  /** The registry hosts' settings and clients, loaded when a registry is first asked for. */
  #registryHosts(): Promise<RegistryHosts> {
    this.#hosts ??= import("./registry_hosts.ts").then(({ RegistryHosts }) =>
      new RegistryHosts(this.#options, {
        debug: this.#options.debug,
        warn: (message, problem) => this.#warn(message, problem),
        config: () => this.#config(),
      })
    );
    return this.#hosts;
  }

  openCache(): Promise<OciLayout> {
    return Promise.resolve(this.cache);
  }

  addWarningListener(listener: (message: string, problem?: unknown) => void): Disposable {
    // The same function twice counts twice.
    const own = (message: string, problem?: unknown) => listener(message, problem);
    this.#listeners.add(own);
    return { [Symbol.dispose]: () => this.#listeners.delete(own) };
  }

  /** Tells `onWarning` and every listener. */
  #warn(message: string, problem?: unknown): void {
    this.#options.onWarning?.(message, problem);
    for (const listener of this.#listeners) listener(message, problem);
  }

  async openRepository(ref: string | Reference): Promise<Repository> {
    const hosts = await this.#registryHosts();
    return await hosts.open(typeof ref === "string" ? parseReference(ref) : ref);
  }

  save: H3["save"] = async (dir, ref, options) => {
    const { saveChart } = await import("./chart/save.ts");
    return await saveChart(this.cache, dir, ref, options);
  };

  list: H3["list"] = () => this.cache.entries();

  async exportChart(
    ref: string,
    destination: string,
    options: Parameters<H3["exportChart"]>[2] = {},
  ): ReturnType<H3["exportChart"]> {
    const { resolveCachedReference } = await import("./chart/cached_ref.ts");
    const { requirementFor } = await import("./sign/trust_options.ts");
    const { exportCachedChart } = await import("./chart/export.ts");
    const parsed = await resolveCachedReference(parseReference(ref), this.cache);
    const required = await requirementFor(
      undefined,
      parsed.registry,
      parsed.repository,
      this.#config(),
    );
    if (required) {
      // loaded only when a policy asks for a check (with the YAML parser and the rest it needs)
      const { checkTrust } = await import("./sign/trust.ts");
      const desc = await this.cache.resolve(formatReference(parsed));
      const repository = await this.openRepository(parsed);
      const name = `${parsed.registry}/${parsed.repository}`;
      await checkTrust(repository, desc, name, required, ref);
    }
    return await exportCachedChart(this.cache, ref, { ...options, destination });
  }

  async push(ref: string, options: Parameters<H3["push"]>[1] = {}): Promise<ChartPushResult> {
    const { onEvent, onStart, onWaiting, remote } = options;
    const { pushChart, transfer } = await import("./chart/transfer.ts");
    if (remote !== undefined && isLayoutLocation(remote)) {
      throw new RefError(`${remote} is an OCI layout: use pushToLayout`);
    }
    if (remote !== undefined) {
      const { archiveSource, readChartArchive } = await import("./chart/archive.ts");
      const archive = await readChartArchive(ref);
      const source = await archiveSource(archive);
      const target = archiveReference(remote, archive.meta.name, source.chartTag);
      const repository = (await this.openRepository(target)).expectPush();
      onStart?.(target);
      const result = await transfer(source, source.chartTag, repository, target.tag!, ref, {
        onEvent,
      });
      return { ref: target, ...result };
    }
    if (await isChartArchivePath(ref)) {
      throw new RefError(`${ref} is a packaged chart: push it to oci://REGISTRY[/NAMESPACE]`);
    }
    const { resolveCachedReference } = await import("./chart/cached_ref.ts");
    const typed = parseReference(ref);
    const repository = await this.openRepository(typed);
    const parsed = await resolveCachedReference(typed, this.cache);
    const pusher = repository.expectPush();
    onStart?.(parsed);
    return { ref: parsed, ...await pushChart(this.cache, pusher, parsed, { onEvent, onWaiting }) };
  }

  async pull(ref: string, options: Parameters<H3["pull"]>[1] = {}): Promise<ChartPullResult> {
    const { version, devel, onEvent, onStart } = options;
    const { checkPull } = await import("./pull_form.ts");
    const { requirementFor, requirementOf } = await import("./sign/trust_options.ts");
    const { exactVersionTag, resolveReference } = await import("./chart/versions.ts");
    if (isLayoutLocation(ref)) {
      throw new RefError(`${ref} is an OCI layout, not a registry reference: use pullFromLayout`);
    }
    const required = await checkPull([ref], options, () => requirementOf(options));
    const typed = parseReference(ref);
    const repository = await (await this.#registryHosts()).openForPull(
      typed,
      typed.digest ?? typed.tag,
    );
    const trust = await requirementFor(required, typed.registry, typed.repository, this.#config());
    const verify = trust && (await import("./sign/trust.ts")).trustCheck(
      repository,
      trust,
      typed.registry,
      typed.repository,
      ref,
    );
    // An exact --version is read as its tag at once, as Helm reads it; the tags are listed only
    // when that tag is not there (a tag "v1.2.3", or no such version).
    const guessed = exactVersionTag(typed, version);
    const pullAs = async (resolved: Reference, guess: boolean) => {
      // A guess announces the pull at its first blob's event, before the blob moves: a guess that
      // misses says nothing.
      let announced = !guess;
      const announce = () => {
        if (!announced) onStart?.(resolved);
        announced = true;
      };
      if (!guess) onStart?.(resolved);
      const events = onEvent || (guess && onStart)
        ? (event: CopyEvent) => {
          announce();
          onEvent?.(event);
        }
        : undefined;
      const result = await this.#pullResolved(ref, repository, resolved, verify, {
        ...options,
        onEvent: events,
      });
      announce();
      return result;
    };
    if (!guessed) {
      return await pullAs(await resolveReference(typed, repository, { version, devel }), false);
    }
    try {
      return await pullAs({ ...typed, tag: guessed }, true);
    } catch (error) {
      if (!(await import("./target.ts")).isMissing(error)) throw error;
      const listed = await resolveReference(typed, repository, { version, devel });
      if (listed.tag === guessed) throw error;
      return await pullAs(listed, false);
    }
  }

  /** `pull` of `ref` as `resolved`, whose tag or digest is known (`pull` has resolved it). */
  async #pullResolved(
    ref: string,
    repository: Target,
    resolved: Reference,
    verify: ((desc: Descriptor, manifest: Manifest) => Promise<unknown>) | undefined,
    options: NonNullable<Parameters<H3["pull"]>[1]>,
  ): Promise<ChartPullResult> {
    const { untar, force, prov, onEvent, onQueued, onWaiting } = options;
    const { writesFiles } = await import("./pull_form.ts");
    if (writesFiles([ref], options)) {
      const { downloadChart } = await import("./chart/download.ts");
      const written = await downloadChart(repository, resolved.tag ?? resolved.digest!, {
        destination: options.destination ?? ".",
        untar,
        force,
        expectDigest: resolved.digest,
        onEvent,
        verify,
        prov,
      });
      const { meta, parts, desc, path, provPath } = written;
      return {
        ref: resolved,
        meta,
        parts,
        desc,
        copied: [parts.content],
        upToDate: false,
        path,
        provPath,
      };
    }
    const { pullChart } = await import("./chart/transfer.ts");
    return {
      ref: resolved,
      ...await pullChart(repository, this.cache, resolved, {
        onEvent,
        verify,
        onQueued,
        onWaiting,
      }),
    };
  }

  pushToLayout: H3["pushToLayout"] = async (chart, layout, options = {}) => {
    const { pushChartToLayout } = await import("./chart/layout_transfer.ts");
    return await pushChartToLayout(this.cache, chart, layout, { onEvent: options.onEvent });
  };

  pullFromLayout: H3["pullFromLayout"] = async (layout, options = {}) => {
    const { pullFromLayout } = await import("./chart/layout_transfer.ts");
    return await pullFromLayout(layout, { ...options, destination: options.destination ?? "." });
  };

  async remove(refs: string | string[]): ReturnType<H3["remove"]> {
    const { cachedRefName } = await import("./chart/cached_ref.ts");
    const removed: string[] = [];
    try {
      for (const input of [refs].flat()) {
        const full = await cachedRefName(input, this.cache);
        await this.cache.untag(full);
        removed.push(full);
      }
    } catch (error) {
      await this.cache.collect(); // what was removed before the failure goes all the same
      throw error;
    }
    return { removed, collected: await this.cache.collect() };
  }

  prune: H3["prune"] = () => this.cache.collect();

  verify: H3["verify"] = async (refs) => {
    const { verifyCache } = await import("./cache/verify.ts");
    return await verifyCache(this.cache, refs && await this.#cachedRefs(refs));
  };

  repair: H3["repair"] = async (refs) => {
    const { repairCache } = await import("./cache/verify.ts");
    return await repairCache(this.cache, refs && await this.#cachedRefs(refs));
  };

  /** Full cache refs for `inputs`, an untagged one resolved as `resolveCachedReference` does. */
  async #cachedRefs(inputs: string[]): Promise<string[]> {
    const { cachedRefName } = await import("./chart/cached_ref.ts");
    return await Promise.all(inputs.map((input) => cachedRefName(input, this.cache)));
  }

  async tags(repo: string, options: Parameters<H3["tags"]>[1] = {}): ReturnType<H3["tags"]> {
    const ref = parseReference(repo);
    if (ref.tag || ref.digest) {
      throw new RefError(`${repo}: give the repository without a tag or digest`);
    }
    const repository = await this.openRepository(ref);
    const { invalidTagMessage, listChartTags } = await import("./chart/tags.ts");
    return await listChartTags(repository, {
      all: options.all,
      concurrency: await this.concurrency(),
      onInvalidTag: (tag) =>
        this.#warn(invalidTagMessage(`${ref.registry}/${ref.repository}`, tag)),
    });
  }

  async tag(ref: string, newTags: string[]): ReturnType<H3["tag"]> {
    const typed = parseReference(ref);
    const repository = (await this.openRepository(typed)).expectPush();
    const { resolveReference } = await import("./chart/versions.ts");
    const { tagChart } = await import("./chart/retag.ts");
    const parsed = await resolveReference(typed, repository);
    return await tagChart(repository, parsed.digest ?? parsed.tag!, newTags, parsed.digest);
  }

  show: H3["show"] = async (ref, part = "all", options = {}) => {
    const { showReference } = await import("./chart/show.ts");
    return await showReference(
      ref,
      part,
      this.cache,
      (parsed) => this.openRepository(parsed),
      options,
    );
  };

  async referrers(ref: string, options: ReferrersOptions = {}): ReturnType<H3["referrers"]> {
    const parsed = parseReference(ref);
    const repository = await this.openRepository(parsed);
    const chart = await this.#resolveRemote(parsed, repository);
    const { listReferrers } = await import("./referrers.ts");
    return { ...chart, referrers: await listReferrers(repository, chart.subject.digest, options) };
  }

  async deleteRemote(ref: string): ReturnType<H3["deleteRemote"]> {
    const parsed = parseReference(ref);
    const repository = await this.openRepository(parsed);
    if (!parsed.tag && !parsed.digest) {
      throw new RefError(`${ref}: name the tag or digest to delete`);
    }
    const { deleteRemoteChart } = await import("./remote_delete.ts");
    const name = formatReference(parsed);
    const reference = parsed.tag ?? parsed.digest!;
    return {
      ref: parsed,
      desc: await deleteRemoteChart(repository, reference, name, parsed.digest),
    };
  }

  async sign(ref: string, options: SignOptions): ReturnType<H3["sign"]> {
    const password = options.password ?? (() => {
      const env = Deno.env.get("COSIGN_PASSWORD");
      if (env === undefined) {
        throw new SignatureError(`${options.key} is encrypted: set COSIGN_PASSWORD`);
      }
      return Promise.resolve(env);
    });
    const { readSigningKey, signChart } = await import("./sign/sign.ts");
    const key = await readSigningKey(options.key, password);
    const parsed = parseReference(ref);
    const repository = (await this.openRepository(parsed)).expectPush();
    const chart = await this.#resolveRemote(parsed, repository);
    const name = `${parsed.registry}/${parsed.repository}`;
    const result = await signChart(repository, chart.subject, name, key, {
      bundle: options.bundle,
    });
    return { ...result, ...chart };
  }

  async verifySignature(
    ref: string,
    options: VerifySignatureOptions,
  ): ReturnType<H3["verifySignature"]> {
    const { requirementOf } = await import("./sign/trust_options.ts");
    const { checkTrust } = await import("./sign/trust.ts");
    const requirement = await requirementOf(options) ??
      { keys: [], acceptReferences: options.acceptReferences };
    const parsed = parseReference(ref);
    const repository = await this.openRepository(parsed);
    const chart = await this.#resolveRemote(parsed, repository);
    const repo = `${parsed.registry}/${parsed.repository}`;
    const result = await checkTrust(repository, chart.subject, repo, requirement, ref);
    return { ...result, ...chart };
  }

  /** The chart `ref` names in `repository` (untagged: the highest stable version). */
  async #resolveRemote(ref: Reference, repository: Repository): Promise<SignedChart> {
    const { resolveReference } = await import("./chart/versions.ts");
    const resolved = await resolveReference(ref, repository);
    return { ref: resolved, subject: await repository.resolve(resolved.digest ?? resolved.tag!) };
  }

  async copyCharts(
    src: string,
    dst: string,
    options: Parameters<H3["copyCharts"]>[2] = {},
  ): ReturnType<H3["copyCharts"]> {
    const { openCopyEnd, planCopies } = await import("./copy_plan.ts");
    const { isReferrerTag } = await import("./referrers.ts");
    const { invalidTagMessage } = await import("./chart/tags.ts");
    const { requirementFor } = await import("./sign/trust_options.ts");
    const { mirror } = await import("./mirror.ts");
    await using from = await openCopyEnd(src, true, (ref) => this.openRepository(ref));
    await using to = await openCopyEnd(
      dst,
      false,
      async (ref) => (await this.openRepository(ref)).expectPush(),
    );
    const allTags = options.allTags === true;
    const referrers = options.referrers === true;
    // With referrers, the tags signatures and referrer lists live under travel with their charts.
    const copies = await planCopies(
      from,
      to,
      allTags,
      (tag) => referrers && isReferrerTag(tag),
      (tag) => this.#warn(invalidTagMessage(from.name, tag)),
    );
    // A registry source is checked as `trust` asks, else as the config's trust policy for it.
    const srcRef = from.location.kind === "registry" ? from.location.ref : undefined;
    if (options.trust && !srcRef) {
      throw new SettingError(phrase`${option("trust")} checks a registry SRC's signatures only`, {
        setting: "trust",
      });
    }
    const required = srcRef &&
      await requirementFor(options.trust, srcRef.registry, srcRef.repository, this.#config());
    const summary = await mirror(from.target, to.target, copies, {
      concurrency: options.tagConcurrency ?? await this.concurrency(),
      skipNonCharts: allTags,
      referrers,
      // the signing code (with the YAML parser) is loaded only when a check applies
      verify: srcRef && required &&
        (await import("./sign/trust.ts")).trustCheck(
          from.target,
          required,
          srcRef.registry,
          srcRef.repository,
          src,
        ),
      onEvent: options.onEvent,
      onResult: options.onResult,
    });
    if (summary.copied + summary.skipped > 0) await to.commit();
    return summary;
  }

  async importRepo(
    indexUrl: string,
    namespace: string,
    options: Parameters<H3["importRepo"]>[2] = {},
  ): ReturnType<H3["importRepo"]> {
    const ns = parseReference(namespace);
    if (ns.tag || ns.digest) throw new RefError(`${namespace}: give a namespace without a tag`);
    const { importRepository } = await import("./repo/import.ts");
    return await importRepository(
      indexUrl,
      ns,
      async (ref) => (await this.openRepository(ref)).expectPush(),
      { ...options, concurrency: options.concurrency ?? await this.concurrency() },
    );
  }

  updateDependencies: H3["updateDependencies"] = async (dir, options) => {
    const { updateDependencies } = await import("./chart/dependencies.ts");
    return await updateDependencies(dir, (ref) => this.openRepository(ref), options);
  };

  buildDependencies: H3["buildDependencies"] = async (dir, options) => {
    const { buildDependencies } = await import("./chart/dependencies.ts");
    return await buildDependencies(dir, (ref) => this.openRepository(ref), options);
  };

  async listDependencies(dir: string): ReturnType<H3["listDependencies"]> {
    const { listDependencies } = await import("./chart/dependencies.ts");
    return await listDependencies(dir);
  }

  login: H3["login"] = async (registry, credential) => {
    const { checkLogin, loginHost } = await import("./auth/login.ts");
    const { transportSettings } = await import("./config.ts");
    const { saveLogin } = await import("./auth/store.ts");
    const { rememberRegistrySettings } = await import("./config_write.ts");
    const host = loginHost(registry);
    const settings = await transportSettings(host, this.#options, { config: await this.#config() });
    await checkLogin(host, credential, { ...settings, debug: this.#options.debug });
    const stored = await saveLogin(host, credential.username, credential.password);
    // TLS files that worked are remembered, so later commands for this host need no options.
    const { caFile, certFile, keyFile } = this.#options;
    const remembered = await rememberRegistrySettings(host, { caFile, certFile, keyFile });
    return { registry: host, stored, remembered };
  };

  logout: H3["logout"] = async (registry) => {
    const { removeLogin } = await import("./auth/store.ts");
    const { registryHost } = await import("./auth/docker_config.ts");
    return await removeLogin(registryHost(registry));
  };

  env: H3["env"] = async (options = {}) => {
    const { envReport } = await import("./env.ts");
    return await envReport(options.registry, this.#options);
  };

  copy: H3["copy"] = async (src, srcRef, dst, dstRef, options) => {
    const { copy } = await import("./copy.ts");
    return await copy(src, srcRef, dst, dstRef, options);
  };

  /** The config file, read once per client (a bulk pull asks for every ref). */
  #config(): Promise<Config> {
    this.#loaded ??= import("./config.ts").then(({ loadConfig }) => loadConfig());
    return this.#loaded;
  }

  concurrency: H3["concurrency"] = () => {
    this.#concurrency ??= import("./config.ts").then(async ({ resolveConcurrency }) =>
      resolveConcurrency(this.#options.concurrency, await this.#config())
    );
    return this.#concurrency;
  };

  async [Symbol.asyncDispose](): Promise<void> {
    this.cache[Symbol.dispose]();
    (await this.#hosts)?.[Symbol.dispose]();
  }
}
