#!/usr/bin/env bash
# deploy.sh NETC REF CC ROOT WORK: examples/deploy/classify.c, built as its README says against a
# LeNet (examples/lenet_bn.net, trained by REF, the real trainer) exported with -o lenet.c,
# classifies the MNIST test images and reaches exactly the trainer's own test accuracy.
set -u
netc=$1 ref=$2 cc=$3 root=$4 work=$5
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
pass=0 fail=0
check() { # check NAME STATUS
  if [ "$2" -eq 0 ]; then echo "ok $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
# MNIST where the trainer finds it (runtime/data.c): $NETC_DATA_DIR/mnist, then the standard places
data=
for d in ${NETC_DATA_DIR:+"$NETC_DATA_DIR/mnist"} "${XDG_DATA_HOME:-$HOME/.local/share}/netc/mnist" \
         /usr/local/share/netc/mnist; do
  for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    if [ -f "$d/$f" ]; then cp "$d/$f" .; elif [ -f "$d/$f.gz" ]; then gzip -dc "$d/$f.gz" >"$f"; fi
  done
  [ -s t10k-images-idx3-ubyte ] && [ -s t10k-labels-idx1-ubyte ] && { data=$d; break; }
done
[ -n "$data" ] || { echo "FAIL no MNIST test set found"; exit 1; }

"$ref" train --max-steps 300 --save lenet.safetensors >train.log 2>&1
check "the trainer trains and saves" $?
want=$(sed -n 's/^test: loss [0-9.]*  accuracy \([0-9.]*%\)$/\1/p' train.log)
"$netc" export "$root/examples/lenet_bn.net" --weights lenet.safetensors -o lenet.c
check "netc export -o lenet.c" $?
$cc -std=c99 -pedantic -Wall -Wextra -Werror -O2 "$root/examples/deploy/classify.c" lenet.c -I. -lm \
  -o classify
check "classify.c builds with the export and -lm only" $?
./classify t10k-images-idx3-ubyte t10k-labels-idx1-ubyte >classify.log
check "classify runs" $?
cat classify.log
got=$(sed -n 's/^accuracy \([0-9.]*%\) .*/\1/p' classify.log)
check "its accuracy is the trainer's (${got:-none} and ${want:-none})" $([ -n "$want" ] && [ "$got" = "$want" ] && echo 0 || echo 1)
./classify lenet.c >/dev/null 2>&1
[ $? -eq 2 ]
check "a file that is not IDX images is refused (exit 2)" $?
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
