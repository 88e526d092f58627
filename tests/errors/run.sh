#!/usr/bin/env bash
# run.sh: netc's diagnostic transcripts (STYLE.md 6.6).
#
#   bash tests/errors/run.sh NETC DIR [VALID_DIR...]
#
# Each DIR/NAME.net is checked with `NETC check NAME.net` from within DIR, so that the paths in
# the messages are the same everywhere. Its stderr must equal DIR/NAME.err byte for byte, and
# its exit status must be 1, or 0 for warn_*.net (files whose only diagnostics are warnings).
# A crash (exit >= 128) or a hang (over 10 s) fails a case whatever its output.
# DIR may be '-' to run no error cases.
#
# Round trip: every .net under each VALID_DIR (models/, examples/) must pass `NETC check` with
# exit 0 and an empty stderr.
#
# Prints `ok NAME` or `FAIL NAME` (with the reason and a diff) per case, then `N passed, M failed`;
# exits 1 if any case failed. update.sh regenerates the .err files when a message changes on
# purpose; cases in DIR/pending/ are not run.
set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 NETC DIR [VALID_DIR...]" >&2
    exit 2
fi
netc=$1
dir=$2
shift 2
case $netc in /*) ;; *) netc=$PWD/$netc ;; esac
if [ ! -x "$netc" ]; then
    echo "$0: $netc: not an executable" >&2
    exit 2
fi

passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# abnormal STATUS SECONDS: what an exit status of 124 (timeout) or >= 128 (signal) means, or nothing
abnormal() {
    if [ "$1" -eq 124 ]; then
        echo "hung (killed after ${2}s)"
    elif [ "$1" -ge 128 ]; then
        echo "crashed (exit $1, signal $(kill -l $(($1 - 128)) 2>/dev/null || echo $(($1 - 128))))"
    fi
}

# ---- error cases: DIR/*.net against DIR/*.err ------------------------------------------------
if [ "$dir" != - ]; then
    if [ ! -d "$dir" ]; then
        echo "$0: $dir: no such directory" >&2
        exit 2
    fi
    shopt -s nullglob
    for net in "$dir"/*.net; do
        file=${net##*/}
        name=${file%.net}
        err=${net%.net}.err
        { (cd "$dir" && exec timeout 10 "$netc" check "$file") >"$tmp/out" 2>"$tmp/err"; } 2>/dev/null
        status=$?
        why=$(abnormal $status 10)
        if [ -n "$why" ]; then
            fail "$name" "$why"
            continue
        fi
        want=1
        case $name in warn_*) want=0 ;; esac
        if [ ! -f "$err" ]; then
            fail "$name" "no $name.err beside it (run update.sh to create it)"
            continue
        fi
        if [ "$status" -ne "$want" ]; then
            fail "$name" "exit status $status, expected $want"
            diff -u --label "$name.err" --label "stderr" "$err" "$tmp/err"
            continue
        fi
        if ! cmp -s "$err" "$tmp/err"; then
            fail "$name" "stderr differs from $name.err"
            diff -u --label "$name.err" --label "stderr" "$err" "$tmp/err"
            continue
        fi
        pass "$name"
    done
fi

# ---- round trip: every valid model checks clean -----------------------------------------------
for vdir in "$@"; do
    if [ ! -d "$vdir" ]; then
        fail "$vdir" "no such directory"
        continue
    fi
    while IFS= read -r -d '' net; do
        { (cd "${net%/*}" && exec timeout 10 "$netc" check "${net##*/}") >"$tmp/out" 2>"$tmp/err"; } 2>/dev/null
        status=$?
        why=$(abnormal $status 10)
        if [ -n "$why" ]; then
            fail "$net" "$why"
        elif [ "$status" -ne 0 ]; then
            fail "$net" "exit status $status, expected 0 (a valid model)"
            cat "$tmp/err"
        elif [ -s "$tmp/err" ]; then
            fail "$net" "a valid model, yet netc wrote to stderr"
            cat "$tmp/err"
        else
            pass "$net"
        fi
    done < <(find "$vdir" -name '*.net' -type f -print0 | sort -z)
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
