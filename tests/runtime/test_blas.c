/* test_blas.c: blas.c without depending on this machine's CPU or environment: the choice of an
 * OpenBLAS core as a pure function of stubbed CPU features and core names, the GEMM self-test
 * (it passes on whatever core is loaded now, and fails on deliberately wrong GEMMs), and finding
 * --blas-core in argv. The cores this CPU can actually run are checked by blas_test.sh. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "netrt_internal.h"
#include "test_util.h"

/* ---- netrt_blas_choose ---- */

/* A Xeon (family 6 model 207) or Zen 4/5: AVX-512 with every subset SkylakeX's kernels use. */
static NetrtCpuFeatures avx512_cpu(void)
{
    NetrtCpuFeatures f = {.avx = 1, .fma = 1, .avx2 = 1, .avx512f = 1, .avx512dq = 1,
                          .avx512cd = 1, .avx512bw = 1, .avx512vl = 1};
    return f;
}

static NetrtCpuFeatures avx2_cpu(void) /* Haswell to Alder Lake, Zen 1-3 */
{
    NetrtCpuFeatures f = {.avx = 1, .fma = 1, .avx2 = 1};
    return f;
}

static void test_upgrades(void)
{
    NetrtBlasChoice c;
    NetrtCpuFeatures xeon = avx512_cpu(), avx2 = avx2_cpu();

    /* OpenBLAS 0.3.21 on a Xeon it does not know: Prescott → SkylakeX */
    CHECK(netrt_blas_choose(&xeon, "Prescott", NULL, NULL, &c) == 0);
    CHECK(c.origin == NETRT_BLAS_UPGRADED);
    CHECK(!strcmp(c.core, "SkylakeX"));
    CHECK(c.reexec == 1);
    CHECK(!strcmp(c.reason, "the CPU has AVX-512"));
    CHECK(c.remark[0] == '\0');

    /* AVX2 and FMA only: Prescott → Haswell */
    CHECK(netrt_blas_choose(&avx2, "Prescott", NULL, NULL, &c) == 0);
    CHECK(c.origin == NETRT_BLAS_UPGRADED);
    CHECK(!strcmp(c.core, "Haswell"));
    CHECK(c.reexec == 1);
    CHECK(!strcmp(c.reason, "the CPU has AVX2 and FMA"));

    /* AVX-level cores below an AVX2 or AVX-512 CPU, and Zen on an AVX-512 Zen 4 */
    CHECK(netrt_blas_choose(&avx2, "Sandybridge", NULL, NULL, &c) == 0 &&
          !strcmp(c.core, "Haswell") && c.reexec);
    CHECK(netrt_blas_choose(&xeon, "Nehalem", NULL, NULL, &c) == 0 &&
          !strcmp(c.core, "SkylakeX") && c.reexec);
    CHECK(netrt_blas_choose(&xeon, "Zen", NULL, NULL, &c) == 0 && !strcmp(c.core, "SkylakeX") &&
          c.origin == NETRT_BLAS_UPGRADED);
    /* the name's case does not matter (it varies between OpenBLAS versions) */
    CHECK(netrt_blas_choose(&xeon, "HASWELL", NULL, NULL, &c) == 0 &&
          !strcmp(c.core, "SkylakeX") && c.reexec);

    /* AVX-512F without BW and VL (Knights Landing): not enough for SkylakeX, AVX2 is */
    NetrtCpuFeatures knl = avx2;
    knl.avx512f = knl.avx512cd = 1;
    CHECK(netrt_blas_choose(&knl, "Prescott", NULL, NULL, &c) == 0 && !strcmp(c.core, "Haswell"));
    /* ... nor without DQ, which -march=skylake-avx512 may use */
    NetrtCpuFeatures no_dq = xeon;
    no_dq.avx512dq = 0;
    CHECK(netrt_blas_choose(&no_dq, "Prescott", NULL, NULL, &c) == 0 &&
          !strcmp(c.core, "Haswell"));
    /* AVX2 without FMA is not Haswell's level */
    NetrtCpuFeatures no_fma = avx2;
    no_fma.fma = 0;
    CHECK(netrt_blas_choose(&no_fma, "Prescott", NULL, NULL, &c) == 0 && !c.reexec &&
          c.origin == NETRT_BLAS_DETECTED);
}

