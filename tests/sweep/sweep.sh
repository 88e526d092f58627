#!/usr/bin/env bash
# sweep.sh NETC WORKDIR: netc sweep on a small function fit (200 points, full batch, 20 epochs).
#   - a 2×2 grid (width × lr): 2 trainers for 4 runs, lr passed as a flag; results.csv has a row
#     per run whose numbers parse, results.md a row per run, curves.png is a PNG of its size; a
#     run equals the same combination built alone with -D and run by hand;
#   - a combination the checker refuses and one whose training diverges are rows with their
#     errors, the others still run (exit 2);
#   - --repeat 2: seeds 42 and 43, then mean and std rows that are those of the two runs;
#   - two .net files are a dimension of the grid;
#   - --dtype f64 builds double-precision trainers (a run equals the combination built alone with
#     --dtype f64); with -- --log-every N the per-step CSV rows are no epochs in the table, and
#     curves.png draws them (the script gnuplot reads has their points, at steps / steps per
#     epoch);
#   - a DIR that exists and is not empty is refused without --force, and a --set that names no
#     let before anything runs; without gnuplot the sweep says so and draws nothing.
set -u
netc=$1 work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
pass=0 fail=0
check() { # check NAME STATUS (0: passed)
  if [ "$2" -eq 0 ]; then echo "ok $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
cat >fit.net <<'NET'
let width = 4
let rate = 0.05
model fit {
  input 1
  dense width  tanh
  dense 1
}
loss      mse
optimizer sgd { lr = rate }
train     { batch = full  epochs = 20  seed = 42 }
data      function { y = sin(x)  x = uniform(0, 3)  n = 200  split = 0.8/0.1/0.1 }
NET
# the value of a CSV column (by header name) in the row whose first cell is $2
col() { # col FILE RUN NAME
  awk -F, -v run="$2" -v name="$3" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                                    $1 == run { print $(c[name]) }' "$1"
}
is_number() { [[ $1 =~ ^-?[0-9.]+(e[-+]?[0-9]+)?$ ]]; }

# 1. a 2x2 grid
"$netc" sweep fit.net --set width=4,8 --set rate=0.05,0.1 --out grid -- --epochs 20 >grid.out 2>&1
status=$?
cat grid.out
check "2x2: exit 0 (got $status)" $status
grep -q "^built 2 trainers for 4 runs" grid.out
check "2x2: built 2 trainers for 4 runs" $?
rows=$(tail -n +2 grid/results.csv | wc -l)
check "2x2: results.csv has 4 runs (got $rows)" $([ "$rows" -eq 4 ] && echo 0 || echo 1)
widths=$(awk -F, '{ print NF }' grid/results.csv | sort -u | wc -l)
check "2x2: every row of results.csv has the header's columns" $([ "$widths" -eq 1 ] && echo 0 || echo 1)
bad=0
for run in 1 2 3 4; do
  [ "$(col grid/results.csv $run status)" = ok ] || bad=1
  for name in final_loss final_mse best_mse best_epoch epochs s_per_epoch cpu_s_per_epoch; do
    v=$(col grid/results.csv $run $name)
    is_number "$v" || { echo "run $run: $name is '$v'"; bad=1; }
  done
done
check "2x2: every run ok, its numbers parse" $bad
t1=$(col grid/results.csv 1 trainer) t2=$(col grid/results.csv 2 trainer)
t3=$(col grid/results.csv 3 trainer) t4=$(col grid/results.csv 4 trainer)
check "2x2: lr shares a trainer, width does not ($t1 $t2 $t3 $t4)" \
  $([ "$t1" = "$t2" ] && [ "$t3" = "$t4" ] && [ "$t1" != "$t3" ] && echo 0 || echo 1)
mdrows=$(grep -c '^| [0-9]' grid/results.md)
check "2x2: results.md has 4 run rows (got $mdrows)" $([ "$mdrows" -eq 4 ] && echo 0 || echo 1)
# a PNG: its signature, then IHDR's width and height (big-endian) at bytes 16..23
sig=$(od -An -tx1 -N8 grid/curves.png 2>/dev/null | tr -d ' \n')
size=$(od -An -tu1 -j16 -N8 grid/curves.png 2>/dev/null |
       awk '{ print ($1 * 16777216 + $2 * 65536 + $3 * 256 + $4) "x" ($5 * 16777216 + $6 * 65536 + $7 * 256 + $8) }')
check "2x2: curves.png is a 1400x560 PNG (got $sig $size)" \
  $([ "$sig" = 89504e470d0a1a0a ] && [ "$size" = 1400x560 ] && echo 0 || echo 1)
# the run of width 8, lr 0.1 went through trainer t-of-width-8 built with lr 0.05 and --lr 0.1:
# it must train exactly as that combination built on its own
"$netc" build fit.net -D width=8 -D rate=0.1 -o alone >/dev/null
./alone --threads 1 --epochs 20 >alone.log 2>&1
want=$(grep '^test: ' alone.log) got=$(grep '^test: ' grid/runs/4-width=8,rate=0.1.log)
check "2x2: the run with --lr equals the combination built alone ('$got' vs '$want')" \
  $([ -n "$want" ] && [ "$got" = "$want" ] && echo 0 || echo 1)
head -1 grid/runs/4-width=8,rate=0.1.log | grep -q -- '--lr 0.1 .*--epochs 20'
check "2x2: the run's command has --lr and the flags after --" $?

# 2. failures are rows
"$netc" sweep fit.net --set width=4,-3 --set rate=0.05,1e5 --out failing >failing.out 2>&1
status=$?
cat failing.out
check "failures: exit 2 (got $status)" $([ $status -eq 2 ] && echo 0 || echo 1)
check "failures: width 4, lr 0.05 still trained" $([ "$(col failing/results.csv 1 status)" = ok ] && echo 0 || echo 1)
# the error is the last cell, quoted: it holds commas
err=$(grep '^2,' failing/results.csv)
check "failures: divergence is a row with the trainer's message ($err)" \
  $([ "$(col failing/results.csv 2 status)" = failed ] && [[ $err == *',"exit 3: netrt: '*'loss is'* ]] && echo 0 || echo 1)
err=$(grep '^3,' failing/results.csv)
check "failures: a refused value is a row with netc's message ($err)" \
  $([ "$(col failing/results.csv 3 status)" = failed ] && [[ $err == *',"netc: --set width=-3: error: '*"got '-3'\"" ]] && echo 0 || echo 1)
grep -q '| failed\|exit 3: netrt' failing/results.md
check "failures: results.md shows the errors" $?

# 3. --repeat 2: mean and std rows
"$netc" sweep fit.net --set width=8 --repeat 2 --out repeat >repeat.out 2>&1
status=$?
cat repeat.out
check "repeat: exit 0 (got $status)" $status
seeds=$(awk -F, 'NR > 1 && $1 != "" { printf "%s ", $3 }' repeat/results.csv)
check "repeat: seeds 42 43 (got $seeds)" $([ "$seeds" = "42 43 " ] && echo 0 || echo 1)
a=$(col repeat/results.csv 1 final_mse) b=$(col repeat/results.csv 2 final_mse)
mean=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i } $3 == "mean" { print $(c["final_mse"]) }' repeat/results.csv)
std=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i } $3 == "std" { print $(c["final_mse"]) }' repeat/results.csv)
ok=$(awk -v a="$a" -v b="$b" -v m="$mean" -v s="$std" 'BEGIN {
  d = a - b; if (d < 0) d = -d
  em = (a + b) / 2; es = d / sqrt(2)       # the sample std of two values
  print (a != b && m != "" && s != "" && (m - em) ^ 2 <= (1e-3 * em) ^ 2 && (s - es) ^ 2 <= (1e-3 * es) ^ 2) ? 0 : 1 }')
