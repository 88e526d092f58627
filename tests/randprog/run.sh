#!/usr/bin/env bash
# run.sh: random valid programs through netc, their C through the compiler, their gradients
# through tests/gradcheck/gradcheck.c. See README.md.
#
#   bash tests/randprog/run.sh BUILD_DIR              NETC_RANDPROG_COUNT programs (default 25)
#                                                     from the base seed NETC_RANDPROG_SEED (1)
#   bash tests/randprog/run.sh BUILD_DIR SEED...      those seeds only, every step shown
#
# For each seed: randnet writes SEED.net; `netc check` must exit 0 with nothing on stderr (or
# only warnings, when the file says `# expect: warnings`); `netc gen --dtype f64` and the
# gradient check compiled against it with -Wall -Wextra -Werror must pass (one that fails only at
# its usual step and passes at another is rounding: see other_steps); `netc build` (f32) must
# compile with the same flags. A failing seed's files are kept in
# BUILD_DIR/tests/randprog/failed/ and its replay command printed. NETC_RANDPROG_JOBS runs that
# many seeds at once (2); NETC_RANDPROG_FLAGS are randnet's options (--smooth).
set -u
export LC_ALL=C

if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [SEED...]" >&2
    exit 2
fi
build=$(cd "$1" && pwd) || exit 2
shift
config=$build/tests/randprog/randprog.env
if [ ! -f "$config" ]; then
    echo "run.sh: $config missing: configure and build netc first (cmake --build $build)" >&2
    exit 2
fi
# NETC RANDNET GRADCHECK_C CC RUNTIME_INCLUDE CBLAS_INCLUDE NETRT_LIB LINK_LIBS
. "$config"
here=$(cd "$(dirname "$0")" && pwd)
flags=${NETC_RANDPROG_FLAGS---smooth}
cflags="-std=c11 -O2 -Wall -Wextra -Werror"
failed_dir=$build/tests/randprog/failed
mkdir -p "$failed_dir"
work=$(mktemp -d "$build/tests/randprog/work.XXXXXX") || exit 2 # one per run: ctest -j runs two
trap 'rm -rf "$work"' EXIT

# diagnostics_ok FILE.net STDERR: nothing said, or only warnings the program expects
diagnostics_ok() {
    [ -s "$2" ] || return 0
    grep -q '^# expect: warnings' "$1" && grep -q ': warning: ' "$2" && ! grep -q ': error: ' "$2"
}

