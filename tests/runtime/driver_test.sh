#!/bin/sh
# driver_test.sh: the runtime's driver end to end, through tiny_model (a hand-written trainer)
# on the synthetic dataset of make_tiny_data: training reaches a high test accuracy, the same
# seed gives the same run, and --help, bad options, divergence, missing data and --csv behave.
# Usage: driver_test.sh TINY_MODEL MAKE_TINY_DATA WORK_DIR
tiny=$1 make_data=$2 work=$3
failures=0

fail() {
    echo "driver_test.sh: FAIL: $*" >&2
    failures=$((failures + 1))
}

# run ARGS...: runs the trainer, leaving stdout, stderr and the exit status in out, err, status.
run() {
    "$tiny" "$@" >"$work/out" 2>"$work/err"
    status=$?
    out=$(cat "$work/out")
    err=$(cat "$work/err")
}

# train ARGS...: run on the synthetic dataset.
train() {
    run --data-dir "$work/data" "$@"
}

# expect_status N WHAT
expect_status() {
    [ "$status" -eq "$1" ] || fail "$2: exit status $status, expected $1; stderr: $err"
}

# expect_in TEXT PART WHAT: TEXT must contain PART (a fixed string)
expect_in() {
    case $1 in
        *"$2"*) ;;
        *) fail "$3: expected to find '$2' in: $1" ;;
    esac
}

rm -rf "$work" && mkdir -p "$work/data" || exit 1
"$make_data" "$work/data" || exit 1

# Training: the start-up block, four epoch lines, then a high accuracy on the test set.
train
expect_status 0 "training"
expect_in "$out" "model     tiny  (tests/runtime/tiny_model.c)" "start-up"
expect_in "$out" "data      idx from $work/data/train-images-idx3-ubyte: 900 train, 100 valid," \
    "start-up"
expect_in "$out" " 200 test; 4x4 images, 2 classes" "start-up"
expect_in "$out" "settings  epochs 4  batch 32  lr 0.5  momentum 0.9  weight decay 0.0001  seed 7" \
    "start-up"
expect_in "$out" "normalize (x - " "start-up"
expect_in "$out" "blas      OpenBLAS " "start-up"
epoch_line='^epoch [1-4]/4  train loss [0-9.]* acc [0-9.]*%  valid loss [0-9.]* acc [0-9.]*%  '
epoch_line=$epoch_line'test acc [0-9.]*%  [0-9.]* s  [0-9]* samples/s$'
[ "$(echo "$out" | grep -c "$epoch_line")" -eq 4 ] || fail "training: expected 4 epoch lines: $out"
final=$(echo "$out" | tail -n 1)
accuracy=$(echo "$final" | sed -n 's/^test: loss [0-9.]*  accuracy \([0-9.]*\)%$/\1/p')
if [ -z "$accuracy" ]; then
    fail "training: last line is not 'test: loss L  accuracy A%': $final"
elif ! awk "BEGIN { exit !($accuracy >= 97) }"; then
    fail "training: test accuracy $accuracy%, expected at least 97%"
fi

# Determinism: the same seed gives the same losses and accuracies (times aside).
metrics() { echo "$1" | sed 's/  [0-9.]* s  [0-9]* samples\/s$//'; }
first=$(metrics "$out")
train
[ "$(metrics "$out")" = "$first" ] || fail "same seed, different results"
train --seed 8
[ "$(metrics "$out")" != "$first" ] || fail "another seed, same results"

# --quiet: the final line only.
train --quiet --epochs 1
expect_status 0 "--quiet"
[ "$(echo "$out" | wc -l)" -eq 1 ] || fail "--quiet: expected one line, got: $out"
expect_in "$out" "test: loss " "--quiet"

# --help: every option, with the compiled-in values.
run --help
expect_status 0 "--help"
for line in "--lr X              learning rate [0.5]" \
    "--epochs N          passes over the training set [4]" "--batch N" "--momentum X" \
    "--weight-decay X" "--seed N" "[7]" "--data-dir DIR" "--valid N" \
    "--threads N" "--csv FILE" "--quiet" "model 'tiny' of tests/runtime/tiny_model.c"; do
    expect_in "$out" "$line" "--help"
