#!/bin/sh
# driver_test.sh: the runtime's driver end to end, through tiny_model (a hand-written trainer)
# on the synthetic dataset of make_tiny_data: training reaches a high test accuracy, the same
# seed gives the same run, and --help, bad options, divergence, missing data and --csv behave;
# the stop conditions (--max-steps, --loss-below, --patience), full batch, the thinned log of long
# runs, and, through tiny_catalogue (tiny_model built with a StepLR schedule, keep_best on the
# valid accuracy and room for a full batch), the lr column and restoring the best parameters.
# tiny_one_cycle is tiny_catalogue with OneCycleLR (max_lr 0.5, pct_start 0.3), moving per step.
# Usage: driver_test.sh TINY_MODEL MAKE_TINY_DATA WORK_DIR TINY_CATALOGUE TINY_ONE_CYCLE
tiny=$1 make_data=$2 work=$3 catalogue=$4 one_cycle=$5
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

# train_catalogue ARGS...: the same with tiny_catalogue; train_with TRAINER ARGS...: with TRAINER.
train_with() {
    trainer=$1
    shift
    "$trainer" --data-dir "$work/data" "$@" >"$work/out" 2>"$work/err"
    status=$?
    out=$(cat "$work/out")
    err=$(cat "$work/err")
}
train_catalogue() {
    train_with "$catalogue" "$@"
}

# epoch_lines: the epoch lines of the last run
epoch_lines() {
    echo "$out" | grep '^epoch '
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
expect_in "$out" \
    "settings  sgd  epochs 4  batch 32  lr 0.5  momentum 0.9  weight decay 0.0001  seed 7" "start-up"
case $out in
    *"schedule  "* | *"stopping  "*) fail "start-up: a schedule or stopping line without either" ;;
esac
expect_in "$out" "normalize (x - " "start-up"
expect_in "$out" "blas      OpenBLAS " "start-up"
epoch_line='^epoch [1-4]/4  train loss [0-9.]* acc [0-9.]*%  valid loss [0-9.]* acc [0-9.]*%  '
epoch_line=$epoch_line'test acc [0-9.]*%  [0-9.]* s  cpu [0-9.]* s  [0-9]* samples/s$'
[ "$(echo "$out" | grep -c "$epoch_line")" -eq 4 ] || fail "training: expected 4 epoch lines: $out"
final=$(echo "$out" | tail -n 1)
accuracy=$(echo "$final" | sed -n 's/^test: loss [0-9.]*  accuracy \([0-9.]*\)%$/\1/p')
if [ -z "$accuracy" ]; then
    fail "training: last line is not 'test: loss L  accuracy A%': $final"
elif ! awk "BEGIN { exit !($accuracy >= 97) }"; then
    fail "training: test accuracy $accuracy%, expected at least 97%"
fi

# Determinism: the same seed gives the same losses and accuracies (times aside).
metrics() { echo "$1" | sed 's/  [0-9.]* s  cpu [0-9.]* s  [0-9]* samples\/s$//'; }
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
    "--threads N" "--csv FILE" "--quiet" "model 'tiny' of tests/runtime/tiny_model.c" \
    "--batch N|full      samples per training step; full (or 0): the whole training split [32]" \
    "--max-steps N       stop after N optimizer steps; 0: no limit [off]" \
    "--loss-below X      stop after an epoch whose training loss is below X; 0: never [off]" \
    "--patience N        stop when the valid metric has not improved for N epochs; 0: never [off]"; do
    expect_in "$out" "$line" "--help"
done
# an option wider than its column has its text on the next line, in the column
expect_in "$out" "$(printf '  --monitor valid_loss|valid_acc\n                      what --patience')" "--help"

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
for full in 0 full; do
    train --batch $full
    expect_status 1 "--batch $full"
    expect_in "$err" "netrt: full batch: the training split has 900 samples, but this trainer's \
buffers hold batch_max = 64 rows" "--batch $full"
    expect_in "$err" "netrt: hint: regenerate the trainer with netc's --batch-max 900 (or more), \
or train in batches with --batch N (at most 64)" "--batch $full"
done
train --batch half
expect_status 1 "--batch half"
expect_in "$err" "netrt: --batch: must be a whole number from 1 to 2147483647, or 'full'" \
    "--batch half"
