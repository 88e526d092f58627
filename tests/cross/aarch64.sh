#!/usr/bin/env bash
# aarch64.sh [--netc NETC] [--steps N] [BUILD_DIR]: netc's portable path shown on 64-bit ARM
# (aarch64) under emulation, from a clean Debian machine, as root or through sudo
# (docs/testing.md):
#   1. installs what is missing: Debian's cross compiler (gcc-aarch64-linux-gnu), qemu-user
#      (qemu-aarch64), and, with arm64 added as a foreign architecture, the arm64 builds of what
#      the runtime links: libopenblas-dev:arm64 zlib1g-dev:arm64 libpng-dev:arm64;
#   2. builds netc for this machine (setup.sh), unless --netc names one: netc is a code
#      generator, and the C it writes is the same for every CPU;
#   3. builds netc, the runtime and the runtime's unit tests for aarch64
#      (cmake/aarch64-linux-gnu.cmake) into BUILD_DIR (default build-aarch64/), and runs the unit
#      tests (ctest -L unit) under qemu-aarch64, the toolchain file's CMAKE_CROSSCOMPILING_EMULATOR;
#   4. generates examples/e4_fit.net's trainer (a regression on `data function`: no data files),
#      cross-compiles it, trains it N steps (default 300) under emulation, then the same C
#      compiled for this machine (--gemm openblas, the same path), and prints both results.
# Each phase prints its time. Safe to run again: it installs only what is missing, and
# rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD

netc="" steps=300 build=build-aarch64
while [ $# -gt 0 ]; do
    case $1 in
        --netc) netc=$(realpath "$2"); shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "aarch64.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) build=$1; shift ;;
    esac
done
mkdir -p "$build"
build=$(realpath "$build")

# now_ms: the wall clock in milliseconds (bash's EPOCHREALTIME, no process started)
now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    echo $((t / 1000))
}
# seconds MS: MS milliseconds as seconds with one decimal
seconds() {
    printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100))
}
start=$(now_ms)
phase_start=$start
# phase NAME: the time since the last phase, and the total
phase() {
    local now
    now=$(now_ms)
    echo "aarch64.sh: $1: $(seconds $((now - phase_start))) s (total $(seconds $((now - start))) s)"
    phase_start=$now
}

# ---- 1. the cross compiler, qemu-user and the arm64 libraries ------------------------------
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# apt waits for a lock another apt holds (CI machines run unattended upgrades) instead of failing
apt_get() {
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 "$@"
}
installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
packages=(gcc-aarch64-linux-gnu qemu-user libopenblas-dev:arm64 zlib1g-dev:arm64
          libpng-dev:arm64)
missing=()
for p in "${packages[@]}"; do
    installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        echo "aarch64.sh: dpkg --add-architecture arm64"
        $sudo dpkg --add-architecture arm64
    fi
    echo "aarch64.sh: installing ${missing[*]}"
    apt_get update -qq
    apt_get install -y -qq "${missing[@]}" >/dev/null
fi
phase "installs"

# ---- 2. netc for this machine --------------------------------------------------------------
if [ -z "$netc" ]; then
    ./setup.sh
    netc=$src/build/compiler/netc
fi
phase "netc for $(uname -m)"

# ---- 3. the runtime and its unit tests for aarch64, run under qemu ------------------------
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release \
          -DCMAKE_TOOLCHAIN_FILE="$src/cmake/aarch64-linux-gnu.cmake" >"$build/configure.log" ||
        { cat "$build/configure.log"; exit 1; }
fi
cmake --build "$build" -j"$(nproc)" >"$build/build.log" 2>&1 ||
    { tail -n 40 "$build/build.log"; exit 1; }
file "$build/runtime/libnetrt.a" >/dev/null 2>&1 || true
echo "aarch64.sh: built for aarch64: $(file -b "$build/compiler/netc" | cut -d, -f1-2)"
phase "cross build (netc, runtime, tests)"

ctest --test-dir "$build" -L unit --output-on-failure -j"$(nproc)"
phase "unit tests under qemu-aarch64"

# ---- 4. a trainer: generated here, compiled for aarch64, trained under qemu -------------------
model=$src/examples/e4_fit.net
work=$build/e4_fit
mkdir -p "$work"
"$netc" gen "$model" -o "$work/e4_fit.c"
cblas=$(sed -n 's/^CBLAS_INCLUDE_DIR:PATH=//p' "$build/CMakeCache.txt")
libs=(-lopenblas -lpng -lz -pthread -lm)
aarch64-linux-gnu-gcc -O3 -fno-math-errno -std=c11 -I "$src/runtime" -I "$cblas" \
    -o "$work/e4_fit" "$work/e4_fit.c" "$build/runtime/libnetrt.a" "${libs[@]}"
phase "e4_fit generated and cross-compiled"

args=(--max-steps "$steps" --seed 1)
echo "aarch64.sh: e4_fit ${args[*]}, under qemu-aarch64:"
t0=$(now_ms)
qemu-aarch64 "$work/e4_fit" "${args[@]}" | tee "$work/arm.log"
t_arm=$(($(now_ms) - t0))
phase "e4_fit trained under qemu-aarch64"

# The same model built for this machine by netc build, on the same path: OpenBLAS.
"$netc" build "$model" -o "$work/e4_fit_native" >/dev/null
t0=$(now_ms)
"$work/e4_fit_native" "${args[@]}" --gemm openblas >"$work/native.log"
t_native=$(($(now_ms) - t0))
phase "e4_fit natively"

result() { grep -E '^test: ' "$1" || tail -n 1 "$1"; }
echo "aarch64.sh: e4_fit, $steps steps, aarch64 under qemu: $(seconds "$t_arm") s: $(result "$work/arm.log")"
echo "aarch64.sh: e4_fit, $steps steps, $(uname -m) natively: $(seconds "$t_native") s: $(result "$work/native.log")"