done

# Bad usage: exit status 1 and a precise message.
train --lrr 0.1
expect_status 1 "misspelt option"
expect_in "$err" "netrt: unknown option '--lrr'; did you mean '--lr'?" "misspelt option"
train --frobnicate
expect_status 1 "unknown option"
expect_in "$err" "netrt: unknown option '--frobnicate'" "unknown option"
expect_in "$err" "netrt: hint: '$tiny --help' lists every option" "unknown option"
train --lr abc
expect_status 1 "--lr abc"
expect_in "$err" "netrt: --lr: 'abc' is not a number" "--lr abc"
train --epochs -2
expect_status 1 "--epochs -2"
expect_in "$err" "netrt: --epochs: must be a whole number from 1 to" "--epochs -2"
train --batch 0
expect_status 1 "--batch 0"
train --batch 65
expect_status 1 "--batch 65"
expect_in "$err" "netrt: --batch: 65 is more than this trainer's buffers hold (64)" "--batch 65"
expect_in "$err" "netrt: hint: rebuild with a larger batch" "--batch 65"
train --momentum 1
expect_status 1 "--momentum 1"
expect_in "$err" "netrt: --momentum: must be in [0, 1), got 1" "--momentum 1"
train --lr
expect_status 1 "--lr without a value"
expect_in "$err" "netrt: --lr: missing value" "--lr without a value"
train --valid 1000
expect_status 1 "--valid 1000"
expect_in "$err" "holding out 1000 samples for validation leaves none for training" "--valid 1000"

# Divergence: stop at the first non-finite loss, exit status 3.
train --lr 1e30
expect_status 3 "--lr 1e30"
diverged='^netrt: step [0-9]* (epoch 1, batch [0-9]*): training loss is \(nan\|inf\)$'
echo "$err" | grep -q "$diverged" ||
    fail "--lr 1e30: no divergence message in: $err"
expect_in "$err" "netrt: hint: the training diverged; try a lower learning rate (--lr, now 1e+30)" \
    "--lr 1e30"

# Missing data: the file is named.
run --data-dir "$work/nowhere"
expect_status 1 "missing data"
expect_in "$err" "netrt: $work/nowhere/train-images-idx3-ubyte: No such file or directory" \
    "missing data"

# --csv: a header and one row per epoch, no temporary file left.
train --csv "$work/metrics.csv" --valid 0
expect_status 0 "--csv"
header=epoch,train_loss,train_acc,valid_loss,valid_acc,test_loss,test_acc,seconds
[ "$(head -n 1 "$work/metrics.csv")" = "$header" ] || fail "--csv: wrong header"
[ "$(grep -c '^[1-4],[0-9.]*,[0-9.]*,,,[0-9.]*,[0-9.]*,[0-9.]*$' "$work/metrics.csv")" -eq 4 ] ||
    fail "--csv: expected 4 rows without valid columns, got: $(cat "$work/metrics.csv")"
[ ! -e "$work/metrics.csv.tmp" ] || fail "--csv: metrics.csv.tmp left behind"
train --csv "$work/nodir/metrics.csv"
expect_status 1 "--csv into a missing directory"
expect_in "$err" "netrt: $work/nodir/metrics.csv.tmp: No such file or directory" "--csv, no dir"
# a full disk: the temporary file is a link to /dev/full
if [ -w /dev/full ]; then
    ln -s /dev/full "$work/full.csv.tmp"
    train --csv "$work/full.csv"
    expect_status 1 "--csv on a full disk"
    expect_in "$err" "netrt: $work/full.csv.tmp: No space left on device" "--csv, disk full"
fi

[ "$failures" -eq 0 ] || echo "driver_test.sh: $failures checks failed" >&2
exit "$failures"
