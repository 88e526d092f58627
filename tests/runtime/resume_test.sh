#!/usr/bin/env bash
# resume_test.sh NETC MAKE_TINY_DATA WORKDIR: checkpoints, --resume, Ctrl-C and SIGTERM, --predict
# and the files' metadata, on trainers netc generates here for the synthetic 4x4 data set of
# make_tiny_data (1000 training images, 200 test images, two classes).
#  - Two epochs straight and one epoch + --resume + one epoch save byte-identical files, for SGD
#    with momentum, Adam with a step schedule and keep_best, and a CNN with dropout and
#    augmentation (every random stream); the same after a SIGINT in the middle of an epoch.
#  - SIGINT and SIGTERM: exit 130 and 143, a line saying what was reached, a checkpoint that
#    --eval reads and --resume goes on from.
#  - Refusals: another network's checkpoint (the first differing tensor named), another
#    optimizer's, a model file that is no checkpoint, a truncated file; a file of an edited .net
#    file whose tensors fit: a warning.
#  - --predict: a CSV on stdout only, one row per test sample, probabilities summing to 1, its
#    accuracy the one --eval prints; --input of an images file, the labels empty.
set -u
netc=$1 make_data=$2 work=$3
rm -rf "$work" && mkdir -p "$work/data" && cd "$work" || exit 1
"$make_data" data || exit 1
pass=0 fail=0
check() { # check NAME STATUS(0 = pass)
    if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
contains() { case $1 in *"$2"*) echo 0 ;; *) echo 1 ;; esac; }
same() { cmp -s "$1" "$2" && echo 0 || echo 1; }

data='data idx { images = "train-images-idx3-ubyte" labels = "train-labels-idx1-ubyte"
          test_images = "t10k-images-idx3-ubyte.gz" test_labels = "t10k-labels-idx1-ubyte.gz"'
cat >sgd.net <<NET
model sgd { input 1x4x4  flatten  dense 8 relu  dense 2 }
loss cross_entropy
optimizer momentum { lr = 0.05  momentum = 0.9 }
train { epochs = 3  batch = 50  seed = 5 }
$data }
NET
cat >adam.net <<NET
model adam { input 1x4x4  flatten  dense 8 tanh  dense 2 }
loss cross_entropy
optimizer adam { lr = 0.01 }
schedule step { every = 1  gamma = 0.5 }
train { epochs = 3  batch = 40  seed = 9  keep_best = true  monitor = valid_acc  early_stop = 5 }
$data valid = 100 }
NET
cat >drop.net <<NET
model drop { input 1x4x4  conv 4 kernel=3 padding=1 relu  flatten  dropout 0.3  dense 2 }
loss cross_entropy
optimizer sgd { lr = 0.05 }
train { epochs = 3  batch = 32  seed = 3 }
$data augment { flip = horizontal  rotate = 10  shift = 0.25 } }
NET
# sgd.net again with a comment: another source_hash, the same tensors
{ echo "# edited"; cat sgd.net; } >edited.net
sed 's/model sgd/model edited/' -i edited.net
# a different network with sgd's optimizer and name of tensors
sed 's/dense 8 relu/dense 9 relu/; s/model sgd/model wide/' sgd.net >wide.net
for m in sgd adam drop edited wide; do
    "$netc" build $m.net -o $m >/dev/null 2>build.log || { cat build.log; echo "FAIL build $m"; exit 1; }
done
run() { ./"$@" --data-dir data --threads 1 >out.txt 2>err.txt; status=$?; }

