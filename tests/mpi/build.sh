#!/usr/bin/env bash
# build.sh NETC ROOT WORK: the trainers the MPI tests run (fixture mpi_build), each without and with
# --mpi: smooth (tests/mpi/smooth.net, f32), models/fmnist_mlp.net in f64 (relu) and augment
# (tests/mpi/augment.net, f64).
# Then: a trainer built without --mpi links no MPI library, one built with it does.
set -u
netc=$1 root=$2 work=$3
. "$root/tests/mpi/lib.sh"
mkdir -p "$work" && cd "$work" || exit 1
"$netc" build "$root/tests/mpi/smooth.net" -o smooth >/dev/null &&
    "$netc" build --mpi "$root/tests/mpi/smooth.net" -o smooth_mpi >/dev/null &&
    "$netc" build --dtype f64 "$root/models/fmnist_mlp.net" -o mlp64 >/dev/null &&
    "$netc" build --mpi --dtype f64 "$root/models/fmnist_mlp.net" -o mlp64_mpi >/dev/null &&
    "$netc" build --dtype f64 "$root/tests/mpi/augment.net" -o augment64 >/dev/null &&
    "$netc" build --mpi --dtype f64 "$root/tests/mpi/augment.net" -o augment64_mpi >/dev/null ||
    { echo "FAIL build"; exit 1; }
check "without --mpi: no MPI library linked ($(ldd smooth | grep -c libmpi) in ldd)" \
    "$(ldd smooth | grep -q libmpi && echo 1 || echo 0)"
check "with --mpi: libmpi linked" "$(ldd smooth_mpi | grep -q libmpi && echo 0 || echo 1)"
check "without --mpi: main calls netrt_main" "$(grep -q 'return netrt_main(&model' smooth.c && echo 0 || echo 1)"
check "with --mpi: main calls netrt_main_mpi, the only difference in the code" \
    "$(diff smooth.c smooth_mpi.c | grep '^[<>]' | grep -v ' \* ' | grep -c . | grep -qx 2 && echo 0 || echo 1)"
finish
