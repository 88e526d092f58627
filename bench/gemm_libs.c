/* gemm_libs.c: the bench rows' products (gemm_shapes.h) on every SGEMM at hand, GFLOP/s on 1
 * and 2 threads: netrt_sgemm for each --gemm choice given (netrt_gemm_setup's), OpenBLAS with
 * the core in force, BLIS (its kernels chosen at run time; BLIS_ARCH_TYPE forces a
 * configuration: in Debian's BLIS 0.9.0 a number, 0 skx, 3 haswell, 6 zen3, 25 generic) and
 * libxsmm (the kernel it generates for the shape,
 * called directly, marked "jit"; where it makes none, libxsmm_sgemm, which then calls the BLAS
 * linked, OpenBLAS here).
 * libxsmm's own threads need OpenMP: its 2 threads here are netc's, each computing one half of
 * C (rows, or columns when there are fewer rows). Every result is checked
 * against OpenBLAS's. Built and run by bench/gemm_libs.sh, never by the tests:
 *
 *   bench/gemm_libs.sh [--gemm CHOICE]...        (default: netc where the CPU allows it)
 *
 * Each figure is the best of 40 timings of a loop of about 1 ms. netc's threads stay as
 * asked (netrt_adapt_threads(0)): this measures the libraries, not the machine's load. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxsmm.h>

#include "gemm_libs.h"
#include "gemm_shapes.h"
#include "netrt_internal.h"

enum { MAX_CHOICES = 8 };

typedef struct {
    char ta, tb;
    int m, n, k, lda, ldb, ldc;
    const float *a, *b;
    float *c;
} Product;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: libxsmm (column-major, as
 * BLAS) gets the operands swapped, each with its own transposition. The kernel libxsmm
 * generates for the shape, called directly, as a trainer would after dispatching once; NULL
 * when libxsmm makes none. */
static libxsmm_smmfunction xsmm_kernel(const Product *p, int rows, int cols)
{
    libxsmm_blasint m = cols, n = rows, k = p->k, lda = p->ldb, ldb = p->lda, ldc = p->ldc;
    int flags = (p->tb == 'T' ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) |
                (p->ta == 'T' ? LIBXSMM_GEMM_FLAG_TRANS_B : 0);
    float one = 1, zero = 0;
    return libxsmm_smmdispatch(m, n, k, &lda, &ldb, &ldc, &one, &zero, &flags, NULL);
}

/* Rows i0..i1 and columns j0..j1 of C: through the generated kernel where there is one, else
 * libxsmm_sgemm, which calls the BLAS linked (OpenBLAS) for shapes it makes no kernel for. */
static void xsmm(const Product *p, int i0, int i1, int j0, int j1)
{
    const float *a = p->a + (p->ta == 'N' ? (size_t)i0 * p->lda : (size_t)i0);
    const float *b = p->b + (p->tb == 'N' ? (size_t)j0 : (size_t)j0 * p->ldb);
    float *c = p->c + (size_t)i0 * p->ldc + j0, one = 1, zero = 0;
    libxsmm_smmfunction kernel = xsmm_kernel(p, i1 - i0, j1 - j0);
    if (kernel) {
        kernel(b, a, c);
        return;
    }
    libxsmm_blasint m = j1 - j0, n = i1 - i0, k = p->k, lda = p->ldb, ldb = p->lda,
                    ldc = p->ldc;
    libxsmm_sgemm(&p->tb, &p->ta, &m, &n, &k, &one, b, &lda, a, &ldb, &zero, c, &ldc);
}

static const Product *halves_of; /* the product netrt_parallel's ranges split */

/* Half h of C: its rows, or its columns when there are fewer rows. */
static void half(const Product *p, int h, int *i0, int *i1, int *j0, int *j1)
{
    *i0 = 0, *i1 = p->m, *j0 = 0, *j1 = p->n;
    if (p->m >= p->n)
        *i0 = h * p->m / 2, *i1 = (h + 1) * p->m / 2;
    else
        *j0 = h * p->n / 2, *j1 = (h + 1) * p->n / 2;
}

static void xsmm_half(int lo, int hi, int arg)
{
    (void)arg;
    for (int h = lo; h < hi; h++) {
        int i0, i1, j0, j1;
        half(halves_of, h, &i0, &i1, &j0, &j1);
        xsmm(halves_of, i0, i1, j0, j1);
    }
}

enum { OPENBLAS, BLIS, XSMM, NETRT };

static void compute(int lib, const Product *p, int threads)
{
    switch (lib) {
    case OPENBLAS:
        cblas_sgemm(CblasRowMajor, p->ta == 'T' ? CblasTrans : CblasNoTrans,
                    p->tb == 'T' ? CblasTrans : CblasNoTrans, p->m, p->n, p->k, 1, p->a, p->lda,
                    p->b, p->ldb, 0, p->c, p->ldc);
        break;
    case BLIS:
        blis_row_sgemm(p->ta, p->tb, p->m, p->n, p->k, p->a, p->lda, p->b, p->ldb, p->c, p->ldc);
        break;
    case XSMM:
        if (threads == 1) {
            xsmm(p, 0, p->m, 0, p->n);
        } else {
            halves_of = p;
            netrt_parallel(2, 1, xsmm_half, 0);
        }
        break;
    default:
        netrt_sgemm(CblasRowMajor, p->ta == 'T' ? CblasTrans : CblasNoTrans,
                    p->tb == 'T' ? CblasTrans : CblasNoTrans, p->m, p->n, p->k, 1, p->a, p->lda,
                    p->b, p->ldb, 0, p->c, p->ldc);
    }
}

