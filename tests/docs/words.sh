#!/bin/bash
# words.sh NETC DOCS_LANGUAGE_MD: every word the language accepts (`netc words`: the statements,
# layers and their options, losses, optimizers, schedules, data sources, initializations, every
# setting of every block, the names settings take such as full, horizontal, none, and the math
# functions) appears in the language reference inside code (`…` or a ``` block). A word the
# checker or the grammar accepts and the docs omit fails here.
set -euo pipefail
netc=$1 doc=$2
# the identifiers inside code: fenced blocks, and inline `…` spans (which may break across lines)
documented=$(
    { awk '/^```/ { fenced = !fenced; next } fenced' "$doc"
      awk '/^```/ { fenced = !fenced; next } !fenced' "$doc" | tr '\n' ' ' | grep -o '`[^`]*`'; } |
        grep -oE '[A-Za-z_][A-Za-z_0-9]*' | sort -u
)
fail=0 n=0
while read -r kind word; do
    n=$((n + 1))
    if ! grep -qxF -- "$word" <<<"$documented"; then
        echo "FAIL: $kind '$word' is accepted by netc but not in $doc (as code)"
        fail=1
    fi
done < <("$netc" words | sort -u)
[[ $n -gt 100 ]] || { echo "FAIL: netc words listed only $n words"; fail=1; }
[[ $fail == 0 ]] && echo "ok: $n words, each in $doc"
exit $fail
