#!/usr/bin/env bash
# install.sh BUILD SOURCE WORK: `cmake --install` into a prefix; examples/cmake-project configured
# against it (find_package(netc), netc_add_trainer), built and trained; then the prefix moved
# elsewhere, and its netc still builds a trainer, with the runtime beside it (netc --version
# says which runtime it takes).
set -u
build=$1 root=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
run() { # run LOG COMMAND…: the command's output kept in LOG, shown if it fails
    local log=$1; shift
    "$@" >"$log" 2>&1 || { cat "$log"; fail "$* (exit $?)"; }
}

run "$work/install.log" cmake --install "$build" --prefix "$work/prefix"
for f in bin/netc lib/netc/libnetrt.a include/netc/netrt.h lib/cmake/netc/netcConfig.cmake \
         lib/cmake/netc/netcTargets.cmake; do
    [ -f "$work/prefix/$f" ] || fail "cmake --install did not install $f"
done
echo "ok installed: bin/netc, lib/netc/libnetrt.a, include/netc/netrt.h, lib/cmake/netc"

run "$work/configure.log" cmake -S "$root/examples/cmake-project" -B "$work/project" \
    -DCMAKE_PREFIX_PATH="$work/prefix"
run "$work/build.log" cmake --build "$work/project"
run "$work/fit.log" "$work/project/fit_sine" --epochs 300
grep -Eq '^test: loss [0-9.e+-]+  mse [0-9.e+-]+  mae [0-9.e+-]+$' "$work/fit.log" ||
    { cat "$work/fit.log"; fail "the project's trainer printed no final test line"; }
echo "ok examples/cmake-project: find_package(netc), netc_add_trainer, $(tail -1 "$work/fit.log")"

mv "$work/prefix" "$work/moved"
"$work/moved/bin/netc" --version >"$work/version.log" 2>&1
grep -qx "runtime: $work/moved/lib/netc/libnetrt.a" "$work/version.log" ||
    { cat "$work/version.log"; fail "the moved netc does not take the runtime beside it"; }
run "$work/moved.log" "$work/moved/bin/netc" build "$root/examples/cmake-project/fit_sine.net" \
    -o "$work/fit_moved"
run "$work/moved_fit.log" "$work/fit_moved" --epochs 5
echo "ok the installed netc, moved to another prefix, builds with its own runtime"
