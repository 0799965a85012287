/** `h3 completion SHELL`: print a shell completion script (bash, zsh, fish, powershell). @module */
import { define } from "./_define.ts";
import { UsageError } from "./_errors.ts";
import { completeWord, printCompletions, type Shell, shells } from "./_completion.ts";
import { completionScript } from "./_completion_script.ts";
import type { GroupEntry, LazyEntry } from "./_entries.ts";
import { print } from "./ui/safe_text.ts";

/** The command, completing the words of `tree`'s commands (and plugins'). */
export const completion = (tree: Record<string, GroupEntry | LazyEntry>) =>
  define({
    name: "completion",
    description: "Print a shell completion script (bash, zsh, fish, powershell)",
    args: {
      shell: {
        type: "positional",
        description: `The shell: ${shells.join(", ")}`,
      },
    },
    examples: [
      "# bash: load now, or add this line to ~/.bashrc",
      "$ source <(h3 completion bash)",
      "",
      "# zsh (with compinit loaded)",
      "$ source <(h3 completion zsh)",
      "",
      "# fish",
      "$ h3 completion fish > ~/.config/fish/completions/h3.fish",
      "",
      "# PowerShell",
      "PS> h3 completion powershell | Out-String | Invoke-Expression",
    ].join("\n"),
    run: async (ctx) => {
      const shell = ctx.values.shell;
      if (shell === completeWord) {
        // The scripts call `h3 completion complete -- WORDS...`; a trailing "" is a word too.
        const argv = ctx._;
        const dashes = argv.indexOf("--");
        return await printCompletions(dashes < 0 ? [] : argv.slice(dashes + 1), tree);
      }
      if (!(shells as readonly string[]).includes(shell)) {
        throw new UsageError(`unsupported shell "${shell}": use ${shells.join(", ")}`);
      }
      print(completionScript(shell as Shell));
    },
  });
