/**
 * Secrets out of text a registry or token service sent back (an error body may echo the request):
 * each secret in every form it travels in, raw, base64 (a Basic header's `user:password`),
 * URL-encoded and form-encoded, and any `Basic ...` or `Bearer ...` credential, become `***`.
 * @module
 */

const encoder = new TextEncoder();

function base64(text: string): string {
  return btoa(String.fromCharCode(...encoder.encode(text)));
}

function base64Url(text: string): string {
  return base64(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The forms one secret may take on the wire. */
function forms(secret: string): string[] {
  const all = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    base64(secret),
    base64(secret).replace(/=+$/, ""),
    base64Url(secret),
  ];
  return [...new Set(all)].filter((form) => form.length >= 3).sort((a, b) => b.length - a.length);
}

/** The secrets inside an Authorization header value: the whole credential and, for Basic, its parts. */
function headerSecrets(header: string): string[] {
  const credential = header.replace(/^\S+\s+/, "");
  const secrets = [header, credential];
  if (/^basic\s/i.test(header)) {
    try {
      const decoded = new TextDecoder().decode(
        Uint8Array.from(atob(credential), (c) => c.charCodeAt(0)),
      );
      secrets.push(decoded);
      const colon = decoded.indexOf(":");
      if (colon >= 0) secrets.push(decoded.slice(colon + 1));
    } catch {
      // not base64: the credential itself is covered
    }
  }
  return secrets;
}

/** What `redact` removes: plain secrets (passwords, tokens) and Authorization header values sent. */
export interface Secrets {
  secrets?: (string | undefined)[];
  headers?: (string | undefined)[];
}

const schemeCredential = /\b(basic|bearer)(\s+)[A-Za-z0-9+/=._~-]{4,}/gi;

/** `text` with every known secret, in every form, and every Basic/Bearer credential as `***`. */
export function redact(text: string, known: Secrets = {}): string {
  const secrets = [
    ...(known.secrets ?? []),
    ...(known.headers ?? []).flatMap((h) => h ? headerSecrets(h) : []),
  ].filter((s): s is string => typeof s === "string" && s.length >= 3);
  let out = text;
  for (const form of [...new Set(secrets.flatMap(forms))].sort((a, b) => b.length - a.length)) {
    out = out.replaceAll(form, "***");
  }
  return out.replace(schemeCredential, "$1$2***");
}
