#!/usr/bin/env bash
# steps.sh NETC WORKDIR: a file with max_steps and no epochs makes a trainer bounded by steps
# alone (issue 17; PyTorch Lightning's max_epochs = -1 with max_steps): its --max-steps above the
# file's runs that many steps (it was cut at the file's max_steps, the compiled epochs), --epochs
# bounds it again, --max-steps 0 (no limit at all) is refused, and the start-up block, the epoch
# lines and the CSV say how long the run is. Full batch on 100 points: one step an epoch.
set -u
netc=$1 work=$2
mkdir -p "$work"
cd "$work" || exit 1
pass=0 fail=0
check() { # check NAME CONDITION-STATUS
  if [ "$2" -eq 0 ]; then echo "ok $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
has() { grep -qF -- "$1" "$2" && echo 0 || echo 1; }
cat >s.net <<'NET'
model s { input 1  dense 8  tanh  dense 1 }
loss mse
optimizer adam { lr = 0.01 }
train { batch = full  max_steps = 5 }
data function { y = sin(x)  x = uniform(0, 3)  n = 100 }
NET
"$netc" build s.net -o s >/dev/null || { echo "FAIL build s"; exit 1; }
epoch_lines() { grep -c '^epoch ' "$1"; }

# the file's own limit: 5 steps
./s --threads 1 >five.log 2>&1
check "the file's max_steps: exit 0" $?
check "the file's max_steps: 5 epoch lines" "$([ "$(epoch_lines five.log)" -eq 5 ] && echo 0 || echo 1)"
check "the file's max_steps: settings line" "$(has 'epochs 5 (no limit; the 5 steps take them)' five.log)"
check "the file's max_steps: epoch 5/5" "$(has 'epoch 5/5 ' five.log)"

# above the file's: 12 steps, not 5
./s --threads 1 --max-steps 12 --csv twelve.csv >twelve.log 2>&1
check "--max-steps 12: exit 0" $?
check "--max-steps 12: 12 epoch lines" "$([ "$(epoch_lines twelve.log)" -eq 12 ] && echo 0 || echo 1)"
check "--max-steps 12: epoch 12/12" "$(has 'epoch 12/12 ' twelve.log)"
check "--max-steps 12: settings line" "$(has 'epochs 12 (no limit; the 12 steps take them)' twelve.log)"
check "--max-steps 12: stopping line" "$(has 'stopping  after 12 steps' twelve.log)"
check "--max-steps 12: 12 CSV rows" "$([ "$(tail -n +2 twelve.csv | wc -l)" -eq 12 ] && echo 0 || echo 1)"

# --epochs bounds it again: 3 epochs of one step
./s --threads 1 --max-steps 12 --epochs 3 >three.log 2>&1
check "--epochs 3 --max-steps 12: exit 0" $?
check "--epochs 3 --max-steps 12: 3 epoch lines" "$([ "$(epoch_lines three.log)" -eq 3 ] && echo 0 || echo 1)"
check "--epochs 3 --max-steps 12: settings line" "$(has 'epochs 3  batch' three.log)"

# no limit at all is refused, before anything is read
./s --max-steps 0 >zero.log 2>&1
check "--max-steps 0: exit 1" "$([ $? -eq 1 ] && echo 0 || echo 1)"
check "--max-steps 0: says why" "$(has 'bounded by steps alone (max_steps and no epochs in s.net), so it would never end' zero.log)"
./s --max-steps 0 --epochs 2 --threads 1 >zero2.log 2>&1
check "--max-steps 0 --epochs 2: exit 0" $?
check "--max-steps 0 --epochs 2: 2 epoch lines" "$([ "$(epoch_lines zero2.log)" -eq 2 ] && echo 0 || echo 1)"

# --dry-run and --help say it before the data is known
./s --dry-run >dry.log 2>&1
check "--dry-run: settings line" "$(has 'epochs no limit (max_steps)' dry.log)"
./s --help >help.log 2>&1
check "--help: --epochs" "$(has '[no limit: --max-steps bounds the run]' help.log)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
