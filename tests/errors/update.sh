#!/usr/bin/env bash
# update.sh: regenerate every DIR/NAME.err from what NETC says now.
#
#   bash tests/errors/update.sh NETC DIR [NAME...]
#
# Use it only when a message changed on purpose, then READ `git diff tests/errors`: each .err is
# what netc should say, not merely what it says. With NAMEs, only those cases are rewritten
# (e.g. to promote a case from pending/ after moving its .net up). Cases that crash or hang are
# reported and their .err is left alone.
set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 NETC DIR [NAME...]" >&2
    exit 2
fi
netc=$1
dir=$2
shift 2
case $netc in /*) ;; *) netc=$PWD/$netc ;; esac

if [ $# -gt 0 ]; then
    files=()
    for name in "$@"; do files+=("$dir/${name%.net}.net"); done
else
    shopt -s nullglob
    files=("$dir"/*.net)
fi

status_all=0
for net in "${files[@]}"; do
    file=${net##*/}
    name=${file%.net}
    if [ ! -f "$net" ]; then
        echo "$name: no such case" >&2
        status_all=1
        continue
    fi
    tmp=$(mktemp)
    { (cd "$dir" && exec timeout 10 "$netc" check "$file") >/dev/null 2>"$tmp"; } 2>/dev/null
    status=$?
    if [ "$status" -eq 124 ] || [ "$status" -ge 128 ]; then
        echo "$name: netc exited with $status (hang or crash); $name.err not written" >&2
        rm -f "$tmp"
        status_all=1
        continue
    fi
    want=1
    case $name in warn_*) want=0 ;; esac
    [ "$status" -ne "$want" ] && echo "$name: note: exit status $status, run.sh expects $want" >&2
    if cmp -s "$tmp" "${net%.net}.err"; then
        rm -f "$tmp"
    else
        mv "$tmp" "${net%.net}.err"
        echo "updated $name.err"
    fi
done
exit $status_all
