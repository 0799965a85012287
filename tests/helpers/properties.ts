/**
 * Property-based checks (fast-check) of every parser that reads outside input: references,
 * manifests and indexes, `WWW-Authenticate` challenges, `Link` headers, token responses, tar entry
 * names, Chart.yaml, Docker config, registries' error bodies, and the text h3 prints from them.
 * Each property: any input ends in a value or a typed error (an `H3Error`; never an untyped
 * exception), and what parses re-serialises to the same meaning. `tests/reliability/fuzz_test.ts` runs them
 * briefly in `deno task test`; `deno task fuzz` runs them long.
 * @module
 */
import fc from "fast-check";
import { parseTokenResponse } from "../../core/auth/authorizer.ts";
import { entryCredential, findAuth, parseDockerConfig } from "../../core/auth/docker_config.ts";
import { parseChartYaml } from "../../core/chart/chart_yaml.ts";
import { decodeConfig, encodeConfig } from "../../core/chart/config.ts";
import { entryPath } from "../../core/chart/extract.ts";
import { H3Error } from "../../core/errors.ts";
import { decodeManifest, encodeManifest } from "../../core/oci/descriptor.ts";
import { decodeIndex, encodeIndex } from "../../core/oci/index.ts";
import { redact } from "../../core/redact.ts";
import { formatReference, parseReference } from "../../core/ref.ts";
import { responseError } from "../../core/transport/_errors.ts";
import { parseChallenges } from "../../core/transport/challenge.ts";
import { nextLink, nextPage } from "../../core/transport/tags.ts";
import { safeLine, safeText } from "../../commands/ui/safe_text.ts";

/** One property: its name (the parser it checks) and the fast-check property. */
export interface NamedProperty {
  name: string;
  property: fc.IRawProperty<unknown[]>;
}

/** Runs `fn`; an `H3Error` is an answer too, any other exception fails the property. */
function typed<T>(fn: () => T): T | H3Error {
  try {
    return fn();
  } catch (error) {
    if (error instanceof H3Error) return error;
    throw error;
  }
}

/** The async form of `typed`. */
async function typedAsync<T>(fn: () => Promise<T>): Promise<T | H3Error> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof H3Error) return error;
    throw error;
  }
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`property broken: ${what}`);
}

const encoder = new TextEncoder();
const hex64 = fc.stringMatching(/^[a-f0-9]{64}$/);
const digest = hex64.map((h) => `sha256:${h}`);
/** Text of every kind: ASCII, any Unicode, and control characters. */
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.constantFrom("\x1b", "\n", "\r", "\x00", "\x07", "\x9b", "\u202e", "a") }),
);

const component = fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/).filter((s) => s.length < 30);
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,20}$/);
const host = fc.oneof(
  fc.constantFrom("localhost:5000", "ghcr.io", "127.0.0.1:5000", "[::1]:5000", "registry.example"),
  fc.domain(),
);
/** References built from the grammar, so the round trip is exercised, and raw strings. */
const referenceText = fc.oneof(
  fc.tuple(
    host,
    fc.array(component, { minLength: 1, maxLength: 4 }),
    fc.option(tag),
    fc.option(digest),
  )
    .map(([h, path, t, d]) => `${h}/${path.join("/")}${t ? `:${t}` : ""}${d ? `@${d}` : ""}`),
  anyText,
);

const descriptor = fc.record({
  mediaType: fc.constantFrom(
    "application/vnd.cncf.helm.config.v1+json",
    "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
    "application/vnd.oci.image.manifest.v1+json",
  ),
  digest,
  size: fc.nat(),
});
const manifestJson = fc.record({
  schemaVersion: fc.constant(2),
  mediaType: fc.constant("application/vnd.oci.image.manifest.v1+json"),
  config: descriptor,
  layers: fc.array(descriptor, { maxLength: 4 }),
}).map((m) => JSON.stringify(m));
const indexJson = fc.record({
  schemaVersion: fc.constant(2),
  mediaType: fc.constant("application/vnd.oci.image.index.v1+json"),
  manifests: fc.array(descriptor, { maxLength: 4 }),
}).map((m) => JSON.stringify(m));
/** JSON shaped like the real thing, JSON of any shape, and bytes that are not JSON. */
const jsonish = (real: fc.Arbitrary<string>) =>
  fc.oneof(real, fc.json(), anyText, real.map((t) => t.slice(0, t.length >> 1)));