# ---- two epochs straight against one + resume + one
for m in sgd adam drop; do
    run $m --epochs 2 --save $m-straight.st
    check "$m: straight run (exit $status)" $status
    tail -1 out.txt >$m-straight.final
    run $m --epochs 1 --checkpoint $m-1.ck
    check "$m: first epoch with --checkpoint (exit $status)" $status
    run $m --epochs 2 --resume $m-1.ck --save $m-resumed.st
    check "$m: resumed (exit $status: $(cat err.txt))" $status
    check "$m: says it resumed" "$(contains "$(cat out.txt)" "resumed   from $m-1.ck: 1 epochs")"
    tail -1 out.txt >$m-resumed.final
    check "$m: 2 epochs straight = 1 + resume + 1, byte for byte" "$(same $m-straight.st $m-resumed.st)"
    check "$m: the same final line" "$(same $m-straight.final $m-resumed.final)"
    # a checkpoint is also a model file for --eval and --init-from (its netc.* tensors passed over)
    run $m --eval $m-1.ck
    check "$m: --eval of a checkpoint (exit $status: $(cat err.txt))" $status
done
# the checkpoint holds what it says, under names no state_dict has
header=$(head -c 4000 adam-1.ck | tr -d "\\0")
for name in netc.optimizer.exp_avg.1.weight netc.optimizer.exp_avg_sq.3.bias netc.keep_best.1.weight \
            netc.rng.shuffle netc.order netc.position netc.log '"format":"netc checkpoint"' \
            '"source_hash":"fnv1a64:' '"netc_version":"' '"epoch":"1"'; do
    check "adam checkpoint has $name" "$(contains "$header" "$name")"
done
header=$(head -c 4000 drop-1.ck | tr -d "\\0")
for name in netc.rng.augment netc.rng.model; do
    check "drop checkpoint has $name" "$(contains "$header" "$name")"
done
header=$(head -c 2000 sgd-straight.st | tr -d "\\0")
check "a saved model has its metadata" "$(contains "$header" '"format":"netc model","model":"sgd","source":"sgd.net","source_hash":"fnv1a64:')"

# ---- refusals
run sgd --epochs 3 --resume adam-1.ck
check "another optimizer: exit 1" $([ $status -eq 1 ] && echo 0 || echo 1)
check "another optimizer: named" "$(contains "$(cat err.txt)" "adam-1.ck: a checkpoint of a run with optimizer adam; this trainer's is momentum")"
run wide --epochs 3 --resume sgd-1.ck
check "another network: exit 1" $([ $status -eq 1 ] && echo 0 || echo 1)
check "another network: the first differing tensor named" "$(contains "$(cat err.txt)" "sgd-1.ck: tensor '1.weight' is F32 [8, 16], the model's is F32 [9, 16]")"
run sgd --epochs 3 --resume sgd-straight.st
check "a model file: exit 1" $([ $status -eq 1 ] && echo 0 || echo 1)
check "a model file: not a checkpoint" "$(contains "$(cat err.txt)" "sgd-straight.st: not a checkpoint")"
size=$(wc -c <sgd-1.ck)
head -c $((size - 100)) sgd-1.ck >trunc.ck
run sgd --epochs 3 --resume trunc.ck
check "truncated: exit 1" $([ $status -eq 1 ] && echo 0 || echo 1)
check "truncated: said" "$(contains "$(cat err.txt)" "trunc.ck: tensor 'netc.log' has data_offsets")"
run sgd --epochs 1 --resume sgd-1.ck
check "nothing left to train: exit 1" $([ $status -eq 1 ] && echo 0 || echo 1)
check "nothing left to train: said" "$(contains "$(cat err.txt)" "the checkpoint has 1 epochs done; this run has 1 in all")"
run sgd --checkpoint same.st --save same.st
check "--checkpoint and --save the same file: refused" "$(contains "$(cat err.txt)" "--checkpoint and --save: both name same.st")"
run edited --eval sgd-straight.st
check "edited .net, --eval: works (exit $status)" $status
check "edited .net, --eval: a warning" "$(contains "$(cat err.txt)" "warning: sgd-straight.st: written by a trainer of another version of edited.net")"
run edited --epochs 2 --resume sgd-1.ck --save edited-resumed.st
check "edited .net, --resume: goes on (exit $status)" $status
check "edited .net, --resume: a warning" "$(contains "$(cat err.txt)" "warning: sgd-1.ck: written by a trainer of another version")"