train --batch 65
expect_status 1 "--batch 65"
expect_in "$err" "netrt: --batch: 65 is more than this trainer's buffers hold (64)" "--batch 65"
expect_in "$err" "netrt: hint: regenerate the trainer with netc's --batch-max 65 (or more)" \
    "--batch 65"
train --max-steps -1
expect_status 1 "--max-steps -1"
expect_in "$err" "netrt: --max-steps: must be a whole number from 0 to" "--max-steps -1"
train --loss-below -1
expect_status 1 "--loss-below -1"
expect_in "$err" "netrt: --loss-below: must not be negative, got -1" "--loss-below -1"
train --patience 2 --valid 0
expect_status 1 "--patience without a valid split"
expect_in "$err" "netrt: early stopping (--patience 2) needs a validation split, and there is none" \
    "--patience without a valid split"
expect_in "$err" "netrt: hint: hold training samples out with --valid N" \
    "--patience without a valid split"
train_catalogue --valid 0
expect_status 1 "keep_best without a valid split"
expect_in "$err" "netrt: keep_best needs a validation split to pick the best epoch, and there is none" \
    "keep_best without a valid split"
train --momentum 1
expect_status 1 "--momentum 1"
expect_in "$err" "netrt: --momentum: must be in [0, 1), got 1" "--momentum 1"
train --lr
expect_status 1 "--lr without a value"
expect_in "$err" "netrt: --lr: missing value" "--lr without a value"
train --valid 1000
expect_status 1 "--valid 1000"
expect_in "$err" "holding out 1000 samples for validation leaves none for training" "--valid 1000"

# --max-steps: 900 samples in batches of 32 make 29 steps an epoch, so step 40 is the 11th of
# epoch 2: that epoch is logged as partial, 11·32 = 352 samples, then training stops.
train --max-steps 40
expect_status 0 "--max-steps 40"
expect_in "$out" "stopping  after 40 steps" "--max-steps 40"
[ "$(epoch_lines | wc -l)" -eq 2 ] || fail "--max-steps 40: expected 2 epoch lines: $out"
expect_in "$(epoch_lines | sed -n 2p)" "/2  train loss" "--max-steps 40"
expect_in "$(epoch_lines | sed -n 2p)" "samples/s  (partial: 352 of 900 samples)" "--max-steps 40"
case $(epoch_lines | sed -n 1p) in *partial*) fail "--max-steps 40: epoch 1 marked partial" ;; esac
expect_in "$out" "stopped: max_steps 40 reached in epoch 2" "--max-steps 40"
expect_in "$(echo "$out" | tail -n 1)" "test: loss " "--max-steps 40"

# --loss-below: stops after the first epoch whose training loss is below 0.3, at step 29·epoch.
train --loss-below 0.3 --epochs 50
expect_status 0 "--loss-below"
pattern='s/^stopped: training loss \([0-9.]*\) < 0.3 after epoch \([0-9]*\) (step \([0-9]*\))$/'
stopped=$(echo "$out" | sed -n "$pattern\\1 \\2 \\3/p")
if [ -z "$stopped" ]; then
    fail "--loss-below: no 'stopped: training loss L < 0.3 after epoch N (step S)' in: $out"
else
    set -- $stopped
    [ "$3" -eq $(($2 * 29)) ] || fail "--loss-below: epoch $2 should end at step $(($2 * 29)), not $3"
    [ "$(epoch_lines | wc -l)" -eq "$2" ] || fail "--loss-below: expected $2 epoch lines: $out"
    losses=$(epoch_lines | sed 's/.*train loss \([0-9.]*\) .*/\1/')
    echo "$losses" | awk -v n="$2" 'NR < n && $1 < 0.3 { bad = 1 } NR == n && $1 >= 0.3 { bad = 1 }
        END { exit bad }' || fail "--loss-below: losses do not cross 0.3 at epoch $2: $losses"
    [ "$2" -lt 50 ] || fail "--loss-below: did not stop early"
