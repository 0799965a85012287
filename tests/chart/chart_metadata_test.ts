import assert from "node:assert/strict";
import { parseChartYaml } from "../../core/chart/chart_yaml.ts";
import { decodeConfig, encodeConfig } from "../../core/chart/config.ts";
import { ChartError } from "../../core/errors.ts";
import { sanitize } from "../../core/chart/metadata.ts";

const file = "mychart/Chart.yaml";
const base = "apiVersion: v2\nname: mychart\nversion: 2.7.0\n";

function rejects(yaml: string, message: string) {
  assert.throws(() => parseChartYaml(yaml, file), (error: unknown) => {
    assert.ok(error instanceof ChartError, `not a ChartError: ${error}`);
    assert.equal(error.message, message);
    assert.ok(!error.message.includes("\n"), "error is one line");
    return true;
  });
}

Deno.test("a valid Chart.yaml gives its metadata", () => {
  const meta = parseChartYaml(base + "appVersion: 1.16.0\ntype: library\n", file);
  assert.equal(meta.name, "mychart");
  assert.equal(meta.version, "2.7.0");
  assert.equal(meta.apiVersion, "v2");
  assert.equal(meta.appVersion, "1.16.0");
  assert.equal(meta.type, "library");
});

Deno.test("apiVersion defaults to v1 (Helm 2 charts) and is kept as given", () => {
  assert.equal(parseChartYaml("name: mychart\nversion: 1.0.0\n", file).apiVersion, "v1");
  assert.equal(parseChartYaml(base.replace("v2", "v1"), file).apiVersion, "v1");
  assert.equal(parseChartYaml(base, file).apiVersion, "v2");
});