# ---- signals: a run long enough to be training when the signal comes, and most of the time in
# the middle of an epoch (batch 1: 1000 steps of a wide network an epoch, evaluation cheap)
sed 's/dense 8 relu/dense 512 relu  dense 512 relu/; s/model sgd/model big/; s/lr = 0.05/lr = 0.001/' sgd.net >big.net
"$netc" build big.net -o big >/dev/null 2>build.log || { cat build.log; echo "FAIL build big"; exit 1; }
for sig in INT TERM; do
    ./big --data-dir data --threads 1 --epochs 1000 --batch 1 --checkpoint sig.ck >sig.out 2>sig.err &
    pid=$!
    sleep 1
    kill -$sig $pid
    wait $pid
    status=$?
    want=$([ $sig = INT ] && echo 130 || echo 143)
    check "SIG$sig: exit $want (got $status)" $([ $status -eq $want ] && echo 0 || echo 1)
    line=$(grep '^interrupted' sig.out)
    check "SIG$sig: says what was reached ($line)" "$(contains "$line" "interrupted by SIG$sig: ")"
    check "SIG$sig: names the checkpoint" "$(contains "$line" "; checkpoint sig.ck (go on with --resume sig.ck)")"
    run big --eval sig.ck
    check "SIG$sig: the checkpoint is a valid file (exit $status: $(cat err.txt))" $status
    # where it stopped, in the middle of an epoch: going on from there to the end of that epoch
    # gives what a run of that many epochs straight gives
    epoch=$(echo "$line" | sed -n 's/.* samples of epoch \([0-9]*\) done.*/\1/p')
    case $line in *" and 0 of 1000 samples"*) echo "note: SIG$sig came between two epochs" ;; esac
    run big --epochs "$epoch" --batch 1 --resume sig.ck --save sig-resumed.st
    check "SIG$sig: resumed (exit $status: $(cat err.txt))" $status
    run big --epochs "$epoch" --batch 1 --save sig-straight.st
    check "SIG$sig: resumed mid-epoch = straight, byte for byte (epoch $epoch)" "$(same sig-resumed.st sig-straight.st)"
done

# ---- --predict
./sgd --data-dir data --threads 1 --predict sgd-straight.st >pred.csv 2>pred.err
status=$?
check "--predict: exit 0 (got $status: $(cat pred.err))" $status
check "--predict: the header" "$([ "$(head -1 pred.csv)" = "index,label,predicted,p0,p1" ] && echo 0 || echo 1)"
check "--predict: a row per test sample" "$([ "$(wc -l <pred.csv)" -eq 201 ] && echo 0 || echo 1)"
check "--predict: probabilities sum to 1, predicted is their argmax" "$(awk -F, 'NR > 1 {
    if ($4 + $5 < 0.999999 || $4 + $5 > 1.000001 || $3 != ($5 > $4 ? 1 : 0)) bad = 1 }
    END { exit bad }' pred.csv; echo $?)"
acc=$(awk -F, 'NR > 1 { n++; ok += $2 == $3 } END { printf "%.2f%%", 100 * ok / n }' pred.csv)
run sgd --eval sgd-straight.st
check "--predict: its accuracy is --eval's ($acc)" "$(contains "$(cat out.txt)" "accuracy $acc")"
./sgd --data-dir data --threads 1 --predict sgd-straight.st --input data/t10k-images-idx3-ubyte.gz >input.csv 2>&1
check "--predict --input: exit 0" $?
check "--predict --input: the labels empty, the predictions the same" "$(cut -d, -f1,3- pred.csv | cmp -s - <(cut -d, -f1,3- input.csv) && awk -F, 'NR > 1 && $2 != "" { exit 1 }' input.csv && echo 0 || echo 1)"

