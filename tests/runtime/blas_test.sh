#!/bin/sh
# blas_test.sh: the OpenBLAS cores netrt may choose on this CPU compute correct GEMMs, and the
# trainer's startup says which core runs and why, whatever the environment of the test is.
#
# OPENBLAS_CORETYPE is only ever set here for one child command (env NAME=value prog), to a core
# this CPU's features allow (or Prescott, which every x86-64 runs), never for the test itself;
# the other children run with it unset (env -u) or with the environment as it is.
#
# Usage: blas_test.sh TEST_BLAS_CORE TINY_MODEL MAKE_TINY_DATA WORK_DIR
core_prog=$1 tiny=$2 make_data=$3 work=$4
failures=0

fail() {
    echo "blas_test.sh: FAIL: $*" >&2
    failures=$((failures + 1))
}

skip() {
    echo "blas_test.sh: skipped: $*"
}

# run CMD...: runs a command, leaving stdout, stderr and the exit status in out, err, status.
run() {
    "$@" >"$work/out" 2>"$work/err"
    status=$?
    out=$(cat "$work/out")
    err=$(cat "$work/err")
}

# train CMD...: run the trainer CMD (env ... "$tiny", or "$tiny") for one epoch on the data.
train() {
    run "$@" --data-dir "$work/data" --epochs 1
}

expect_status() {
    [ "$status" -eq "$1" ] || fail "$2: exit status $status, expected $1; stderr: $err"
}

# expect_in TEXT PART WHAT: TEXT must contain PART (a fixed string)
expect_in() {
    case $1 in
        *"$2"*) ;;
        *) fail "$3: expected to find '$2' in: $1" ;;
    esac
}

expect_not_in() {
    case $1 in
        *"$2"*) fail "$3: did not expect '$2' in: $1" ;;
    esac
}

# blas_line: the startup's blas line of the last run
blas_line() {
    echo "$out" | grep '^blas '
}

rm -rf "$work" && mkdir -p "$work/data" || exit 1
"$make_data" "$work/data" || exit 1

# ---- every core the selection may pick here: loaded as asked, and its GEMMs right ----
candidates=$("$core_prog" --candidates) || fail "test_blas_core --candidates"
[ -n "$candidates" ] ||
    skip "no core to check: this CPU has no AVX2 and FMA, so netrt keeps OpenBLAS's choice"
for core in $candidates; do
    run env OPENBLAS_CORETYPE="$core" "$core_prog" "$core"
    expect_status 0 "the $core core"
    expect_in "$out" "$core: self-test passed" "the $core core"
done
# and OpenBLAS's own choice
run env -u OPENBLAS_CORETYPE "$core_prog" --loaded
expect_status 0 "OpenBLAS's own core"
detected=$(echo "$out" | sed -n 's/: self-test passed$//p')
[ -n "$detected" ] || fail "OpenBLAS's own core: no name in: $out"
has_haswell=no
case " $(echo $candidates) " in *" Haswell "*) has_haswell=yes ;; esac
# a second opinion on the features, from the kernel (which also clears them without OS support)
if [ -r /proc/cpuinfo ] && grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
    [ "$has_haswell" = yes ] ||
        fail "/proc/cpuinfo has avx2 and fma, the candidates are: $candidates"
fi
if [ -r /proc/cpuinfo ] && grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo &&
    grep -qw avx512dq /proc/cpuinfo && grep -qw avx512cd /proc/cpuinfo; then
    echo "$candidates" | grep -qx SkylakeX ||
        fail "/proc/cpuinfo has AVX-512, the candidates are: $candidates"
fi

# ---- the startup line ----
origins='(detected|upgraded from [A-Za-z0-9_]+: the CPU has [A-Za-z0-9 -]+'
origins=$origins'|preset by OPENBLAS_CORETYPE|--blas-core'
origins=$origins'|OPENBLAS_CORETYPE=[A-Za-z0-9_]+ is not a core of this OpenBLAS)'
line_re="^blas      OpenBLAS [A-Za-z0-9_]+ \\($origins[^)]*\\), [0-9]+ threads\$"

# without a preset: OpenBLAS's choice, or an upgrade that passed its self-test
train env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$tiny"
expect_status 0 "no OPENBLAS_CORETYPE"
blas_line | grep -Eq "$line_re" || fail "no OPENBLAS_CORETYPE: blas line: $(blas_line)"
case $(blas_line) in
    *"(detected"* | *"(upgraded from "*) ;;
    *) fail "no OPENBLAS_CORETYPE: expected detected or upgraded: $(blas_line)" ;;
esac
expect_in "$out" "test: loss " "no OPENBLAS_CORETYPE"
# upgraded: to a core this CPU's features chose, from OpenBLAS's own choice
case $(blas_line) in
    *"(upgraded from "*)
        expect_in "$(blas_line)" "(upgraded from $detected: " "the upgrade"
        echo "$candidates" | grep -qx "$(blas_line | awk '{print $3}')" ||
            fail "upgraded to a core that is not a candidate: $(blas_line)" ;;
esac

# with the environment as it is, whatever it is
train "$tiny"
expect_status 0 "the test's environment"
blas_line | grep -Eq "$line_re" || fail "the test's environment: blas line: $(blas_line)"