# other_steps DIR LOG: the same gradcheck.c with its step ε = 1e-4 changed to 1e-3, 3e-4, 1e-5,
# then ε = 3e-4 and 1e-3 with the tolerance 1e-6 widened to 1e-5; succeeds when one passes. The
# finite difference of a loss L has a rounding error of about 1e-16 |L| / ε, which gradcheck's
# tolerance (1e-6 relative, 1e-12 absolute for a small gradient) does not allow for when L is
# large or the gradient small; at ε = 1e-3 that error is ten times smaller (the truncation
# error, ε⁴, stays far below), and ε = 1e-5 crosses a kink less often. A wrong gradient, as
# netc's bugs make them, is wrong at every ε by far more than 1e-5.
other_steps() {
    local d=$1 log=$2 try eps tol
    for try in 1e-3:1e-6 3e-4:1e-6 1e-5:1e-6 3e-4:1e-5 1e-3:1e-5; do
        eps=${try%:*} tol=${try#*:}
        sed "s/EPS = 1e-4,/EPS = $eps,/; s/TOLERANCE = 1e-6;/TOLERANCE = $tol;/" \
            "$GRADCHECK_C" >"$d/gradcheck_eps.c"
        if ! grep -q "EPS = $eps, .*TOLERANCE = $tol;" "$d/gradcheck_eps.c"; then
            echo "run.sh: gradcheck.c no longer says 'EPS = 1e-4, … TOLERANCE = 1e-6;':" \
                 "no retry" >>"$log"
            return 1
        fi
        step "(gradcheck.c with EPS = $eps, TOLERANCE = $tol) $d/gradcheck_eps"
        # shellcheck disable=SC2086
        timeout 120 "$CC" $cflags -DMODEL_C="\"$d/f64.c\"" -I"$RUNTIME_INCLUDE" -I"$CBLAS_INCLUDE" \
            -I"$(dirname "$GRADCHECK_C")" "$d/gradcheck_eps.c" "$NETRT_LIB" $LINK_LIBS \
            -o "$d/gradcheck_eps" >>"$log" 2>&1 || return 1
        if timeout 120 "$d/gradcheck_eps" >"$d/gradcheck_eps.out" 2>&1; then
            tail -n 1 "$d/gradcheck_eps.out" >>"$log"
            echo "$eps (tolerance $tol)" >"$d/passing_eps"
            return 0
        fi
        grep 'NOT OK' "$d/gradcheck_eps.out" | head -n 5 >>"$log"
    done
    return 1
}

# one SEED: every step for one program; the last line of SEED.log says what happened
one() {
    local seed=$1 d=$work/$1
    mkdir -p "$d"
    local net=$d/$seed.net log=$d/$seed.log
    : >"$log"
    step() { echo "\$ $*" >>"$log"; }
    fail() { echo "FAIL $seed: $*" >>"$log"; return 1; }

    step "$RANDNET $seed $flags > $net"
    # shellcheck disable=SC2086
    # (randnet is a one-shot program that leaves its memory to exit: no leak report under ASan)
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$RANDNET" "$seed" $flags >"$net" 2>>"$log" ||
        { fail "randnet failed"; return 1; }

    local rc
    step "$NETC check $net"
    timeout 20 "$NETC" check "$net" >"$d/check.out" 2>"$d/check.err"
    rc=$?
    cat "$d/check.err" >>"$log"
    [ $rc -ge 124 ] && { fail "netc check crashed or hung (exit $rc)"; return 1; }
    [ $rc -ne 0 ] && { fail "netc check rejects a valid program (exit $rc)"; return 1; }
    diagnostics_ok "$net" "$d/check.err" ||
        { fail "netc check says something unexpected"; return 1; }

    step "$NETC gen --dtype f64 $net -o $d/f64.c"
    timeout 20 "$NETC" gen --dtype f64 "$net" -o "$d/f64.c" 2>"$d/gen.err"
    rc=$?
    cat "$d/gen.err" >>"$log"
    [ $rc -ge 124 ] && { fail "netc gen --dtype f64 crashed or hung (exit $rc)"; return 1; }
    [ $rc -ne 0 ] && { fail "netc gen --dtype f64 failed (exit $rc)"; return 1; }

    step "$CC $cflags -DMODEL_C=\"\\\"$d/f64.c\\\"\" -I$RUNTIME_INCLUDE -I$CBLAS_INCLUDE" \
         "$GRADCHECK_C $NETRT_LIB $LINK_LIBS -o $d/gradcheck"
    # shellcheck disable=SC2086
    timeout 120 "$CC" $cflags -DMODEL_C="\"$d/f64.c\"" -I"$RUNTIME_INCLUDE" -I"$CBLAS_INCLUDE" \
        "$GRADCHECK_C" "$NETRT_LIB" $LINK_LIBS -o "$d/gradcheck" >>"$log" 2>&1 ||
        { fail "the f64 C does not compile with -Werror"; return 1; }

    local sabotage=
    [ "${NETC_RANDPROG_SABOTAGE:-0}" = 1 ] && sabotage=--sabotage
    step "$d/gradcheck $sabotage"
    timeout 120 "$d/gradcheck" $sabotage >"$d/gradcheck.out" 2>&1
    rc=$?
    tail -n 30 "$d/gradcheck.out" >>"$log"
    local note=
    if [ -n "$sabotage" ]; then
        # the check must catch the wrong gradient that --sabotage plants
        [ $rc -eq 1 ] ||
            { fail "gradcheck --sabotage passed (exit $rc): the check cannot fail"; return 1; }
    else
        [ $rc -ge 124 ] && { fail "gradcheck crashed or hung (exit $rc)"; return 1; }
        if [ $rc -ne 0 ]; then
            other_steps "$d" "$log" || { fail "gradient check fails (exit $rc)"; return 1; }
            note="; fails at ε = 1e-4, passes at ε = $(cat "$d/passing_eps"): rounding, not netc"
        fi
    fi

    step "CFLAGS=\"-O2 -Wall -Wextra -Werror\" $NETC build $net -o $d/f32"
    CFLAGS="-O2 -Wall -Wextra -Werror" CC="$CC" timeout 120 "$NETC" build "$net" -o "$d/f32" \
        >>"$log" 2>&1 || { fail "netc build (f32) fails with -Werror"; return 1; }

    if [ -n "$note" ]; then
        echo "ok $seed: $(tail -n 1 "$d/gradcheck_eps.out")$note" >>"$log"
    else
        echo "ok $seed: $(tail -n 1 "$d/gradcheck.out")" >>"$log"
    fi
    rm -f "$d/gradcheck" "$d/gradcheck_eps" "$d/f32" "$d/f32.c" "$d/f64.c"
}

# report SEED: its verdict; a failure with its program, its log and how to replay it
report() {
    local seed=$1 d=$work/$1
    local last
    last=$(tail -n 1 "$d/$seed.log")
    case $last in
    ok*) echo "$last" ;;
    *)
        cp "$d/$seed.net" "$d/$seed.log" "$failed_dir/"
        echo "$last"
        echo "---- $seed.net (kept as $failed_dir/$seed.net)"
        cat "$d/$seed.net"
        echo "---- log"
        tail -n 40 "$d/$seed.log"
        echo "---- replay: bash $here/run.sh $build $seed"
        ;;
    esac
}

