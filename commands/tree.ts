/**
 * The built-in command tree: names and one-line descriptions only, each command's module loaded
 * when it runs, so start-up and `--help` import no command code.
 * @module
 */

import type { GroupEntry, LazyEntry } from "./_entries.ts";

/** Every built-in command, by group. */
export const tree: Record<string, GroupEntry | LazyEntry> = {
  chart: {
    description: "Save, push, pull and manage Helm charts in OCI registries",
    commands: {
      save: {
        description: "Save a chart directory into the local cache",
        load: () => import("./chart_save.ts"),
      },
      list: {
        description: "List the charts in the local cache",
        load: () => import("./chart_list.ts"),
      },
      export: {
        description: "Export a cached chart to a directory",
        load: () => import("./chart_export.ts"),
      },
      push: {
        description: "Push cached charts to their registry",
        load: () => import("./chart_push.ts"),
      },
      pull: {
        description: "Pull charts from a registry into the cache",
        load: () => import("./chart_pull.ts"),
      },
      remove: {
        description: "Remove charts from the local cache",
        load: () => import("./chart_remove.ts"),
      },
      tags: {
        description: "List the chart versions in a registry repository, newest first",
        load: () => import("./chart_tags.ts"),
      },
      dependency: {
        description: "Update, build or list a chart directory's dependencies (charts/, Chart.lock)",
        load: () => import("./chart_dependency.ts"),
      },
      dep: {
        description: "Update, build or list a chart directory's dependencies (charts/, Chart.lock)",
        load: () => import("./chart_dependency.ts"),
      },
      show: {
        description: "Show a chart's Chart.yaml, values, README or CRDs (as helm show)",
        load: () => import("./chart_show.ts"),
      },
      tag: {
        description: "Add tags to a chart in its registry, without uploading it again",
        load: () => import("./chart_tag.ts"),
      },
      copy: {
        description: "Copy charts between registries, OCI layouts and archives, past the cache",
        load: () => import("./chart_copy.ts"),
      },
      sign: {
        description: "Sign a chart in its registry with a cosign key",
        load: () => import("./chart_sign.ts"),
      },
      referrers: {
        description: "List the signatures, SBOMs and attestations that refer to a chart",
        load: () => import("./chart_referrers.ts"),
      },
      delete: {
        description: 'Delete charts in their registry (--remote; the cache is "chart remove")',
        load: () => import("./chart_delete.ts"),
      },
      prune: {
        description: "Delete cached blobs no chart needs and leftovers of interrupted writes",
        load: () => import("./chart_prune.ts"),
      },
      verify: {
        description:
          "Check the cache's blobs and refs; with --key, charts' signatures in their registry",
        load: () => import("./chart_verify.ts"),
      },
    },
  },
  registry: {
    description: "Log in to and out of registries",
    commands: {
      login: { description: "Log in to a registry", load: () => import("./registry_login.ts") },
      logout: { description: "Log out of a registry", load: () => import("./registry_logout.ts") },
    },
  },
  repo: {
    description: "Move classic chart repositories (index.yaml) to OCI registries",
    commands: {
      import: {
        description: "Push every chart of a classic repository (index.yaml) to an OCI registry",
        load: () => import("./repo_import.ts"),
      },
    },
  },
  plugin: {
    description: "Add, list and remove plugins",
    commands: {
      add: {
        description: "Add a plugin from a path, an https URL or npm:PACKAGE",
        load: () =>
          import("./plugin_add.ts").then((m) => ({ default: m.pluginAdd(Object.keys(tree)) })),
      },
      list: { description: "List the plugins", load: () => import("./plugin_list.ts") },
      remove: {
        description: "Remove an installed plugin",
        load: () => import("./plugin_remove.ts"),
      },
    },
  },
  env: {
    description: "Print the paths and settings h3 uses",
    load: () => import("./env.ts"),
  },
  completion: {
    description: "Print a shell completion script (bash, zsh, fish, powershell)",
    load: () => import("./completion.ts").then((m) => ({ default: m.completion(tree) })),
  },
};
