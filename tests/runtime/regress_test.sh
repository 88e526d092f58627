#!/bin/sh
# regress_test.sh: the runtime's driver on a regression model end to end, through tiny_regress
# (y = w·x + b fitted to y = 2x + 1, function data): MSE and MAE on the epoch lines, the final
# line and the CSV, and full batch with --loss-below, where an epoch is one step.
# Usage: regress_test.sh TINY_REGRESS WORK_DIR
trainer=$1 work=$2
failures=0

fail() {
    echo "regress_test.sh: FAIL: $*" >&2
    failures=$((failures + 1))
}

run() {
    "$trainer" "$@" >"$work/out" 2>"$work/err"
    status=$?
    out=$(cat "$work/out")
    err=$(cat "$work/err")
}

expect_status() {
    [ "$status" -eq "$1" ] || fail "$2: exit status $status, expected $1; stderr: $err"
}

expect_in() {
    case $1 in
        *"$2"*) ;;
        *) fail "$3: expected to find '$2' in: $1" ;;
    esac
}

rm -rf "$work" && mkdir -p "$work" || exit 1
num='[0-9.e+-]*'

# Five epochs of mini-batches: each line has loss, mse and mae for train and valid, mse and mae
# for test; the final line is the test set's, its mse equal to its loss (the loss is the MSE).
run --csv "$work/fit.csv"
expect_status 0 "training"
line="^epoch [1-5]/5  train loss $num mse $num mae $num  valid loss $num mse $num mae $num  "
line=$line"test mse $num mae $num  $num s  cpu $num s  [0-9]* samples/s$"
[ "$(echo "$out" | grep -c "$line")" -eq 5 ] || fail "training: expected 5 epoch lines: $out"
pattern="s/^test: loss \\($num\\)  mse \\($num\\)  mae \\($num\\)$/\\1 \\2 \\3/p"
final=$(echo "$out" | tail -n 1 | sed -n "$pattern")
if [ -z "$final" ]; then
    fail "training: last line is not 'test: loss L  mse M  mae E': $(echo "$out" | tail -n 1)"
else
    echo "$final" | awk '{ exit !($1 == $2 || ($1 - $2) / $1 < 1e-2 && ($2 - $1) / $1 < 1e-2) }' ||
        fail "training: test mse differs from the test loss: $final"
    echo "$final" | awk '{ exit !($3 > 0 && $3 < 0.5 && $3 * $3 <= $2 * 1.01) }' ||
        fail "training: test mae out of place (0 < mae < 0.5, mae² ≤ mse): $final"
fi
header=epoch,lr,train_loss,train_mse,train_mae,valid_loss,valid_mse,valid_mae
header=$header,test_loss,test_mse,test_mae,step,cpu_seconds,seconds
[ "$(head -n 1 "$work/fit.csv")" = "$header" ] || fail "--csv: header $(head -n 1 "$work/fit.csv")"
[ "$(grep -c "^[1-5],0.1\(,$num\)\{9\},[0-9]*,[0-9.]*,[0-9.]*$" "$work/fit.csv")" -eq 5 ] ||
    fail "--csv: expected 5 rows of 14 cells: $(cat "$work/fit.csv")"

# Full batch: 160 training samples in one step an epoch, until the loss is below 1e-6.
run --batch full --lr 0.5 --epochs 5000 --loss-below 1e-6
expect_status 0 "full batch"
expect_in "$out" "  batch full (160)  " "full batch"
pattern="s/^stopped: training loss $num < 1e-06 after epoch \\([0-9]*\\) (step \\([0-9]*\\))$/\\1 \\2/p"
stopped=$(echo "$out" | sed -n "$pattern")
if [ -z "$stopped" ]; then
    fail "full batch: no 'stopped: training loss L < 1e-06 after epoch N (step S)' in: $out"
else
    set -- $stopped
    [ "$1" -eq "$2" ] || fail "full batch: epoch $1 ended at step $2, expected one step an epoch"
    [ "$1" -lt 5000 ] || fail "full batch: did not stop early"
fi

[ "$failures" -eq 0 ] || echo "regress_test.sh: $failures checks failed" >&2
exit "$failures"
