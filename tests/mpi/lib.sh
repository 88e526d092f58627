# lib.sh: what the MPI tests share (sourced). mpirun's options for one machine: as root Open MPI
# wants --allow-run-as-root (CI runs as root; the option is harmless otherwise), and
# --oversubscribe lets it start more ranks than it counts cores. Between ranks on one machine
# Open MPI uses shared memory (vader), and for large messages a direct copy between processes
# (process_vm_readv), which Docker's default seccomp profile forbids: every sum then fails with
# "Read -1, expected …, errno = 1" (open-mpi/ompi#4948). Without it, the copy goes through the
# shared memory: it works everywhere, and was no slower here (docs/distributed.md).
export OMPI_MCA_btl_vader_single_copy_mechanism=none
pass=0 fail=0
check() { # check NAME STATUS(0 = pass)
    if [ "$2" -eq 0 ]; then echo "ok $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
contains() { case $1 in *"$2"*) echo 0 ;; *) echo 1 ;; esac; }
mpi() { timeout 120 mpirun --allow-run-as-root --oversubscribe "$@"; }
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
