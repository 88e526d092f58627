#!/usr/bin/env bash
# export.sh NETC REF CC MODEL WORK classes|values STEPS [lin.csv]: train MODEL for STEPS steps with the real
# trainer (REF, export_ref.c around the model's generated file), export it with netc export,
# compile the export with -std=c99 -pedantic -Wall -Wextra -Werror and link it with nothing but
# libm, then compare it with the trainer's predictions on the whole test split (compare.c) and
# run its embedded self-test. Then the same with the weights of another run (another seed): the
# trainer's predictions must no longer match, or the comparison could never fail. With lin.csv,
# the data is made first: y = 3·x1 - 2·x2 + 0.5 at 500 random points (csv_lin.net).
set -u
netc=$1 ref=$2 cc=$3 model=$4 work=$5 kind=$6 steps=$7 data=${8:-}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
pass=0 fail=0
check() { # check NAME STATUS
  if [ "$2" -eq 0 ]; then echo "ok $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
flags="-std=c99 -pedantic -Wall -Wextra -Werror -O2"
if [ "$data" = lin.csv ]; then
  awk 'BEGIN { srand(3); print "x1,x2,y"; for (i = 0; i < 500; i++) { a = rand() * 10; b = rand() * 4 - 2
                                          printf "%.5f,%.5f,%.5f\n", a, b, 3 * a - 2 * b + 0.5 } }' >lin.csv
fi

"$ref" train --max-steps "$steps" --save w.safetensors >train.log 2>&1
check "the trainer trains $steps steps and saves" $?
norm=$("$ref" predict w.safetensors trainer.bin cases.csv 20)
check "the trainer predicts the test split${norm:+ ($norm)}" $?
# shellcheck disable=SC2086 # $norm is options
"$netc" export "$model" --weights w.safetensors $norm --self-test cases.csv -o net.c
check "netc export" $?
$cc $flags -c net.c -o net.o 2>&1
check "the export compiles: $flags" $?
$cc $flags -I. "$here/compare.c" net.o -lm -o compare 2>&1
check "it links with nothing but libm" $?
if command -v clang >/dev/null; then # the suite's second compiler: its warnings differ
  clang $flags -c net.c -o clang.o 2>&1
  check "clang compiles it too: $flags" $?
fi
./compare trainer.bin "$kind"
check "it matches the trainer on every test sample" $?
$cc $flags -DNETC_SELF_TEST net.c -lm -o self_test 2>&1 && ./self_test
check "its self-test passes" $?

# another run's weights: a different network, which must not match
"$ref" train --max-steps "$steps" --seed 7 --save other.safetensors >other.log 2>&1
# shellcheck disable=SC2086
"$netc" export "$model" --weights other.safetensors $norm --self-test cases.csv -o net.c &&
  $cc $flags -c net.c -o net.o && $cc $flags -I. "$here/compare.c" net.o -lm -o compare
check "the other run exports" $?
./compare trainer.bin "$kind"
check "the other run's export does not match the trainer (the comparison can fail)" $((! $?))
$cc $flags -DNETC_SELF_TEST net.c -lm -o self_test && ./self_test
check "the other run's self-test fails (the self-test can fail)" $((! $?))

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
