#!/usr/bin/env bash
# aarch64.sh [options] [BUILD_DIR]: netc's portable path shown on 64-bit ARM (aarch64) under
# emulation, from a clean Debian machine, as root or through sudo (docs/testing.md):
#   1. installs what is missing: Debian's cross compiler (gcc-aarch64-linux-gnu), qemu-user
#      (qemu-aarch64), and, with arm64 added as a foreign architecture, the arm64 builds of what
#      the runtime links: libopenblas-dev:arm64 zlib1g-dev:arm64 libpng-dev:arm64;
#   2. builds netc for this machine (setup.sh), unless --netc names one: netc is a code
#      generator, and the C it writes is the same for every CPU;
#   3. cross-builds netc, the runtime and the runtime's unit tests for aarch64 with -Werror
#      (cmake/aarch64-linux-gnu.cmake) into BUILD_DIR (default build-aarch64/) and runs the unit
#      tests (ctest -L unit) under qemu-aarch64, the toolchain file's CMAKE_CROSSCOMPILING_EMULATOR;
#   4. every model of models/ and examples/: the aarch64 netc, under qemu, must write the same C
#      as this machine's, and that C must compile for aarch64 with -Werror;
#   5. trains a model (default examples/cmake-project/fit_sine.net, y = sin(3x): `data function`,
#      no files to fetch) under qemu, then the same model built for this machine, on the same
#      path (--gemm openblas), and prints both results and times; fails unless the aarch64 run
#      ends with a test mse below --max-mse (default 0.01; the data's variance is about 0.5).
# Options:
#   --install-only   step 1 alone (setup.sh --test runs it, so that the suite's test can run)
#   --no-install     do not install: exit 77 (skipped, for ctest) when something is missing
#   --netc NETC      this machine's netc (default: setup.sh, then build/compiler/netc)
#   --model FILE     the model of step 5;  --steps N  train N steps (default: the file's own)
#   --max-mse X      the bound of step 5
# Each step prints its time. Safe to run again: it installs only what is missing and rebuilds
# only what changed.
set -euo pipefail
src=$(realpath "$(dirname "$0")/../..")

netc="" model=$src/examples/cmake-project/fit_sine.net steps="" max_mse=0.01
build=$src/build-aarch64 install=1 install_only=0
while [ $# -gt 0 ]; do
    case $1 in
        --install-only) install_only=1; shift ;;
        --no-install) install=0; shift ;;
        --netc) netc=$(realpath "$2"); shift 2 ;;
        --model) model=$(realpath "$2"); shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        --max-mse) max_mse=$2; shift 2 ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        -*) echo "aarch64.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) build=$(realpath -m "$1"); shift ;;
    esac
done

# now_ms: the wall clock in milliseconds (bash's EPOCHREALTIME: no process started)
now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    echo $((t / 1000))
}
# seconds MS: MS milliseconds as seconds, two decimals
seconds() {
    printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10))
}
start=$(now_ms)
step_start=$start
# took WHAT: the time since the last step, and since the start
took() {
    local now
    now=$(now_ms)
    echo "aarch64.sh: $1: $(seconds $((now - step_start))) s (total $(seconds $((now - start))) s)"
    step_start=$now
}

# ---- 1. the cross compiler, qemu-user and the arm64 libraries ------------------------------
installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
packages=(gcc-aarch64-linux-gnu qemu-user libopenblas-dev:arm64 zlib1g-dev:arm64
          libpng-dev:arm64)
missing=()
for p in "${packages[@]}"; do
    installed "$p" || missing+=("$p")
done
if [ "$(uname -m)" = aarch64 ]; then
    # the suite itself, built natively, is the test on an ARM machine
    echo "aarch64.sh: SKIPPED: this machine is aarch64 already"
    exit 77
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$install" -eq 0 ]; then
        echo "aarch64.sh: SKIPPED: ${missing[*]} not installed (setup.sh --test, or" \
             "tests/cross/aarch64.sh --install-only, installs them)"
        exit 77
    fi
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    added=0
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        echo "aarch64.sh: dpkg --add-architecture arm64"
        $sudo dpkg --add-architecture arm64
        added=1
    fi
    echo "aarch64.sh: installing ${missing[*]}"
    # apt waits for a lock another apt holds instead of failing
    if ! $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq ||
       ! DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y \
            -qq "${missing[@]}" >/dev/null; then
        # a mirror without arm64 would otherwise break every later apt-get update
        [ "$added" -eq 0 ] || $sudo dpkg --remove-architecture arm64 2>/dev/null || true
        echo "aarch64.sh: FAIL: cannot install ${missing[*]}" >&2
        exit 1
    fi
