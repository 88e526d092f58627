#!/bin/sh
# buffers_test.sh: a model's buffers (batchnorm's running statistics: state that is not trained)
# through the driver, with tiny_buffers (tiny_model.c built with -DTINY_BUFFERS: 1.running_mean
# and 1.running_var [2] f32, 1.num_batches_tracked an int64 scalar, moved by a fixed rule each
# training step, so that after k steps the count is k, the means 0.25·k and 0.5·k, each variance
# 1 + 0.5·k) and tiny_buffers_best (the same with keep_best on the valid accuracy): the start-up
# line counts them apart from the parameters; --save writes them after the parameters with their
# names, dtypes, shapes and values; --eval and --init-from read them back; a file without them,
# or with one of another dtype or shape, is refused naming it; keep_best restores the best
# epoch's buffers with its parameters. tiny_buffers_f64 is tiny_buffers in double precision: its
# running statistics are F64, its count I64 all the same.
# Usage: buffers_test.sh TINY_BUFFERS TINY_BUFFERS_BEST TINY_BUFFERS_F64 TINY_MODEL MAKE_TINY_DATA
#                        WORK_DIR
tiny=$1 best_trainer=$2 f64=$3 plain=$4 make_data=$5 work=$6
failures=0

fail() {
    echo "buffers_test.sh: FAIL: $*" >&2
    failures=$((failures + 1))
}

# train TRAINER ARGS...: runs TRAINER on the synthetic data; stdout, stderr and the exit status
# in out, err and status.
train() {
    trainer=$1
    shift
    "$trainer" --data-dir "$work/data" "$@" >"$work/out" 2>"$work/err"
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

# tensor FILE NAME: "DTYPE [SHAPE] VALUE..." of the tensor NAME in the safetensors FILE, read
# from its header and its bytes (little-endian), or nothing when the file has no such tensor.
tensor() {
    len=$(od -An --endian=little -t u8 -N 8 "$1" | tr -d ' ')
    entry=$(head -c $((8 + len)) "$1" | tail -c "$len" | sed -n "s/.*[{,]\"$2\":{\"dtype\":\"\([A-Z0-9]*\)\",\"shape\":\(\[[0-9,]*\]\),\"data_offsets\":\[\([0-9]*\),\([0-9]*\)\]}.*/\1 \2 \3 \4/p")
    [ -n "$entry" ] || return 0
    set -- "$1" $entry
    case $2 in F32) type=f4 ;; F64) type=f8 ;; I64) type=d8 ;; *) type=x1 ;; esac
    echo "$2 $3" $(od -An --endian=little -t $type -j $((8 + len + $4)) -N $(($5 - $4)) "$1")
}

# expect_tensor FILE NAME "DTYPE [SHAPE] VALUE..." WHAT: the values compared as numbers
expect_tensor() {
    got=$(tensor "$1" "$2")
    echo "$got" | awk -v want="$3" '{ n = split(want, w, " ");
        if (NF != n || $1 != w[1] || $2 != w[2]) exit 1;
        for (i = 3; i <= n; i++) if ($i + 0 != w[i] + 0) exit 1 }' ||
        fail "$4: tensor $2 is '$got', expected '$3'"
}

# a safetensors file at PATH of the tensors in JSON (a header without padding) and BYTES zeros
write_file() {
    { printf "\\$(printf %03o $((${#2} % 256)))\\$(printf %03o $((${#2} / 256)))"
      head -c 6 /dev/zero; printf '%s' "$2"; head -c "$3" /dev/zero; } >"$1"
}

rm -rf "$work" && mkdir -p "$work/data" || exit 1
"$make_data" "$work/data" || exit 1

# The start-up block counts the buffers apart from the parameters; a model without any says
# nothing of them.
train "$tiny" --epochs 1
expect_status 0 "start-up"
expect_in "$out" "params    34 in 2 tensors, f32; 3 buffers (5 values, not trained); 192 flops per sample" \
    "start-up"
