/* gemm_libs.h: what gemm_libs.c calls in gemm_blis.c: C = op(A)·op(B), row-major, alpha 1,
 * beta 0; the threads of BLIS's products; and the configuration (kernels) BLIS runs. */
void blis_row_sgemm(char ta, char tb, int m, int n, int k, const float *a, int lda,
                    const float *b, int ldb, float *c, int ldc);
void blis_threads(int threads);
const char *blis_config(void);
