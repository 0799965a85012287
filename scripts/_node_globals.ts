/**
 * Keeps Deno's Node compatibility layer off commands that do not need it. In Deno, the first use of
 * the Node globals `process` or `Buffer`, even `typeof process`, loads that layer (~25 ms of CPU,
 * more than a whole `deno run` of an empty script). Two packages on common paths ask at load time
 * whether they run in Node: semver (is `NODE_DEBUG` set?) and ignore (is the platform Windows?).
 * This rewrites those two questions, as the bundler prints them, into ones Deno answers without
 * the layer. (yaml's Node build requires `process` and `buffer`; the bundle uses its ESM build,
 * see bundle.ts.)
 * @module
 */

/** A load-time probe of the Node globals and what it becomes in the bundle. */
interface Probe {
  /** The package that asks. */
  package: string;
  /** The question as the bundler prints it (minified). */
  asked: RegExp;
  /** The same question without the Node globals. */
  answer: string;
}

const probes: Probe[] = [
  {
    // internal/debug.js: log to stderr when NODE_DEBUG names semver. h3 does not turn that on.
    package: "semver",
    asked: /typeof process=="object"&&process\.env&&process\.env\.NODE_DEBUG&&/g,
    answer: "!1&&",
  },
  {
    // ignore's index.js: Windows path handling, when the platform is Windows.
    package: "ignore",
    asked: /typeof process<"u"&&process\.platform==="win32"/g,
    answer: 'Deno.build.os==="windows"',
  },
];

/**
 * Rewrites the known load-time probes of `process` in `code` (a minified chunk) and returns the
 * chunk and the packages whose probe it held, so a build can check each was found once.
 */
export function withoutNodeProbes(code: string): { code: string; found: string[] } {
  const found: string[] = [];
  for (const probe of probes) {
    code = code.replace(probe.asked, () => {
      found.push(probe.package);
      return probe.answer;
    });
  }
  return { code, found };
}

/** The packages whose probe a full build must find (a new version may phrase it differently). */
export const probedPackages: readonly string[] = probes.map((p) => p.package);