static void test_keeps(void)
{
    NetrtBlasChoice c;
    NetrtCpuFeatures xeon = avx512_cpu(), avx2 = avx2_cpu();

    /* the best the CPU has is loaded already */
    CHECK(netrt_blas_choose(&xeon, "Cooperlake", NULL, NULL, &c) == 0);
    CHECK(c.origin == NETRT_BLAS_DETECTED && !c.reexec && !strcmp(c.core, "Cooperlake"));
    CHECK(c.reason[0] == '\0' && c.remark[0] == '\0');
    CHECK(netrt_blas_choose(&xeon, "skylakex", NULL, NULL, &c) == 0 && !c.reexec);
    CHECK(netrt_blas_choose(&avx2, "Zen", NULL, NULL, &c) == 0 && !c.reexec);
    CHECK(netrt_blas_choose(&avx2, "Haswell", NULL, NULL, &c) == 0 && !c.reexec);

    /* no AVX2: nothing better to choose, even from Prescott */
    NetrtCpuFeatures avx_only = {.avx = 1}, sse_only = {0};
    CHECK(netrt_blas_choose(&avx_only, "Prescott", NULL, NULL, &c) == 0);
    CHECK(c.origin == NETRT_BLAS_DETECTED && !c.reexec && !strcmp(c.core, "Prescott"));
    CHECK(netrt_blas_choose(&sse_only, "Nehalem", NULL, NULL, &c) == 0 && !c.reexec);

    /* a core netrt does not know: its instructions are unknown, so it is kept, and said so */
    CHECK(netrt_blas_choose(&xeon, "GraniteRapids", NULL, NULL, &c) == 0);
    CHECK(c.origin == NETRT_BLAS_DETECTED && !c.reexec && !strcmp(c.core, "GraniteRapids"));
    CHECK_CONTAINS(c.reason, "netrt does not know the core 'GraniteRapids', so it is kept");
    CHECK(netrt_blas_choose(&xeon, "Unknown", NULL, NULL, &c) == 0 && !c.reexec);
}

