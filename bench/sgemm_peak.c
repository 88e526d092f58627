/* sgemm_peak.c: the machine's SGEMM rate, C = A·B at 2048³, best of 5 after a warm-up, twice:
 * with OpenBLAS's core in force on the threads OpenBLAS uses, and with what a trainer's
 * netrt_sgemm runs (netc's best kernel for the CPU, or the one named: sgemm_peak [PATH],
 * PATH as a trainer's --gemm, on the CPUs available). The
 * kernel reads its operands in place, so rows exactly 2048 floats apart fall on the same cache
 * sets; its run leaves 16 floats of padding at the end of each row (LD), as a trainer's
 * buffers, whose rows are 784, 512 or 64 wide, never hit that.
 * Prints "openblas-GFLOP/s core threads netrt-GFLOP/s kernel threads", kernel "avx512", "avx2"
 * or "openblas". */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "netrt_internal.h"

enum { N = 2048, LD = N + 16 };

static double rate(int through_netrt, const float *a, const float *b, float *c)
{
    int ld = through_netrt ? LD : N;
    double best = 1e30;
    for (int r = 0; r < 6; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (through_netrt)
            netrt_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, a, ld, b, ld,
                        0.0f, c, ld);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, a, N, b, N,
                        0.0f, c, N);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (r > 0 && s < best) /* the first call is the warm-up */
            best = s;
    }
    return 2.0 * N * N * N / best / 1e9;
}

int main(int argc, char **argv)
{
    const char *choice = argc > 1 ? argv[argc - 1] : NULL;
    float *a = malloc(sizeof(float) * N * LD), *b = malloc(sizeof(float) * N * LD),
          *c = malloc(sizeof(float) * N * LD);
    if (!a || !b || !c)
        return 1;
    for (long i = 0; i < (long)N * LD; i++) {
        a[i] = (float)(i % 7) / 7;
        b[i] = (float)(i % 5) / 5;
    }
    double blas = rate(0, a, b, c);
    NetrtGemmStatus st;
    NetrtErr err;
    if (netrt_gemm_setup(choice, 0, &st, &err) < 0) {
        netrt_err_print(&err);
        return 1;
    }
    netrt_adapt_threads(0); /* the kernel's peak, on all its threads, busy machine or not */
    double own = rate(1, a, b, c);
    printf("%.1f %s %d %.1f %s %d\n", blas, openblas_get_corename(), openblas_get_num_threads(),
           own, netrt_gemm_name(st.kernel), st.threads);
    free(a);
    free(b);
    free(c);
    return 0;
}
