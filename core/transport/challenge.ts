/**
 * `WWW-Authenticate` parsing (RFC 9110 §11.6.1): one header may hold several challenges, each a
 * scheme and comma-separated `key=value` or `key="quoted value"` parameters.
 * @module
 */
/** One `WWW-Authenticate` challenge: `Basic realm="x"` or `Bearer realm="..",service="..",scope=".."`. */
export interface Challenge {
  /** Lower-case scheme: `basic` or `bearer`. */
  scheme: string;
  /** Its parameters, keys lower-case. */
  params: Record<string, string>;
}

const tokenChar = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/**
 * Parses a `WWW-Authenticate` header value into its challenges, schemes and parameter names
 * lower-cased. Malformed parts are skipped rather than thrown on: a registry's odd header must not
 * hide the challenges that are fine.
 *
 * @example
 * ```ts
 * parseChallenges('Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull"');
 * // [{ scheme: "bearer", params: { realm: "https://auth.example/token", service: "reg", scope: "repository:a:pull" } }]
 * ```
 */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  if (!header) return [];
  const challenges: Challenge[] = [];
  const s = header;
  let i = 0;

  const skip = (chars: RegExp) => {
    while (i < s.length && chars.test(s[i])) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && tokenChar.test(s[i])) i++;
    return s.slice(start, i);
  };
  const quoted = (): string => {
    let value = "";
    i++; // opening quote
    while (i < s.length && s[i] !== '"') {
      if (s[i] === "\\" && i + 1 < s.length) i++;
      value += s[i++];
    }
    i++; // closing quote
    return value;
  };
  /** Whether a `name=` parameter (not a new challenge's scheme) starts at `i`. */
  const paramAhead = (): boolean => {
    const save = i;
    skip(/[\s,]/);
    const name = token();
    skip(/[ \t]/);
    const isParam = name !== "" && s[i] === "=";
    i = save;
    return isParam;
  };

  while (i < s.length) {
    skip(/[\s,]/);
    const scheme = token();
    if (scheme === "") {
      i++; // a stray character: step over it
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    skip(/[ \t]/);
    if (!paramAhead()) {
      // token68 credentials (`Negotiate abc==`): nothing h3 uses; skip to the next comma.
      while (i < s.length && s[i] !== ",") i++;
      continue;
    }
    while (paramAhead()) {
      skip(/[\s,]/);
      const name = token().toLowerCase();
      skip(/[ \t]/);
      i++; // "="
      skip(/[ \t]/);
      challenge.params[name] = s[i] === '"' ? quoted() : token();
      skip(/[ \t]/);
    }
  }
  return challenges;
}