fi

# --patience: stops once the valid loss has not improved for 2 epochs, 2 epochs after the best.
train --patience 2 --epochs 50
expect_status 0 "--patience"
expect_in "$out" "stopping  early, when the valid loss has not improved for 2 epochs" "--patience"
pattern='s/^stopped early: valid loss has not improved for 2 epochs; best was epoch \([0-9]*\)$/'
best=$(echo "$out" | sed -n "$pattern\\1/p")
if [ -z "$best" ]; then
    fail "--patience: no 'stopped early: … best was epoch N' in: $out"
else
    [ "$(epoch_lines | wc -l)" -eq $((best + 2)) ] ||
        fail "--patience: best epoch $best, expected $((best + 2)) epoch lines: $out"
    # the best epoch's valid loss is below every other one's
    epoch_lines | sed 's/.*valid loss \([0-9.]*\) .*/\1/' | awk -v b="$best" \
        '{ v[NR] = $1 } END { for (i = 1; i <= NR; i++) if (i != b && v[i] <= v[b]) exit 1 }' ||
        fail "--patience: epoch $best does not have the lowest valid loss: $out"
fi

# Full batch: one step an epoch, so --max-steps 3 ends epoch 3, none of them partial.
train_catalogue --batch full --max-steps 3 --epochs 10
expect_status 0 "--batch full"
expect_in "$out" "  batch full (900)  " "--batch full"
[ "$(epoch_lines | wc -l)" -eq 3 ] || fail "--batch full: expected 3 epoch lines: $out"
expect_in "$out" "stopped: max_steps 3 reached in epoch 3" "--batch full"
case $out in *partial*) fail "--batch full: a partial epoch: $out" ;; esac
train_catalogue --batch 0 --valid 50 --max-steps 2
expect_status 0 "--batch 0"
expect_in "$out" "  batch full (950)  " "--batch 0"

# A long run prints only some epochs: 120 full-batch epochs, every 5th and the first (25 lines),
# but the CSV has them all, each with its valid and test cells: --csv evaluates every epoch.
train_catalogue --batch full --epochs 120 --csv "$work/long.csv"
expect_status 0 "120 epochs"
printed=$(epoch_lines | sed 's/^epoch *\([0-9]*\)\/120 .*/\1/' | tr '\n' ' ')
[ "$printed" = "1 5 10 15 20 25 30 35 40 45 50 55 60 65 70 75 80 85 90 95 100 105 110 115 120 " ] ||
    fail "120 epochs: printed epochs $printed"
[ "$(wc -l <"$work/long.csv")" -eq 121 ] || fail "120 epochs: expected 120 CSV rows"
n='[0-9][0-9.]*' # a number, not an empty cell
full_row="^[0-9]*,[0-9.e-]*,$n,$n,$n,$n,$n,$n,[0-9]*,$n,$n\$"
[ "$(grep -c "$full_row" "$work/long.csv")" -eq 120 ] ||
    fail "120 epochs: every row should have valid and test cells: $(grep -v "$full_row" "$work/long.csv" | head -n 3)"
tail -n 1 "$work/long.csv" | grep -q '^120,[0-9.e-]*,[0-9.]*,[0-9.]*,[0-9.]*,[0-9.]*,[0-9.]*,[0-9.]*,' ||
    fail "120 epochs: the last row should have test cells: $(tail -n 1 "$work/long.csv")"
# mini-batches: every epoch up to 200, then every 5th (201/50 → 5), the first and the last
train --epochs 200 --quiet --csv "$work/e200.csv"
[ "$(grep -c ',,' "$work/e200.csv")" -eq 0 ] || fail "200 epochs: a row without test cells"
train --epochs 201
[ "$(epoch_lines | wc -l)" -eq 42 ] ||
    fail "201 epochs: expected 42 epoch lines, got $(epoch_lines | wc -l)"
expect_in "$(epoch_lines | tail -n 1)" "epoch 201/201  " "201 epochs"

