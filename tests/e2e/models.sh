#!/usr/bin/env bash
# models.sh NETC ROOT WORKDIR: every .net under models/ and examples/ is generated, compiled with
# -Wall -Wextra -Werror, and trained for one epoch on its real data set.
set -u
netc=$1 root=$2 work=$3
mkdir -p "$work"
pass=0 fail=0
for net in "$root"/models/*.net "$root"/examples/*.net; do
  name=$(basename "${net%.net}")
  exe="$work/$name"
  if ! CFLAGS="-O2 -Wall -Wextra -Werror" "$netc" build "$net" -o "$exe" >"$work/$name.build.log" 2>&1; then
    echo "FAIL $name: build"; cat "$work/$name.build.log"; fail=$((fail + 1)); continue
  fi
  if ! "$exe" --epochs 1 >"$work/$name.log" 2>&1; then
    echo "FAIL $name: training exited with $?"; tail -5 "$work/$name.log"; fail=$((fail + 1)); continue
  fi
  line=$(grep -E '^test: loss [0-9.]+  accuracy [0-9.]+%$' "$work/$name.log")
  if [ -z "$line" ]; then
    echo "FAIL $name: no final test line"; tail -5 "$work/$name.log"; fail=$((fail + 1)); continue
  fi
  echo "ok $name ($line)"; pass=$((pass + 1))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