# the probabilities are the model's, whatever its last layer: -mean(log p[label]) is the loss
# --eval prints, for logits (cross_entropy: softmax taken), softmax and log_softmax (nll) alike
# (for log_softmax, exp and softmax of the outputs are the same numbers: only softmax tells)
sed 's/dense 2 }/dense 2  softmax }/; s/model sgd/model sm/; s/loss cross_entropy/loss nll/' sgd.net >sm.net
sed 's/dense 2 }/dense 2  log_softmax }/; s/model sgd/model lsm/; s/loss cross_entropy/loss nll/' sgd.net >lsm.net
for m in sm lsm; do
    "$netc" build $m.net -o $m >/dev/null 2>build.log || { cat build.log; echo "FAIL build $m"; exit 1; }
    run $m --epochs 1 --save $m.st
done
for m in sgd sm lsm; do
    [ -f $m.st ] && file=$m.st || file=$m-straight.st
    run $m --eval $file
    loss=$(sed -n 's/^test: loss \([0-9.]*\) .*/\1/p' out.txt)
    ./$m --data-dir data --threads 1 --predict $file >p.csv 2>/dev/null
    check "$m: -mean(log p[label]) of --predict is --eval's loss $loss" "$(awk -F, -v want="$loss" 'NR > 1 {
        s -= log($($2 + 4)); n++ } END { d = s / n - want; exit !(d < 0.00006 && d > -0.00006) }' p.csv; echo $?)"
done

# regression: index,target,predicted; its MSE the one --eval prints; --input of a CSV file laid
# out as the data (targets known)
awk 'BEGIN { srand(7); print "x1,x2,y"
             for (i = 0; i < 200; i++) { a = rand() * 2 - 1; b = rand() * 2 - 1
                                         printf "%.5f,%.5f,%.5f\n", a, b, 3 * a - 2 * b + 0.5 } }' >data/lin.csv
cat >lin.net <<'NET'
model lin { input 2  dense 8 tanh  dense 1 }
loss mse
optimizer adam { lr = 0.01 }
train { epochs = 20  batch = 20 }
data csv { file = "lin.csv"  header = true  target = last  split = 0.8/0.1/0.1  normalize = true }
NET
"$netc" build lin.net -o lin >/dev/null 2>build.log || { cat build.log; echo "FAIL build lin"; exit 1; }
run lin --save lin.st
run lin --eval lin.st
mse=$(sed -n 's/^test: loss [0-9.e+-]*  mse \([0-9.e+-]*\)  mae .*/\1/p' out.txt)
./lin --data-dir data --threads 1 --predict lin.st >p.csv 2>/dev/null
check "regression --predict: the header" "$([ "$(head -1 p.csv)" = "index,target,predicted" ] && echo 0 || echo 1)"
check "regression --predict: a row per test sample" "$([ "$(wc -l <p.csv)" -eq 21 ] && echo 0 || echo 1)"
check "regression --predict: its mse is --eval's $mse" "$(awk -F, -v want="$mse" 'NR > 1 {
    s += ($3 - $2) ^ 2; n++ } END { exit sprintf("%.3g", s / n) != want }' p.csv; echo $?)"
./lin --data-dir data --threads 1 --predict lin.st --input data/lin.csv >p.csv 2>/dev/null
check "regression --predict --input: every row, its target" "$([ "$(wc -l <p.csv)" -eq 201 ] && awk -F, 'NR > 1 && $2 == "" { exit 1 }' p.csv && echo 0 || echo 1)"

# a second signal while the first is being handled ends the run at once: both delivered together
# (stopped, then continued), no checkpoint and no line of what was reached
./big --data-dir data --threads 1 --epochs 1000 --batch 1 --checkpoint second.ck >sig.out 2>sig.err &
pid=$!
sleep 1
kill -STOP $pid && kill -INT $pid && kill -TERM $pid && kill -CONT $pid
wait $pid
status=$?
check "a second signal: exit 130 or 143 at once (got $status)" $([ $status -eq 130 ] || [ $status -eq 143 ] && echo 0 || echo 1)
check "a second signal: no line of what was reached" "$(grep -q '^interrupted' sig.out && echo 1 || echo 0)"

echo "resume_test.sh: $pass passed, $fail failed"
[ $fail -eq 0 ]