Deno.test("name is required and one path component, as Helm 3's loader has it", () => {
  rejects("apiVersion: v2\nversion: 1.0.0\n", `${file}: name is required`);
  rejects('apiVersion: v2\nname: ""\nversion: 1.0.0\n', `${file}: name is required`);
  for (const bad of ["a/b", "..", ".", "x\\\\y", "a/"]) {
    assert.throws(
      () => parseChartYaml(`apiVersion: v2\nname: "${bad}"\nversion: 1.0.0\n`, file),
      /name ".*" is invalid \(one path component/,
      bad,
    );
  }
  for (const good of ["my-chart", "My_Chart.v2", "a", "my chart", "ünï"]) {
    assert.equal(
      parseChartYaml(`apiVersion: v2\nname: ${good}\nversion: 1.0.0\n`, file).name,
      good,
    );
  }
});

Deno.test("version is required and SemVer as Helm's parser reads it", () => {
  rejects("apiVersion: v2\nname: mychart\n", `${file}: version is required`);
  rejects(
    "apiVersion: v2\nname: mychart\nversion: 1.x\n",
    `${file}: version "1.x" is not SemVer`,
  );
  for (
    const bad of [
      "1.0.0-01",
      "=1.0.0",
      "1.0.0.0",
      "latest",
      "V1.0.0",
      "1.0.0+",
      "99999999999999999999.0.0",
    ]
  ) {
    assert.throws(
      () => parseChartYaml(`apiVersion: v2\nname: mychart\nversion: "${bad}"\n`, file),
      new RegExp(`version "${bad.replace(/[.+]/g, "\\$&")}" is not SemVer`),
    );
  }
  for (
    const good of [
      "0.0.1",
      "1.2.3-rc.1",
      "1.2.3+build.5",
      "10.20.30-alpha.beta+exp.sha.5114f85",
      "v1.0.0",
      "1.0",
      "1",
      "01.0.0",
    ]
  ) {
    assert.equal(parseChartYaml(`apiVersion: v2\nname: m\nversion: ${good}\n`, file).version, good);
  }
});

Deno.test("numbers keep their written text in string fields", () => {
  // YAML would read 1.10 as the number 1.1; Helm's string fields want "1.10".
  const meta = parseChartYaml(base + "appVersion: 1.10\nannotations:\n  replicas: 3\n", file);
  assert.equal(meta.appVersion, "1.10");
  assert.deepEqual(meta.annotations, { replicas: "3" });
  assert.equal(
    parseChartYaml("apiVersion: v2\nname: mychart\nversion: 1.10\n", file).version,
    "1.10",
  );
});

Deno.test("type, maintainers, dependencies and other fields have Helm's shapes", () => {
  rejects(base + "type: app\n", `${file}: type "app" is invalid (application or library)`);
  rejects(base + "maintainers: bob\n", `${file}: maintainers must be a list`);
  rejects(base + "maintainers:\n  - \n", `${file}: maintainers[0] must not be empty`);
  rejects(
    base + "maintainers:\n  - bob\n",
    `${file}: maintainers[0] must be a mapping (name, email, url)`,
  );
  rejects(base + "keywords: [a, {b: c}]\n", `${file}: keywords[1] must be a string`);
  rejects(base + "deprecated: maybe\n", `${file}: deprecated must be true or false`);
  rejects(
    base + "dependencies:\n  - name: redis\n    alias: my/redis\n",
    `${file}: dependencies[0].alias "my/redis" is invalid (letters, digits, '_' and '-' only)`,
  );
  rejects(
    base + "dependencies:\n  - name: redis\n  - name: redis\n",
    `${file}: dependencies[1] repeats the name or alias "redis"`,
  );
  rejects(
    base + "annotations: [a]\n",
    `${file}: annotations must be a mapping (key: value strings)`,
  );
  rejects("- a\n- b\n", `${file}: must be a mapping of fields (apiVersion, name, version, ...)`);
});

Deno.test("malformed YAML is one line with the file and line number", () => {
  rejects(
    base + "keywords: [a, b\n",
    `${file}:5: malformed YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
  );
  // As sigs.k8s.io/yaml (go-yaml v2, not strict): a repeated key's last value wins.
  assert.equal(parseChartYaml(base + "name: other\n", file).name, "other");
});

Deno.test("alias bombs are refused", () => {
  const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i <= 9; i++) {
    lines.push(
      `${"b".repeat(i)}: &${"b".repeat(i)} [${
        Array(10).fill(`*${i === 1 ? "a" : "b".repeat(i - 1)}`).join(", ")
      }]`,
    );
  }
  assert.throws(
    () => parseChartYaml(base + lines.join("\n") + "\n", file),
    /more than 100 YAML aliases/,
  );
});

Deno.test("strings are sanitized as Helm does", () => {
  const meta = parseChartYaml(base + 'description: "line one\\nline two\\ttab\\u0007bell"\n', file);
  assert.equal(meta.description, "line one line two tabbell");
  // Every ASCII character: Go's unicode.IsSpace ones become a space, the other controls go.
  const ascii = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)).join("");
  const printable = ascii.slice(0x20, 0x7f);
  assert.equal(sanitize(ascii), " ".repeat(5) + printable); // \t \n \v \f \r, then 0x20-0x7e
  assert.equal(sanitize(printable), printable);
  // Beyond ASCII: Unicode spaces become a space; format, private and unassigned ones go.
  assert.equal(
    sanitize("a\u00a0b\u2028c\u200bd\ue000e\u0378f\u00e9\u4e2d"),
    "a b cdef\u00e9\u4e2d",
  );
});

Deno.test("the config is Helm's JSON: Go field order, empty fields left out", () => {
  const meta = parseChartYaml(
    `type: application
dependencies:
  - name: redis
    repository: ""
    condition: redis.enabled
kubeVersion: ">=1.20"
annotations:
  zeta: z
  alpha: a
deprecated: false
appVersion: 1.16.0
icon: https://example.com/i.png
maintainers:
  - name: Bob
    email: bob@example.com
keywords: []
description: A <b>chart</b> & more
version: 2.7.0
sources: [https://example.com/src]
home: https://example.com
name: mychart
apiVersion: v2
`,
    file,
  );
  assert.equal(
    new TextDecoder().decode(encodeConfig(meta)),
    '{"name":"mychart","home":"https://example.com","sources":["https://example.com/src"],' +
      '"version":"2.7.0","description":"A \\u003cb\\u003echart\\u003c/b\\u003e \\u0026 more",' +
      '"maintainers":[{"name":"Bob","email":"bob@example.com"}],"icon":"https://example.com/i.png",' +
      '"apiVersion":"v2","appVersion":"1.16.0","annotations":{"alpha":"a","zeta":"z"},' +
      '"kubeVersion":"\\u003e=1.20","dependencies":[{"name":"redis","repository":"",' +
      '"condition":"redis.enabled"}],"type":"application"}',
  );
});

Deno.test("a config decodes back to the same metadata, and bad configs are refused", () => {
  const meta = parseChartYaml(base + "description: hi\n", file);
  assert.deepEqual(decodeConfig(encodeConfig(meta), "config"), meta);
  assert.throws(() => decodeConfig(new TextEncoder().encode("{"), "config"), /not valid JSON/);
  assert.throws(
    () =>
      decodeConfig(
        new TextEncoder().encode('{"apiVersion":"v2","name":"../x","version":"1.0.0"}'),
        "config",
      ),
    /config: name "\.\.\/x" is invalid/,
  );
});
