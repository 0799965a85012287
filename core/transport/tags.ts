/**
 * Tag listing: `GET /v2/<name>/tags/list`, page after page as the registry's `Link` header leads
 * (with `n` and `last`), as an async iterable.
 * @module
 */
import { RegistryError } from "../errors.ts";
import { type RegistryClient, scope } from "./client.ts";

/** Largest tag-list page read. */
const maxPageBytes = 16 * 1024 * 1024;

/** The `rel="next"` target of a `Link` header, if any. */
export function nextLink(header: string | null): string | undefined {
  for (const part of header?.split(/,(?=\s*<)/) ?? []) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match && /;\s*rel="?next"?/i.test(match[2])) return match[1];
  }
  return undefined;
}

/** Every tag of a repository, fetched a page at a time (`pageSize` asks for `n` per page). */
export async function* listTags(
  client: RegistryClient,
  repository: string,
  pageSize?: number,
): AsyncGenerator<string> {
  let url: URL | undefined = new URL(`/v2/${repository}/tags/list`, client.origin);
  if (pageSize) url.searchParams.set("n", String(pageSize));
  const seen = new Set<string>();
  while (url && !seen.has(url.href)) {
    seen.add(url.href);
    const { response, bytes } = await client.requestBytes({
      method: "GET",
      url,
      scopes: [scope(repository, "pull")],
      what: `listing the tags of ${repository}`,
    }, maxPageBytes);
    const text = new TextDecoder().decode(bytes);
    let page: { tags?: unknown };
    try {
      page = JSON.parse(text);
    } catch {
      throw new RegistryError(`${client.registry}: tag list of ${repository} is not JSON`, 200);
    }
    for (const tag of Array.isArray(page.tags) ? page.tags : []) {
      if (typeof tag === "string") yield tag;
    }
    const next = nextLink(response.headers.get("link"));
    url = next ? new URL(next, url) : undefined;
  }
}