# The schedule (StepLR, every epoch, gamma 0.5) in the start-up block, the epoch lines and the
# CSV's lr column.
train_catalogue --csv "$work/sched.csv"
expect_status 0 "schedule"
expect_in "$out" "schedule  step: lr x 0.5 every 1 epochs" "schedule"
expect_in "$out" "stopping  at the end, back to the parameters of the epoch with the best valid acc" \
    "schedule"
expect_in "$(epoch_lines | sed -n 3p)" "epoch 3/4  lr 0.125  train loss " "schedule"
[ "$(cut -d, -f2 "$work/sched.csv" | tr '\n' ' ')" = "lr 0.5 0.25 0.125 0.0625 " ] ||
    fail "schedule: lr column $(cut -d, -f2 "$work/sched.csv" | tr '\n' ' ')"

# A schedule per step: OneCycleLR over the run's steps, 4 epochs of 29 = 116, or the 50 of
# --max-steps 50. The lr column has each epoch's last step, t = 28, 57, 86, 115 (and 28, 49): the
# values torch 1.13 gives, OneCycleLR(max_lr=0.5, total_steps=116 or 50, pct_start=0.3,
# cycle_momentum=False) (the last is 0.5/25/1e4 = 2e-06, the minimum).
train_with "$one_cycle" --csv "$work/one_cycle.csv"
expect_status 0 "one_cycle"
expect_in "$out" "schedule  one_cycle: 0.02 up to 0.5 over 30% of 116 steps, then down to 2e-06 \
(momentum not cycled)" "one_cycle"
[ "$(cut -d, -f2 "$work/one_cycle.csv" | tr '\n' ' ')" = "lr 0.465962 0.405873 0.14153 2e-06 " ] ||
    fail "one_cycle: lr column $(cut -d, -f2 "$work/one_cycle.csv" | tr '\n' ' ')"
train_with "$one_cycle" --csv "$work/one_cycle.csv" --max-steps 50
expect_in "$out" "over 30% of 50 steps" "one_cycle, --max-steps 50"
[ "$(cut -d, -f2 "$work/one_cycle.csv" | tr '\n' ' ')" = "lr 0.327255 2e-06 " ] ||
    fail "one_cycle, --max-steps 50: lr column $(cut -d, -f2 "$work/one_cycle.csv" | tr '\n' ' ')"

# keep_best: early stopping on the valid accuracy, then the best epoch's parameters come back,
# and the final test loss is that epoch's, not the last one's (they differ in this run).
train_catalogue --patience 2 --epochs 30 --lr 2 --csv "$work/best.csv"
expect_status 0 "keep_best"
pattern='s/^stopped early: valid acc has not improved for 2 epochs; best was epoch \([0-9]*\)$/'
best=$(echo "$out" | sed -n "$pattern\\1/p")
if [ -z "$best" ]; then
    fail "keep_best: no 'stopped early: valid acc … best was epoch N' in: $out"
else
    acc=$(epoch_lines | sed -n "${best}p" | sed 's/.*valid loss [0-9.]* acc \([0-9.]*\)%.*/\1/')
    expect_in "$out" "restored the parameters of epoch $best (valid acc $acc%)" "keep_best"
    # the best is the first epoch with the highest valid acc: a later tie is not better (this run
    # has one: 95% at epochs 2, 3 and 4)
    epoch_lines | sed 's/.*valid loss [0-9.]* acc \([0-9.]*\)%.*/\1/' | awk -v b="$best" \
        '{ v[NR] = $1 } END { for (i = 1; i <= NR; i++) if (i < b ? v[i] >= v[b] : v[i] > v[b]) exit 1 }' ||
        fail "keep_best: epoch $best is not the first with the highest valid acc: $out"
    final=$(echo "$out" | tail -n 1 | sed -n 's/^test: loss \([0-9.]*\)  accuracy [0-9.]*%$/\1/p')
    at_best=$(awk -F, -v r=$((best + 1)) 'NR == r { printf "%.4f", $7 }' "$work/best.csv")
    at_last=$(tail -n 1 "$work/best.csv" | awk -F, '{ printf "%.4f", $7 }')
    [ "$final" = "$at_best" ] ||
        fail "keep_best: final test loss $final, but epoch $best had $at_best (last: $at_last)"
    [ "$at_best" != "$at_last" ] || fail "keep_best: the best and the last epoch agree: no test"
