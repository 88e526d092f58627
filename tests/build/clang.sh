#!/usr/bin/env bash
# clang.sh SOURCE_DIR BUILD_DIR: netc and its runtime built by clang with -Wall -Wextra -Werror,
# the AVX-512 and AVX2 kernels still AVX-512 and AVX2 in clang's object code, and two generated trainers (a dense
# and a convolutional model) compiled by clang with -Werror and trained a few steps on
# Fashion-MNIST. Exit 77: no clang.
set -u
if [ $# -ne 2 ]; then
    echo "usage: $0 SOURCE_DIR BUILD_DIR" >&2
    exit 2
fi
src=$1 build=$2
command -v clang >/dev/null || { echo "build_clang: SKIPPED: no clang (setup.sh installs it)"; exit 77; }
mkdir -p "$build"
fail=0
if ! cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS=-Werror >"$build/configure.log" 2>&1 ||
   ! cmake --build "$build" --target netc netrt -j2 >"$build/build.log" 2>&1; then
    echo "FAIL: netc and the runtime do not build with clang -Werror:"
    tail -n 40 "$build/configure.log" "$build/build.log"
    exit 1
fi
echo "ok: netc and libnetrt.a built by clang -Wall -Wextra -Werror"

# The kernels' functions carry target("avx512f") and target("avx2,fma"): their multiply-adds
# must be on zmm and ymm registers.
gemm_o=$(find "$build/runtime" -name 'gemm.c.o' | head -n 1)
for reg in zmm:AVX-512 ymm:AVX2; do
    n=$(objdump -d --no-show-raw-insn "$gemm_o" | grep -c -E "vfmadd[0-9a-z]*ps +.*${reg%%:*}")
    if [ "$n" -gt 0 ]; then
        echo "ok: clang's gemm.c.o has $n ${reg#*:} multiply-adds (${reg%%:*})"
    else
        echo "FAIL: clang's gemm.c.o has no ${reg#*:} multiply-add"
        fail=1
    fi
done

for model in models/fmnist_mlp.net examples/fmnist_cnn.net; do
    name=$(basename "$model" .net)
    exe=$build/$name
    if ! CC=clang CFLAGS="-O2 -march=native -fno-math-errno -Wall -Wextra -Werror" \
            "$build/compiler/netc" build "$src/$model" -o "$exe" >"$build/$name.build.log" 2>&1; then
        echo "FAIL $name: netc build with CC=clang"
        cat "$build/$name.build.log"
        fail=1
        continue
    fi
    "$exe" --epochs 1 --max-steps 20 --quiet >"$build/$name.log" 2>&1
    status=$?
    line=$(grep -E '^test: loss [0-9.]+  accuracy [0-9.]+%$' "$build/$name.log")
    if [ "$status" -ne 0 ] || [ -z "$line" ]; then
        echo "FAIL $name: the clang-built trainer exited with $status"
        tail -n 5 "$build/$name.log"
        fail=1
    else
        echo "ok $name: built by clang, 20 steps: $line"
    fi
done
exit "$fail"
