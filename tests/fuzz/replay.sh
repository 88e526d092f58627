#!/usr/bin/env bash
# replay.sh: the reproducers of crashes the fuzzer found and that are fixed, through netc.
#
#   bash tests/fuzz/replay.sh NETC DIR
#
# Every file in DIR (tests/fuzz/crashes/) must make `NETC gen FILE` exit 0 or 1 within 10 s (gen,
# not check: it runs the checker and the emitter too, as the fuzz target does):
# no signal, no sanitizer report (under the NETC_SANITIZE build, a report exits 1 too, so the
# output is searched for one), no hang. Unfixed reproducers wait in tests/fuzz/pending/, not run.
set -u
export LC_ALL=C
if [ $# -ne 2 ]; then
    echo "usage: $0 NETC DIR" >&2
    exit 2
fi
netc=$1
dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

count=0
failed=0
for f in "$dir"/*; do
    [ -f "$f" ] || continue
    case ${f##*/} in README*) continue ;; esac
    count=$((count + 1))
    timeout 10 "$netc" gen "$f" -o "$work/out.c" >"$work/out" 2>&1
    status=$?
    why=""
    if [ "$status" -eq 124 ]; then
        why="hang (over 10 s)"
    elif [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
        why="exit status $status"
    elif grep -q -E '^(==[0-9]+==ERROR|SUMMARY: [A-Za-z]+Sanitizer)|runtime error:' "$work/out"; then
        why="sanitizer report"
    fi
    if [ -n "$why" ]; then
        failed=$((failed + 1))
        echo "FAIL $f: $why"
        tail -n 30 "$work/out"
    fi
done
echo "replay: $count reproducers, $failed failed"
[ "$failed" -eq 0 ]