static void test_preset(void)
{
    NetrtBlasChoice c;
    NetrtCpuFeatures xeon = avx512_cpu(), avx2 = avx2_cpu();

    /* never overridden; a remark when the CPU has more */
    CHECK(netrt_blas_choose(&xeon, "Haswell", "Haswell", NULL, &c) == 0);
    CHECK(c.origin == NETRT_BLAS_PRESET && !c.reexec && !strcmp(c.core, "Haswell"));
    CHECK(c.reason[0] == '\0');
    CHECK(!strcmp(c.remark, "OPENBLAS_CORETYPE=Haswell is preset; this CPU has AVX-512: "
                            "--blas-core SkylakeX may be faster"));
    CHECK(netrt_blas_choose(&avx2, "Prescott", "prescott", NULL, &c) == 0);
    CHECK(c.origin == NETRT_BLAS_PRESET && !c.reexec);
    CHECK(!strcmp(c.remark, "OPENBLAS_CORETYPE=prescott is preset; this CPU has AVX2 and FMA: "
                            "--blas-core Haswell may be faster"));
    /* nothing to remark */
    CHECK(netrt_blas_choose(&xeon, "SkylakeX", "SkylakeX", NULL, &c) == 0);
    CHECK(c.origin == NETRT_BLAS_PRESET && c.remark[0] == '\0' && c.reason[0] == '\0');
    char kept[640];
    netrt_blas_detail(&c, kept, sizeof kept);
    CHECK(!strcmp(kept, "preset by OPENBLAS_CORETYPE"));
    NetrtCpuFeatures avx_only = {.avx = 1};
    CHECK(netrt_blas_choose(&avx_only, "Sandybridge", "Sandybridge", NULL, &c) == 0 &&
          c.remark[0] == '\0');
    /* a name OpenBLAS does not have: it falls back to its own choice, which is what runs */
    CHECK(netrt_blas_choose(&xeon, "Prescott", "Skylake", NULL, &c) == 0);
    CHECK(c.origin == NETRT_BLAS_PRESET && !c.reexec && !strcmp(c.core, "Prescott"));
    CHECK_CONTAINS(c.reason, "OPENBLAS_CORETYPE=Skylake is not a core of this OpenBLAS, which "
                             "chose Prescott itself");
    /* and the startup line does not say the preset chose it */
    char detail[640];
    netrt_blas_detail(&c, detail, sizeof detail);
    CHECK(!strcmp(detail, "OPENBLAS_CORETYPE=Skylake is not a core of this OpenBLAS, which chose "
                          "Prescott itself"));
    CHECK_CONTAINS(c.remark, "--blas-core SkylakeX may be faster");
    /* a preset the CPU cannot run: OpenBLAS loads it all the same, and the kernels will fault */
    CHECK(netrt_blas_choose(&avx2, "SkylakeX", "SkylakeX", NULL, &c) == 0);
    CHECK(c.origin == NETRT_BLAS_PRESET && !c.reexec && !strcmp(c.core, "SkylakeX"));
    CHECK(!strcmp(c.remark, "OPENBLAS_CORETYPE=SkylakeX is preset, but the SkylakeX core needs "
                            "AVX-512, which this CPU does not have: expect SIGILL; unset "
                            "OPENBLAS_CORETYPE to let netrt choose"));
    /* an empty preset is no preset */
    CHECK(netrt_blas_choose(&xeon, "Prescott", "", NULL, &c) == 0 &&
          c.origin == NETRT_BLAS_UPGRADED);
}

static void test_user(void)
{
    NetrtBlasChoice c;
    NetrtCpuFeatures xeon = avx512_cpu(), avx2 = avx2_cpu();

    /* exactly the core named, in its proper spelling, re-run unless loaded already */
    CHECK(netrt_blas_choose(&xeon, "Cooperlake", NULL, "haswell", &c) == 0);
    CHECK(c.origin == NETRT_BLAS_USER && c.reexec && !strcmp(c.core, "Haswell"));
    CHECK(netrt_blas_choose(&xeon, "Haswell", NULL, "Haswell", &c) == 0);
    CHECK(c.origin == NETRT_BLAS_USER && !c.reexec);
    CHECK(netrt_blas_choose(&xeon, "SkylakeX", NULL, "Prescott", &c) == 0 && c.reexec &&
          !strcmp(c.core, "Prescott"));
    /* over a preset too: the command line is the more deliberate choice */
    CHECK(netrt_blas_choose(&xeon, "Haswell", "Haswell", "SkylakeX", &c) == 0);
    CHECK(c.origin == NETRT_BLAS_USER && c.reexec && !strcmp(c.core, "SkylakeX"));
    /* auto (any case) is the default */
    CHECK(netrt_blas_choose(&xeon, "Prescott", NULL, "auto", &c) == 0 &&
          c.origin == NETRT_BLAS_UPGRADED && !strcmp(c.core, "SkylakeX"));
    CHECK(netrt_blas_choose(&xeon, "Prescott", NULL, "AUTO", &c) == 0 &&
          c.origin == NETRT_BLAS_UPGRADED);

    /* refused: beyond the CPU, or unknown */
    CHECK(netrt_blas_choose(&avx2, "Haswell", NULL, "SkylakeX", &c) == -1);
    CHECK(!strcmp(c.reason, "--blas-core SkylakeX needs AVX-512, which this CPU does not have "
                            "(it has AVX2 and FMA)"));
    CHECK(netrt_blas_choose(&xeon, "SkylakeX", NULL, "Cooperlake", &c) == -1);
    CHECK_CONTAINS(c.reason, "--blas-core Cooperlake needs AVX-512 with BF16 (avx512_bf16)");
    NetrtCpuFeatures bf16 = xeon;
    bf16.avx512_bf16 = 1;
    CHECK(netrt_blas_choose(&bf16, "SkylakeX", NULL, "Cooperlake", &c) == 0 && c.reexec);
    CHECK(netrt_blas_choose(&xeon, "SkylakeX", NULL, "Bulldozer", &c) == -1);
    CHECK_CONTAINS(c.reason, "--blas-core Bulldozer needs AVX with FMA4");
    CHECK(netrt_blas_choose(&xeon, "SkylakeX", NULL, "Skylake", &c) == -1);
    CHECK_CONTAINS(c.reason, "--blas-core Skylake: not a core netrt knows (did you mean "
                             "SkylakeX?); this CPU runs auto, Prescott, Nehalem, Sandybridge, "
                             "Haswell, Zen, SkylakeX");
    CHECK(netrt_blas_choose(&avx2, "Haswell", NULL, "fast", &c) == -1);
    CHECK(!strcmp(c.reason, "--blas-core fast: not a core netrt knows; this CPU runs auto, "
                            "Prescott, Nehalem, Sandybridge, Haswell, Zen"));
}

