#!/bin/bash
# layers.sh NETC DOCS_LANGUAGE_MD: every layer `netc layers` lists (that is, every descriptor in
# compiler/ops/) has a row in the language reference's layer table, and that row names each of
# its options as `key=`. A layer added without its documentation fails here.
set -euo pipefail
netc=$1 doc=$2
fail=0
rows=$(grep '^| `' "$doc")
current=""
while IFS= read -r line; do
    if [[ $line =~ ^\ \ ([a-z_0-9]+)(,\ ([a-z_0-9]+))?\  ]]; then
        current=${BASH_REMATCH[1]}
        row=$(grep -E "^\| [^|]*\`$current[ \`]" <<<"$rows" || true)
        if [[ -z $row ]]; then
            echo "FAIL: layer '$current' has no row in $doc"
            fail=1
        fi
        alias=${BASH_REMATCH[3]:-}
        if [[ -n $alias ]] && ! grep -qE "\`$alias[ \`]" <<<"$row"; then
            echo "FAIL: '$alias' (another word for '$current') is not in its row"
            fail=1
        fi
    elif [[ $line =~ ^\ \ \ \ \ \ ([a-z_]+)\  ]]; then
        key=${BASH_REMATCH[1]}
        row=$(grep -E "^\| [^|]*\`$current[ \`]" <<<"$rows" || true)
        if ! grep -qE "(\[|\`$current[^|]* )$key=" <<<"$row"; then
            echo "FAIL: option '$key' of '$current' is not in its row of $doc"
            fail=1
        fi
    fi
done < <("$netc" layers)
n=$("$netc" layers | grep -cE '^  [a-z]')
[[ $fail == 0 ]] && echo "ok: $n layers, each with a row naming its options"
exit $fail