fi

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
header=epoch,lr,train_loss,train_acc,valid_loss,valid_acc,test_loss,test_acc,step,cpu_seconds,seconds
[ "$(head -n 1 "$work/metrics.csv")" = "$header" ] || fail "--csv: wrong header"
[ "$(grep -c '^[1-4],0\.5,[0-9.]*,[0-9.]*,,,[0-9.]*,[0-9.]*,[0-9]*,[0-9.]*,[0-9.]*$' "$work/metrics.csv")" -eq 4 ] ||
    fail "--csv: expected 4 rows without valid columns, got: $(cat "$work/metrics.csv")"
[ "$(ls "$work" | grep -c '^metrics\.csv')" -eq 1 ] || fail "--csv: a temporary left beside metrics.csv"
# Output paths that cannot be written fail at start-up, before the data is read or a step is
# taken: nothing on stdout.
train --csv "$work/nodir/metrics.csv"
expect_status 1 "--csv into a missing directory"
expect_in "$err" "netrt: --csv $work/nodir/metrics.csv: cannot create a file in $work/nodir: \
No such file or directory" "--csv, no dir"
[ -z "$out" ] || fail "--csv into a missing directory: output before failing: $out"
train --weights-png "$work/nodir/w.png"
expect_status 1 "--weights-png into a missing directory"
expect_in "$err" "netrt: --weights-png $work/nodir/w.png: cannot create a file in $work/nodir: \
No such file or directory" "--weights-png, no dir"
[ -z "$out" ] || fail "--weights-png into a missing directory: trained first: $out"
train --weights-png "$work/data/train-images-idx3-ubyte/w.png"
expect_status 1 "--weights-png under a file"
expect_in "$err" "cannot create a file in $work/data/train-images-idx3-ubyte: Not a directory" \
    "--weights-png under a file"
train --weights-png "$work" --csv "$work/ok.csv"
expect_status 1 "--weights-png to a directory"
expect_in "$err" "netrt: --weights-png $work: is a directory; give a file name" \
    "--weights-png to a directory"
[ -z "$out" ] || fail "--weights-png to a directory: trained first: $out"
# an output file that is one of the data files (under any name) would overwrite the data
cp "$work/data/train-labels-idx1-ubyte" "$work/labels.copy"
train --csv "$work/data/../data/train-labels-idx1-ubyte"
expect_status 1 "--csv onto the data"
expect_in "$err" "netrt: --csv $work/data/../data/train-labels-idx1-ubyte: is the data file \
$work/data/train-labels-idx1-ubyte, which it would overwrite" "--csv onto the data"
cmp -s "$work/data/train-labels-idx1-ubyte" "$work/labels.copy" ||
    fail "--csv onto the data: the labels file was overwritten"
train --weights-png "$work/data/t10k-images-idx3-ubyte.gz"
expect_status 1 "--weights-png onto the data"
expect_in "$err" "is the data file $work/data/t10k-images-idx3-ubyte.gz" "--weights-png onto the data"
train --weights-png "$work/w.png" --epochs 1
expect_status 0 "--weights-png"
expect_in "$out" "weights   $work/w.png: 2 tiles of 4x4 from " "--weights-png"
[ -s "$work/w.png" ] || fail "--weights-png: no $work/w.png"
[ -z "$(ls -a "$work" | grep netrt-probe)" ] || fail "--weights-png: the probe file is left"

# --csv keeps every epoch as it happens, also when only some are printed, so that a run killed
# mid-way keeps the epochs it finished: 300000 epochs print every 10000th, yet the log shows
# epoch 2 long before epoch 10000 (it used to be written only on printed epochs).
rm -f "$work/killed.csv"
"$tiny" --data-dir "$work/data" --epochs 300000 --quiet --csv "$work/killed.csv" >/dev/null 2>&1 &
pid=$!
rows=0 tries=0
while [ "$rows" -lt 2 ] && [ "$tries" -lt 600 ]; do
    sleep 0.05
    [ -f "$work/killed.csv" ] && rows=$(($(wc -l <"$work/killed.csv") - 1))
    tries=$((tries + 1))
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rows=$(($(wc -l <"$work/killed.csv") - 1))
if [ "$rows" -lt 2 ] || [ "$rows" -ge 10000 ]; then
    fail "--csv, killed run: $rows rows when epoch 2 first showed (printed: every 10000th)"
