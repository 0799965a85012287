/**
 * The completion scripts `h3 completion SHELL` prints: @bomb.sh/tab's, which ask
 * `h3 completion complete -- WORDS...` on each TAB, with two fixes for REFs (they hold `:`) and
 * stand-ins so the bash script works without the bash-completion package.
 * @module
 */
import { script } from "@bomb.sh/tab";
import type { Shell } from "./_completion.ts";

/**
 * Lines before the library's bash script: stand-ins for the two bash-completion functions it (and
 * REFs with `:` in them) need when that package is not loaded, and a wrapper that drops the part
 * of a REF before its last `:`, which bash already has on the line.
 */
const bashPrelude = `# h3: stand-ins for bash-completion's helpers when that package is not loaded
if ! declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
  _get_comp_words_by_ref() {
    local line="\${COMP_LINE:0:COMP_POINT}"
    read -r -a words <<<"$line"
    if [[ -z "$line" || "$line" =~ [[:space:]]$ ]]; then words+=(""); fi
    cword=$((\${#words[@]} - 1))
    cur="\${words[cword]}"
    prev="\${words[cword - 1]}"
  }
fi
if ! declare -F __ltrim_colon_completions >/dev/null 2>&1; then
  __ltrim_colon_completions() {
    if [[ "$1" == *:* && "$COMP_WORDBREAKS" == *:* ]]; then
      local colon_word=\${1%"\${1##*:}"}
      local i=\${#COMPREPLY[*]}
      while [[ $((--i)) -ge 0 ]]; do COMPREPLY[i]=\${COMPREPLY[i]#"$colon_word"}; done
    fi
  }
fi`;

const bashPostlude = `
# h3: REFs hold ':' (host:port, :tag), where bash splits words; complete only what follows it
__h3_complete_refs() {
  local cur prev words cword
  __h3_complete "$@"
  _get_comp_words_by_ref -n "=:" cur prev words cword
  __ltrim_colon_completions "$cur"
}
complete -F __h3_complete_refs h3`;

/** Fixes to the library's scripts: [shell, text it has, text to put instead]. */
const fixes: [Shell, string, string][] = [
  // zsh's _describe splits "value:description" at the first ':' unless it is escaped as "\\:"
  ["zsh", "comp=${comp//:/\\:}", "comp=${comp//:/\\\\:}"],
];

/** The script for a shell, as text. */
export function completionScript(shell: Shell): string {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    script(shell, "h3", "h3 completion");
  } finally {
    console.log = log;
  }
  let text = lines.join("\n");
  for (const [target, from, to] of fixes) {
    if (target !== shell) continue;
    if (!text.includes(from)) throw new Error(`@bomb.sh/tab's ${shell} script changed: "${from}"`);
    text = text.replace(from, to);
  }
  return shell === "bash" ? [bashPrelude, text, bashPostlude].join("\n") : text;
}