const challenge = fc.record({
  scheme: fc.constantFrom("bearer", "basic", "negotiate"),
  params: fc.dictionary(
    fc.constantFrom("realm", "service", "scope", "error"),
    fc.string().filter((s) => !s.includes("\\")),
  ),
});

/** Every property, in the order the fuzz run prints them. */
export const properties: NamedProperty[] = [
  {
    name: "references",
    property: fc.property(referenceText, (input) => {
      const parsed = typed(() => parseReference(input));
      if (parsed instanceof H3Error) return;
      const again = parseReference(formatReference(parsed));
      check(JSON.stringify(again) === JSON.stringify(parsed), "format then parse is the same");
    }),
  },
  {
    name: "manifests",
    property: fc.property(jsonish(manifestJson), (text) => {
      const manifest = typed(() => decodeManifest(encoder.encode(text)));
      if (manifest instanceof H3Error) return;
      const again = decodeManifest(encodeManifest(manifest));
      check(JSON.stringify(again) === JSON.stringify(manifest), "encode then decode is the same");
    }),
  },
  {
    name: "indexes",
    property: fc.property(jsonish(indexJson), (text) => {
      const index = typed(() => decodeIndex(encoder.encode(text)));
      if (index instanceof H3Error || index === undefined) return;
      const again = decodeIndex(encodeIndex(index));
      check(JSON.stringify(again) === JSON.stringify(index), "encode then decode is the same");
    }),
  },
  {
    name: "WWW-Authenticate challenges",
    property: fc.property(
      fc.oneof(
        anyText,
        fc.array(challenge, { minLength: 1, maxLength: 3 }).map((list) => ({ list })),
      ),
      (input) => {
        if (typeof input === "string") {
          const parsed = parseChallenges(input);
          check(Array.isArray(parsed), "a list, whatever the header");
          return;
        }
        const header = input.list.map((c) =>
          `${c.scheme} ${
            Object.entries(c.params).map(([k, v]) => `${k}="${v.replaceAll('"', '\\"')}"`).join(
              ", ",
            )
          }`
        ).join(", ");
        const parsed = parseChallenges(header);
        const wanted = input.list.filter((c) => Object.keys(c.params).length > 0);
        for (const c of wanted) {
          check(
            parsed.some((p) =>
              p.scheme === c.scheme && JSON.stringify(p.params) === JSON.stringify(c.params)
            ),
            `challenge ${JSON.stringify(c)} read back from ${header}`,
          );
        }
      },
    ),
  },
  {
    name: "Link headers",
    property: fc.property(
      fc.oneof(anyText, fc.webUrl().map((u) => `<${u}>; rel="next"`), fc.webPath()),
      (header) => {
        const link = nextLink(header);
        if (link === undefined) return;
        check(!link.includes(">"), "a link has no >");
        const base = new URL("http://127.0.0.1:5000/v2/a/b/tags/list");
        const page = typed(() => nextPage(link, base, "a/b", "127.0.0.1:5000"));
        if (page instanceof H3Error) return;
        check(page.origin === base.origin, "a next page stays on the registry");
        check(page.pathname === base.pathname, "a next page stays on the tag list");
      },
    ),
  },
  {
    name: "token responses",
    property: fc.property(
      jsonish(
        fc.record({ token: fc.string(), expires_in: fc.oneof(fc.integer(), fc.double()) })
          .map((b) => JSON.stringify(b)),
      ),
      (text) => {
        const parsed = typed(() => parseTokenResponse(text, "reg.example"));
        if (parsed instanceof H3Error) return;
        check(/^[\x21-\x7e]+$/.test(parsed.token), "a token fits an HTTP header");
        check(parsed.expiresIn >= 60 && parsed.expiresIn <= 86400, "a bounded lifetime");
      },
    ),
  },
  {
    name: "tar entry names",
    property: fc.property(
      fc.oneof(
        anyText,
        fc.array(fc.constantFrom("mychart", "..", ".", "", "a", "/", "\\", "C:"), {
          maxLength: 6,
        }).map((p) => p.join("/")),
      ),
      fc.constantFrom("file", "directory", "symlink", "link", "character-device"),
      (name, type) => {
        const parts = typed(() =>
          entryPath({ name, type } as Parameters<typeof entryPath>[0], "mychart")
        );
        if (parts instanceof H3Error) return;
        check(!parts.includes("..") && !parts.includes(""), "no parent or empty component");
        check(parts.every((p) => !p.includes("/") && !p.includes("\\")), "plain components");
      },
    ),
  },
  {
    name: "Chart.yaml",
    property: fc.property(
      fc.oneof(
        anyText,
        fc.record({
          apiVersion: fc.constantFrom("v1", "v2", "v3"),
          name: fc.oneof(component, fc.string()),
          version: fc.oneof(fc.constantFrom("1.0.0", "0.1.0-rc.1+b"), fc.string()),
          description: anyText,
        }).map((f) =>
          Object.entries(f).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("\n") + "\n"
        ),
      ),
      (text) => {
        const meta = typed(() => parseChartYaml(text, "Chart.yaml"));
        if (meta instanceof H3Error) return;
        const again = decodeConfig(encodeConfig(meta), "config");
        // An empty field means what an absent one does (Helm's omitempty).
        const meaning = (m: object) =>
          JSON.stringify(Object.entries(m).filter(([, v]) => v !== "" && v !== undefined));
        check(meaning(again) === meaning(meta), "config round trip means the same");
      },
    ),
  },
  {
    name: "Docker config",
    property: fc.property(
      fc.oneof(
        anyText,
        fc.json(),
        fc.record({
          auths: fc.dictionary(
            fc.oneof(host, fc.string()),
            fc.oneof(
              fc.record({ auth: fc.oneof(fc.base64String(), fc.string()) }),
              fc.record({ identitytoken: fc.string(), username: fc.string() }),
              fc.jsonValue(),
            ),
          ),
        }).map((c) => JSON.stringify(c)),
      ),
      host,
      (text, registry) => {
        const config = typed(() => parseDockerConfig(text, "config.json"));
        if (config instanceof H3Error) return;
        const entry = typed(() => findAuth(config, registry));
        if (entry instanceof H3Error || entry === undefined) return;
        typed(() => entryCredential(entry, "config.json"));
      },
    ),
  },
  {
    name: "registry error bodies",
    property: fc.asyncProperty(
      fc.oneof(
        anyText,
        fc.record({
          errors: fc.array(fc.record({ code: anyText, message: anyText }), { maxLength: 3 }),
        }).map((b) => JSON.stringify(b)),
      ),
      fc.integer({ min: 400, max: 599 }),
      async (body, status) => {
        const error = await typedAsync(() =>
          responseError(new Response(body, { status }), "reg.example", "doing x")
        );
        check(error instanceof H3Error, "a typed error");
        const line = safeLine((error as H3Error).message);
        // deno-lint-ignore no-control-regex
        check(!/[\x00-\x1f\x7f-\x9f]/.test(line), "prints as one line without controls");
        check((error as H3Error).message.length < 2000, "a bounded message");
      },
    ),
  },
  {
    name: "printed text and redaction",
    property: fc.property(
      anyText,
      fc.string({ minLength: 3 }).filter((s) => !s.includes("*")),
      (text, secret) => {
        // deno-lint-ignore no-control-regex
        check(!/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/.test(safeText(text)), "no control characters");
        const header = `Basic ${btoa(unescape(encodeURIComponent(`user:${secret}`)))}`;
        const redacted = redact(`${text} ${secret} ${header} ${encodeURIComponent(secret)}`, {
          secrets: [secret],
          headers: [header],
        });
        check(!redacted.includes(header), "no Authorization value");
        check(!redacted.includes(secret), "the secret is gone, in every form");
      },
    ),
  },
];
