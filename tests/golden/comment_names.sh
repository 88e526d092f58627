#!/usr/bin/env bash
# comment_names.sh NETC ROOT: every buffer and parameter that a generated file's comments name is
# declared in that file, for every model, example and test model: the comments are a student's
# map of the code, and a name with nothing behind it sends them looking for what is not there.
#
# Buffers are <layer>_out, _z, _sigma, _mask, _arg, _col, _sums and their d_ gradients (each a
# `static` array); parameters are <layer>_W and _b (fields of struct params).
set -u
netc=$1 root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
for net in "$root"/models/*.net "$root"/examples/*.net "$root"/tests/golden/*.net \
    "$root"/tests/gradcheck/*.net; do
    if ! "$netc" gen "$net" -o "$tmp/m.c" 2>"$tmp/err"; then
        echo "FAIL ${net#$root/}: netc gen failed: $(cat "$tmp/err")"
        failed=$((failed + 1))
        continue
    fi
    missing=""
    names=$(perl -0777 -ne 'while (m{/\*(.*?)\*/}gs) { my $c = $1;
        while ($c =~ /\b((?:d_)?[a-z][a-z_]*[0-9]+_(?:out|z|sigma|mask|arg|col|sums|W|b))\b/g) {
            print "$1\n" } }' "$tmp/m.c" | sort -u)
    for name in $names; do
        case $name in
        *_W | *_b) grep -qE "^    (float|double) $name\[" "$tmp/m.c" || missing+=" $name" ;;
        *) grep -qE "^static (float|double|int32_t) $name\[" "$tmp/m.c" || missing+=" $name" ;;
        esac
    done
    if [ -z "$names" ]; then
        echo "FAIL ${net#$root/}: no names found in its comments (is the pattern out of date?)"
        failed=$((failed + 1))
    elif [ -n "$missing" ]; then
        echo "FAIL ${net#$root/}: comments name what the file does not declare:$missing"
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
