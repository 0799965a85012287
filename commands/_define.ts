/**
 * `define` for h3's commands: gunshi's typing of a command definition without loading gunshi at
 * run time (its `define` only returns its argument). A command that runs without gunshi
 * (`_direct.ts`) then loads no npm package for it, which from source spares Deno's npm resolution.
 * @module
 */
import type { define as gunshiDefine } from "gunshi/definition";

/** Types a command definition as gunshi's `define` does, and returns it unchanged. */
export const define: typeof gunshiDefine =
  ((definition: unknown) => definition) as typeof gunshiDefine;
