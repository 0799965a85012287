/**
 * Reading Chart.yaml: YAML text to validated chart metadata, as leniently as Helm 3 reads it
 * (sigs.k8s.io/yaml over go-yaml v2): YAML 1.1 scalars (`yes`/`on` are true), the last of
 * repeated keys wins, only the first document counts. Scalars that YAML would read as numbers
 * keep their written text (`appVersion: 1.10` stays "1.10"), as Helm reads them into string
 * fields. Malformed YAML is one error line with the file and line number.
 * @module
 */
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
} from "yaml";
import { ChartError, firstLine } from "../errors.ts";
import { type ChartMetadata, validateMetadata } from "./metadata.ts";

/** Aliases a chart file may expand before it is refused (a guard against alias bombs). */
const maxAliases = 100;

/** The first YAML document of `text`, its syntax checked; `file` names it in errors. */
function firstDocument(text: string, file: string): Document | undefined {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
    version: "1.1",
  });
  const doc = docs[0];
  const error = doc?.errors[0];
  if (error) {
    const { line } = lineCounter.linePos(error.pos[0]);
    const message = firstLine(error).replace(/ at line \d+, column \d+:?$/, "");
    throw new ChartError(`${file}:${line}: malformed YAML: ${message}`);
  }
  return doc;
}

/** Parses YAML text into plain data; `file` names it in errors. */
export function parseYaml(text: string, file: string): unknown {
  const doc = firstDocument(text, file);
  if (!doc) return null;
  const budget = { aliases: 0 };
  return toPlain(doc.contents, doc, file, budget);
}

/**
 * Checks values.yaml as Helm's loader does before `helm package` or `helm push` accepts a chart:
 * well-formed YAML whose top level is a mapping (or nothing). The values are not expanded.
 */
export function checkValuesYaml(text: string, file: string): void {
  const contents = firstDocument(text, file)?.contents;
  if (contents === null || contents === undefined || isMap(contents)) return;
  if (isScalar(contents) && contents.value === null) return;
  throw new ChartError(`${file}: values must be a mapping of names to values`);
}

/** Parses and validates Chart.yaml text; `file` (e.g. `mychart/Chart.yaml`) names it in errors. */
export function parseChartYaml(text: string, file: string): ChartMetadata {
  return validateMetadata(parseYaml(text, file), file);
}

function toPlain(node: unknown, doc: Document, file: string, budget: { aliases: number }): unknown {
  if (isAlias(node)) {
    if (++budget.aliases > maxAliases) {
      throw new ChartError(`${file}: more than ${maxAliases} YAML aliases`);
    }
    return toPlain(node.resolve(doc), doc, file, budget);
  }
  if (isScalar(node)) {
    const value = node.value;
    if (value === null || typeof value === "string" || typeof value === "boolean") return value;
    return node.source ?? String(value);
  }
  if (isSeq(node)) return node.items.map((item) => toPlain(item, doc, file, budget));
  if (isMap(node)) {
    return Object.fromEntries(node.items.map((pair) => [
      String(toPlain(pair.key, doc, file, budget)),
      toPlain(pair.value, doc, file, budget),
    ]));
  }
  return null;
}
