#!/usr/bin/env bash
# run.sh: mutation testing. Each mutant of tests/mutation/mutants is a small bug a developer
# could write, planted in a scratch copy of the source; the copy is rebuilt and the test suite run
# against it. A mutant is caught when some test fails (or times out), and survives when the whole
# suite passes. The golden files' test is left out: a byte-for-byte comparison of the generated C
# would catch every change to the emitter, bug or not, and says nothing about behaviour.
#
#   bash tests/mutation/run.sh [-j N] [--only ID[,ID...]] [--all-tests] [--timeout S]
#                              [--no-baseline] [--keep] [--list]
#
#   -j N           N scratch copies, mutants shared among them (default 1; the suite itself runs
#                  on 2 cores / N)
#   --only IDS     only these mutants (comma-separated ids)
#   --all-tests    run the whole suite for every mutant and list every test that fails (by
#                  default ctest stops at the first failure, which makes caught mutants quick)
#   --timeout S    each test's time limit under a mutant (default 300 s; a mutant that hangs a
#                  test is caught by the timeout)
#   --no-baseline  skip the first run of the unmutated suite (which must pass, or every mutant
#                  would look caught)
#   --keep         keep the scratch directory (its path is printed)
#   --list         print the mutants and exit
#   --check        only check that every mutant applies to the source as it is (no build)
#
# Each mutant's result: `caught by TEST...`, `SURVIVED`, `NOT APPLIED` (its original text is not
# found exactly once in the file: the code moved, re-anchor the mutant; not counted in the score)
# or `build failed` (the mutant does not compile: fix it; counted as not caught). The score is
# caught / (caught + survived + build failed). Needs the build tools of setup.sh, perl and git.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
mutants_file=$root/tests/mutation/mutants
jobs=1 only="" all_tests=0 timeout=300 baseline=1 keep=0 list=0 check=0
while [ $# -gt 0 ]; do
    case $1 in
        -j) jobs=$2; shift ;;
        -j*) jobs=${1#-j} ;;
        --only) only=$2; shift ;;
        --all-tests) all_tests=1 ;;
        --timeout) timeout=$2; shift ;;
        --no-baseline) baseline=0 ;;
        --keep) keep=1 ;;
        --list) list=1 ;;
        --check) check=1 ;;
        *) echo "usage: $0 [-j N] [--only ID,...] [--all-tests] [--timeout S] [--no-baseline] [--keep] [--list|--check]" >&2
           exit 2 ;;
    esac
    shift
done

# ---- the mutants: blocks of `key value` lines (see README.md) ----
ids=()
declare -A m_file m_bug m_pairs m_find m_repl
parse() {
    local n=0 line key value id=""
    while IFS= read -r line || [ -n "$line" ]; do
        n=$((n + 1))
        case $line in '#'* | '') continue ;; esac
        key=${line%%[[:space:]]*}
        value=${line#"$key"}
        value=${value#"${value%%[![:space:]]*}"} # leading blanks off; the rest is exact
        case $key in
            mutant)
                id=$value
                if [ -n "${m_pairs[$id]+x}" ]; then
                    echo "$mutants_file:$n: mutant '$id' defined twice" >&2; exit 2
                fi
                ids+=("$id"); m_pairs[$id]=0 ;;
            file) m_file[$id]=$value ;;
            bug) m_bug[$id]=$value ;;
            find) m_find[$id:${m_pairs[$id]}]=$value ;;
            repl) m_repl[$id:${m_pairs[$id]}]=$value; m_pairs[$id]=$((m_pairs[$id] + 1)) ;;
            *) echo "$mutants_file:$n: unknown key '$key'" >&2; exit 2 ;;
        esac
        if [ -z "$id" ]; then
            echo "$mutants_file:$n: '$key' before any 'mutant'" >&2; exit 2
        fi
    done <"$mutants_file"
    for id in "${ids[@]}"; do
        if [ -z "${m_file[$id]:-}" ] || [ -z "${m_bug[$id]:-}" ] || [ "${m_pairs[$id]}" -eq 0 ] ||
           [ -n "${m_find[$id:${m_pairs[$id]}]+x}" ]; then
            echo "$mutants_file: mutant '$id' needs file, bug and find/repl pairs" >&2; exit 2
        fi
    done
}
parse

