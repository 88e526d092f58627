/* mpi_allreduce.c: the cost of the sum a data-parallel step makes, alone: MPI_Allreduce (sum, in
 * place) of N floats over the ranks, `reps` times after a barrier each, as netrt's driver calls
 * it. Prints, on rank 0, the fastest and the median time of one call, and the bandwidth the
 * fastest implies (bytes / time). bench/mpi.sh builds it with mpicc and runs it beside the
 * trainers, for docs/distributed.md's table.
 *     mpirun -np 2 ./mpi_allreduce N [reps]                                                    */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long n = argc > 1 ? atol(argv[1]) : 203530;
    int reps = argc > 2 ? atoi(argv[2]) : 200;
    float *v = malloc(sizeof *v * (size_t)n);
    double *t = malloc(sizeof *t * (size_t)reps);
    if (!v || !t || n < 1 || reps < 1)
        MPI_Abort(MPI_COMM_WORLD, 1);
    for (long i = 0; i < n; i++)
        v[i] = 1e-3f * (float)(i % 1000);
    for (int r = 0; r < reps; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        t[r] = MPI_Wtime() - t0;
        for (long i = 0; i < n; i++) /* keep the values finite */
            v[i] *= 1.0f / (float)size;
    }
    qsort(t, (size_t)reps, sizeof *t, by_value);
    if (rank == 0)
        printf("allreduce %d ranks, %ld bytes: fastest %.3f ms, median %.3f ms, %.0f MB/s\n",
               size, n * 4, 1e3 * t[0], 1e3 * t[reps / 2], n * 4 / t[0] / 1e6);
    free(v);
    free(t);
    MPI_Finalize();
    return 0;
}
