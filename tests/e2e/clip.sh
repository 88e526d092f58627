#!/usr/bin/env bash
# clip.sh NETC WORKDIR: the trainer's --clip-value and --clip-norm (issue 17), and the start-up
# block's optimizer constants. A linear regression on a CSV made here diverges (exit 3) with plain
# SGD at lr 10, and does not with --clip-norm 1 (each step then moves θ by at most lr·1); the
# refusals (negative, both given, one given over the file's other) exit 1 with their message; the
# settings line of --dry-run shows Adam's betas and eps, RMSprop's alpha, eps and centered, and
# the clipping in force.
set -u
netc=$1 work=$2
mkdir -p "$work"
cd "$work" || exit 1
pass=0 fail=0
check() { # check NAME CONDITION-STATUS
  if [ "$2" -eq 0 ]; then echo "ok $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
has() { grep -qF -- "$1" "$2" && echo 0 || echo 1; }
lacks() { grep -qF -- "$1" "$2" && echo 1 || echo 0; }
awk 'BEGIN { srand(7); print "x1,x2,y"
             for (i = 0; i < 500; i++) { a = rand() * 2 - 1; b = rand() * 2 - 1
                                         printf "%.5f,%.5f,%.5f\n", a, b, 3 * a - 2 * b + 0.5 } }' >lin.csv
model() { # model NAME OPTIMIZER-LINE
  cat >"$1.net" <<NET
model lin {
  input 2
  dense 1
}
loss      mse
$2
train     { epochs = 20  batch = 50 }
data      csv { file = "lin.csv"  header = true  target = last  split = 0.8/0.1/0.1 }
NET
  "$netc" build "$1.net" -o "$1" >/dev/null || { echo "FAIL build $1"; exit 1; }
}
model sgd 'optimizer sgd { lr = 10 }'
model adam 'optimizer adam { lr = 0.01  clip_norm = 5 }'
model rms 'optimizer rmsprop { lr = 0.01  centered = true  clip_value = 0.5 }'

# --clip-norm really clips: without it the run diverges, with it the run ends
./sgd --quiet >plain.log 2>&1
status=$?
cat plain.log
check "sgd at lr 10 diverges: exit 3 (got $status)" $([ $status -eq 3 ] && echo 0 || echo 1)
./sgd --quiet --clip-norm 1 >clipped.log 2>&1
status=$?
cat clipped.log
check "with --clip-norm 1 it ends: exit 0 (got $status)" $status
check "with --clip-norm 1 a test line" $(has "test: loss" clipped.log)
./sgd --quiet --clip-value 0.1 >byvalue.log 2>&1
status=$?
cat byvalue.log
check "with --clip-value 0.1 it ends: exit 0 (got $status)" $status

# the start-up block: the optimizer's constants, and the clipping in force or nothing
./adam --dry-run >adam.log 2>&1
cat adam.log
check "adam: betas and eps" $(has "settings  adam  epochs 20  batch 50  lr 0.01  betas (0.9, 0.999)  eps 1e-08  weight decay 0  clip norm 5  seed" adam.log)
check "adam: no momentum" $(lacks "momentum" adam.log)
./adam --dry-run --clip-norm 0 >adam_off.log 2>&1
check "adam --clip-norm 0: no clipping shown" $(lacks "clip" adam_off.log)
./adam --dry-run --clip-norm 0 --clip-value 2 >adam_value.log 2>&1
check "adam --clip-norm 0 --clip-value 2: clip value 2" $(has "weight decay 0  clip value 2  seed" adam_value.log)
./rms --dry-run >rms.log 2>&1
cat rms.log
check "rmsprop: alpha, eps, centered" $(has "settings  rmsprop  epochs 20  batch 50  lr 0.01  momentum 0  alpha 0.99  eps 1e-08  centered  weight decay 0  clip value 0.5  seed" rms.log)
./sgd --dry-run >sgd.log 2>&1
check "sgd: momentum, no clipping" $(has "lr 10  momentum 0  weight decay 0  seed" sgd.log)

# refusals: exit 1 and the message, no crash
refused() { # refused NAME EXPECTED-MESSAGE TRAINER ARGS...
  local name=$1 msg=$2
  shift 2
  "$@" --dry-run >refused.log 2>&1
  local status=$?
  cat refused.log
  check "$name: exit 1 (got $status)" $([ $status -eq 1 ] && echo 0 || echo 1)
  check "$name: says why" $(has "$msg" refused.log)
}
refused "negative --clip-norm" "netrt: --clip-norm: must not be negative, got -1" ./sgd --clip-norm -1
refused "negative --clip-value" "netrt: --clip-value: must not be negative, got -0.5" ./sgd --clip-value -0.5
refused "both given" "netrt: --clip-value and --clip-norm: clip by value or by norm, not both" \
  ./sgd --clip-value 1 --clip-norm 1
refused "--clip-norm over the file's clip_value" \
  "netrt: --clip-norm 1: this trainer's model clips by value already (clip_value = 0.5 in rms.net)" \
  ./rms --clip-norm 1
check "the hint says how" $(has "netrt: hint: add --clip-value 0 to turn the file's clipping off" refused.log)
./rms --dry-run --clip-norm 1 --clip-value 0 >switched.log 2>&1
status=$?
check "--clip-norm 1 --clip-value 0 over the file's clip_value: exit 0 (got $status)" $status
check "... and clip norm 1 shown" $(has "clip norm 1  seed" switched.log)
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
