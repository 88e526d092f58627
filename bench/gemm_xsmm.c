/* gemm_xsmm.c: netrt_sgemm for bench/xsmm_rows.sh, a trainer's products through libxsmm where
 * it generates a kernel. A generated trainer compiled with -Dnetrt_sgemm=xsmm_sgemm calls
 * this instead (this file is compiled without it). Products whose op(B) is not transposed
 * (NN, TN), with alpha 1 and beta 0 or 1, go to the kernel libxsmm generates for the shape:
 * whole when small (a convolution's product, on the thread of its range of samples), else in
 * two halves of the rows on netc's two threads, as netc's kernel splits them. Everything else,
 * and every shape libxsmm makes no kernel for, stays netc's. XSMM_COUNT=1 prints how many went
 * each way. Not part of any trainer: a measurement (docs/performance.md). */
#include <libxsmm.h>
#include <stdio.h>
#include <stdlib.h>

#include "netrt_internal.h"

typedef struct {
    char ta, tb;
    int m, n, k, lda, ldb, ldc;
    float beta;
    const float *a, *b;
    float *c;
} Product;

static long to_xsmm, to_netc;

/* Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: libxsmm gets the operands
 * swapped. The kernel for rows of C, or NULL. */
static libxsmm_smmfunction kernel(const Product *p, int rows)
{
    libxsmm_blasint m = p->n, n = rows, k = p->k, lda = p->ldb, ldb = p->lda, ldc = p->ldc;
    int flags = p->ta == 'T' ? LIBXSMM_GEMM_FLAG_TRANS_B : 0;
    float one = 1, beta = p->beta;
    return libxsmm_smmdispatch(m, n, k, &lda, &ldb, &ldc, &one, &beta, &flags, NULL);
}

static void rows_of(const Product *p, int i0, int i1)
{
    const float *a = p->a + (p->ta == 'N' ? (size_t)i0 * p->lda : (size_t)i0);
    kernel(p, i1 - i0)(p->b, a, p->c + (size_t)i0 * p->ldc);
}

static const Product *halved; /* the product split in two: only the trainer's thread splits */

static void half(int lo, int hi, int arg)
{
    (void)arg;
    for (int h = lo; h < hi; h++)
        rows_of(halved, h * halved->m / 2, (h + 1) * halved->m / 2);
}

void xsmm_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m,
                int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                float beta, float *c, int ldc)
{
    Product p = {trans_a == CblasTrans ? 'T' : 'N', trans_b == CblasTrans ? 'T' : 'N', m, n, k,
                 lda, ldb, ldc, beta, a, b, c};
    if (p.tb == 'N' && alpha == 1 && (beta == 0 || beta == 1) && m > 0 && n > 0 && k > 0) {
        /* netc's kernel keeps products under 2e5 multiply-adds on one thread, and so does a
         * product inside a range of samples (netrt_threads() is 1 there); so does this */
        if ((double)m * n * k < 2e5 || m < 2 || netrt_threads() < 2) {
            if (kernel(&p, m)) {
                rows_of(&p, 0, m);
                __atomic_add_fetch(&to_xsmm, 1, __ATOMIC_RELAXED);
                return;
            }
        } else if (kernel(&p, m / 2) && kernel(&p, m - m / 2)) {
            halved = &p;
            netrt_parallel(2, 1, half, 0);
            __atomic_add_fetch(&to_xsmm, 1, __ATOMIC_RELAXED);
            return;
        }
    }
    __atomic_add_fetch(&to_netc, 1, __ATOMIC_RELAXED);
    netrt_sgemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

__attribute__((destructor)) static void count(void)
{
    if (getenv("XSMM_COUNT"))
        fprintf(stderr, "gemm_xsmm: %ld products on libxsmm, %ld on netc's kernel\n", to_xsmm,
                to_netc);
}
