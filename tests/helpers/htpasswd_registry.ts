/** A real docker-registry with htpasswd auth for one user, on 127.0.0.1 over plain HTTP. @module */
import { startRegistry, type TestRegistry } from "./registry.ts";

/** Starts it, with the htpasswd file written into `dir`; dispose it to stop it. */
export async function startHtpasswdRegistry(
  dir: string,
  user: string,
  password: string,
): Promise<TestRegistry> {
  const out = await new Deno.Command("htpasswd", {
    args: ["-Bbn", user, password],
    stdout: "piped",
  }).output();
  if (!out.success) throw new Error("htpasswd failed");
  await Deno.writeFile(`${dir}/htpasswd`, out.stdout);
  return await startRegistry({ auth: { htpasswd: { path: `${dir}/htpasswd` } } });
}
