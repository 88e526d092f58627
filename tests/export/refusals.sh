#!/usr/bin/env bash
# refusals.sh NETC REF_CONV REF_DENSE GRADCHECK_DIR MODELS_DIR WORK: what netc export refuses, each
# with its message and exit status 1, writing nothing: the weights of another network (the first
# differing tensor named), a missing or truncated weights file, no --weights, an output over the
# model or the weights or on a directory or a device, an output not NAME.c or NAME not a C
# identifier, a measured normalization without --mean/--std, --mean for a model that does not
# normalize, a bad self-test file (its line named).
set -u
netc=$1 ref_conv=$2 ref_dense=$3 gc=$4 models=$5 work=$6
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
pass=0 fail=0
# refuse NAME EXPECTED-MESSAGE NETC-ARGS…: exit status 1, the message on stderr, no NAME.c written
refuse() {
  local name=$1 want=$2
  shift 2
  rm -f out.c out.h
  "$netc" "$@" >out.log 2>&1
  local status=$?
  if [ $status -eq 1 ] && grep -qF -- "$want" out.log && [ ! -e out.c ] && [ ! -e bn_conv.c ]; then
    echo "ok $name"
    pass=$((pass + 1))
  else
    echo "FAIL $name (exit $status; wanted '$want'):"
    cat out.log
    fail=$((fail + 1))
  fi
}
"$ref_conv" random conv.safetensors conv.bin conv.csv 4 >/dev/null &&
  "$ref_dense" random dense.safetensors dense.bin dense.csv 4 >/dev/null || { echo "FAIL weights"; exit 1; }
net=$gc/bn_conv.net

refuse "another network's weights" \
  "dense.safetensors: no tensor '0.weight' (the first, of the model's 24); is it this network's file?" \
  export "$net" --weights dense.safetensors -o out.c
refuse "a missing weights file" "netc: nothing.safetensors: No such file or directory" \
  export "$net" --weights nothing.safetensors -o out.c
head -c 100 conv.safetensors >truncated.safetensors
refuse "a truncated weights file" "truncated.safetensors: not a safetensors file" \
  export "$net" --weights truncated.safetensors -o out.c
refuse "no --weights" "export needs the trained weights: --weights FILE" export "$net" -o out.c
refuse "--weights to gen" "--weights is an option of netc export" \
  gen "$net" --weights conv.safetensors -o out.c
cp "$net" model.c
refuse "-o over the model" "model.c is the model file itself" \
  export model.c --weights conv.safetensors -o model.c
cp conv.safetensors weights.c
refuse "-o over the weights" "weights.c is the weights file itself" \
  export "$net" --weights weights.c -o weights.c
mkdir dir.c
refuse "-o a directory" "dir.c exists and is not a regular file" \
  export "$net" --weights conv.safetensors -o dir.c
mkdir header.h
refuse "a directory where the header goes" "header.h exists and is not a regular file" \
  export "$net" --weights conv.safetensors -o header.c
if [ "$(id -u)" -eq 0 ]; then # a stand-in for /dev/null, never the real one
  mknod null.c c 1 3
  refuse "-o a device" "null.c exists and is not a regular file" \
    export "$net" --weights conv.safetensors -o null.c
fi
refuse "-o not NAME.c" "-o takes a file name ending in .c, got 'out.txt'" \
  export "$net" --weights conv.safetensors -o out.txt
refuse "NAME not a C identifier" "'2net' names the functions (2net_predict), so it must be a C identifier" \
  export "$net" --weights conv.safetensors -o 2net.c
refuse "a measured normalization without --mean/--std" \
  "fmnist_mlp normalizes its pixels by the mean and std the trainer measured" \
  export "$models/fmnist_mlp.net" --weights conv.safetensors -o out.c
refuse "--mean for a model that does not normalize" \
  "bn_conv does not normalize its input (normalize = false): --mean and --std do not apply" \
  export "$net" --weights conv.safetensors --mean 0.5 --std 0.2 -o out.c
refuse "--mean not numbers" "--mean takes numbers separated by commas, got '0.5,x'" \
  export "$net" --weights conv.safetensors --mean 0.5,x --std 0.2 -o out.c
head -3 conv.csv >cases.csv
echo "1,2,3" >>cases.csv
refuse "a self-test case of the wrong width" "cases.csv:4: a self-test case is 33 numbers" \
  export "$net" --weights conv.safetensors --self-test cases.csv -o out.c
# and the same command with the right files succeeds, NAME.c and NAME.h both
"$netc" export "$net" --weights conv.safetensors --self-test conv.csv >ok.log 2>&1 &&
  [ -s bn_conv.c ] && grep -q 'void bn_conv_predict(const float \*x, float \*y);' bn_conv.h
if [ $? -eq 0 ]; then echo "ok the right files export (bn_conv.c, bn_conv.h)"; pass=$((pass + 1));
else echo "FAIL the right files export"; cat ok.log; fail=$((fail + 1)); fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