check "repeat: mean $mean ± std $std of $a and $b" "$ok"
grep -q ' ± ' repeat/results.md
check "repeat: results.md shows mean ± std" $?

# 4. two files: the grid's first dimension
sed 's/tanh/relu/' fit.net >fit_relu.net
"$netc" sweep fit.net fit_relu.net --set rate=0.05,0.1 --out files >files.out 2>&1
status=$?
cat files.out
files=$(awk -F, 'NR > 1 { printf "%s/%s/%s ", $2, $3, $5 }' files/results.csv)
check "two files: 4 runs, file then rate, 2 trainers (got $files)" \
  $([ $status -eq 0 ] && [ "$files" = "fit.net/0.05/t1 fit.net/0.1/t1 fit_relu.net/0.05/t2 fit_relu.net/0.1/t2 " ] && echo 0 || echo 1)

# 5. --dtype f64, and the per-step rows of -- --log-every 2 (160 training points in batches of 40:
# 4 steps an epoch, so a step row every half epoch)
real_gnuplot=$(command -v gnuplot)
mkdir -p shim
printf '#!/bin/sh\ntee "%s/curves.gp" | exec "%s" "$@"\n' "$PWD" "$real_gnuplot" >shim/gnuplot
chmod +x shim/gnuplot
PATH=$PWD/shim:$PATH "$netc" sweep fit.net --set width=8 --set rate=0.05,0.1 --dtype f64 \
  --out f64 -- --epochs 20 --batch 40 --log-every 2 >f64.out 2>&1
