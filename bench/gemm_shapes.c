/* gemm_shapes.c: netrt_sgemm (netc's AVX-512 kernel) against OpenBLAS's cblas_sgemm (the core in
 * force) on the products of the bench rows (gemm_shapes.h), GFLOP/s, best of 3, and the largest
 * difference between the two relative to the largest value. For docs/performance.md:
 *
 *   cc -O2 -I runtime -o gemm_shapes bench/gemm_shapes.c build/runtime/libnetrt.a \
 *      -lopenblas -lpng -lz -lm -pthread && ./gemm_shapes [THREADS]
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gemm_shapes.h"
#include "netrt_internal.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    netrt_adapt_threads(0); /* the kernel on THREADS threads, busy machine or not */
    printf("| product (m×n×k) | row | OpenBLAS %s | netrt_sgemm | difference |\n",
           openblas_get_corename());
    printf("|---|---|---|---|---|\n");
    for (int s = 0; s < GEMM_SHAPES; s++) {
        int m = gemm_shapes[s].m, n = gemm_shapes[s].n, k = gemm_shapes[s].k;
        char ta = gemm_shapes[s].ta, tb = gemm_shapes[s].tb;
        int lda = ta == 'N' ? k : m, ldb = tb == 'N' ? n : k;
        float *a = malloc(sizeof *a * m * k), *b = malloc(sizeof *b * k * n);
        float *c[2] = {malloc(sizeof(float) * m * n), malloc(sizeof(float) * m * n)};
        for (long i = 0; i < (long)m * k; i++)
            a[i] = (float)rand() / RAND_MAX - 0.5f;
        for (long i = 0; i < (long)k * n; i++)
            b[i] = (float)rand() / RAND_MAX - 0.5f;
        double rate[2];
        for (int own = 0; own < 2; own++) {
            netrt_gemm_use_own(own, threads);
            int reps = (int)(2e9 / (2.0 * m * n * k)) + 1;
            double best = 1e30;
            for (int r = 0; r < 3; r++) {
                double t0 = now();
                for (int q = 0; q < reps; q++)
                    netrt_sgemm(CblasRowMajor, ta == 'T' ? CblasTrans : CblasNoTrans,
                                tb == 'T' ? CblasTrans : CblasNoTrans, m, n, k, 1, a, lda, b, ldb,
                                0, c[own], n);
                double t = (now() - t0) / reps;
                best = t < best ? t : best;
            }
            rate[own] = 2.0 * m * n * k / best / 1e9;
            /* OpenBLAS's idle threads spin (sched_yield) for a while after a call: let them
             * fall asleep before netc's threads run, or they share the cores. */
            nanosleep(&(struct timespec){0, 300000000}, NULL);
        }
        double diff = 0, largest = 0;
        for (long i = 0; i < (long)m * n; i++) {
            diff = fmax(diff, fabs(c[0][i] - c[1][i]));
            largest = fmax(largest, fabs(c[0][i]));
        }
        printf("| %c%c %d×%d×%d | %s | %.0f | %.0f | %.1e |\n", ta, tb, m, n, k,
               gemm_shapes[s].what, rate[0], rate[1], diff / largest);
        free(a);
        free(b);
        free(c[0]);
        free(c[1]);
    }
    return 0;
}
