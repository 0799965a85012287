/**
 * A small token server for tests: the `auth: token` half of a real docker-registry. It issues RS256
 * JWTs with an `x5c` header, signed by a key whose self-signed certificate (made by openssl) is the
 * registry's `rootcertbundle`, granting access by a small ACL. It speaks the distribution token
 * protocol (GET with Basic or anonymous) and the OAuth2 POST grants (password, refresh_token).
 * @module
 */

/** One grant: `user` (or anyone, when absent) may do `actions` on `repository`. */
export interface Grant {
  repository: string;
  actions: string[];
  user?: string;
}

/** What the issuer knows. */
export interface TokenIssuerOptions {
  /** Username → password. */
  users: Record<string, string>;
  acl: Grant[];
  /** Refresh token (Docker's identity token) → username, for grant_type=refresh_token. */
  refreshTokens?: Record<string, string>;
  /** Token lifetime in seconds (default 300). */
  expiresIn?: number;
  /** Answer GET with 405, as OAuth2-only token services do (POST grants only). */
  postOnly?: boolean;
  /** Refuse requests without credentials (401) instead of issuing tokens with public access. */
  refuseAnonymous?: boolean;
}

/** One request the issuer answered. */
export interface IssuedRequest {
  method: string;
  /** `basic`, `anonymous`, `password` or `refresh_token`. */
  grant: string;
  user?: string;
  scopes: string[];
  status: number;
}

/** A running issuer. */
export interface TokenIssuer {
  /** The URL to put in the registry config's `realm`. */
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificate file for the registry's `rootcertbundle`. */
  rootcertbundle: string;
  /** Every request answered, in order. */
  requests: IssuedRequest[];
  [Symbol.asyncDispose](): Promise<void>;
}

const service = "h3-test-registry";
const issuerName = "h3-test-issuer";

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  const b64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function base64url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** The actions of `scope` (`repository:name:actions`) the ACL grants to `user`. */
function granted(acl: Grant[], user: string | undefined, scope: string) {
  const [type, ...rest] = scope.split(":");
  const actions = rest.pop()?.split(",") ?? [];
  const name = rest.join(":");
  const allowed = new Set(
    acl.filter((g) => g.repository === name && (g.user === undefined || g.user === user))
      .flatMap((g) => g.actions),
  );
  return { type, name, actions: actions.filter((a) => allowed.has(a)) };
}

/** Starts the issuer on 127.0.0.1; use with `await using`. */
export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const dir = await Deno.makeTempDir({ prefix: "h3-token-issuer-" });
  const keyFile = `${dir}/key.pem`;
  const certFile = `${dir}/cert.pem`;
  await openssl([
    "genpkey",
    "-algorithm",
    "RSA",
    "-pkeyopt",
    "rsa_keygen_bits:2048",
    "-out",
    keyFile,
  ]);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    keyFile,
    "-subj",
    "/CN=h3-test-token-issuer",
    "-days",
    "2",
    "-out",
    certFile,
  ]);
  const key = await crypto.subtle.importKey(
    "pkcs8",
    pemBody(await Deno.readTextFile(keyFile)),
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const x5c = btoa(String.fromCharCode(...pemBody(await Deno.readTextFile(certFile))));
  const expiresIn = options.expiresIn ?? 300;
  const requests: IssuedRequest[] = [];

  async function sign(user: string | undefined, scopes: string[]): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT", x5c: [x5c] }));
    const claims = base64url(JSON.stringify({
      iss: issuerName,
      sub: user ?? "",
      aud: service,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: crypto.randomUUID(),
      access: scopes.map((s) => granted(options.acl, user, s)).filter((a) => a.actions.length),
    }));
    const input = `${header}.${claims}`;
    const signature = await crypto.subtle.sign(
      "RSASSA-PKCS1-v1_5",
      key,
      new TextEncoder().encode(input),
    );
    return `${input}.${base64url(new Uint8Array(signature))}`;
  }

  function refuse(request: IssuedRequest): Response {
    request.status = 401;
    requests.push(request);
    return Response.json(
      { errors: [{ code: "UNAUTHORIZED", message: "invalid username or password" }] },
      { status: 401, headers: { "www-authenticate": `Basic realm="${issuerName}"` } },
    );
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname !== "/token") return new Response("not found", { status: 404 });
    let user: string | undefined;
    let scopes: string[];
    let grant: string;
    if (req.method === "POST") {
      const form = new URLSearchParams(await req.text());
      scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
      grant = form.get("grant_type") ?? "";
      if (grant === "password") {
        user = form.get("username") ?? "";
        if (options.users[user] !== form.get("password")) {
          return refuse({ method: "POST", grant, scopes, status: 0 });
        }
      } else if (grant === "refresh_token") {
        user = options.refreshTokens?.[form.get("refresh_token") ?? ""];
        if (!user) return refuse({ method: "POST", grant, scopes, status: 0 });
      } else {
        return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
      }
    } else if (options.postOnly) {
      return new Response("method not allowed", { status: 405 });
    } else {
      scopes = url.searchParams.getAll("scope").flatMap((s) => s.split(" ")).filter(Boolean);
      const auth = req.headers.get("authorization");
      grant = auth ? "basic" : "anonymous";
      if (!auth && options.refuseAnonymous) {
        return refuse({ method: "GET", grant, scopes, status: 0 });
      }
      if (auth) {
        const decoded = atob(auth.replace(/^Basic\s+/i, ""));
        const colon = decoded.indexOf(":");
        user = decoded.slice(0, colon);
        if (colon < 0 || options.users[user] !== decoded.slice(colon + 1)) {
          return refuse({ method: "GET", grant, user, scopes, status: 0 });
        }
      }
    }
    requests.push({ method: req.method, grant, user, scopes, status: 200 });
    const token = await sign(user, scopes);
    return Response.json({
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: new Date().toISOString(),
    });
  }

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handle);
  return {
    realm: `http://127.0.0.1:${server.addr.port}/token`,
    service,
    issuer: issuerName,
    rootcertbundle: certFile,
    requests,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
