#!/usr/bin/env bash
# models.sh NETC ROOT WORKDIR: every .net under models/, examples/ and bench/rows/ is generated,
# compiled with -Wall -Wextra -Werror, and trained for a few steps on its real data set. A file
# whose comments hold a line `# netc-variants: a=x b=y` is also built once per `-D a=x`, `-D b=y`.
# Each trains twice, with --threads 1 and --threads 3: where its products run on netc's kernel,
# the two final lines must agree to the last digit and the trained parameters (--save) to the last
# bit (threads never change a result; a difference of one rounding does not show in 4 digits). The models in
# forced below train twice more with netc's AVX2 kernel forced (--gemm avx2), on --threads 1 and
# 2, where the CPU runs it: the same agreement on that kernel too, which an AVX-512 CPU never
# picks by itself (AVX-512's, where it runs, is the default the first two runs take).
#
# Each must also have learned something in its steps (when there are at least 30): the final test
# loss must be below the mean training loss of those steps, which the first, untrained steps weigh
# on (the loss fell), and a classifier's test accuracy must be at least min_acc, far above chance
# (10% on every data set here), except for the models listed in slow below, whose learning rate and
# initialization take more than 30 steps to leave chance.
set -u
netc=$1 root=$2 work=$3
mkdir -p "$work"
pass=0 fail=0
steps=${NETC_TEST_STEPS:-30}
min_acc=35
# Still near chance after 30 steps (measured): LeNet with SGD at lr 0.01 (lenet, mnist_lenet,
# lenet_augment, bench row E: ~76% after 150 steps), and the labs' deep networks with N(0, 0.01²)
# weights at lr 0.01 (e2_2l and its variants, and e2_1l with sigmoid, by design slow to start).
slow=" E lenet lenet_augment mnist_lenet e2_1l_act_sigmoid e2_2l e2_2l_act_gelu e2_2l_act_sigmoid
       e2_2l_act_tanh e2_2l_objective_hinge e2_2l_objective_mse "

# Small models of each kind for the forced kernels: dense layers, convolutions (products inside
# the threads' ranges of samples), row D's small products.
forced=" fmnist_mlp mnist_lenet D "

# learned NAME LOG: did the run in LOG learn? Prints why not, and fails, if it did not.
learned() {
    local name=$1 log=$2 train final
    train=$(sed -n 's/^epoch .*  train loss \([0-9.e+-]*\) .*/\1/p' "$log" | tail -1)
    final=$(sed -n 's/^test: loss \([0-9.e+-]*\) .*/\1/p' "$log")
    if [ -z "$train" ] || [ -z "$final" ]; then
        echo "FAIL $name: no epoch line with a train loss, or no test loss"; return 1
    fi
    if ! awk -v t="$train" -v f="$final" 'BEGIN { exit !(f < t) }'; then
        echo "FAIL $name: the loss did not fall: mean train loss $train, final test loss $final"
        return 1
    fi
    local acc
    acc=$(sed -n 's/^test: loss .*  accuracy \([0-9.]*\)%$/\1/p' "$log")
    case " $(echo $slow) " in *" $name "*) return 0 ;; esac
    if [ -n "$acc" ] && ! awk -v a="$acc" -v m="$min_acc" 'BEGIN { exit !(a >= m) }'; then
        echo "FAIL $name: test accuracy $acc% after $steps steps, below $min_acc%"; return 1
    fi
}

# train NAME EXE TAG ARG...: train EXE for the test's steps into $work/NAME.TAG.log, its
# parameters saved to $work/NAME.TAG.st, and print its final test line; or say why not, and fail.
train() {
  local name=$1 exe=$2 tag=$3 line
  shift 3
  "$exe" --epochs 1 --max-steps "$steps" --save "$work/$name.$tag.st" "$@" >"$work/$name.$tag.log" 2>&1
  local status=$?
  if [ "$status" -ne 0 ]; then
    echo "FAIL $name: training ($*) exited with $status" >&2; tail -5 "$work/$name.$tag.log" >&2
    return 1
  fi
  line=$(grep -E '^test: loss [0-9.e+-]+  (accuracy [0-9.]+%|mse [0-9.e+-]+  mae [0-9.e+-]+)$' "$work/$name.$tag.log")
  if [ -z "$line" ]; then
    echo "FAIL $name: no final test line ($*)" >&2; tail -5 "$work/$name.$tag.log" >&2; return 1
  fi
  echo "$line"
}

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
    line=$(train "$name" "$exe" "$threads" --threads "$threads") || { fail=$((fail + 1)); return; }
    lines+=("$line")
  done
  if grep -q "^products  netc's" "$work/$name.1.log"; then
    if [ "${lines[0]}" != "${lines[1]}" ]; then
      echo "FAIL $name: --threads 1 gives '${lines[0]}', --threads 3 '${lines[1]}'"; fail=$((fail + 1)); return
    fi
    if ! cmp -s "$work/$name.1.st" "$work/$name.3.st"; then
      echo "FAIL $name: --threads 1 and --threads 3 train different parameters"; fail=$((fail + 1)); return
    fi
  fi
  local kernel first=${lines[0]}
  for kernel in avx2; do
    case $forced in *" $name "*) ;; *) continue ;; esac
    if "$exe" --gemm "$kernel" --dry-run 2>&1 | grep -q "does not offer"; then
      echo "($name: --gemm $kernel not run: the CPU lacks it)"; continue
    fi
    lines=()
    for threads in 1 2; do
      line=$(train "$name" "$exe" "$kernel.$threads" --gemm "$kernel" --threads "$threads") ||
        { fail=$((fail + 1)); return; }
      lines+=("$line")
    done
    if ! grep -q "^products  netc's .* (--gemm $kernel)" "$work/$name.$kernel.1.log"; then
      echo "FAIL $name: --gemm $kernel: no products line naming the kernel"; fail=$((fail + 1)); return
    fi
    if [ "${lines[0]}" != "${lines[1]}" ]; then
      echo "FAIL $name: --gemm $kernel: --threads 1 gives '${lines[0]}', --threads 2 '${lines[1]}'"
      fail=$((fail + 1)); return
    fi
    if ! cmp -s "$work/$name.$kernel.1.st" "$work/$name.$kernel.2.st"; then
      echo "FAIL $name: --gemm $kernel: --threads 1 and 2 train different parameters"
      fail=$((fail + 1)); return
    fi
  done
  if [ "$steps" -ge 30 ] && ! learned "$name" "$work/$name.1.log"; then
    tail -3 "$work/$name.1.log"; fail=$((fail + 1)); return
  fi
  echo "ok $name $* ($first)"; pass=$((pass + 1))
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
