#!/bin/sh
# plot_test.sh: --plot, --log-every, the progress line and --dry-run, end to end through the
# hand-written trainers: the PNG decoded (png_check: libpng) with its size and its curves' colours
# counted, the per-step CSV rows, a missing or failing gnuplot (exit status 4, the old picture
# intact), a device written in place, the live line on a terminal (script) and none without one,
# and the settings of --dry-run printed without reading any data.
# Usage: plot_test.sh TINY_MODEL MAKE_TINY_DATA TINY_REGRESS TINY_CATALOGUE PNG_CHECK WORK_DIR
tiny=$1 make_data=$2 regress=$3 catalogue=$4 png_check=$5 work=$6
failures=0

fail() {
    echo "plot_test.sh: FAIL: $*" >&2
    failures=$((failures + 1))
}

# run TRAINER ARGS...: stdout, stderr and the exit status in out, err, status.
run() {
    trainer=$1
    shift
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

# colours of plot.c: train, valid, test, the per-step line, the model against f(x)
blue=1f77b4 orange=ff7f0e green=2ca02c light=9ecae1 red=d62728

rm -rf "$work" && mkdir -p "$work/data" || exit 1
"$make_data" "$work/data" || exit 1
if ! command -v gnuplot >/dev/null; then
    echo "plot_test.sh: gnuplot is not installed (setup.sh --test installs gnuplot-nox)" >&2
    exit 1
fi

# Classification: two panels, 1200x520, every curve drawn; the per-step rows in the CSV.
run "$tiny" --data-dir "$work/data" --plot "$work/c.png" --csv "$work/c.csv" --log-every 5
expect_status 0 "--plot"
expect_in "$out" "plot      $work/c.png: 4 epochs" "--plot"
set -- $("$png_check" "$work/c.png" $blue $orange $green $light $red)
[ "$1 $2" = "1200 520" ] || fail "--plot: a ${1}x$2 picture, expected 1200x520"
[ "${3:-0}" -gt 300 ] && [ "${4:-0}" -gt 300 ] && [ "${5:-0}" -gt 300 ] && [ "${6:-0}" -gt 300 ] ||
    fail "--plot: train, valid, test or per-step curve missing (pixels: $3 $4 $5 $6)"
[ "${7:-1}" -eq 0 ] || fail "--plot: a model-against-f(x) panel in a classification plot"
[ "$(ls "$work" | grep -c '^c\.png')" -eq 1 ] || fail "--plot: a temporary left beside c.png"
# 4 epochs of 29 steps (900 samples, batch 32): a row every 5 steps, 23 of them, one for the
# last step (116), and the 4 epochs' rows after their steps'.
step_row='^[1-4],0.5,[0-9.]*,[0-9.]*,,,,,[0-9]*,,$'
n='[0-9][0-9.]*' # a number, not an empty cell
epoch_row="^[1-4],0.5,$n,$n,$n,$n,$n,$n,[0-9]*,$n,$n\$"
[ "$(grep -c "$step_row" "$work/c.csv")" -eq 24 ] ||
    fail "--log-every 5: expected 24 step rows: $(cat "$work/c.csv")"
[ "$(grep -c "$epoch_row" "$work/c.csv")" -eq 4 ] ||
    fail "--log-every 5: expected 4 epoch rows: $(cat "$work/c.csv")"
steps=$(grep "$step_row" "$work/c.csv" | cut -d, -f9 | tr '\n' ' ')
[ "$steps" = "5 10 15 20 25 30 35 40 45 50 55 60 65 70 75 80 85 90 95 100 105 110 115 116 " ] ||
    fail "--log-every 5: steps $steps"
# rows in order of steps; an epoch's row (step 29, 58, …) after the steps it ends
order=$(tail -n +2 "$work/c.csv" | cut -d, -f9 | tr '\n' ' ')
[ "$(echo "$order" | tr ' ' '\n' | sed '/^$/d' | sort -n -c 2>&1)" = "" ] ||
    fail "--log-every 5: rows out of step order: $order"
[ "$(sed -n 7p "$work/c.csv" | cut -d, -f1,9)" = "1,29" ] ||
    fail "--log-every 5: epoch 1's row should follow its 5 step rows: $(sed -n 7p "$work/c.csv")"

# Regression on y = f(x): a third panel, the model against f(x).
run "$regress" --plot "$work/r.png" --epochs 8
expect_status 0 "--plot, regression"
expect_in "$out" "plot      $work/r.png: 8 epochs, and the model against f(x)" "--plot, regression"
set -- $("$png_check" "$work/r.png" $green $red)
[ "$1 $2" = "1650 520" ] || fail "--plot, regression: a ${1}x$2 picture, expected 1650x520"
[ "${4:-0}" -gt 300 ] || fail "--plot, regression: no model curve (pixels: $4)"

# A full batch: --plot alone also evaluates every epoch (the curves have no gaps).
run "$catalogue" --data-dir "$work/data" --batch full --epochs 120 --plot "$work/f.png"
expect_status 0 "--plot, 120 full-batch epochs"
"$png_check" "$work/f.png" >/dev/null || fail "--plot, full batch: not a PNG"

# No gnuplot: said before training, the run still trains and saves, exit status 4, no picture.
echo old >"$work/keep.png"
mkdir -p "$work/nobin"
env PATH="$work/nobin" "$tiny" --data-dir "$work/data" --plot "$work/keep.png" \
    --save "$work/s.st" >"$work/out" 2>"$work/err"
status=$? out=$(cat "$work/out") err=$(cat "$work/err")
expect_status 4 "no gnuplot"
expect_in "$err" "netrt: warning: --plot $work/keep.png: gnuplot is not installed (Debian: apt-get install gnuplot-nox)" "no gnuplot"
expect_in "$err" "netrt: hint: install it (Debian: apt-get install gnuplot-nox), then run again" \
    "no gnuplot"
expect_in "$out" "test: loss " "no gnuplot: trained"
[ -s "$work/s.st" ] || fail "no gnuplot: --save was not written"
[ "$(cat "$work/keep.png")" = old ] || fail "no gnuplot: the old picture was touched"

# A gnuplot that fails: its message quoted, exit status 4, the old picture intact, no temporary.
mkdir -p "$work/badbin"
printf '#!/bin/sh\ncat >/dev/null\necho "line 1: error: something broke" >&2\nexit 1\n' \
    >"$work/badbin/gnuplot"
chmod +x "$work/badbin/gnuplot"
PATH="$work/badbin:$PATH" run "$tiny" --data-dir "$work/data" --plot "$work/keep.png"
expect_status 4 "failing gnuplot"
expect_in "$err" "netrt: --plot $work/keep.png: gnuplot failed (exit status 1): line 1: error: something broke" \
    "failing gnuplot"
[ "$(cat "$work/keep.png")" = old ] || fail "failing gnuplot: the old picture was replaced"
[ "$(ls "$work" | grep -c '^keep\.png')" -eq 1 ] || fail "failing gnuplot: a temporary left"
# A gnuplot that exits 0 without a PNG: refused all the same.
printf '#!/bin/sh\ncat >/dev/null\nexit 0\n' >"$work/badbin/gnuplot"
PATH="$work/badbin:$PATH" run "$tiny" --data-dir "$work/data" --plot "$work/keep.png"
expect_status 4 "gnuplot without a PNG"
expect_in "$err" "gnuplot wrote no PNG" "gnuplot without a PNG"
[ "$(cat "$work/keep.png")" = old ] || fail "gnuplot without a PNG: the old picture was replaced"

# A device is written in place, never replaced by a file (a stand-in made here, as root).
if [ "$(id -u)" -eq 0 ] && mknod "$work/null" c 1 3 2>/dev/null; then
    run "$tiny" --data-dir "$work/data" --plot "$work/null"
    expect_status 0 "--plot to a device"
    [ -c "$work/null" ] || fail "--plot to a device: replaced by a regular file"
fi

# Refused at start-up, before training: an output already named, a data file, no directory.
run "$tiny" --data-dir "$work/data" --plot "$work/x.csv" --csv "$work/x.csv"
expect_status 1 "--plot = --csv"
expect_in "$err" "netrt: --csv and --plot: both name $work/x.csv; the picture would overwrite it" \
    "--plot = --csv"
run "$tiny" --data-dir "$work/data" --plot "$work/data/train-images-idx3-ubyte"
expect_status 1 "--plot over the data"
expect_in "$err" "is the data file" "--plot over the data"
run "$tiny" --data-dir "$work/data" --plot "$work/nodir/p.png"
expect_status 1 "--plot into a missing directory"
expect_in "$err" "netrt: --plot $work/nodir/p.png: cannot create a file in $work/nodir" \
    "--plot into a missing directory"
[ -z "$out" ] || fail "--plot into a missing directory: trained first: $out"
run "$tiny" --data-dir "$work/data" --log-every 5
expect_status 1 "--log-every alone"
expect_in "$err" "--log-every: the per-step rows go to --csv and --plot, and neither is given" \
    "--log-every alone"

# Progress: on a terminal (script gives the trainer one) a live line redrawn in place with the
# step, the speed and the ETA; without a terminal none.
if command -v script >/dev/null; then
    script -qec "'$tiny' --data-dir '$work/data' --epochs 2" "$work/typescript" >/dev/null 2>&1
    if grep -q "$(printf '\r')epoch 1/2 \[[#.]*\] [0-9]*/29  loss [0-9.e-]*  [0-9]* samples/s  ETA [0-9]*:[0-9][0-9]" \
        "$work/typescript"; then :; else
        fail "progress: no live line on a terminal: $(cat -v "$work/typescript" | head -c 2000)"
    fi
fi
run "$tiny" --data-dir "$work/data" --epochs 2
case $err in *samples/s*) fail "progress: a live line without a terminal: $err" ;; esac