# apply ID FILE: plant every find/repl pair of mutant ID in FILE; fails unless each original
# text occurs exactly once (fixed strings, compared as bytes)
apply() {
    local id=$1 file=$2 k
    for ((k = 0; k < m_pairs[$id]; k++)); do
        FIND=${m_find[$id:$k]} REPL=${m_repl[$id:$k]} perl -0777 -i -e '
            local $/; my $text = <>; my $find = $ENV{FIND}; my $n = 0; my $at = -1;
            for (my $i = index($text, $find); $i >= 0; $i = index($text, $find, $i + 1)) { $n++; $at = $i; }
            if ($n != 1) { print $text; print STDERR "found $n times\n"; exit 3 }
            substr($text, $at, length $find) = $ENV{REPL}; print $text;' "$file" || return 1
    done
}

selected=()
if [ -n "$only" ]; then
    IFS=, read -r -a wanted <<<"$only"
    for w in "${wanted[@]}"; do
        if [ -z "${m_pairs[$w]+x}" ]; then echo "$0: no mutant '$w'" >&2; exit 2; fi
        selected+=("$w")
    done
else
    selected=("${ids[@]}")
fi

if [ "$list" -eq 1 ]; then
    for id in "${selected[@]}"; do printf '%-32s %-26s %s\n' "$id" "${m_file[$id]}" "${m_bug[$id]}"; done
    exit 0
fi

if [ "$check" -eq 1 ]; then
    tmp=$(mktemp) bad=0
    for id in "${selected[@]}"; do
        if [ ! -f "$root/${m_file[$id]}" ]; then
            echo "$id: NOT APPLIED (no file ${m_file[$id]})"; bad=$((bad + 1)); continue
        fi
        cp "$root/${m_file[$id]}" "$tmp"
        if ! apply "$id" "$tmp" 2>"$tmp.log"; then
            echo "$id: NOT APPLIED (original text $(tail -1 "$tmp.log") in ${m_file[$id]})"; bad=$((bad + 1))
        elif cmp -s "$tmp" "$root/${m_file[$id]}"; then
            echo "$id: NOT APPLIED (the replacement changes nothing)"; bad=$((bad + 1))
        fi
    done
    rm -f "$tmp" "$tmp.log"
    echo "${#selected[@]} mutants, $bad not applied"
    [ "$bad" -eq 0 ]
    exit
fi

# ---- scratch copies ----
scratch=$(mktemp -d "${TMPDIR:-/tmp}/netc-mutation.XXXXXX")
if [ "$keep" -eq 0 ]; then trap 'rm -rf "$scratch"' EXIT; else echo "scratch: $scratch"; fi
mkdir -p "$scratch/results"
ncpu=$(nproc 2>/dev/null || echo 2)
ctest_j=$(( ncpu / jobs > 0 ? ncpu / jobs : 1 ))

