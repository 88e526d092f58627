/* gemm_shapes.c: netrt_sgemm on the products of the bench rows (gemm_shapes.h), on each path
 * this CPU runs: netc's AVX-512 and AVX2 kernels and OpenBLAS's cblas_sgemm (the core in force),
 * on 2 threads and on 1. GFLOP/s, the best of 3 rounds in which the paths take turns; and the largest
 * difference of netc's kernels from OpenBLAS, relative to the largest value. On 2 threads the
 * time is the wall clock's; on 1, the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID, which
 * computes every product on 1 thread, on every path), which other processes on a shared machine
 * do not inflate by taking the core away. For docs/performance.md:
 *
 *   cc -O2 -I runtime -o gemm_shapes bench/gemm_shapes.c build/runtime/libnetrt.a \
 *      -lopenblas -lpng -lz -lm -pthread && ./gemm_shapes [PATH...]
 *
 * PATH: avx512, avx2 or openblas; default: every one this CPU runs.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gemm_shapes.h"
#include "netrt_internal.h"

static double now(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    const NetrtGemmKernel all[] = {NETRT_GEMM_AVX512, NETRT_GEMM_AVX2, NETRT_GEMM_OPENBLAS};
    NetrtGemmKernel paths[3];
    int n_paths = 0;
    char why[160];
    for (int i = 0; i < 3; i++) {
        int asked = argc == 1;
        for (int j = 1; j < argc; j++)
            asked |= !strcmp(argv[j], netrt_gemm_name(all[i]));
        if (!asked)
            continue;
        if (netrt_gemm_available(all[i], why, sizeof why))
            paths[n_paths++] = all[i];
        else
            fprintf(stderr, "gemm_shapes: %s left out: %s\n", netrt_gemm_name(all[i]), why);
    }
    netrt_adapt_threads(0); /* the kernels on the threads asked for, busy machine or not */
    static const int thread_counts[] = {2, 1};
    printf("GFLOP/s; OpenBLAS's core: %s\n\n| product (m×n×k) | row |", openblas_get_corename());
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < n_paths; i++)
            printf(" %s %d thr%s |", netrt_gemm_name(paths[i]), thread_counts[t],
                   thread_counts[t] == 1 ? " (CPU time)" : "");
    printf(" difference |\n|---|---|");
    for (int i = 0; i < 2 * n_paths + 1; i++)
        printf("---|");
    printf("\n");
    for (int s = 0; s < GEMM_SHAPES; s++) {
        int m = gemm_shapes[s].m, n = gemm_shapes[s].n, k = gemm_shapes[s].k;
        char ta = gemm_shapes[s].ta, tb = gemm_shapes[s].tb;
        int lda = ta == 'N' ? k : m, ldb = tb == 'N' ? n : k;
        float *a = malloc(sizeof *a * m * k), *b = malloc(sizeof *b * k * n);
        float *c[3];
        for (int i = 0; i < n_paths; i++)
            c[i] = malloc(sizeof(float) * m * n);
        for (long i = 0; i < (long)m * k; i++)
            a[i] = (float)rand() / RAND_MAX - 0.5f;
        for (long i = 0; i < (long)k * n; i++)
            b[i] = (float)rand() / RAND_MAX - 0.5f;
        printf("| %c%c %d×%d×%d | %s |", ta, tb, m, n, k, gemm_shapes[s].what);
        /* The paths take turns, three rounds, each keeping its best: a machine whose speed
         * drifts slows them alike. */
        int reps = (int)(2e9 / (2.0 * m * n * k)) + 1;
        for (int t = 0; t < 2; t++) {
            double best[3] = {1e30, 1e30, 1e30};
            for (int round = 0; round < 3; round++)
                for (int i = 0; i < n_paths; i++) {
                    netrt_gemm_use(paths[i], thread_counts[t]);
                    openblas_set_num_threads(thread_counts[t]);
                    clockid_t clock = thread_counts[t] == 1 ? CLOCK_THREAD_CPUTIME_ID
                                                            : CLOCK_MONOTONIC;
                    double t0 = now(clock);
                    for (int q = 0; q < reps; q++)
                        netrt_sgemm(CblasRowMajor, ta == 'T' ? CblasTrans : CblasNoTrans,
                                    tb == 'T' ? CblasTrans : CblasNoTrans, m, n, k, 1, a, lda, b,
                                    ldb, 0, c[i], n);
                    double t1 = (now(clock) - t0) / reps;
                    best[i] = t1 < best[i] ? t1 : best[i];
                    /* OpenBLAS's idle threads spin (sched_yield) for a while after a call: let
                     * them fall asleep before netc's threads run, or they share the cores. */
                    if (paths[i] == NETRT_GEMM_OPENBLAS && thread_counts[t] > 1)
                        nanosleep(&(struct timespec){0, 300000000}, NULL);
                }
            for (int i = 0; i < n_paths; i++)
                printf(" %.0f |", 2.0 * m * n * k / best[i] / 1e9);
            fflush(stdout);
        }
        double diff = 0, largest = 0;
        int blas = n_paths - 1; /* OpenBLAS, when it ran, is the last */
        for (int i = 0; i < n_paths && paths[blas] == NETRT_GEMM_OPENBLAS; i++)
            for (long e = 0; e < (long)m * n; e++) {
                diff = fmax(diff, fabs(c[i][e] - c[blas][e]));
                largest = fmax(largest, fabs(c[blas][e]));
            }
        printf(" %.1e |\n", largest > 0 ? diff / largest : 0.0);
        free(a);
        free(b);
        for (int i = 0; i < n_paths; i++)
            free(c[i]);
    }
    return 0;
}
