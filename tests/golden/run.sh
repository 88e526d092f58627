#!/usr/bin/env bash
# run.sh NETC DIR [--update]: generate the C of every golden model in DIR and compare it byte
# for byte with the checked-in file (softmax_mse in double precision); --update rewrites them.
set -u
netc=$1 dir=$2 update=${3:-}
cd "$dir" || exit 2
pass=0 fail=0
for net in *.net; do
  name=${net%.net}
  flags=()
  [ "$name" = softmax_mse ] && flags=(--dtype f64)
  if [ "$update" = --update ]; then
    "$netc" gen "${flags[@]}" "$net" -o "$name.c" && echo "updated $name.c"
    continue
  fi
  if "$netc" gen "${flags[@]}" "$net" -o - | diff -u "$name.c" - ; then
    echo "ok $name"; pass=$((pass + 1))
  else
    echo "FAIL $name: generated C differs from $dir/$name.c"; fail=$((fail + 1))
  fi
done
[ "$update" = --update ] && exit 0
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
