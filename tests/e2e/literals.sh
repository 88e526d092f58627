#!/usr/bin/env bash
# literals.sh NETC WORKDIR [COUNT] [SEED]: no bytes in a path or a string can leave their C literal.
#
# For COUNT random byte strings (seeded: a failure replays with the same SEED), heavy in the bytes
# that end or bend a C literal or comment ('"', '\', '?' as in the trigraph "??/", '*', '/'), and
# with any other byte but NUL and newline:
#   - the string is a CSV path in `data csv { file = "…" }` (escaped as the .net language wants);
#   - it is, '/' removed, the name of the .net file itself, which the header comment, the banners
#     and the trainer's strings quote.
# The trainer must compile with -Wall -Wextra -Werror, and its messages must give both back byte for
# byte: the missing CSV file's name, and the model's path in --help.
set -u
netc=$1 work=$2 count=${3:-24} seed=${4:-1}
export LC_ALL=C
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 2
RANDOM=$seed
passed=0 failed=0
# the pieces that end or bend a literal or a comment: quotes, backslashes, trigraphs, comment ends
special=('"' '\\' '?' '??/' '??=' '??(' '??)' "??'" '??<' '??!' '??>' '??-' '*/' '/*' '*' '/')
for ((n = 1; n <= count; n++)); do
    raw=""
    len=$((1 + RANDOM % 24))
    for ((i = 0; i < len; i++)); do
        if ((RANDOM % 2)); then
            c=${special[RANDOM % ${#special[@]}]}
        else
            b=$((1 + RANDOM % 255))
            [ "$b" -eq 10 ] && b=63
            c=$(printf "\\$(printf %03o "$b")")
        fi
        raw+=$c
    done
    name=${raw//\//_}.net
    raw="nowhere/$raw" # under a directory that does not exist: the trainer says the file is missing
    escaped=${raw//\\/\\\\}
    escaped=${escaped//\"/\\\"}
    [ "${name:0:1}" = - ] && name="_$name"
    mkdir "case$n"
    printf 'model m { input 3 dense 1 }\nloss mse\noptimizer sgd { lr = 0.1 }\ntrain { epochs = 1 }\ndata csv { file = "%s" }\n' \
        "$escaped" >"case$n/$name"
    if ! (cd "case$n" && CFLAGS="-O0 -Wall -Wextra -Werror" "$netc" build "./$name" -o trainer \
        >/dev/null 2>../err); then
        failed=$((failed + 1))
        echo "FAIL case $n (seed $seed): netc build failed: $(head -c 2000 err)"
        od -c "case$n/$name" | head -10
        continue
    fi
    (cd "case$n" && ./trainer >/dev/null 2>../err)
    want="netrt: $raw: No such file or directory"
    got=$(head -n 1 err)
    help=$(cd "case$n" && ./trainer --help | grep -F "of ./$name, compiled by netc")
    if [ "$got" != "$want" ] || [ -z "$help" ]; then
        failed=$((failed + 1))
        echo "FAIL case $n (seed $seed): the trainer gave back other bytes"
        printf '%s\n' "$want" | od -c | head -5
        printf '%s\n' "$got" | od -c | head -5
        continue
    fi
    passed=$((passed + 1))
    rm -rf "case$n"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -eq "$count" ]
