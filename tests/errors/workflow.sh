#!/usr/bin/env bash
# workflow.sh NETC: what netc says runs. `netc check` lists every setting in force (inits,
# the optimizer with its own hyperparameters, clipping, schedule, stopping, keep_best,
# augmentation, normalization); max_steps without epochs bounds the run by steps alone;
# `netc build -v` prints the C compiler's command, and a failing compiler's command is shown.
set -u
netc=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# has FILE LINE: FILE holds LINE, whole
has() { if grep -qxF -- "$2" "$1"; then ok; else bad "$1 lacks the line: $2"; cat "$1"; fi; }
hasnt() { if grep -qF -- "$2" "$1"; then bad "$1 says '$2'"; cat "$1"; else ok; fi; }

cat >a.net <<'NET'
model a {
  input 28x28
  flatten
  dense 64 init=he_normal weight_decay=0.001
  relu
  dense 10 init=normal(0.01) bias=constant(0.1)
}
loss      cross_entropy
optimizer adam { lr = 0.002  clip_norm = 0  clip_value = 0.5 }
schedule  step { every = 3  gamma = 0.5 }
train     { epochs = 4  batch = 32  early_stop = 2  monitor = valid_acc  keep_best = true }
data      mnist { valid = 5000  normalize = true  augment { flip = none  rotate = 5  shift = 0.1 } }
NET
"$netc" check a.net >out 2>err || bad "check a.net failed: $(cat err)"
has out "  dense1       weight he_normal, bias zeros (weight_decay 0.001)"
has out "  dense2       weight normal(0, 0.01), bias constant(0.1)"
has out "optimizer adam (torch.optim.Adam): lr 0.002, beta1 0.9, beta2 0.999, eps 1e-08, weight_decay 0, clip_value 0.5, clip_norm 0 (off)"
hasnt out momentum
has out "schedule step: every 3, gamma 0.5, per epoch"
has out "train: epochs 4, batch 32, seed 42"
has out "stopping: early_stop after 2 epochs without a better valid_acc; else after the last epoch; keep_best true (by valid_acc)"
has out "data mnist: valid 5000, test 0, normalize true (mean and std of the training set); augment: flip none, rotate 5, shift 0.1"

# max_steps and no epochs: the run is bounded by steps alone (epochs compiled in: 0, no limit;
# the trainer's side is tests/e2e/steps.sh)
cat >s.net <<'NET'
model s { input 1  dense 8  tanh  dense 1 }
loss mse
optimizer adam { lr = 0.01 }
train { batch = full  max_steps = 500  stop_when_loss_below = 1e-4 }
data function { y = sin(x)  x = uniform(0, 3)  n = 100 }
NET
"$netc" check s.net >out 2>err || bad "check s.net failed: $(cat err)"
has out "train: epochs no limit (max_steps bounds the run), batch full, seed 42"
has out "stopping: after 500 steps; when the training loss is below 0.0001; else after the last epoch; keep_best false"
[ -s err ] && bad "check s.net warns: $(cat err)" || ok
"$netc" gen s.net -o - 2>err | grep -q '\.epochs = 0, \.batch = 0,' && ok || bad "gen s.net: epochs not 0"
# with epochs given, they stay
sed 's/batch = full/batch = full  epochs = 7/' s.net >e.net
"$netc" gen e.net -o - | grep -q '\.epochs = 7, ' && ok || bad "gen e.net: epochs not 7"

# reduction = sum: 1/B (summed over the classes, mean over the batch), said in the comment;
# the default stays torch's 1/(B·K)
cat >r.net <<'NET'
model r { input 784  dense 10 }
loss hinge { reduction = sum }
optimizer sgd { lr = 0.1 }
data mnist
NET
"$netc" check r.net >out 2>err || bad "check r.net failed: $(cat err)"
has out "loss hinge (torch.nn.MultiMarginLoss): margin 1, p 1, reduction sum (over the outputs; mean over the batch)"
"$netc" gen r.net -o r.c || bad "gen r.net failed"
grep -qF ' * reduction = sum: summed over the classes, mean over the batch:' r.c && ok || bad "r.c: no reduction in the comment"
grep -qF 'const float scale = 1.0f / (float)B;' r.c && ok || bad "r.c: the scale is not 1/B"
grep -qxF '    return total / B;' r.c && ok || bad "r.c: the loss is not total / B"
sed 's/ { reduction = sum }//' r.net >rm.net
"$netc" gen rm.net -o rm.c || bad "gen rm.net failed"
grep -qF 'const float scale = 1.0f / (float)(B * CLASSES);' rm.c && ok || bad "rm.c: the mean is not 1/(B·K)"
for l in mse huber binary_cross_entropy; do
    sed "s/^loss .*/loss $l { reduction = sum }/" r.net >l.net
    "$netc" gen l.net -o - | grep -qF 'const float scale = 1.0f / (float)B;' && ok ||
        bad "$l: reduction = sum is not 1/B"
done

# build -v: the command, then the trainer; CC=false: which command failed
if "$netc" build -v s.net -o tr >out 2>err; then
    grep -qE '^  cc .* -o tr tr\.c ' out && ok || bad "build -v printed no command: $(cat out)"
    [ -x tr ] && ok || bad "build -v made no trainer"
else
    bad "build -v failed: $(cat err)"
fi
CC=false "$netc" build s.net -o tf >out 2>err
rc=$?
[ $rc -eq 2 ] && ok || bad "CC=false: exit $rc, expected 2"
has err "netc: the C compiler failed on tf.c (exit 1); the command was:"
grep -qE '^  false .* -o tf tf\.c ' err && ok || bad "CC=false: the command is not shown: $(cat err)"

# netc dot: one node per op the trainer runs (an activation fused into its dense layer), with
# its shape and parameters, then the loss; drawn by Graphviz where it is installed (setup.sh --test)
cat >g.net <<'NET'
model g {
  input 1x28x28
  conv 4 kernel=5
  relu
  maxpool 2
  flatten
  dense 32
  gelu
  dense 10
}
loss cross_entropy
optimizer sgd { lr = 0.1 }
data mnist
NET
"$netc" dot g.net >g.dot 2>err || bad "dot g.net failed: $(cat err)"
has g.dot '  conv1 [label="conv1 + relu1\nconv 4 5x5 kernel + relu\n[4,24,24]\n104 parameters", fillcolor="#dce8f8"];'
has g.dot '  maxpool1 [label="maxpool1\nmaxpool 2x2\n[4,12,12]"];'
has g.dot '  dense1 [label="dense1 + gelu1\ndense 32 + gelu\n[32]\n18,464 parameters", fillcolor="#dce8f8"];'
has g.dot '  dense2 -> loss;'
[ "$(grep -c -- ' -> ' g.dot)" = 6 ] && ok || bad "g.dot: not 6 edges: $(cat g.dot)"
"$netc" dot g.net -o g2.dot && cmp -s g.dot g2.dot && ok || bad "dot -o differs from standard output"
if command -v dot >/dev/null; then
    dot -Tsvg g.dot >g.svg 2>err && grep -qF 'dense1 + gelu1' g.svg && ok ||
        bad "dot -Tsvg: $(cat err)"
else
    echo "note: graphviz is not installed (setup.sh --test installs it): the graph's text only"
fi
"$netc" dot missing_model.net >/dev/null 2>&1; [ $? -eq 1 ] && ok || bad "dot of a missing file: not exit 1"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
