#!/usr/bin/env bash
# afl.sh: the fuzz target (fuzz_front.c) built with AFL++'s afl-clang-fast (its driver calls
# LLVMFuzzerTestOneInput; ASan and UBSan as under libFuzzer), fuzzed by afl-fuzz from the same
# seeds. For long runs by hand (docs/testing.md); needs the Debian package afl++.
#
#   bash tests/fuzz/afl.sh SOURCE_DIR BUILD_DIR [afl-fuzz options, e.g. -V 3600 for an hour]
#
# Findings land in BUILD_DIR/afl/default/crashes and .../hangs. Run it again with the same
# BUILD_DIR to resume (-i -).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 SOURCE_DIR BUILD_DIR [afl-fuzz options...]" >&2
    exit 2
fi
src=$(cd "$1" && pwd)
build=$2
shift 2
command -v afl-clang-fast >/dev/null || { echo "afl.sh: no afl-clang-fast: apt-get install afl++" >&2; exit 1; }
mkdir -p "$build"
build=$(cd "$build" && pwd)
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=afl-clang-fast -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DNETC_FUZZ=ON >"$build/configure.log"
cmake --build "$build" --target netc_fuzz -j"$(nproc)" >"$build/build.log"

input=-
if [ ! -d "$build/afl/default/queue" ]; then
    input=$build/seeds
    rm -rf "$input"
    mkdir -p "$input"
    (cd "$src" && find models examples tests -name '*.net' -type f -size -16k \
        -not -path 'tests/fuzz/pending/*') | while read -r f; do
        cp "$src/$f" "$input/$(printf '%s' "$f" | tr / _)"
    done
fi
# -m none: ASan reserves terabytes of address space; -t 5000: a hang is an input over 5 s.
# AFL_SKIP_CPUFREQ and AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: run on a machine whose CPU governor
# and core_pattern afl-fuzz would otherwise want changed (as root, by hand).
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
exec afl-fuzz -i "$input" -o "$build/afl" -m none -t 5000 -x "$src/tests/fuzz/netc.dict" "$@" \
    -- "$build/tests/fuzz/netc_fuzz"
