#!/usr/bin/env bash
# run.sh: build the fuzz target (fuzz_front.c) with clang and libFuzzer, then fuzz netc's front
# end for SECONDS from the seed corpus, every .net file of the repository.
#
#   bash tests/fuzz/run.sh SOURCE_DIR BUILD_DIR [SECONDS] [libFuzzer options...]
#
# BUILD_DIR holds the clang build (build/fuzz under ctest), the seeds, the corpus the fuzzer
# grows (kept between runs, so each run starts where the last one stopped) and artifacts/, where
# libFuzzer writes an input that crashed, leaked, hung or ran out of memory. Any of those fails the
# run, and the input is printed. Exit 77 (ctest: skipped) when clang or libFuzzer is missing.
set -uo pipefail
export LC_ALL=C

if [ $# -lt 2 ]; then
    echo "usage: $0 SOURCE_DIR BUILD_DIR [SECONDS] [libFuzzer options...]" >&2
    exit 2
fi
src=$(cd "$1" && pwd)
build=$2
seconds=${3:-60}
shift $(($# < 3 ? $# : 3))
cc=${FUZZ_CC:-clang}
mkdir -p "$build"
build=$(cd "$build" && pwd)

skip() {
    echo "fuzz_front: SKIPPED: $1 (setup.sh installs clang and libclang-rt-14-dev)"
    exit 77
}
command -v "$cc" >/dev/null || skip "no C compiler '$cc'"
# libFuzzer comes with clang's runtime libraries, packaged apart from clang itself
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; return (int)n & 0; }\n' \
    >"$build/probe.c"
"$cc" -fsanitize=fuzzer,address,undefined "$build/probe.c" -o "$build/probe" \
    >"$build/probe.log" 2>&1 || skip "$cc cannot link -fsanitize=fuzzer: $(head -c 300 "$build/probe.log")"

if ! cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DNETC_FUZZ=ON >"$build/configure.log" 2>&1 ||
   ! cmake --build "$build" --target netc_fuzz -j2 >"$build/build.log" 2>&1; then
    echo "fuzz_front: FAILED: could not build the fuzz target:"
    tail -n 30 "$build/configure.log" "$build/build.log"
    exit 1
fi
fuzzer=$build/tests/fuzz/netc_fuzz

# The seeds, under names that say where they come from (models_fmnist_mlp.net); not the pending
# reproducers, which would fail every run, nor the largest stress inputs, slow to mutate.
rm -rf "$build/seeds" "$build/artifacts"
mkdir -p "$build/seeds" "$build/corpus" "$build/artifacts"
(cd "$src" && find models examples tests -name '*.net' -type f -size -16k \
    -not -path 'tests/fuzz/pending/*') | while read -r f; do
    cp "$src/$f" "$build/seeds/$(printf '%s' "$f" | tr / _)"
done
nseeds=$(find "$build/seeds" -type f | wc -l)

# -close_fd_mask=2: netc's error messages (most inputs have some) would fill the log; libFuzzer
# and the sanitizers still report on the original stderr. -timeout: a hang; -rss_limit_mb: a
# runaway allocation (the harness itself refuses inputs over 64 KiB).
echo "fuzz_front: $fuzzer, $seconds s from $nseeds seeds and $(find "$build/corpus" -type f | wc -l) corpus inputs"
start=$(date +%s)
UBSAN_OPTIONS=print_stacktrace=1 "$fuzzer" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=65536 \
    -dict="$src/tests/fuzz/netc.dict" -close_fd_mask=2 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/" "$@" "$build/corpus" "$build/seeds" >"$build/fuzz.log" 2>&1
rc=$?
grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' \
    "$build/fuzz.log"
echo "fuzz_front: libFuzzer exit $rc after $(($(date +%s) - start)) s; log $build/fuzz.log"

found=$(find "$build/artifacts" -type f | sort)
if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
    echo "fuzz_front: passed"
    exit 0
fi
echo "fuzz_front: FAILED. The end of the log:"
grep -v -E '^#[0-9]+ +(NEW|REDUCE|pulse|RELOAD)' "$build/fuzz.log" | tail -n 60
for f in $found; do
    echo "---- reproducer $f ($(wc -c <"$f") bytes), shown with cat -v:"
    head -c 4000 "$f" | cat -v
    echo
    echo "---- replay: $fuzzer $f    or: build/compiler/netc check $f"
done
echo "Keep it: copy it to tests/fuzz/pending/ (not yet fixed) or tests/fuzz/crashes/ (fixed); see docs/testing.md."
exit 1
