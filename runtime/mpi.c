/* mpi.c: netrt_main_mpi(), a trainer as one rank of a data-parallel run under mpirun; the only
 * file of the runtime that knows MPI, built into its own library (libnetrt_mpi) when CMake finds
 * MPI, and linked only by `netc build --mpi`: a trainer built without it links no MPI at all.
 *
 * The driver talks to a NetrtComm (netrt_internal.h): its rank, the number of ranks, a sum of
 * floats or doubles over the ranks (MPI_Allreduce) and a gather (MPI_Allgather) of each rank's
 * start-up fingerprint. Everything else (shards, weighting, who writes) is the driver's.
 *
 * Faults. A rank that fails alone (a file rank 0 could not write) calls MPI_Abort, so that the
 * others are not left waiting in a sum; a rank that dies (SIGKILL) is seen by mpirun, which
 * names it and ends the job. Errors return an error code (MPI_ERRORS_RETURN) instead of
 * aborting inside MPI, so that the message names this rank and the call. */
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "netrt_internal.h"

/* A failed MPI call: this rank says which, and ends the job (the others may be waiting). */
static void check(int rc, NetrtComm *c, const char *what)
{
    if (rc == MPI_SUCCESS)
        return;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    fprintf(stderr, "netrt[rank %d]: %s failed: %s\n", c->rank, what, text);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static int open_mpi(NetrtComm *c, NetrtErr *err)
{
    int provided;
    /* FUNNELED: the trainer's threads (netrt_parallel, OpenBLAS) never call MPI; the main
     * thread alone does */
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return netrt_err(err, "MPI_Init failed: is this trainer started by mpirun?");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    /* the ranks sharing this machine's cores, which share them out (driver.c's set_up) */
    MPI_Comm local;
    c->local_size = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL,
                            &local) == MPI_SUCCESS) {
        MPI_Comm_size(local, &c->local_size);
        MPI_Comm_free(&local);
    }
    return 0;
}

static void sum_mpi(NetrtComm *c, void *values, size_t n, NetrtDtype dtype)
{
    MPI_Datatype type = dtype == NETRT_F32 ? MPI_FLOAT : MPI_DOUBLE;
    size_t elem = dtype == NETRT_F32 ? sizeof(float) : sizeof(double);
    /* MPI counts are ints: a model of more than 2^31 values goes in pieces */
    for (size_t at = 0; at < n;) {
        int count = n - at > (size_t)1 << 30 ? 1 << 30 : (int)(n - at);
        check(MPI_Allreduce(MPI_IN_PLACE, (char *)values + at * elem, count, type, MPI_SUM,
                            MPI_COMM_WORLD), c, "MPI_Allreduce");
        at += (size_t)count;
    }
}

static void gather_mpi(NetrtComm *c, const void *mine, void *all, size_t bytes)
{
    check(MPI_Allgather(mine, (int)bytes, MPI_BYTE, all, (int)bytes, MPI_BYTE, MPI_COMM_WORLD), c,
          "MPI_Allgather");
}

int netrt_main_mpi(const NetrtModel *model, int argc, char **argv)
{
    NetrtComm comm = {.rank = 0, .size = 1, .open = open_mpi, .sum = sum_mpi,
                      .gather = gather_mpi};
    int collective;
    int status = netrt_run(model, argc, argv, &comm, &collective);
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) /* failed before MPI_Init: mpirun sees the exit status */
        return status;
    if (status != 0 && !collective && comm.size > 1) {
        /* the others may be waiting for this rank in a sum: end the job */
        fprintf(stderr, "netrt[rank %d]: ending every rank (exit status %d)\n", comm.rank,
                status);
        fflush(NULL);
        MPI_Abort(MPI_COMM_WORLD, status);
    }
    MPI_Finalize();
    return status;
}
