/**
 * h3 as a library for `deno run` scripts: save, push, pull, list and export charts, and copy
 * between any two Targets (the local cache, registry repositories), with the same settings and
 * credentials as the `h3` command. Also the types TypeScript plugins are written against.
 *
 * @example
 * ```ts
 * import { push, save } from "./mod.ts";
 *
 * const saved = await save("./mychart", "localhost:5000/myrepo/mychart");
 * const pushed = await push(`localhost:5000/myrepo/mychart:${saved.ref.tag}`);
 * console.log(pushed.desc.digest);
 * ```
 * @module
 */
export * from "./core/api.ts";
export { definePlugin } from "./core/plugin/define.ts";
export type {
  H3Plugin,
  PluginCommand,
  PluginConfig,
  PluginContext,
  PluginCredentials,
  PluginOption,
  PluginOptionValues,
} from "./core/plugin/types.ts";
export type { Credential } from "./core/auth/types.ts";
export type { Challenge } from "./core/transport/challenge.ts";
export type { Authorizer, FetchLike } from "./core/transport/options.ts";
export type {
  BytesFetcher,
  Deleter,
  Exister,
  Fetcher,
  Holder,
  Ingester,
  Located,
  Mounter,
  Prober,
  Pusher,
  PushOptions,
  ReferenceFetcher,
  ReferencePusher,
  ReferrersLister,
  Resolver,
  StagedBlob,
  Stager,
  Tagger,
  TagLister,
  TagOptions,
  Target,
} from "./core/target.ts";
export type { Descriptor, Manifest } from "./core/oci/descriptor.ts";
export type { BlobRole, CopyEvent } from "./core/copy.ts";
export type { CollectResult } from "./core/cache/layout.ts";
export type { Problem } from "./core/cache/verify.ts";
export type { ChartMetadata, Dependency, Maintainer } from "./core/chart/metadata.ts";
export type { ChartParts } from "./core/chart/manifest.ts";
export { formatReference, parseReference, type Reference } from "./core/ref.ts";
export type {
  H3ErrorOptions,
  Naming,
  OperationMention,
  OptionMention,
  Remedy,
} from "./core/errors.ts";
export {
  AuthError,
  CacheError,
  ChartError,
  DigestError,
  H3Error,
  libraryNaming,
  operation,
  option,
  Phrase,
  phrase,
  PluginError,
  RefError,
  RegistryError,
  remedyOf,
  SettingError,
  SignatureError,
} from "./core/errors.ts";
export { version } from "./core/version.ts";