start=$(date +%s)
if [ $# -gt 0 ]; then
    seeds=("$@")
    echo "randprog: seeds $*"
else
    base=${NETC_RANDPROG_SEED:-1}
    count=${NETC_RANDPROG_COUNT:-25}
    case $base$count in *[!0-9]*)
        echo "run.sh: NETC_RANDPROG_SEED and NETC_RANDPROG_COUNT are whole numbers" >&2
        exit 2 ;;
    esac
    seeds=()
    for ((i = 0; i < count; i++)); do seeds+=($((base + i))); done
    echo "randprog: base seed $base, $count programs (seeds $base..$((base + count - 1)))," \
         "randnet $flags"
fi

for seed in "${seeds[@]}"; do # what an earlier run kept of these seeds is stale now
    rm -f "$failed_dir/$seed.net" "$failed_dir/$seed.log"
done

jobs_max=${NETC_RANDPROG_JOBS:-2}
running=0
for seed in "${seeds[@]}"; do
    one "$seed" &
    running=$((running + 1))
    if [ $running -ge "$jobs_max" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

passed=0
failed=0
retried=0
for seed in "${seeds[@]}"; do
    if tail -n 1 "$work/$seed/$seed.log" | grep -q '^ok '; then
        passed=$((passed + 1))
        tail -n 1 "$work/$seed/$seed.log" | grep -q 'passes at ε' && retried=$((retried + 1))
    else
        failed=$((failed + 1))
    fi
    if [ $# -gt 0 ]; then # replaying: every step, then the verdict
        sed '$d' "$work/$seed/$seed.log"
    fi
    report "$seed"
done
[ "${NETC_RANDPROG_SABOTAGE:-0}" = 1 ] &&
    echo "randprog: with a wrong gradient planted (--sabotage), a program passes when its" \
         "gradient check fails"
echo "randprog: ${#seeds[@]} programs, $passed passed (checked, compiled f64 and f32," \
     "gradient-checked; $retried of them only at another ε), $failed failed," \
     "$(($(date +%s) - start)) s"
[ $failed -eq 0 ]
