#!/usr/bin/env bash
# plot.sh NETC PNG_CHECK WORKDIR: `plot = "…"` in a train block, through netc to the trainer: the
# picture drawn after training with the model against f(x), --plot overriding the file's name,
# --help showing the file's value; and --dry-run of an Adam trainer, whose settings line has no
# momentum, printing without reading anything.
set -u
netc=$1 png_check=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 2
passed=0 failed=0
check() { # check WHAT CONDITION...
    local what=$1
    shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
}
cat >fit.net <<'NET'
model fit {
  input 1
  dense 16
  tanh
  dense 1
}
loss      mse
optimizer adam { lr = 0.01 }
train     { batch = 32  epochs = 3  seed = 1  plot = "fit.png" }
data      function { y = sin(3 * x)  x = uniform(-2, 2)  n = 300  split = 0.8/0.1/0.1 }
NET
"$netc" build fit.net -o fit >/dev/null 2>err
check "netc build: $(cat err)" [ $? -eq 0 ]
./fit >out 2>err
check "the trainer: exit $?, stderr: $(cat err)" [ $? -eq 0 ]
check "the file's plot line: $(cat out)" grep -qF "plot      fit.png: 3 epochs, and the model against f(x)" out
size=$("$png_check" fit.png)
check "fit.png: $size, expected a 1650x520 PNG" [ "$size" = "1650 520" ]
./fit --plot other.png --epochs 1 >out 2>err
check "--plot over the file's: $(cat out)" grep -qF "plot      other.png: 1 epoch" out
check "--plot other.png: $("$png_check" other.png 2>&1)" "$png_check" other.png
./fit --help >out
check "--help shows the file's plot: $(grep -e --plot out)" grep -qF "(PNG, by gnuplot) [fit.png]" out
rm -f fit.png
./fit --dry-run >out 2>err
check "--dry-run: exit $?" [ $? -eq 0 ]
check "--dry-run: $(cat out)" grep -qF "settings  adam  epochs 3  batch 32  lr 0.01  betas (0.9, 0.999)  eps 1e-08  weight decay 0  seed 1" out
check "--dry-run: Adam shown with a momentum: $(cat out)" bash -c '! grep -q momentum out'
check "--dry-run: trained: $(cat out)" bash -c '! grep -q "^epoch\|^test:" out && [ ! -e fit.png ]'
echo "plot.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