/* GFLOP/s of one library on one product: the best of 40 timings of a loop of about 1 ms. On a
 * shared machine a longer loop averages over the times the threads wait for a core; the best
 * of many short ones is the speed of the code. */
static double rate(int lib, const Product *p, int threads)
{
    double flop = 2.0 * p->m * p->n * p->k, t0 = now();
    compute(lib, p, threads); /* warm-up, and the loop's length */
    int reps = (int)(1e-3 / (now() - t0 + 1e-9)) + 1;
    double best = 1e30;
    for (int r = 0; r < 40; r++) {
        t0 = now();
        for (int q = 0; q < reps; q++)
            compute(lib, p, threads);
        double t = (now() - t0) / reps;
        best = t < best ? t : best;
    }
    return flop / best / 1e9;
}

/* Let a library's idle threads fall asleep (OpenBLAS's yield for a while after each call) before
 * the next one's run, so that they do not share the cores. */
static void settle(void)
{
    nanosleep(&(struct timespec){0, 300000000}, NULL);
}

int main(int argc, char **argv)
{
    const char *choices[MAX_CHOICES];
    int n_choices = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--gemm") && i + 1 < argc && n_choices < MAX_CHOICES) {
            choices[n_choices++] = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--gemm CHOICE]...\n", argv[0]);
            return 2;
        }
    }
    NetrtCpuFeatures f;
    netrt_cpu_features(&f);
    if (n_choices == 0 && f.avx512f)
        choices[n_choices++] = "netc";
    libxsmm_init();
    netrt_adapt_threads(0);

    printf("| product (m×n×k) | row | threads | OpenBLAS %s | BLIS %s | libxsmm",
           openblas_get_corename(), blis_config());
    for (int c = 0; c < n_choices; c++)
        printf(" | netrt_sgemm --gemm %s", choices[c]);
    printf(" |\n|---|---|---|---|---|---");
    for (int c = 0; c < n_choices; c++)
        printf("|---");
    printf("|\n");
    int wrong = 0;
    for (int s = 0; s < GEMM_SHAPES; s++) {
        Product p = {gemm_shapes[s].ta, gemm_shapes[s].tb, gemm_shapes[s].m, gemm_shapes[s].n,
                     gemm_shapes[s].k, 0, 0, 0, NULL, NULL, NULL};
        p.lda = p.ta == 'N' ? p.k : p.m;
        p.ldb = p.tb == 'N' ? p.n : p.k;
        p.ldc = p.n;
        float *a = malloc(sizeof *a * p.m * p.k), *b = malloc(sizeof *b * p.k * p.n);
        float *want = malloc(sizeof *want * p.m * p.n), *c = malloc(sizeof *c * p.m * p.n);
        if (!a || !b || !want || !c)
            return 1;
        for (long i = 0; i < (long)p.m * p.k; i++)
            a[i] = (float)rand() / RAND_MAX - 0.5f;
        for (long i = 0; i < (long)p.k * p.n; i++)
            b[i] = (float)rand() / RAND_MAX - 0.5f;
        p.a = a;
        p.b = b;
        p.c = want;
        openblas_set_num_threads(1);
        compute(OPENBLAS, &p, 1);
        p.c = c;
        int i0, i1, j0, j1;
        half(&p, 0, &i0, &i1, &j0, &j1);
        int jit[3] = {0, xsmm_kernel(&p, p.m, p.n) != NULL,
                      xsmm_kernel(&p, i1 - i0, j1 - j0) != NULL};
        for (int threads = 1; threads <= 2; threads++) {
            printf("| %c%c %d×%d×%d | %s | %d", p.ta, p.tb, p.m, p.n, p.k, gemm_shapes[s].what,
                   threads);
            for (int lib = OPENBLAS; lib < NETRT + n_choices; lib++) {
                if (lib == OPENBLAS)
                    openblas_set_num_threads(threads);
                else if (lib == BLIS)
                    blis_threads(threads);
                else if (lib == XSMM)
                    netrt_set_threads(threads);
                else {
                    NetrtGemmStatus st;
                    NetrtErr err;
                    if (netrt_gemm_setup(choices[lib - NETRT], threads, &st, &err) < 0) {
                        fprintf(stderr, "gemm_libs: %s\n", err.msg);
                        return 2;
                    }
                    netrt_adapt_threads(0);
                }
                memset(c, 0, sizeof *c * p.m * p.n);
                double r = rate(lib, &p, threads);
                double diff = 0, largest = 0;
                for (long i = 0; i < (long)p.m * p.n; i++) {
                    diff = fmax(diff, fabs(c[i] - want[i]));
                    largest = fmax(largest, fabs(want[i]));
                }
                if (diff > 1e-4 * largest) {
                    fprintf(stderr, "gemm_libs: %c%c %d×%d×%d, library %d: off by %g\n", p.ta,
                            p.tb, p.m, p.n, p.k, lib, diff / largest);
                    wrong++;
                }
                printf(" | %.0f%s", r, lib == XSMM && jit[threads] ? " (jit)" : "");
                fflush(stdout);
                if (lib == OPENBLAS)
                    settle();
            }
            printf(" |\n");
        }
        free(a);
        free(b);
        free(want);
        free(c);
    }
    libxsmm_finalize();
    return wrong != 0;
}
