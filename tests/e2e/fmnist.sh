#!/usr/bin/env bash
# fmnist.sh NETC ROOT WORKDIR: models/fmnist_mlp.net on the real Fashion-MNIST reaches at least
# 83% test accuracy within 2 epochs; the same trainer rejects a truncated and a wrong-magic IDX
# file with its message and exit status 1.
set -u
netc=$1 root=$2 work=$3
mkdir -p "$work"
pass=0 fail=0
check() { # check NAME CONDITION-STATUS
  if [ "$2" -eq 0 ]; then echo "ok $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
exe="$work/fmnist_mlp"
"$netc" build "$root/models/fmnist_mlp.net" -o "$exe" >/dev/null || { echo "FAIL build"; exit 1; }

rm -f "$work/weights.png"
"$exe" --epochs 2 --weights-png "$work/weights.png" >"$work/fmnist.log" 2>&1
status=$?
cat "$work/fmnist.log"
acc=$(sed -n 's/^test: loss [0-9.]*  accuracy \([0-9.]*\)%$/\1/p' "$work/fmnist.log")
check "trains (exit $status)" $status
check "2 epochs reach >= 83% (got ${acc:-nothing})" "$(awk -v a="${acc:-0}" 'BEGIN { print (a >= 83) ? 0 : 1 }')"
# the first layer, 256 units of 784 = 28x28 inputs: the first 100 as a 10x10 grid of 56-pixel
# tiles (28 scaled 2x) with 2-pixel separators: 10*56 + 11*2 = 582 pixels square
size=$(od -An -tu1 -j16 -N8 "$work/weights.png" 2>/dev/null | awk '{ print $3*256+$4 "x" $7*256+$8 }')
check "--weights-png: a 582x582 PNG (got ${size:-none})" $([ "$(head -c 8 "$work/weights.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] && [ "$size" = 582x582 ] && echo 0 || echo 1)

# corrupt copies of the data set: one truncated, one with a wrong magic number
src=/usr/share/datasets/fashion-mnist
for case in truncated magic; do
  d="$work/$case"
  mkdir -p "$d"
  cp "$src"/*.gz "$d/"
done
gzip -dc "$src/train-images-idx3-ubyte.gz" | head -c 1000000 >"$work/truncated/train-images-idx3-ubyte"
rm "$work/truncated/train-images-idx3-ubyte.gz"
gzip -dc "$src/train-labels-idx1-ubyte.gz" | { printf '\x00\x00\x08\x02'; tail -c +5; } >"$work/magic/train-labels-idx1-ubyte"
rm "$work/magic/train-labels-idx1-ubyte.gz"

"$exe" --data-dir "$work/truncated" >"$work/truncated.log" 2>&1
status=$?
cat "$work/truncated.log"
check "truncated file: exit 1 (got $status)" $([ $status -eq 1 ] && echo 0 || echo 1)
check "truncated file: message names it" $(grep -q 'train-images-idx3-ubyte: truncated' "$work/truncated.log" && echo 0 || echo 1)

"$exe" --data-dir "$work/magic" >"$work/magic.log" 2>&1
status=$?
cat "$work/magic.log"
check "wrong magic: exit 1 (got $status)" $([ $status -eq 1 ] && echo 0 || echo 1)
check "wrong magic: message names it" $(grep -q 'train-labels-idx1-ubyte: .*magic' "$work/magic.log" && echo 0 || echo 1)

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