fi
[ "$(tail -n 1 "$work/killed.csv" | cut -d, -f1)" = "$rows" ] ||
    fail "--csv, killed run: the last of $rows rows is $(tail -n 1 "$work/killed.csv")"
# Devices are written through, never replaced: stand-ins for /dev/null and /dev/full made here
# (mknod, as root; never the real nodes), and a link to the null one, which stays a link. A full
# disk fails the CSV, and standard output, which fails the run too (its last line is the result).
rm -f "$work/null" "$work/full" "$work/null.link"
if mknod "$work/null" c 1 3 2>/dev/null && mknod "$work/full" c 1 7 2>/dev/null; then
    ln -s null "$work/null.link"
    for out_csv in "$work/null" "$work/null.link"; do
        train --csv "$out_csv" --epochs 1
        expect_status 0 "--csv $out_csv"
    done
    [ -c "$work/null" ] && [ -L "$work/null.link" ] || fail "--csv: the null device was replaced"
    train --csv "$work/full" --epochs 1
    expect_status 1 "--csv on a full disk"
    expect_in "$err" "netrt: $work/full: No space left on device" "--csv, disk full"
    [ -c "$work/full" ] || fail "--csv: the full device was replaced"
    "$tiny" --data-dir "$work/data" --epochs 1 --quiet >"$work/full" 2>"$work/err"
    status=$? err=$(cat "$work/err")
    expect_status 1 "stdout on a full disk"
    expect_in "$err" "netrt: standard output: No space left on device" "stdout on a full disk"
    "$tiny" --help >"$work/full" 2>"$work/err"
    status=$? err=$(cat "$work/err")
    expect_status 1 "--help on a full disk"
    rm -f "$work/null" "$work/full" "$work/null.link"
else
    echo "driver_test.sh: mknod not permitted: device checks skipped" >&2
fi

# --save, --eval, --init-from: the parameters in a safetensors file, under the model's PyTorch
# names; evaluating the saved file gives the final line of the run that saved it, to the digit.
train --epochs 3 --quiet --save "$work/m.safetensors"
expect_status 0 "--save"
saved_line=$out
[ -s "$work/m.safetensors" ] || fail "--save: no file"
grep -q '"0.weight":{"dtype":"F32"' "$work/m.safetensors" || fail "--save: no tensor 0.weight"
train --eval "$work/m.safetensors"
expect_status 0 "--eval"
[ "$out" = "$saved_line" ] || fail "--eval: '$out', the run that saved the file: '$saved_line'"
train --init-from "$work/m.safetensors" --epochs 1 --quiet
expect_status 0 "--init-from"
# a file of another network: refused, naming the first tensor that differs
json='{"0.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"0.bias":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}'
{ printf "\\$(printf %03o ${#json})"; head -c 7 /dev/zero; printf '%s' "$json"; head -c 24 /dev/zero; } >"$work/other.safetensors"
train --eval "$work/other.safetensors"
expect_status 1 "--eval of another network"
expect_in "$err" "netrt: $work/other.safetensors: tensor '0.weight' is F32 [2, 2], the model's is F32 [" \
    "--eval of another network"
train --init-from "$work/data/train-labels-idx1-ubyte"
expect_status 1 "--init-from a data file"
expect_in "$err" "not a safetensors file" "--init-from a data file"
train --save "$work/data/train-labels-idx1-ubyte" --epochs 1
expect_status 1 "--save onto the data"
expect_in "$err" "is the data file" "--save onto the data"
train --save "$work/nodir/m.safetensors"
expect_status 1 "--save into a missing directory"
[ -z "$out" ] || fail "--save into a missing directory: trained first: $out"

[ "$failures" -eq 0 ] || echo "driver_test.sh: $failures checks failed" >&2
exit "$failures"
