#!/usr/bin/env bash
# faults.sh ROOT WORK ST_COMPARE: a data-parallel run that goes wrong ends, every rank, with a
# message that names the rank, and never hangs (each run bounded; the trainers of build.sh):
#  - rank 1 killed (SIGKILL) mid-run: mpirun ends the job and names rank 1;
#  - rank 1 started with another thread count, another model, another data set (one label
#    changed), or failing to read its data: every rank exits at start-up, rank 0 saying what;
#  - SIGINT to mpirun (Ctrl-C), which sends SIGTERM to the ranks: both stop at the same step (no
#    rank is left waiting, to be killed), rank 0 writes the checkpoint and says where it stopped;
#    --resume on 2 ranks goes on to the same weights as a run never stopped.
set -u
root=$1 work=$2 compare=$3
. "$root/tests/mpi/lib.sh"
cd "$work" || exit 1

# start_bg LOG ARGS…: mpirun ARGS in the background, its pid in $bg
start_bg() {
    local log=$1
    shift
    mpirun --allow-run-as-root --oversubscribe "$@" >"$log" 2>&1 &
    bg=$!
}
# wait_for LOG TEXT: until LOG holds TEXT (60 s at most)
wait_for() {
    for _ in $(seq 600); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
# finish_bg SECONDS: wait for $bg that long at most; its exit status, or 124 (killed) if it hung
finish_bg() {
    for _ in $(seq $(($1 * 10))); do
        kill -0 "$bg" 2>/dev/null || { wait "$bg"; return $?; }
        sleep 0.1
    done
    kill -9 "$bg" 2>/dev/null
    wait "$bg"
    return 124
}
# rank_pid N: the pid of rank N among mpirun $bg's children (read from /proc: no procps needed)
rank_pid() {
    local stat p
    for stat in /proc/[0-9]*/stat; do
        p=${stat#/proc/}
        p=${p%/stat}
        # field 4 is the parent's pid; field 2, the name in parentheses, has no spaces here
        [ "$(cut -d' ' -f4 "$stat" 2>/dev/null)" = "$bg" ] || continue
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && echo "$p"
    done
}

# --- a rank killed
start_bg kill.log -np 2 ./smooth_mpi --threads 1 --epochs 20
wait_for kill.log "^ranks     2 (MPI)"
sleep 0.5
victim=$(rank_pid 1)
[ -n "$victim" ] && kill -9 "$victim"
finish_bg 60
status=$?
check "rank 1 killed (pid ${victim:-none}): the job ends (exit $status, not 0 or 124)" \
    "$([ -n "$victim" ] && [ $status -ne 0 ] && [ $status -ne 124 ] && echo 0 || echo 1)"
check "rank 1 killed: named" "$(contains "$(cat kill.log)" "rank 1 with PID")"

# --- ranks that differ, or fail, at start-up
S=/usr/share/datasets/fashion-mnist
mkdir -p other/fashion-mnist broken/fashion-mnist
for f in t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz train-images-idx3-ubyte.gz; do
    ln -sf "$S/$f" "other/fashion-mnist/$f"
    ln -sf "$S/$f" "broken/fashion-mnist/$f"
done
gzip -dc "$S/train-labels-idx1-ubyte.gz" >labels.raw
{ head -c 8 labels.raw; printf '\x00'; tail -c +10 labels.raw; } >other/fashion-mnist/train-labels-idx1-ubyte
head -c 1000 labels.raw >broken/fashion-mnist/train-labels-idx1-ubyte
differ() { # differ NAME EXPECTED-TEXT MPIRUN-ARGS…
    local name=$1 text=$2
    shift 2
    start_bg differ.log "$@"
    finish_bg 60
    local status=$?
    check "$name: every rank exits (exit $status, not 0 or 124)" \
        "$([ $status -ne 0 ] && [ $status -ne 124 ] && echo 0 || echo 1)"
    check "$name: rank 0 says so" "$(contains "$(cat differ.log)" "$text")"
    [ "$(contains "$(cat differ.log)" "$text")" = 0 ] || cat differ.log
}
run="--max-steps 5"
differ "another thread count" "rank 1 (on $(hostname)) differs from rank 0 (on $(hostname)): 2 threads" \
    -np 1 ./smooth_mpi $run --threads 1 : -np 1 ./smooth_mpi $run --threads 2
differ "another model" "rank 1 (on $(hostname)) differs from rank 0 (on $(hostname)): another model" \
    -np 1 ./smooth_mpi $run --threads 1 : -np 1 ./mlp64_mpi $run --threads 1
differ "another data set" "differs from rank 0 (on $(hostname)): another data set: 60000 train" \
    -np 1 ./smooth_mpi $run --threads 1 : -np 1 -x NETC_DATA_DIR="$PWD/other" ./smooth_mpi $run --threads 1
differ "rank 1 cannot read its data" "rank 1 (on $(hostname)) failed to start" \
    -np 1 ./smooth_mpi $run --threads 1 : -np 1 -x NETC_DATA_DIR="$PWD/broken" ./smooth_mpi $run --threads 1
check "rank 1 cannot read its data: its own message, with its rank" \
    "$(contains "$(cat differ.log)" "netrt[rank 1]: $PWD/broken/fashion-mnist/train-labels-idx1-ubyte: truncated")"

# --- Ctrl-C
rm -f int.ckpt
# Ctrl-C as soon as rank 0 starts training; 20000 steps (21 epochs of the file's batch of 61)
# take 2 s on a quiet machine (an epoch, 0.1 s, was over before the signal came), 10 s on a busy
# one: long enough for the signal to come mid-run on any machine
steps="--epochs 25 --max-steps 20000"
start_bg int.log -np 2 ./smooth_mpi --threads 1 $steps --checkpoint int.ckpt --save int.st
wait_for int.log "^ranks     2 (MPI)"
kill -INT "$bg"
finish_bg 60
status=$?
grep '^interrupted' int.log
check "SIGINT to mpirun: the job ends (exit $status, not 0 or 124)" \
    "$([ $status -ne 0 ] && [ $status -ne 124 ] && echo 0 || echo 1)"
check "SIGINT: rank 0 says where every rank stopped" \
    "$(grep -q '^interrupted by SIGTERM: [0-9]* epochs and [0-9]* of 60000 samples of epoch [0-9]* done, step [0-9]*; checkpoint int.ckpt' int.log && echo 0 || echo 1)"
check "SIGINT: no rank left waiting (none killed)" \
    "$(grep -q 'exited on signal' int.log && echo 1 || echo 0)"
check "SIGINT: the checkpoint written" "$([ -s int.ckpt ] && echo 0 || echo 1)"
mpi -np 2 ./smooth_mpi --threads 1 $steps --resume int.ckpt --save resumed.st >resume.log 2>&1
check "--resume on 2 ranks: goes on to the end (exit $?)" $?
mpi -np 2 ./smooth_mpi --threads 1 $steps --save straight.st >straight.log 2>&1
check "a run never stopped (exit $?)" $?
"$compare" resumed.st straight.st 0
check "stopped and resumed: the weights of the run never stopped" $?
finish
