/** `h3 registry logout HOST`: removes a registry's stored login (from its helper too). @module */
import { define } from "./_define.ts";
import { registryHost } from "../core/auth/docker_config.ts";
import { AuthError } from "../core/errors.ts";
import { reportArgs, reporter } from "./_output.ts";
import { openCommandClient } from "./_transport_flags.ts";

export default define({
  name: "logout",
  description: "Log out of a registry",
  args: {
    host: { type: "positional", description: "The registry host[:port]" },
    ...reportArgs,
  },
  examples: "$ h3 registry logout localhost:5000",
  run: async (ctx) => {
    const out = reporter(ctx.values);
    const host = registryHost(ctx.values.host);
    await using h3 = await openCommandClient();
    if (!await h3.logout(host)) throw new AuthError(`not logged in to ${host}`);
    out.print(`Removing login credentials for ${host}`);
    out.result({ registry: host, status: "logged-out" });
  },
});