status=$?
cat f64.out
check "f64: exit 0 (got $status)" $status
grep -q '^params .*, f64;' f64/runs/2-width=8,rate=0.1.log
check "f64: the trainer is f64" $?
"$netc" build --dtype f64 fit.net -D width=8 -D rate=0.1 -o alone64 >/dev/null
./alone64 --threads 1 --epochs 20 --batch 40 >alone64.log 2>&1
want=$(grep '^test: ' alone64.log) got=$(grep '^test: ' f64/runs/2-width=8,rate=0.1.log)
check "f64: the run equals the combination built alone with --dtype f64 ('$got' vs '$want')" \
  $([ -n "$want" ] && [ "$got" = "$want" ] && echo 0 || echo 1)
steprows=$(awk -F, 'NR > 1 && $NF == ""' "f64/runs/1-width=8,rate=0.05.csv" | wc -l)
epochs=$(col f64/results.csv 1 epochs)
check "log-every: the CSV has step rows ($steprows), the table 20 epochs (got $epochs)" \
  $([ "$steprows" -eq 40 ] && [ "$epochs" = 20 ] && echo 0 || echo 1)
blocks=$(grep -c '^\$s[0-9]* << EOD' curves.gp 2>/dev/null)
half=$(awk '/^\$s1 << EOD/ { on = 1; next } on && /^EOD/ { exit } on && $1 == 0.5 { n++ } END { print n + 0 }' curves.gp 2>/dev/null)
check "log-every: curves.png draws both runs' steps ($blocks blocks), from half an epoch ($half)" \
  $([ "$blocks" = 2 ] && [ "$half" = 1 ] && grep -q 'every 2 steps' curves.gp && echo 0 || echo 1)
sig=$(od -An -tx1 -N8 f64/curves.png 2>/dev/null | tr -d ' \n')
check "log-every: curves.png is a PNG" $([ "$sig" = 89504e470d0a1a0a ] && echo 0 || echo 1)
"$netc" sweep fit.net --set width=8 --dtype f16 --out f16 >f16.out 2>&1
check "--dtype f16 is refused" $([ $? -eq 1 ] && grep -q "takes f32 or f64, got 'f16'" f16.out && echo 0 || echo 1)

# 6. the output directory, and no gnuplot
"$netc" sweep fit.net --set width=4 --out grid >exists.out 2>&1
status=$?
check "an existing DIR is refused: exit 1 (got $status)" $([ $status -eq 1 ] && grep -q 'not empty.*--force' exists.out && echo 0 || echo 1)
"$netc" sweep fit.net --set width=4 --out fit.net >file.out 2>&1
status=$?
check "a file as DIR is refused: exit 1 (got $status)" $([ $status -eq 1 ] && grep -q 'not a directory' file.out && echo 0 || echo 1)
"$netc" sweep fit.net --set widht=4 --out nolet >nolet.out 2>&1
status=$?
check "a --set that is no let: exit 1, did you mean, no DIR (got $status)" \
  $([ $status -eq 1 ] && grep -q "has no 'let widht'; did you mean 'width'" nolet.out && [ ! -e nolet ] && echo 0 || echo 1)
mkdir nognuplot
for f in /usr/bin/* /bin/*; do
  [ "${f##*/}" = gnuplot ] || ln -sf "$f" nognuplot/ 2>/dev/null
done
PATH=$PWD/nognuplot "$netc" sweep fit.net --set width=4 --out grid --force >nog.out 2>&1
status=$?
cat nog.out
check "no gnuplot: exit 0, says so (got $status)" \
  $([ $status -eq 0 ] && grep -q 'no curves.png: gnuplot is not installed' nog.out && echo 0 || echo 1)

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
