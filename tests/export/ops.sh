#!/usr/bin/env bash
# ops.sh NETC REF CC MODEL WORK: every kind of layer exported. REF (export_ref.c around MODEL's
# generated trainer) makes up weights, batchnorm's running statistics included, and 64 inputs,
# and runs the trainer's forward pass on them; the export, compiled with -std=c99 -pedantic
# -Wall -Wextra -Werror and linked with -lm only, must give the same outputs (compare.c) and
# pass its self-test.
set -u
netc=$1 ref=$2 cc=$3 model=$4 work=$5
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
pass=0 fail=0
check() { # check NAME STATUS
  if [ "$2" -eq 0 ]; then echo "ok $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
flags="-std=c99 -pedantic -Wall -Wextra -Werror -O2"
kind=$("$ref" random w.safetensors trainer.bin cases.csv 8)
check "the trainer's forward pass on made-up weights and inputs ($kind)" $?
"$netc" export "$model" --weights w.safetensors --self-test cases.csv -o net.c
check "netc export" $?
$cc $flags -c net.c -o net.o 2>&1 && $cc $flags -I. "$here/compare.c" net.o -lm -o compare 2>&1
check "the export compiles ($flags) and links with -lm only" $?
if command -v clang >/dev/null; then # the suite's second compiler: its warnings differ
  clang $flags -c net.c -o clang.o 2>&1
  check "clang compiles it too: $flags" $?
fi
./compare trainer.bin "$kind"
check "it matches the trainer" $?
$cc $flags -DNETC_SELF_TEST net.c -lm -o self_test 2>&1 && ./self_test
check "its self-test passes" $?
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
