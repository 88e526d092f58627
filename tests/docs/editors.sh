#!/bin/bash
# editors.sh NETC EDITORS_DIR: the Vim syntax file and the VS Code TextMate grammar know every
# statement, layer, loss, optimizer, schedule, data source, initialization, math function and
# value name the language accepts (`netc words`), each as a whole word of a keyword list.
set -euo pipefail
netc=$1 dir=$2
vim_file=$dir/vim/syntax/net.vim
tm_file=$dir/vscode/syntaxes/net.tmLanguage.json
for f in "$vim_file" "$dir/vim/ftdetect/net.vim" "$tm_file" "$dir/vscode/package.json"; do
    [[ -f $f ]] || { echo "FAIL: $f is missing"; exit 1; }
done
# the words of the Vim file's `syn keyword` lines, and of the grammar's \b(a|b|c)\b matches
vim_words=$(grep '^syn keyword ' "$vim_file" | cut -d' ' -f4- | tr ' ' '\n' | sort -u)
tm_words=$(grep -o '"match": "\\\\b([a-z_0-9|]*)\\\\b"' "$tm_file" | sed 's/.*b(\(.*\))\\\\b"/\1/' |
           tr '|' '\n' | sort -u)
fail=0 n=0
while read -r kind word; do
    case $kind in statement|layer|loss|optimizer|schedule|data|init|function|value) ;; *) continue ;; esac
    n=$((n + 1))
    grep -qxF -- "$word" <<<"$vim_words" || { echo "FAIL: $kind '$word' is not in $vim_file"; fail=1; }
    grep -qxF -- "$word" <<<"$tm_words" || { echo "FAIL: $kind '$word' is not in $tm_file"; fail=1; }
done < <("$netc" words | sort -u)
[[ $n -gt 80 ]] || { echo "FAIL: only $n words checked"; fail=1; }
# the grammar is JSON, where a JSON reader is at hand
if command -v python3 >/dev/null; then
    python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tm_file" ||
        { echo "FAIL: $tm_file is not valid JSON"; fail=1; }
fi
[[ $fail == 0 ]] && echo "ok: $n words in both editors' files"
exit $fail