/* ---- netrt_blas_selftest ---- */

static CBLAS_TRANSPOSE trans(char t)
{
    return t == 'T' ? CblasTrans : CblasNoTrans;
}

static void good_sgemm(char ta, char tb, int m, int n, int k, float alpha, const float *a,
                       int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    cblas_sgemm(CblasRowMajor, trans(ta), trans(tb), m, n, k, alpha, a, lda, b, ldb, beta, c,
                ldc);
}

static void good_dgemm(char ta, char tb, int m, int n, int k, double alpha, const double *a,
                       int lda, const double *b, int ldb, double beta, double *c, int ldc)
{
    cblas_dgemm(CblasRowMajor, trans(ta), trans(tb), m, n, k, alpha, a, lda, b, ldb, beta, c,
                ldc);
}

/* Wrong in one way each, only on one case, as a faulty kernel for an edge of its tiles would be. */
static void sgemm_off(char ta, char tb, int m, int n, int k, float alpha, const float *a,
                             int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    good_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    /* the case's largest |C| is a few units: 0.01 is over ten times 1e-4 of it */
    if (m == 33 && ta == 'T' && tb == 'N')
        c[5 * ldc + 7] += 0.01f;
}

static void sgemm_within_tolerance(char ta, char tb, int m, int n, int k, float alpha,
                                   const float *a, int lda, const float *b, int ldb, float beta,
                                   float *c, int ldc)
{
    good_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    c[5 * ldc + 7] += 1e-5f; /* rounding noise, not a wrong kernel */
}

static void sgemm_ignores_beta0(char ta, char tb, int m, int n, int k, float alpha,
                                const float *a, int lda, const float *b, int ldb, float beta,
                                float *c, int ldc)
{
    (void)beta;
    good_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, 1.0f, c, ldc);
}

static void sgemm_writes_padding(char ta, char tb, int m, int n, int k, float alpha,
                                 const float *a, int lda, const float *b, int ldb, float beta,
                                 float *c, int ldc)
{
    good_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    if (ldc > n)
        c[n] = 0;
}

static void sgemm_nan(char ta, char tb, int m, int n, int k, float alpha, const float *a,
                      int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    good_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    c[0] = NAN;
}

static void dgemm_off(char ta, char tb, int m, int n, int k, double alpha,
                             const double *a, int lda, const double *b, int ldb, double beta,
                             double *c, int ldc)
{
    good_dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    c[ldc + 1] += 1e-7; /* far below float's precision, far above double's */
}