# --dry-run: the settings, no data read (the directory does not exist), nothing trained.
run "$catalogue" --data-dir "$work/nowhere" --dry-run --keep-best off --patience 2 --monitor valid_loss
expect_status 0 "--dry-run"
expect_in "$out" "data      idx from train-images-idx3-ubyte (under $work/nowhere); valid 100 (not read: --dry-run)" "--dry-run"
expect_in "$out" "settings  sgd  epochs 4  batch 32  lr 0.5  momentum 0.9  weight decay 0.0001  seed 7" \
    "--dry-run"
expect_in "$out" "schedule  step: lr x 0.5 every 1 epochs" "--dry-run"
expect_in "$out" "stopping  early, when the valid loss has not improved for 2 epochs" "--dry-run"
expect_in "$out" "init      W xavier_uniform; b zeros" "--dry-run"
case $out in *"epoch "* | *"test: "* | *"keep"*) fail "--dry-run: trained, or kept keep_best: $out" ;; esac
run "$catalogue" --dry-run --schedule off --keep-best
expect_status 0 "--dry-run --schedule off"
expect_in "$out" "schedule  off (--schedule off): the lr stays 0.5" "--schedule off"
expect_in "$out" "at the end, back to the parameters of the epoch with the best valid acc" \
    "--keep-best"

if [ "$failures" -gt 0 ]; then
    echo "plot_test.sh: $failures failure(s)" >&2
    exit 1
fi
echo "plot_test.sh: all passed"
