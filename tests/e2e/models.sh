#!/usr/bin/env bash
# models.sh NETC ROOT WORKDIR: every .net under models/, examples/ and bench/rows/ is generated,
# compiled with -Wall -Wextra -Werror, and trained for a few steps on its real data set. A file
# whose comments hold a line `# netc-variants: a=x b=y` is also built once per `-D a=x`, `-D b=y`.
# Each trains twice, with --threads 1 and --threads 3: where its products run on netc's kernel,
# the two final lines must agree to the last digit (threads never change a result).
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
  local threads line lines=()
  for threads in 1 3; do
    if ! "$exe" --epochs 1 --max-steps "$steps" --threads "$threads" >"$work/$name.$threads.log" 2>&1; then
      echo "FAIL $name: training (--threads $threads) exited with $?"; tail -5 "$work/$name.$threads.log"
      fail=$((fail + 1)); return
    fi
    line=$(grep -E '^test: loss [0-9.e+-]+  (accuracy [0-9.]+%|mse [0-9.e+-]+  mae [0-9.e+-]+)$' "$work/$name.$threads.log")
    if [ -z "$line" ]; then
      echo "FAIL $name: no final test line"; tail -5 "$work/$name.$threads.log"; fail=$((fail + 1)); return
    fi
    lines+=("$line")
  done
  if grep -q "^products  netc's AVX-512 kernel" "$work/$name.1.log" && [ "${lines[0]}" != "${lines[1]}" ]; then
    echo "FAIL $name: --threads 1 gives '${lines[0]}', --threads 3 '${lines[1]}'"; fail=$((fail + 1)); return
  fi
  echo "ok $name $* (${lines[0]})"; pass=$((pass + 1))
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