fi
[ "$install_only" -eq 0 ] || [ ${#missing[@]} -gt 0 ] || exit 0
took "installs"
[ "$install_only" -eq 0 ] || exit 0

# ---- 2. netc for this machine --------------------------------------------------------------
if [ -z "$netc" ]; then
    "$src/setup.sh"
    netc=$src/build/compiler/netc
    took "netc for $(uname -m) (setup.sh)"
fi

# ---- 3. netc, the runtime and its unit tests for aarch64; the tests under qemu ---------------
mkdir -p "$build"
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-Werror \
          -DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-linux-gnu.cmake" >"$build/configure.log" ||
        { cat "$build/configure.log"; exit 1; }
fi
cmake --build "$build" -j"$(nproc)" --target netc runtime_unit_tests >"$build/build.log" 2>&1 ||
    { tail -n 40 "$build/build.log"; exit 1; }
machine=$(readelf -h "$build/compiler/netc" | sed -n 's/^ *Machine: *//p')
[ "$machine" = AArch64 ] || { echo "FAIL: the cross-built netc is for '$machine'"; exit 1; }
echo "aarch64.sh: built for $machine: netc, libnetrt.a and the unit tests"
took "cross build (netc, runtime, unit tests)"

ctest --test-dir "$build" -L unit --output-on-failure -j"$(nproc)"
took "unit tests under qemu-aarch64"

# ---- 4. the same C from netc on either machine, and it compiles for aarch64 -----------------
cblas=$(sed -n 's/^CBLAS_INCLUDE_DIR:PATH=//p' "$build/CMakeCache.txt")
cflags=(-O3 -fno-math-errno -std=c11 -Wall -Wextra -Werror -I "$src/runtime" -I "$cblas")
libs=(-lopenblas -lpng -lz -pthread -lm)
work=$build/models
rm -rf "$work" && mkdir -p "$work"
fail=0 n=0
for m in "$src"/models/*.net "$src"/examples/*.net; do
    name=$(basename "$m" .net)
    "$netc" gen "$m" -o "$work/$name.c" 2>"$work/$name.err" || continue # some need -D
    n=$((n + 1))
    if ! qemu-aarch64 "$build/compiler/netc" gen "$m" -o "$work/$name.arm.c" ||
       ! cmp -s "$work/$name.c" "$work/$name.arm.c"; then
        echo "FAIL $name: the aarch64 netc does not write the same C as $(uname -m)'s"
        fail=1
    fi
    if ! aarch64-linux-gnu-gcc "${cflags[@]}" -c "$work/$name.c" -o "$work/$name.o" \
            2>"$work/$name.err"; then
        echo "FAIL $name: the generated C does not compile for aarch64:"
        head -n 20 "$work/$name.err"
        fail=1
    fi
done
[ "$fail" -eq 0 ] || exit 1
[ "$n" -gt 0 ] || { echo "FAIL: no model generated"; exit 1; }
echo "aarch64.sh: $n models: the same C from netc on aarch64 (under qemu) and $(uname -m), compiled for aarch64 with -Werror"
took "models generated on both, compiled for aarch64"

# ---- 5. a trainer, trained under qemu, then natively ------------------------------------------
name=$(basename "$model" .net)
work=$build/train
mkdir -p "$work"
"$netc" gen "$model" -o "$work/$name.c"
aarch64-linux-gnu-gcc "${cflags[@]}" -o "$work/$name" "$work/$name.c" \
    "$build/runtime/libnetrt.a" "${libs[@]}"
"$netc" build "$model" -o "$work/$name.native" >/dev/null
args=(--seed 1)
[ -z "$steps" ] || args+=(--max-steps "$steps")
took "$name built for aarch64 and for $(uname -m)"

# bash's `time`: the wall clock and the CPU time (user + system) of a run, into $work/*.time;
# the CPU time is the steadier figure on a busy machine
TIMEFORMAT='%R s, CPU %U + %S s'
echo "aarch64.sh: $name ${args[*]}, under qemu-aarch64:"
{ time qemu-aarch64 "$work/$name" "${args[@]}" >"$work/arm.log" 2>&1; } 2>"$work/arm.time" ||
    { cat "$work/arm.log"; exit 1; }
grep -E '^(blas|products) ' "$work/arm.log"
took "$name trained under qemu-aarch64"
{ time "$work/$name.native" "${args[@]}" --gemm openblas >"$work/native.log" 2>&1; } \
    2>"$work/native.time" || { cat "$work/native.log"; exit 1; }
took "$name trained natively"

result() {
    grep -E '^test: ' "$1" || echo "no test line"
}
echo "aarch64.sh: $name, aarch64 under qemu: $(cat "$work/arm.time"): $(result "$work/arm.log")"
echo "aarch64.sh: $name, $(uname -m) natively:  $(cat "$work/native.time"): $(result "$work/native.log")"
grep -q '^products  OpenBLAS' "$work/arm.log" ||
    { echo "FAIL: the aarch64 trainer's products are not on OpenBLAS"; exit 1; }
mse=$(sed -n 's/^test: .*mse \([0-9.e+-]*\).*/\1/p' "$work/arm.log")
if ! awk -v m="${mse:-nan}" -v max="$max_mse" 'BEGIN { exit !(m + 0 == m && m < max) }'; then
    echo "FAIL: the aarch64 trainer's test mse is ${mse:-missing}, not below $max_mse"
    exit 1
fi
echo "aarch64.sh: ok: test mse $mse < $max_mse on aarch64"