train "$plain" --epochs 1
expect_in "$out" "params    34 in 2 tensors, f32; 192 flops per sample" "start-up without buffers"

# --save: 3 epochs of 29 steps, k = 87; the buffers after the parameters, as torch names them.
train "$tiny" --epochs 3 --quiet --save "$work/m.safetensors"
expect_status 0 "--save"
saved_line=$out
expect_tensor "$work/m.safetensors" 1.running_mean "F32 [2] 21.75 43.5" "--save"
expect_tensor "$work/m.safetensors" 1.running_var "F32 [2] 44.5 44.5" "--save"
expect_tensor "$work/m.safetensors" 1.num_batches_tracked "I64 [] 87" "--save"
[ "$(tensor "$work/m.safetensors" 0.bias | cut -d' ' -f1-2)" = "F32 [2]" ] ||
    fail "--save: no parameter 0.bias beside the buffers"
grep -q '"0.bias":.*"1.running_mean":' "$work/m.safetensors" ||
    fail "--save: the buffers should come after the parameters"

# --eval: evaluation reads every buffer (tiny_model.c), so the saved file's line comes back only
# if they are all read; the initial values would give another loss.
train "$tiny" --eval "$work/m.safetensors"
expect_status 0 "--eval"
[ "$out" = "$saved_line" ] || fail "--eval: '$out', the run that saved the file: '$saved_line'"
# --init-from: training goes on from the file's buffers: 87 + 29 steps.
train "$tiny" --init-from "$work/m.safetensors" --epochs 1 --quiet --save "$work/m2.safetensors"
expect_status 0 "--init-from"
expect_tensor "$work/m2.safetensors" 1.running_mean "F32 [2] 29 58" "--init-from"
expect_tensor "$work/m2.safetensors" 1.running_var "F32 [2] 59 59" "--init-from"
expect_tensor "$work/m2.safetensors" 1.num_batches_tracked "I64 [] 116" "--init-from"

# The same in double precision: F64 running statistics, an I64 count; read back by --eval and
# --init-from, and refused by the f32 trainer.
train "$f64" --epochs 3 --quiet --save "$work/f64.safetensors"
expect_status 0 "--save, f64"
saved_line=$out
[ "$(tensor "$work/f64.safetensors" 0.bias | cut -d' ' -f1-2)" = "F64 [2]" ] ||
    fail "--save, f64: 0.bias is not F64 [2]"
expect_tensor "$work/f64.safetensors" 1.running_mean "F64 [2] 21.75 43.5" "--save, f64"
expect_tensor "$work/f64.safetensors" 1.running_var "F64 [2] 44.5 44.5" "--save, f64"
expect_tensor "$work/f64.safetensors" 1.num_batches_tracked "I64 [] 87" "--save, f64"
train "$f64" --eval "$work/f64.safetensors"
expect_status 0 "--eval, f64"
[ "$out" = "$saved_line" ] || fail "--eval, f64: '$out', the run that saved the file: '$saved_line'"
train "$f64" --init-from "$work/f64.safetensors" --epochs 1 --quiet --save "$work/f64_2.safetensors"
expect_status 0 "--init-from, f64"
expect_tensor "$work/f64_2.safetensors" 1.running_var "F64 [2] 59 59" "--init-from, f64"
expect_tensor "$work/f64_2.safetensors" 1.num_batches_tracked "I64 [] 116" "--init-from, f64"
train "$tiny" --eval "$work/f64.safetensors"
expect_status 1 "an f64 file for an f32 model"
expect_in "$err" "tensor '0.weight' is F64 [2, 16], the model's is F32 [2, 16]" \
    "an f64 file for an f32 model"

