#!/usr/bin/env bash
# odd_path.sh NETC ROOT WORKDIR: a .net file whose path holds a comment end ("*/"), a quote and
# a space still gives C that compiles with -Werror and a trainer that names the file right.
set -eu
netc=$1 root=$2 work=$3
dir="$work/we\"ird*/dir"
mkdir -p "$dir"
cp "$root/tests/golden/mlp.net" "$dir/m x.net"
CFLAGS="-O0 -Wall -Wextra -Werror" "$netc" build "$dir/m x.net" -o "$work/odd" >/dev/null
"$work/odd" --help | grep -qF "of $dir/m x.net, compiled by netc"
echo "1 passed, 0 failed"
