#!/usr/bin/env bash
# valgrind.sh NETC MODEL.net WORKDIR: a trainer generated from MODEL, three training steps under
# valgrind's memcheck. Any invalid read or write, use of an uninitialised value, or leak (definite
# or indirect) fails the test, with valgrind's report. Exit 77: no valgrind.
#
# The trainer is compiled without -march=native: valgrind does not run AVX-512 code (on such a
# CPU, netrt sees through valgrind's cpuid that the AVX-512 kernel cannot run, and takes its AVX2
# kernel, which memcheck then checks too).
# --trace-children: netrt may run the trainer again with a better OpenBLAS core (runtime/blas.c);
# that run stays under memcheck.
set -u
if [ $# -ne 3 ]; then
    echo "usage: $0 NETC MODEL.net WORKDIR" >&2
    exit 2
fi
netc=$1 model=$2 work=$3
command -v valgrind >/dev/null || { echo "valgrind_trainer: SKIPPED: no valgrind (setup.sh installs it)"; exit 77; }
mkdir -p "$work"
exe=$work/trainer
if ! CFLAGS="-O1 -g" "$netc" build "$model" -o "$exe" >"$work/build.log" 2>&1; then
    echo "FAIL: netc build $model"
    cat "$work/build.log"
    exit 1
fi
valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --trace-children=yes --track-origins=yes \
    "$exe" --epochs 1 --max-steps 3 --threads 1 >"$work/run.log" 2>&1
status=$?
tail -n 12 "$work/run.log"
if [ "$status" -ne 0 ]; then
    echo "FAIL: the trainer under memcheck exited with $status (99: memcheck found errors); the report:"
    grep -E '^==[0-9]+==' "$work/run.log" | head -n 80
    exit 1
fi
grep -q '^test: loss' "$work/run.log" || { echo "FAIL: no final test line"; exit 1; }
echo "ok: $(basename "$model" .net), 3 steps under memcheck, no error"
