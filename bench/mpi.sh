#!/usr/bin/env bash
# bench/mpi.sh [NETC]: docs/distributed.md's table. Builds models/fmnist_mlp.net and
# examples/fmnist_cnn.net with and without --mpi, then trains each for some steps as 1 process with
# 1 thread, 1 process with 2 threads, and 2 ranks with 1 thread each (mpirun -np 2 on this
# machine), three times in turn, keeping each setting's fastest run (the shared machine's speed
# drifts); and times MPI_Allreduce of each model's gradients alone (mpi_allreduce.c).
# Prints one line per setting: samples/s, the seconds of the steps, the CPU seconds of rank 0,
# the allreduce's ms per step and its bytes. The load average is printed before and after.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
netc=${1:-$root/build/compiler/netc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mpi="mpirun --allow-run-as-root --oversubscribe"
for m in models/fmnist_mlp.net examples/fmnist_cnn.net; do
    b=$(basename $m .net)
    "$netc" build "$root/$m" -o $b >/dev/null
    "$netc" build --mpi "$root/$m" -o ${b}_mpi >/dev/null
done
mpicc -O2 -o mpi_allreduce "$root/bench/mpi_allreduce.c"
echo "load before: $(cat /proc/loadavg)"
for rep in 1 2 3; do
    for b in fmnist_mlp fmnist_cnn; do
        steps=$([ $b = fmnist_mlp ] && echo 600 || echo 120)
        for cfg in 1x1 1x2 2x1; do
            case $cfg in
            1x1) out=$(./$b --max-steps $steps --threads 1) ;;
            1x2) out=$(./$b --max-steps $steps --threads 2) ;;
            2x1) out=$($mpi -np 2 ./${b}_mpi --max-steps $steps --threads 1) ;;
            esac
            sps=$(echo "$out" | sed -n 's/.* \([0-9]*\) samples\/s.*/\1/p')
            sec=$(echo "$out" | sed -n 's/^epoch 1\/1.*  \([0-9.]*\) s  cpu \([0-9.]*\) s.*/\1 \2/p')
            ar=$(echo "$out" | sed -n 's/^ranks     2: gradients summed [0-9]* times, \([0-9]*\) bytes each, \([0-9.]*\) ms a step.*/\2 \1/p')
            echo "$b $cfg $sps $sec ${ar:-0 0}"
        done
    done
done | sort -k1,2 -k3,3nr | awk '!seen[$1 $2]++ { printf "%-11s %s  %6d samples/s  %5.2f s  cpu %5.2f s  allreduce %6.3f ms/step  %7d bytes\n", $1, $2, $3, $4, $5, $6, $7 }'
$mpi -np 2 ./mpi_allreduce 203530 # fmnist_mlp's parameters
$mpi -np 2 ./mpi_allreduce 421642 # fmnist_cnn's
echo "load after: $(cat /proc/loadavg)"
