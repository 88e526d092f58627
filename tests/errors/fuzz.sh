#!/usr/bin/env bash
# fuzz.sh: netc must survive malformed input.
#
#   bash tests/errors/fuzz.sh NETC MODEL.net...
#
# From each valid model, deterministic mutants (awk's generator seeded with fixed numbers, so a
# failure reproduces): the file truncated at every 7th byte, with one line deleted, with two
# tokens swapped, and with random bytes (NUL and non-ASCII included) inserted. Every mutant must
# make `NETC check` exit 0 or 1 within 5 s: no crash (exit >= 128), no hang, no other status.
# At most ~100 mutants per model; a failing mutant is kept and printed for reproduction.
set -u
export LC_ALL=C

if [ $# -lt 2 ]; then
    echo "usage: $0 NETC MODEL.net..." >&2
    exit 2
fi
netc=$1
shift
case $netc in /*) ;; *) netc=$PWD/$netc ;; esac

work=$(mktemp -d)
keep=0
trap '[ $keep -eq 0 ] && rm -rf "$work"' EXIT

count=0
failed=0

# try FILE: run netc on one mutant
try() {
    count=$((count + 1))
    { (cd "$work" && exec timeout 5 "$netc" check "${1##*/}") >/dev/null 2>&1; } 2>/dev/null
    local status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
        failed=$((failed + 1))
        keep=1
        local why="exit status $status"
        [ "$status" -eq 124 ] && why="hang (over 5 s)"
        [ "$status" -ge 128 ] && why="crash (exit $status)"
        echo "FAIL ${1##*/}: $why; input kept in $1"
        [ "$failed" -le 5 ] && od -c "$1" | head -20
    fi
}

for model in "$@"; do
    base=$(basename "$model" .net)
    size=$(wc -c <"$model")

    # truncations: every 7th byte offset
    for ((off = 0; off < size; off += 7)); do
        head -c "$off" "$model" >"$work/$base.trunc$off.net"
        try "$work/$base.trunc$off.net"
    done

    # one line deleted (10 mutants)
    for seed in $(seq 1 10); do
        awk -v seed="$seed" 'BEGIN { srand(seed) } { line[NR] = $0 }
            END { drop = int(rand() * NR) + 1
                  for (i = 1; i <= NR; i++) if (i != drop) print line[i] }' \
            "$model" >"$work/$base.dropline$seed.net"
        try "$work/$base.dropline$seed.net"
    done

    # two tokens (runs of non-blanks, braces and '=' included, comments left alone) swapped (15 mutants)
    for seed in $(seq 1 15); do
        awk -v seed="$seed" 'BEGIN { srand(seed) }
            { line[NR] = $0
              if ($1 !~ /^#/) for (i = 1; i <= NF; i++) { tok[++n] = $i; where[n] = NR } }
            END {
                a = int(rand() * n) + 1; b = int(rand() * n) + 1
                t = tok[a]; tok[a] = tok[b]; tok[b] = t
                k = 1
                for (l = 1; l <= NR; l++) {
                    if (line[l] ~ /^[ \t]*#/) { print line[l]; continue }
                    out = ""
                    while (k <= n && where[k] == l) { out = out (out == "" ? "" : " ") tok[k]; k++ }
                    print out
                }
            }' "$model" >"$work/$base.swap$seed.net"
        try "$work/$base.swap$seed.net"
    done

    # random bytes inserted: 1 to 4 bytes, anywhere, any value (20 mutants)
    for seed in $(seq 1 20); do
        awk -v seed="$seed" -v size="$size" 'BEGIN {
                srand(seed); RS = "^$"; ORS = ""
            }
            { text = $0 }
            END {
                n = int(rand() * 4) + 1
                for (j = 0; j < n; j++) {
                    at = int(rand() * (length(text) + 1))
                    byte = int(rand() * 256)
                    if (byte == 0) byte = 10   # awk strings cannot hold NUL; see below
                    text = substr(text, 1, at) sprintf("%c", byte) substr(text, at + 1)
                }
                print text
            }' "$model" >"$work/$base.bytes$seed.net"
        try "$work/$base.bytes$seed.net"
    done

    # NUL bytes: awk cannot write them, printf can (3 mutants)
    for at in 0 $((size / 2)) $((size - 1)); do
        { head -c "$at" "$model"; printf '\000'; tail -c +"$((at + 1))" "$model"; } \
            >"$work/$base.nul$at.net"
        try "$work/$base.nul$at.net"
    done
done

echo "$((count - failed)) passed, $failed failed ($count mutants)"
[ "$failed" -eq 0 ]
