/**
 * Registry error responses as one line: the distribution error JSON's code and message, read up
 * to a cap, with credentials the registry may echo removed.
 * @module
 */
import { redact, type Secrets } from "../redact.ts";
import { firstLine, RegistryError } from "../errors.ts";

/** Bytes of an error body read at most; the rest is dropped. */
const maxErrorBody = 64 * 1024;

interface DistributionError {
  code?: unknown;
  message?: unknown;
}

/** What the registry said in an error body: the first distribution error, else a short text. */
async function readReason(response: Response): Promise<{ code?: string; message: string }> {
  const fallback = response.statusText || `HTTP ${response.status}`;
  if (!response.body) return { message: fallback };
  let text = "";
  try {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let left = maxErrorBody;
    while (left > 0) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value.subarray(0, left), { stream: true });
      left -= value.byteLength;
    }
    await reader.cancel().catch(() => {});
  } catch {
    return { message: fallback };
  }
  try {
    const first = (JSON.parse(text) as { errors?: DistributionError[] }).errors?.[0];
    if (first && typeof first.code === "string") {
      const message = typeof first.message === "string" && first.message
        ? first.message
        : first.code.toLowerCase().replaceAll("_", " ");
      return { code: first.code, message: message.replace(/\s*[\r\n]+\s*/g, " ").slice(0, 500) };
    }
  } catch {
    // not JSON: fall through to the text
  }
  const line = firstLine(text.trim()).slice(0, 200);
  return { message: line && !line.startsWith("<") ? line : fallback };
}

/** `<registry>: <what>`, or only `<what>` when it names a ref on that registry already. */
export function withRegistry(registry: string, what: string): string {
  return what.includes(`${registry}/`) ? what : `${registry}: ${what}`;
}

/**
 * The error for a registry's non-success response: `<registry>: <what>: <message> (<CODE>, HTTP
 * <status>)` (the registry only once), `secrets` and any credential removed. Consumes the body.
 */
export async function responseError(
  response: Response,
  registry: string,
  what: string,
  secrets: Secrets = {},
): Promise<RegistryError> {
  const reason = await readReason(response);
  const code = reason.code === undefined ? undefined : redact(reason.code, secrets).slice(0, 100);
  const message = redact(reason.message, secrets);
  const where = code ? `${code}, HTTP ${response.status}` : `HTTP ${response.status}`;
  const text = `${withRegistry(registry, what)}: ${message} (${where})`;
  return new RegistryError(text, response.status, code);
}
