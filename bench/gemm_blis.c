/* gemm_blis.c: BLIS's sgemm for gemm_libs.c, in a file of its own: blis.h declares its own
 * cblas.h functions, which clash with OpenBLAS's in the same translation unit. Row-major
 * operands through BLIS's typed API, whose strides take either order. */
#include <blis.h>

#include "gemm_libs.h"

void blis_row_sgemm(char ta, char tb, int m, int n, int k, const float *a, int lda,
                    const float *b, int ldb, float *c, int ldc)
{
    float one = 1, zero = 0;
    bli_sgemm(ta == 'T' ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
              tb == 'T' ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, m, n, k, &one, (float *)a, lda, 1,
              (float *)b, ldb, 1, &zero, c, ldc, 1);
}

void blis_threads(int threads)
{
    bli_thread_set_num_threads(threads);
}

const char *blis_config(void)
{
    /* Initialized first: BLIS 0.9.0 aborts when BLIS_ARCH_TYPE forces a configuration before
     * its kernels are registered. */
    bli_init();
    return bli_arch_string(bli_arch_query_id());
}
