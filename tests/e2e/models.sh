#!/usr/bin/env bash
# models.sh NETC ROOT WORKDIR: every .net under models/, examples/ and bench/rows/ is generated,
# compiled with -Wall -Wextra -Werror, and trained for a few steps on its real data set. A file
# whose comments hold a line `# netc-variants: a=x b=y` is also built once per `-D a=x`, `-D b=y`.
set -u
netc=$1 root=$2 work=$3
mkdir -p "$work"
pass=0 fail=0
steps=${NETC_TEST_STEPS:-30}

# try NAME NET [-D X=Y]: build and train one trainer, check its final line
try() {
  local name=$1 net=$2
  shift 2
  local exe="$work/$name"
  if ! CFLAGS="-O2 -Wall -Wextra -Werror" "$netc" build "$net" "$@" -o "$exe" >"$work/$name.build.log" 2>&1; then
    echo "FAIL $name: build"; cat "$work/$name.build.log"; fail=$((fail + 1)); return
  fi
  if ! "$exe" --epochs 1 --max-steps "$steps" >"$work/$name.log" 2>&1; then
    echo "FAIL $name: training exited with $?"; tail -5 "$work/$name.log"; fail=$((fail + 1)); return
  fi
  local line
  line=$(grep -E '^test: loss [0-9.e+-]+  (accuracy [0-9.]+%|mse [0-9.e+-]+  mae [0-9.e+-]+)$' "$work/$name.log")
  if [ -z "$line" ]; then
    echo "FAIL $name: no final test line"; tail -5 "$work/$name.log"; fail=$((fail + 1)); return
  fi
  echo "ok $name $* ($line)"; pass=$((pass + 1))
}

for net in "$root"/models/*.net "$root"/examples/*.net "$root"/bench/rows/*.net; do
  name=$(basename "${net%.net}")
  try "$name" "$net"
  for variant in $(sed -n 's/^# netc-variants: //p' "$net"); do
    try "${name}_${variant//=/_}" "$net" -D "$variant"
  done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