static void test_selftest(void)
{
    char why[512];
    /* the core loaded now, whatever the environment made it */
    int status = netrt_blas_selftest(NULL, why, sizeof why);
    if (status != 0)
        fprintf(stderr, "self-test of the %s core: %s\n", openblas_get_corename(), why);
    CHECK(status == 0);
    CHECK(why[0] == '\0');
    NetrtGemm good = {good_sgemm, good_dgemm};
    CHECK(netrt_blas_selftest(&good, why, sizeof why) == 0);

    NetrtGemm off = {sgemm_off, good_dgemm};
    CHECK(netrt_blas_selftest(&off, why, sizeof why) == -1);
    CHECK_CONTAINS(why, "sgemm(T, N) 33x17x45 (odd sizes): C[5][7] = ");
    CHECK_CONTAINS(why, "where a triple loop in double gives ");

    NetrtGemm noise = {sgemm_within_tolerance, good_dgemm};
    CHECK(netrt_blas_selftest(&noise, why, sizeof why) == 0);

    NetrtGemm beta0 = {sgemm_ignores_beta0, good_dgemm};
    CHECK(netrt_blas_selftest(&beta0, why, sizeof why) == -1);
    CHECK_CONTAINS(why, "sgemm(N, N) 256x256x256");

    NetrtGemm padding = {sgemm_writes_padding, good_dgemm};
    CHECK(netrt_blas_selftest(&padding, why, sizeof why) == -1);
    CHECK_CONTAINS(why, "wrote 0 into C[0][17], a padding column beyond the 17 of the matrix");

    NetrtGemm nan = {sgemm_nan, good_dgemm};
    CHECK(netrt_blas_selftest(&nan, why, sizeof why) == -1);
    CHECK_CONTAINS(why, "C[0][0] = nan");

    NetrtGemm d_off = {good_sgemm, dgemm_off};
    CHECK(netrt_blas_selftest(&d_off, why, sizeof why) == -1);
    CHECK_CONTAINS(why, "dgemm(N, T) 33x17x45");
}

/* ---- netrt_blas_core_arg ---- */

static void test_core_arg(void)
{
    char *a1[] = {"prog", "--epochs", "3", "--blas-core", "Haswell", NULL};
    CHECK(!strcmp(netrt_blas_core_arg(5, a1), "Haswell"));
    char *a2[] = {"prog", "--blas-core=SkylakeX", "--quiet", NULL};
    CHECK(!strcmp(netrt_blas_core_arg(3, a2), "SkylakeX"));
    char *a3[] = {"prog", "--blas-core", "Haswell", "--blas-core=auto", NULL}; /* the last wins */
    CHECK(!strcmp(netrt_blas_core_arg(4, a3), "auto"));
    char *a4[] = {"prog", "--epochs", "3", NULL};
    CHECK(netrt_blas_core_arg(3, a4) == NULL);
    char *a5[] = {"prog", "--blas-core", NULL}; /* the missing value is cli.c's to report */
    CHECK(netrt_blas_core_arg(2, a5) == NULL);
    char *a6[] = {"prog", "--blas-cores", "x", NULL};
    CHECK(netrt_blas_core_arg(3, a6) == NULL);
}

/* ---- netrt_cpu_features: only what holds on every CPU ---- */

static void test_features(void)
{
    NetrtCpuFeatures f;
    netrt_cpu_features(&f);
    /* AVX2, FMA and AVX-512 count only with the OS's AVX support, which f.avx reflects */
    CHECK(f.avx || (!f.avx2 && !f.fma && !f.avx512f && !f.avx512vl));
}

int main(void)
{
    test_upgrades();
    test_keeps();
    test_preset();
    test_user();
    test_selftest();
    test_core_arg();
    test_features();
    if (test_failures)
        fprintf(stderr, "test_blas: %d check(s) failed\n", test_failures);
    return test_failures;
}