# A file without the buffers (saved by a model without them), or without one, or with one of
# another dtype or shape: refused, naming the first one that differs.
train "$plain" --epochs 1 --quiet --save "$work/plain.safetensors"
for option in --init-from --eval; do
    train "$tiny" $option "$work/plain.safetensors"
    expect_status 1 "$option of a file without buffers"
    expect_in "$err" "netrt: $work/plain.safetensors: no tensor '1.running_mean' (a later one, of the model's 5)" \
        "$option of a file without buffers"
done
train "$plain" --eval "$work/m.safetensors"
expect_status 1 "a file with buffers for a model without"
W='"0.weight":{"dtype":"F32","shape":[2,16],"data_offsets":[0,128]}'
b='"0.bias":{"dtype":"F32","shape":[2],"data_offsets":[128,136]}'
m='"1.running_mean":{"dtype":"F32","shape":[2],"data_offsets":[136,144]}'
v='"1.running_var":{"dtype":"F32","shape":[2],"data_offsets":[144,152]}'
write_file "$work/no_count.safetensors" "{$W,$b,$m,$v}" 152
train "$tiny" --init-from "$work/no_count.safetensors"
expect_status 1 "a file without the count"
expect_in "$err" "netrt: $work/no_count.safetensors: no tensor '1.num_batches_tracked'" \
    "a file without the count"
write_file "$work/f32_count.safetensors" \
    "{$W,$b,$m,$v,\"1.num_batches_tracked\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[152,156]}}" 156
train "$tiny" --eval "$work/f32_count.safetensors"
expect_status 1 "a count in F32"
expect_in "$err" "tensor '1.num_batches_tracked' is F32 [], the model's is I64 []" "a count in F32"
write_file "$work/long_var.safetensors" \
    "{$W,$b,$m,\"1.running_var\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[144,156]},\"1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[156,164]}}" 164
train "$tiny" --eval "$work/long_var.safetensors"
expect_status 1 "a variance of 3"
expect_in "$err" "tensor '1.running_var' is F32 [3], the model's is F32 [2]" "a variance of 3"
# the same file with the right shapes is read: the refusals above are for what they name
write_file "$work/zeros.safetensors" \
    "{$W,$b,$m,$v,\"1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[152,160]}}" 160
train "$tiny" --init-from "$work/zeros.safetensors" --epochs 1 --quiet
expect_status 0 "a file of zeros"

# keep_best: the best epoch's buffers come back with its parameters: the saved count is the best
# epoch's steps, not the last epoch's, and the final test loss, evaluated with the restored
# buffers, is the one the best epoch logged.
train "$best_trainer" --patience 2 --epochs 30 --lr 2 --csv "$work/best.csv" \
    --save "$work/best.safetensors"
expect_status 0 "keep_best"
best=$(echo "$out" | sed -n 's/^restored the parameters of epoch \([0-9]*\) .*/\1/p')
epochs=$(echo "$out" | grep -c '^epoch ')
if [ -z "$best" ]; then
    fail "keep_best: nothing restored: $out"
elif [ "$best" -eq "$epochs" ]; then
    fail "keep_best: the best epoch is the last one ($best): no test"
else
    k=$((best * 29))
    expect_tensor "$work/best.safetensors" 1.num_batches_tracked "I64 [] $k" "keep_best"
    expect_tensor "$work/best.safetensors" 1.running_var "F32 [2] $((k / 2 + 1)).$((k % 2 * 5)) $((k / 2 + 1)).$((k % 2 * 5))" \
        "keep_best"
    final=$(echo "$out" | tail -n 1 | sed -n 's/^test: loss \([0-9.]*\)  accuracy [0-9.]*%$/\1/p')
    at_best=$(awk -F, -v r=$((best + 1)) 'NR == r { printf "%.4f", $7 }' "$work/best.csv")
    [ "$final" = "$at_best" ] ||
        fail "keep_best: final test loss $final, but epoch $best logged $at_best"
fi

[ "$failures" -eq 0 ] || echo "buffers_test.sh: $failures checks failed" >&2
exit "$failures"
