/* sgemm_peak.c: the machine's SGEMM rate with the OpenBLAS core in force: C = A·B at 2048³,
 * best of 5 after a warm-up, on the threads OpenBLAS uses (2 on these machines). Prints
 * "GFLOP/s core threads". */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void)
{
    enum { N = 2048 };
    float *a = malloc(sizeof(float) * N * N), *b = malloc(sizeof(float) * N * N),
          *c = malloc(sizeof(float) * N * N);
    if (!a || !b || !c)
        return 1;
    for (long i = 0; i < (long)N * N; i++) {
        a[i] = (float)(i % 7) / 7;
        b[i] = (float)(i % 5) / 5;
    }
    double best = 1e30;
    for (int r = 0; r < 6; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, a, N, b, N, 0.0f,
                    c, N);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (r > 0 && s < best) /* the first call is the warm-up */
            best = s;
    }
    printf("%.1f %s %d\n", 2.0 * N * N * N / best / 1e9, openblas_get_corename(),
           openblas_get_num_threads());
    free(a);
    free(b);
    free(c);
    return 0;
}