# a preset is kept, with advice when the CPU has more and OpenBLAS computes the products
train env OPENBLAS_CORETYPE=Prescott "$tiny" --gemm openblas
expect_status 0 "OPENBLAS_CORETYPE=Prescott"
expect_in "$(blas_line)" "blas      OpenBLAS Prescott (preset by OPENBLAS_CORETYPE), " "preset"
if [ -n "$candidates" ]; then
    best=$(echo "$candidates" | tail -n 1)
    expect_in "$out" "
          OPENBLAS_CORETYPE=Prescott is preset; this CPU has " "preset remark"
    expect_in "$out" ": --blas-core $best may be faster" "preset remark"
fi
# no such advice when netc's own kernel computes every product
train env OPENBLAS_CORETYPE=Prescott "$tiny"
expect_status 0 "OPENBLAS_CORETYPE=Prescott, own kernel"
case $out in
    *"products  netc's "*) expect_not_in "$out" "may be faster" "own kernel" ;;
esac

# --blas-core
if [ "$has_haswell" = yes ]; then
    train env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$tiny" --blas-core Haswell
    expect_status 0 "--blas-core Haswell"
    expect_in "$(blas_line)" "blas      OpenBLAS Haswell (--blas-core), " "--blas-core Haswell"
    train "$tiny" --blas-core=haswell
    expect_status 0 "--blas-core=haswell"
    expect_in "$(blas_line)" "blas      OpenBLAS Haswell (--blas-core), " "--blas-core=haswell"

    # A run netrt started for an upgrade, as its markers say; Prescott stands for OpenBLAS's
    # choice in the first run.
    upgraded="OPENBLAS_CORETYPE=Haswell NETRT_BLAS_UPGRADED=Haswell NETRT_BLAS_DETECTED=Prescott"
    train env $upgraded "$tiny"
    expect_status 0 "an upgraded run"
    expect_in "$(blas_line)" "blas      OpenBLAS Haswell (upgraded from Prescott: the CPU has " \
        "an upgraded run"
    # ... whose self-test fails: once more, with OpenBLAS's own choice
    train env $upgraded NETRT_BLAS_SELFTEST_BREAK=wrong "$tiny"
    expect_status 0 "a failed self-test"
    expect_in "$err" "netrt: self-test of the Haswell core: sgemm(" "a failed self-test"
    fallback="netrt: the Haswell core failed its self-test; using OpenBLAS's own choice, $detected"
    fallback_line="blas      OpenBLAS $detected (detected; the Haswell core failed its self-test), "
    expect_in "$err" "$fallback" "a failed self-test"
    expect_in "$(blas_line)" "$fallback_line" "a failed self-test"
    expect_in "$out" "test: loss " "a failed self-test"
    # ... or crashes
    train env $upgraded NETRT_BLAS_SELFTEST_BREAK=crash "$tiny"
    expect_status 0 "a crashed self-test"
    expect_in "$err" "netrt: the Haswell core crashed in its self-test (SIGILL" \
        "a crashed self-test"
    expect_in "$err" "$fallback" "a crashed self-test"
    expect_in "$(blas_line)" "$fallback_line" "a crashed self-test"
else
    skip "--blas-core Haswell and the upgrade's re-run: this CPU has no AVX2 and FMA"
fi

# a --blas-core whose self-test fails is an error, not a silent fallback
if [ "$detected" != Prescott ]; then
    train env -u OPENBLAS_CORETYPE NETRT_BLAS_SELFTEST_BREAK=wrong "$tiny" --blas-core Prescott
    expect_status 1 "--blas-core Prescott failing its self-test"
    expect_in "$err" "netrt: --blas-core Prescott: the core failed its self-test: sgemm(" \
        "--blas-core Prescott failing its self-test"
    expect_not_in "$out" "blas      " "--blas-core Prescott failing its self-test"
    train env -u OPENBLAS_CORETYPE NETRT_BLAS_SELFTEST_BREAK=crash "$tiny" --blas-core Prescott
    expect_status 1 "--blas-core Prescott crashing"
    expect_in "$err" "netrt: --blas-core Prescott: the core crashed in its self-test (SIGILL" \
        "--blas-core Prescott crashing"
else
    skip "a failing --blas-core: OpenBLAS chose Prescott itself, so it would not be re-run"
fi

# names netrt does not know, and --help
train "$tiny" --blas-core Skylake
expect_status 1 "--blas-core Skylake"
expect_in "$err" "netrt: --blas-core Skylake: not a core netrt knows (did you mean SkylakeX?); " \
    "--blas-core Skylake"
expect_in "$err" "; this CPU runs auto, Prescott, " "--blas-core Skylake"
train "$tiny" --blas-core=
expect_status 1 "--blas-core="
expect_in "$err" "netrt: --blas-core: empty value" "--blas-core="
train "$tiny" --blas-core auto
expect_status 0 "--blas-core auto"
run "$tiny" --help
expect_in "$out" "--blas-core NAME    OpenBLAS kernels: auto (the best this CPU runs) or a core" \
    "--help"

if [ "$failures" -gt 0 ]; then
    echo "blas_test.sh: $failures failure(s)" >&2
    exit 1
fi
echo "blas_test.sh: all passed (candidates: $(echo $candidates); OpenBLAS's choice: $detected)"
