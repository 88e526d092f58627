/* test_portable.c: the runtime built for a CPU other than x86 (tests/cross/aarch64.sh builds it
 * for aarch64 and runs it under qemu): no CPU features are detected, the products run on
 * OpenBLAS, `--gemm` takes auto and openblas and says why netc's kernels are not there, and the
 * OpenBLAS core is the one OpenBLAS chose, never re-run for, with `--blas-core` refused.
 * Built for x86 the test has nothing to check and exits with SKIP_CODE, which ctest reports as
 * skipped (its SKIP_RETURN_CODE), never as passed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cblas.h>

#include "netrt_internal.h"
#include "test_util.h"

enum { SKIP_CODE = 77 };

#if !NETRT_X86
static void test_features(void)
{
    NetrtCpuFeatures f, none;
    memset(&none, 0, sizeof none);
    netrt_cpu_features(&f);
    CHECK(memcmp(&f, &none, sizeof f) == 0);
}

static void test_gemm(void)
{
    NetrtGemmStatus st;
    NetrtErr err;
    const char *openblas_ok[] = {NULL, "auto", "openblas"};
    for (int i = 0; i < 3; i++) {
        CHECK(netrt_gemm_setup(openblas_ok[i], 0, &st, &err) == 0);
        CHECK(!st.own);
        CHECK_CONTAINS(st.detail, "OpenBLAS");
    }
    CHECK(netrt_gemm_setup(NULL, 0, &st, &err) == 0);
    CHECK_CONTAINS(st.detail, "netc's kernels are x86-64 code; this is " NETRT_ARCH);
    CHECK(netrt_gemm_setup("netc", 0, &st, &err) == -1);
    CHECK_CONTAINS(err.msg, "--gemm netc: netc's kernels are x86-64 code");
    CHECK_CONTAINS(err.msg, "built for " NETRT_ARCH);
    CHECK_CONTAINS(err.msg, "--gemm auto or openblas");
    /* an unknown value is still reported as one */
    CHECK(netrt_gemm_setup("fastest", 0, &st, &err) == -1);
    CHECK_CONTAINS(err.msg, "expected auto");

    /* the products are OpenBLAS's: netrt_sgemm agrees with cblas_sgemm to the bit */
    enum { M = 5, N = 7, K = 9 };
    float a[M * K], b[K * N], c[M * N], want[M * N];
    for (int i = 0; i < M * K; i++)
        a[i] = (float)(i % 11) / 7 - 0.5f;
    for (int i = 0; i < K * N; i++)
        b[i] = (float)(i % 5) / 3 - 0.25f;
    netrt_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, a, K, b, N, 0, c, N);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, a, K, b, N, 0, want, N);
    CHECK(memcmp(c, want, sizeof c) == 0);
}

static void test_blas_core(void)
{
    const char *loaded = openblas_get_corename();
    NetrtBlasStatus st;
    NetrtErr err;
    char *argv[] = {"test_portable", NULL};
    /* returns, whatever the environment: nothing to re-run for off x86 */
    CHECK(netrt_blas_setup(1, argv, NULL, &st, &err) == 0);
    CHECK(!strcmp(st.core, loaded));
    const char *preset = getenv("OPENBLAS_CORETYPE");
    if (preset && preset[0]) {
        CHECK(st.origin == NETRT_BLAS_PRESET);
        /* an x86 core's name (a Haswell preset under qemu): OpenBLAS chose its own */
        if (strcasecmp(preset, loaded))
            CHECK(!strncmp(st.detail, "OPENBLAS_CORETYPE=", 18) &&
                  strstr(st.detail, " is not a core of this OpenBLAS, which chose "));
        else
            CHECK(!strcmp(st.detail, "preset by OPENBLAS_CORETYPE"));
    } else {
        CHECK(st.origin == NETRT_BLAS_DETECTED);
        CHECK(!strcmp(st.detail, "detected"));
    }
    CHECK(!st.remark[0]);
    CHECK(netrt_blas_setup(1, argv, "auto", &st, &err) == 0);
    CHECK(netrt_blas_setup(1, argv, "Haswell", &st, &err) == -1);
    CHECK_CONTAINS(err.msg, "--blas-core Haswell: netrt chooses among OpenBLAS's x86 cores");
    CHECK_CONTAINS(err.msg, "built for " NETRT_ARCH);
    CHECK_CONTAINS(err.msg, loaded);
}
#endif

int main(void)
{
#if NETRT_X86
    printf("SKIPPED: built for x86; the portable path is checked in a build for another CPU "
           "(tests/cross/aarch64.sh)\n");
    return SKIP_CODE;
#else
    test_features();
    test_gemm();
    test_blas_core();
    if (test_failures)
        fprintf(stderr, "test_portable: %d check(s) failed\n", test_failures);
    else
        printf("ok: built for %s: no CPU features, products on OpenBLAS (its %s core)\n",
               NETRT_ARCH, openblas_get_corename());
    return test_failures;
#endif
}
