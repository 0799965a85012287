/**
 * Tag listing: `GET /v2/<name>/tags/list`, page after page as the registry's `Link` header leads
 * (with `n` and `last`), as an async iterable. What the registry sends is checked: each page is
 * capped in bytes, the pages and the tags in number, every `Link` must stay on the tag-list path
 * of the same registry, and a tag breaking the tag grammar is passed to `onInvalid`, never yielded.
 * @module
 */
import { DigestError, RegistryError } from "../errors.ts";
import { isTag } from "../ref.ts";
import { type RegistryClient, scope } from "./client.ts";
import { tagsPath } from "./paths.ts";

/** Largest tag-list page read (10,000 tags of 128 characters take 1.4 MB). */
export const maxPageBytes = 4 * 1024 * 1024;
/** Most pages followed: a registry whose `Link` never ends is stopped here. */
export const maxPages = 1000;
/** Most tags listed from one repository. */
export const maxTags = 100_000;

/** What to do with the tags a registry lists. */
export interface TagListOptions {
  /** Asks for `n` tags per page. */
  pageSize?: number;
  /** Receives each listed name that is not a valid tag; it is skipped. */
  onInvalid?: (tag: string) => void;
}

/** The `rel="next"` target of a `Link` header, if any. */
export function nextLink(header: string | null): string | undefined {
  for (const part of header?.split(/,(?=\s*<)/) ?? []) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match && /;\s*rel="?next"?/i.test(match[2])) return match[1];
  }
  return undefined;
}

/**
 * The next page a `Link` names, resolved against the page it came with: refused unless it is
 * the same repository's tag list on the same registry (another host would get the credentials).
 */
export function nextPage(link: string, current: URL, repository: string, registry: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(link, current);
  } catch {
    url = undefined;
  }
  if (
    !url || url.origin !== current.origin || url.pathname !== tagsPath(repository) ||
    url.username || url.password
  ) {
    throw new RegistryError(
      `${registry}: the tag list of ${repository} links its next page to ` +
        `${JSON.stringify(link.slice(0, 200))}, outside the registry's tag list; refused`,
      0,
    );
  }
  return url;
}

/** Every valid tag of a repository, fetched a page at a time. */
export async function* listTags(
  client: RegistryClient,
  repository: string,
  options: TagListOptions = {},
): AsyncGenerator<string> {
  let url: URL | undefined = new URL(tagsPath(repository), client.origin);
  if (options.pageSize) url.searchParams.set("n", String(options.pageSize));
  const seen = new Set<string>();
  let count = 0;
  while (url && !seen.has(url.href)) {
    if (seen.size >= maxPages) {
      throw new RegistryError(
        `${client.registry}: the tag list of ${repository} goes on past ${maxPages} pages; stopped`,
        0,
      );
    }
    seen.add(url.href);
    const { response, bytes } = await client.requestBytes({
      method: "GET",
      url,
      scopes: [scope(repository, "pull")],
      what: `listing the tags of ${repository}`,
    }, maxPageBytes).catch((error) => {
      if (!(error instanceof DigestError)) throw error;
      throw new RegistryError(
        `${client.registry}: a tag-list page of ${repository} is larger than the ` +
          `${maxPageBytes} bytes allowed`,
        0,
      );
    });
    const text = new TextDecoder().decode(bytes);
    let page: { tags?: unknown };
    try {
      page = JSON.parse(text);
    } catch {
      throw new RegistryError(`${client.registry}: tag list of ${repository} is not JSON`, 200);
    }
    for (const tag of Array.isArray(page?.tags) ? page.tags : []) {
      if (typeof tag !== "string" || !isTag(tag)) {
        options.onInvalid?.(String(tag));
        continue;
      }
      if (++count > maxTags) {
        throw new RegistryError(
          `${client.registry}: the tag list of ${repository} has more than ${maxTags} tags; stopped`,
          0,
        );
      }
      yield tag;
    }
    const next = nextLink(response.headers.get("link"));
    url = next ? nextPage(next, url, repository, client.registry) : undefined;
  }
}