# copy_tree DEST: the working tree as it is (tracked and untracked files, not ignored ones such
# as build/), so that uncommitted tests count
copy_tree() {
    mkdir -p "$1"
    (cd "$root" && git ls-files -z --cached --others --exclude-standard |
        tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$1"
}

# suite WORKER LOG: run the suite without the golden test; prints the failed tests' names
suite() {
    local stop=(--stop-on-failure)
    [ "$all_tests" -eq 1 ] && stop=()
    # without its record of past runs, ctest runs the tests in the order they are declared, the
    # quick unit tests first and e2e_models (serial, ~50 s) last, so a caught mutant stops early
    rm -f "$scratch/w$1/build/Testing/Temporary/CTestCostData.txt"
    ctest --test-dir "$scratch/w$1/build" -E '^golden$' -j"$ctest_j" --timeout "$timeout" \
        "${stop[@]}" >"$2" 2>&1
    sed -n '/The following tests FAILED:/,$p' "$2" | sed -n 's/^[[:space:]]*[0-9]* - \([^ ]*\) .*/\1/p'
}

worker() {
    local w=$1; shift
    local dir=$scratch/w$w src=$scratch/w$w/src build=$scratch/w$w/build
    copy_tree "$src"
    if ! { cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release && cmake --build "$build" -j"$ctest_j"; } \
        >"$dir.setup.log" 2>&1; then
        echo "worker $w: the unmutated source does not build; see $dir.setup.log" >&2
        return 1
    fi
    if [ "$w" -eq 1 ] && [ "$baseline" -eq 1 ]; then
        local failed
        failed=$(suite 1 "$dir.baseline.log")
        if [ -n "$failed" ] || ! grep -q '100% tests passed' "$dir.baseline.log"; then
            echo "the unmutated suite fails ($(echo $failed)): fix that first; see $dir.baseline.log" >&2
            touch "$scratch/baseline_failed"
            return 1
        fi
        echo "baseline: the unmutated suite passes"
    fi
    local id file t0 t_build status detail
    for id in "$@"; do
        [ -e "$scratch/baseline_failed" ] && return 1
        file=$src/${m_file[$id]}
        t0=$SECONDS t_build=0
        if [ ! -f "$file" ]; then
            status="NOT APPLIED" detail="no file ${m_file[$id]}"
        else
            cp "$file" "$dir.orig"
            if ! apply "$id" "$file" 2>"$dir.apply.log"; then
                status="NOT APPLIED" detail="original text $(tail -1 "$dir.apply.log") in ${m_file[$id]}"
            elif cmp -s "$file" "$dir.orig"; then
                status="NOT APPLIED" detail="the replacement changes nothing"
            elif ! cmake --build "$build" -j"$ctest_j" >"$scratch/results/$id.build.log" 2>&1; then
                status="build failed" detail="$(grep -m1 'error' "$scratch/results/$id.build.log")"
            else
                local failed
                t_build=$((SECONDS - t0))
                failed=$(suite "$w" "$scratch/results/$id.ctest.log")
                if [ -n "$failed" ]; then
                    status="caught" detail=$(echo $failed)
                elif grep -q '100% tests passed' "$scratch/results/$id.ctest.log"; then
                    status="SURVIVED" detail=""
                else
                    status="caught" detail="(ctest: $(tail -1 "$scratch/results/$id.ctest.log"))"
                fi
            fi
            # restore; the new mtime makes the next build compile the file again
            cat "$dir.orig" >"$file"
        fi
        printf '%s\t%s\t%s\n' "$status" "$detail" "$((SECONDS - t0))" >"$scratch/results/$id"
        printf '%-32s %-12s %s  (%ss, build %ss)\n' "$id" "$status" "$detail" "$((SECONDS - t0))" "$t_build"
    done
}

echo "mutation: ${#selected[@]} mutants, $jobs scratch copies, ctest -j$ctest_j, in $scratch"
pids=()
for ((w = 1; w <= jobs; w++)); do
    share=()
    for ((i = w - 1; i < ${#selected[@]}; i += jobs)); do share+=("${selected[$i]}"); done
    [ ${#share[@]} -gt 0 ] || continue
    worker "$w" "${share[@]}" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
if [ -e "$scratch/baseline_failed" ]; then exit 2; fi

# ---- the table and the score ----
caught=0 survived=0 broken=0 skipped=0 unrun=0
echo
echo "| mutant | file | bug | result |"
echo "|---|---|---|---|"
for id in "${selected[@]}"; do
    if [ ! -f "$scratch/results/$id" ]; then
        status="not run" detail=""
    else
        IFS=$'\t' read -r status detail _ <"$scratch/results/$id"
    fi
    case $status in
        caught) caught=$((caught + 1)); result="caught by $detail" ;;
        SURVIVED) survived=$((survived + 1)); result="**SURVIVED**" ;;
        "build failed") broken=$((broken + 1)); result="build failed" ;;
        "not run") unrun=$((unrun + 1)); result="not run (interrupted)" ;;
        *) skipped=$((skipped + 1)); result="$status${detail:+ ($detail)}" ;;
    esac
    echo "| $id | ${m_file[$id]} | ${m_bug[$id]} | $result |"
done
applied=$((caught + survived + broken))
echo
if [ "$applied" -gt 0 ]; then
    echo "score: $caught of $applied caught ($((100 * caught / applied))%); $survived survived," \
         "$broken failed to build, $skipped not applied$([ "$unrun" -gt 0 ] && echo ", $unrun not run")"
else
    echo "score: no mutant applied ($skipped not applied)"
fi
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ] && [ "$skipped" -eq 0 ] && [ "$unrun" -eq 0 ]
