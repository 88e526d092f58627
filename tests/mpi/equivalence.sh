#!/usr/bin/env bash
# equivalence.sh ROOT WORK ST_COMPARE: the same .net, seed and global batch train to the same
# weights alone and on MPI ranks (the trainers of build.sh, in WORK):
#  - smooth (f32, batch 61, SGD with momentum), 20 steps: 2 ranks and 3 ranks reach the weights
#    of a single process within 1e-5 relative (each tensor's L2 norm; st_compare.c says why);
#  - models/fmnist_mlp.net in f64 (ReLU), 20 steps at batch 61: 2 ranks within 1e-10, where only
#    the order of the sums differs;
#  - augment (tests/mpi/augment.net, f64): flipped, rotated and shifted images, 20 steps: 2 ranks
#    within 1e-10 (each rank keeps its own samples' draws of the whole batch's; a rank that drew
#    for its own samples alone, planted once, put the weights 0.27 apart);
#  - rank 0 alone prints: one start-up block, one final line.
set -u
root=$1 work=$2 compare=$3
. "$root/tests/mpi/lib.sh"
cd "$work" || exit 1
run="--max-steps 20 --threads 1"
./smooth $run --save one.st >one.log 2>&1
check "alone: trains (exit $?)" $?
for np in 2 3; do
    mpi -np $np ./smooth_mpi $run --save ranks$np.st >ranks$np.log 2>&1
    status=$?
    check "$np ranks: train (exit $status)" $status
    "$compare" ranks$np.st one.st 1e-5
    check "$np ranks: the single process's weights within 1e-5" $?
done
check "2 ranks: rank 0 alone prints (one start-up block, one final line)" \
    "$( [ "$(grep -c '^model ' ranks2.log)" = 1 ] && [ "$(grep -c '^test: ' ranks2.log)" = 1 ] &&
        echo 0 || echo 1)"
check "2 ranks: the start-up block tells how a batch is shared" \
    "$(contains "$(cat ranks2.log)" "ranks     2 (MPI): each batch of 61 shared, 30 to 31 samples a rank")"

# ranks that mpirun leaves unbound share the machine's CPUs rather than each taking them all
cpus=$(nproc)
share=$((cpus / 2 > 1 ? cpus / 2 : 1))
mpi -np 2 --bind-to none ./smooth_mpi --max-steps 1 >unbound.log 2>&1
check "2 unbound ranks: $share thread(s) each of $cpus CPUs" \
    "$(contains "$(cat unbound.log)" "a rank: 2 ranks share this machine's $cpus CPUs")"
check "2 unbound ranks: the products on $share thread(s)" \
    "$(grep -q "^products .*, $share threads\? " unbound.log && echo 0 || echo 1)"

./mlp64 $run --batch 61 --save one64.st >one64.log 2>&1
check "f64 alone: trains" $?
mpi -np 2 ./mlp64_mpi $run --batch 61 --save ranks64.st >ranks64.log 2>&1
check "f64, 2 ranks: train" $?
"$compare" ranks64.st one64.st 1e-10
check "f64, 2 ranks: the single process's weights within 1e-10" $?

./augment64 $run --save one_aug.st >one_aug.log 2>&1
check "augmented alone: trains" $?
mpi -np 2 ./augment64_mpi $run --save ranks_aug.st >ranks_aug.log 2>&1
check "augmented, 2 ranks: train" $?
"$compare" ranks_aug.st one_aug.st 1e-10
check "augmented, 2 ranks: the single process's weights within 1e-10" $?
finish
