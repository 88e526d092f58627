/* test_gemm.c: netc's own sgemm kernels (gemm.c), AVX-512's 12×32 and AVX2's 6×16, each one this
 * CPU runs, against a plain triple loop in double: on every transposition, on sizes that leave
 * partial tiles and blocks at each edge of either kernel (MR 12 or 6 rows, NR 32 or 16 columns,
 * KC 256 depths; m, n, k of 1; B packed from 384 rows; spans of rows that end in a short panel),
 * with wider leading dimensions whose padding must stay untouched or none, alpha and beta, k = 0 and
 * alpha = 0; and that 1, 2 and 3 threads give the same bits. The two kernels sum every element
 * alike (the same products in the same order, the same rounding), so where both run their bits
 * must agree too. netrt_sgemm_then's pass (and netrt_dgemm_then's) must see every element of
 * C once, after its last depths, on every path and thread count. --gemm's decision (netrt_gemm_choose) is checked on made-up CPUs: forcing a
 * kernel the CPU lacks is refused, naming what is missing. On a CPU that runs none of netc's
 * kernels (no AVX2 and FMA, or not x86-64) the test exits with SKIP_CODE, which ctest reports as
 * skipped (its SKIP_RETURN_CODE), never as passed. `test_gemm --small` runs only the cases of at
 * most 2e5 multiply-adds, for valgrind (tests/build/). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netrt_internal.h"
#include "test_util.h"

#define SENTINEL 4242.0f
enum { SKIP_CODE = 77 }; /* ctest's SKIP_RETURN_CODE for this test (CMakeLists.txt) */

typedef struct {
    char ta, tb;
    int m, n, k;
    float alpha, beta;
} Case;

static const Case cases[] = {
    {'N', 'T', 256, 256, 784, 1, 0},   {'T', 'N', 256, 784, 256, 1, 0},
    {'N', 'N', 256, 784, 256, 1, 0},   {'N', 'T', 256, 10, 256, 1, 0},
    {'T', 'N', 10, 256, 256, 1, 0},    {'N', 'N', 256, 256, 10, 1, 0},
    {'N', 'T', 13, 33, 257, 1, 1},     {'T', 'N', 11, 31, 513, 0.5f, 1},
    {'N', 'N', 1, 1, 1, 1, 0},         {'T', 'T', 25, 47, 19, 1, 0.25f},
    {'N', 'T', 1100, 40, 30, 1, 0},    {'T', 'N', 1040, 70, 9, 1, 1},
    {'N', 'N', 20, 2100, 40, 1, 0},    {'T', 'T', 12, 2049, 300, 2, 0},
    {'N', 'T', 1600, 64, 64, 1, 0},    {'T', 'N', 64, 64, 1600, 1, 1},
    /* AVX2's edges: rows 5, 6, 7 (MR 6), columns 15, 16, 17 (NR 16), depths 255, 256, 257 */
    {'N', 'N', 5, 15, 255, 1, 0},      {'N', 'T', 6, 16, 256, 1, 1},
    {'T', 'N', 7, 17, 257, 2, 0.5f},   {'T', 'T', 7, 17, 257, 1, 0},
    {'N', 'N', 17, 7, 3, 1, 1},        {'T', 'T', 1, 40, 9, 1, 0},
    {'N', 'T', 40, 1, 9, 1, 0},        {'T', 'N', 1, 1, 300, 1, 0},
    {'N', 'N', 6, 576, 25, 1, 0},      {'N', 'T', 16, 64, 150, 1, 0},
    {'T', 'N', 150, 576, 16, 1, 0},    {'N', 'T', 200, 512, 784, 1, 0},
    {'N', 'N', 400, 48, 20, 1, 1},     {'T', 'N', 390, 33, 70, 1, 0},
    /* no products: C = beta·C */
    {'N', 'N', 5, 7, 0, 1, 0.5f},      {'T', 'N', 9, 9, 9, 0, 2},
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

static float uniform(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / (float)(1u << 24) * 2 - 1;
}

/* Columns of padding after each row of A, B and C: 3 in every other case (the kernel must leave
 * C's untouched), none in the others, whose operands end where their last row does (a read or
 * write past them is caught by valgrind, tests/build/, and for plain loads by ASan). */
static int pad_of(const Case *cs)
{
    return (cs - cases) % 2 ? 3 : 0;
}

/* Run one case on kernel with `threads`; C (m rows of n + pad_of(cs)) left in c. Returns the
 * largest error relative to the largest |value| of the reference, or a huge value when padding
 * was written or a beta-0 product kept the garbage in C. */
static double run(const Case *cs, NetrtGemmKernel kernel, int threads, float *c)
{
    int pad = pad_of(cs);
    int rows_a = cs->ta == 'N' ? cs->m : cs->k, cols_a = cs->ta == 'N' ? cs->k : cs->m;
    int rows_b = cs->tb == 'N' ? cs->k : cs->n, cols_b = cs->tb == 'N' ? cs->n : cs->k;
    int lda = cols_a + pad, ldb = cols_b + pad, ldc = cs->n + pad;
    float *a = malloc(sizeof *a * rows_a * lda), *b = malloc(sizeof *b * rows_b * ldb);
    double *ref = malloc(sizeof *ref * cs->m * cs->n);
    unsigned state = (unsigned)(cs->m * 7919 + cs->n * 31 + cs->k);
    for (int i = 0; i < rows_a * lda; i++)
        a[i] = uniform(&state);
    for (int i = 0; i < rows_b * ldb; i++)
        b[i] = uniform(&state);
    for (int i = 0; i < cs->m; i++)
        for (int j = 0; j < ldc; j++)
            c[i * ldc + j] = j < cs->n ? (cs->beta == 0 ? 1000.0f : uniform(&state)) : SENTINEL;
    double largest = 0;
    for (int i = 0; i < cs->m; i++)
        for (int j = 0; j < cs->n; j++) {
            double s = 0;
            for (int p = 0; p < cs->k; p++)
                s += (double)(cs->ta == 'N' ? a[i * lda + p] : a[p * lda + i]) *
                     (cs->tb == 'N' ? b[p * ldb + j] : b[j * ldb + p]);
            ref[i * cs->n + j] = cs->alpha * s + (cs->beta == 0 ? 0 : cs->beta * c[i * ldc + j]);
            largest = fmax(largest, fabs(ref[i * cs->n + j]));
        }
    largest = largest > 0 ? largest : 1;
    CHECK(netrt_gemm_use(kernel, threads) == 0);
    netrt_sgemm(CblasRowMajor, cs->ta == 'T' ? CblasTrans : CblasNoTrans,
                cs->tb == 'T' ? CblasTrans : CblasNoTrans, cs->m, cs->n, cs->k, cs->alpha, a,
                lda, b, ldb, cs->beta, c, ldc);
    double worst = 0;
    for (int i = 0; i < cs->m; i++)
        for (int j = 0; j < ldc; j++) {
            if (j >= cs->n) {
                if (c[i * ldc + j] != SENTINEL)
                    worst = INFINITY;
                continue;
            }
            worst = fmax(worst, fabs(c[i * ldc + j] - ref[i * cs->n + j]) / largest);
        }
    free(a);
    free(b);
    free(ref);
    return worst;
}

/* --small: only the cases of at most this many multiply-adds (under valgrind, CMakeLists.txt) */
static double largest_case = 1e30;

/* Every case on kernel, against the reference and on 1, 2 and 3 threads; C of each case left in
 * results[case] (allocated here; NULL for a case left out) for the comparison of the kernels. */
static void test_cases(NetrtGemmKernel kernel, float *results[N_CASES])
{
    for (int i = 0; i < N_CASES; i++) {
        const Case *cs = &cases[i];
        results[i] = NULL;
        if ((double)cs->m * cs->n * cs->k > largest_case)
            continue;
        size_t size = (size_t)cs->m * (cs->n + pad_of(cs));
        float *one = malloc(size * sizeof *one), *more = malloc(size * sizeof *more);
        double err1 = run(cs, kernel, 1, one);
        /* float's 24 bits, summed over at most 1600 products with FMA: ~1e-6 in practice; a
         * dropped or doubled product or a misplaced row errs by 1e-2 or more */
        if (!(err1 < 1e-5))
            fprintf(stderr, "%s, case %d: %c%c %dx%dx%d: error %g\n", netrt_gemm_name(kernel), i,
                    cs->ta, cs->tb, cs->m, cs->n, cs->k, err1);
        CHECK(err1 < 1e-5);
        for (int threads = 2; threads <= 3; threads++) {
            double err = run(cs, kernel, threads, more);
            CHECK(err == err1);
            CHECK(!memcmp(one, more, size * sizeof *one));
        }
        results[i] = one;
        free(more);
    }
}

/* netrt_sgemm_then and netrt_dgemm_then: the pass gets blocks inside C that cover it once, each
 * already holding the product's final values (netrt_sgemm's bits: the pass must come after the
 * last KC depths), and what it writes stays. The pass checks and doubles what it is given. */
typedef struct {
    int m, n, ldc;
    const float *want; /* netrt_sgemm's C */
    float *c;          /* NULL: the double-precision product's dwant and dc */
    const double *dwant;
    double *dc;
    int *seen;         /* per element of C: the pass's visits */
    int wrong;         /* blocks out of C, or elements not yet the product's */
} ThenCheck;
static ThenCheck then;

static int then_block_ok(int r0, int r1, int c0, int c1)
{
    if (0 <= r0 && r0 < r1 && r1 <= then.m && 0 <= c0 && c0 < c1 && c1 <= then.n)
        return 1;
    __atomic_add_fetch(&then.wrong, 1, __ATOMIC_RELAXED);
    return 0;
}

static void then_pass(int r0, int r1, int c0, int c1)
{
    if (!then_block_ok(r0, r1, c0, c1))
        return;
    for (int i = r0; i < r1; i++)
        for (int j = c0; j < c1; j++) {
            size_t at = (size_t)i * then.ldc + j;
            if (then.c ? then.c[at] != then.want[at] : then.dc[at] != then.dwant[at])
                __atomic_add_fetch(&then.wrong, 1, __ATOMIC_RELAXED);
            if (then.c)
                then.c[at] *= 2;
            else
                then.dc[at] *= 2;
            __atomic_add_fetch(&then.seen[i * then.n + j], 1, __ATOMIC_RELAXED);
        }
}

/* Every element seen once, none wrong, and C the product doubled. */
static void check_then(const char *what, const Case *cs, int threads, int twice_ok)
{
    int once = 1;
    for (int i = 0; i < cs->m * cs->n; i++)
        once &= then.seen[i] == 1;
    if (!once || then.wrong || !twice_ok)
        fprintf(stderr, "%s_then, %d threads: %c%c %dx%dx%d: %s%s%s\n", what, threads, cs->ta,
                cs->tb, cs->m, cs->n, cs->k, once ? "" : "an element not passed once; ",
                then.wrong ? "blocks out of C or before the product's end; " : "",
                twice_ok ? "" : "C not the product doubled");
    CHECK(once && !then.wrong && twice_ok);
}

static void test_then(NetrtGemmKernel kernel)
{
    static const Case then_cases[] = {
        {'N', 'T', 1600, 64, 64, 1, 0}, {'T', 'N', 7, 17, 257, 2, 0.5f}, {'N', 'N', 17, 7, 3, 1, 1},
        {'N', 'T', 1100, 40, 30, 1, 0}, {'N', 'N', 6, 576, 25, 1, 0},    {'T', 'T', 25, 47, 600, 1, 0},
        {'N', 'N', 5, 7, 0, 1, 0.5f},
    };
    for (size_t i = 0; i < sizeof then_cases / sizeof then_cases[0]; i++) {
        const Case *cs = &then_cases[i];
        if ((double)cs->m * cs->n * cs->k > largest_case)
            continue;
        int lda = cs->ta == 'N' ? cs->k : cs->m, ldb = cs->tb == 'N' ? cs->n : cs->k;
        size_t na = (size_t)cs->m * cs->k, nb = (size_t)cs->k * cs->n, nc = (size_t)cs->m * cs->n;
        float *a = malloc(sizeof *a * (na + 1)), *b = malloc(sizeof *b * (nb + 1));
        float *want = malloc(sizeof *want * nc), *c = malloc(sizeof *c * nc);
        double *da = malloc(sizeof *da * (na + 1)), *db = malloc(sizeof *db * (nb + 1));
        double *dwant = malloc(sizeof *dwant * nc), *dc = malloc(sizeof *dc * nc);
        then.seen = malloc(sizeof *then.seen * nc);
        unsigned state = (unsigned)i + 1;
        for (size_t j = 0; j < na; j++)
            da[j] = a[j] = uniform(&state);
        for (size_t j = 0; j < nb; j++)
            db[j] = b[j] = uniform(&state);
        CBLAS_TRANSPOSE ta = cs->ta == 'T' ? CblasTrans : CblasNoTrans,
                        tb = cs->tb == 'T' ? CblasTrans : CblasNoTrans;
        for (int threads = 1; threads <= 3; threads++) {
            CHECK(netrt_gemm_use(kernel, threads) == 0);
            state = 7;
            for (size_t j = 0; j < nc; j++)
                dwant[j] = dc[j] = want[j] = c[j] = uniform(&state);
            netrt_sgemm(CblasRowMajor, ta, tb, cs->m, cs->n, cs->k, cs->alpha, a, lda, b, ldb,
                        cs->beta, want, cs->n);
            then = (ThenCheck){cs->m, cs->n, cs->n, want, c, dwant, dc, then.seen, 0};
            memset(then.seen, 0, sizeof *then.seen * nc);
            netrt_sgemm_then(CblasRowMajor, ta, tb, cs->m, cs->n, cs->k, cs->alpha, a, lda, b,
                             ldb, cs->beta, c, cs->n, then_pass);
            int twice = 1;
            for (size_t j = 0; j < nc; j++)
                twice &= c[j] == 2 * want[j];
            check_then(netrt_gemm_name(kernel), cs, threads, twice);
            /* double precision: cblas_dgemm, then the pass over ranges of rows */
            cblas_dgemm(CblasRowMajor, ta, tb, cs->m, cs->n, cs->k, cs->alpha, da, lda, db, ldb,
                        cs->beta, dwant, cs->n);
            memset(then.seen, 0, sizeof *then.seen * nc);
            then.c = NULL;
            netrt_dgemm_then(CblasRowMajor, ta, tb, cs->m, cs->n, cs->k, cs->alpha, da, lda, db,
                             ldb, cs->beta, dc, cs->n, then_pass);
            twice = 1;
            for (size_t j = 0; j < nc; j++)
                twice &= dc[j] == 2 * dwant[j];
            check_then("netrt_dgemm", cs, threads, twice);
        }
        free(a), free(b), free(want), free(c), free(da), free(db), free(dwant), free(dc);
        free(then.seen);
    }
}

/* --gemm on made-up CPUs: what each choice takes, or why it is refused. */
static void test_choose(void)
{
    NetrtCpuFeatures none = {0}, avx2 = {0}, no_fma = {0}, avx512 = {0};
    avx2.avx = avx2.avx2 = avx2.fma = 1;
    no_fma.avx = no_fma.avx2 = 1;
    avx512 = avx2;
    avx512.avx512f = 1;
    NetrtGemmKernel k;
    char msg[256];
    CHECK(netrt_gemm_choose(&avx512, "fastest", &k, msg, sizeof msg) == -1);
    CHECK_CONTAINS(msg, "--gemm fastest: expected auto, avx512, avx2, openblas or netc");
    CHECK(netrt_gemm_choose(&none, "openblas", &k, msg, sizeof msg) == 0 && k == NETRT_GEMM_OPENBLAS);
    CHECK_CONTAINS(msg, "--gemm openblas");
#if defined(__x86_64__)
    CHECK(netrt_gemm_choose(&avx512, NULL, &k, msg, sizeof msg) == 0 && k == NETRT_GEMM_AVX512);
    CHECK_CONTAINS(msg, "the CPU has AVX-512");
    CHECK(netrt_gemm_choose(&avx512, "avx2", &k, msg, sizeof msg) == 0 && k == NETRT_GEMM_AVX2);
    CHECK_CONTAINS(msg, "--gemm avx2");
    CHECK(netrt_gemm_choose(&avx512, "netc", &k, msg, sizeof msg) == 0 && k == NETRT_GEMM_AVX512);
    CHECK(netrt_gemm_choose(&avx2, "auto", &k, msg, sizeof msg) == 0 && k == NETRT_GEMM_AVX2);
    CHECK_CONTAINS(msg, "the CPU has AVX2 and FMA, not AVX-512");
    CHECK(netrt_gemm_choose(&avx2, "netc", &k, msg, sizeof msg) == 0 && k == NETRT_GEMM_AVX2);
    CHECK(netrt_gemm_choose(&avx2, "avx512", &k, msg, sizeof msg) == -1);
    CHECK_CONTAINS(msg, "--gemm avx512: the AVX-512 kernel needs AVX-512 (avx512f), which this "
                        "CPU (or its OS) does not offer");
    CHECK(netrt_gemm_choose(&no_fma, "auto", &k, msg, sizeof msg) == 0 && k == NETRT_GEMM_OPENBLAS);
    CHECK_CONTAINS(msg, "no AVX2 and FMA on this CPU");
    CHECK(netrt_gemm_choose(&no_fma, "avx2", &k, msg, sizeof msg) == -1);
    CHECK_CONTAINS(msg, "--gemm avx2: the AVX2 kernel needs AVX2 and FMA, and this CPU (or its "
                        "OS) does not offer FMA");
    CHECK(netrt_gemm_choose(&none, "avx2", &k, msg, sizeof msg) == -1);
    CHECK_CONTAINS(msg, "does not offer AVX2 and FMA");
    CHECK(netrt_gemm_choose(&none, "netc", &k, msg, sizeof msg) == -1);
    CHECK_CONTAINS(msg, "--gemm netc: no kernel of netc's runs here: the AVX2 kernel needs");
#else
    CHECK(netrt_gemm_choose(&avx512, "auto", &k, msg, sizeof msg) == 0 && k == NETRT_GEMM_OPENBLAS);
    CHECK(netrt_gemm_choose(&avx512, "avx2", &k, msg, sizeof msg) == -1);
    CHECK_CONTAINS(msg, "netc's kernels are x86-64 code, and this trainer is built for");
#endif
}

/* The kernel as the start-up self-test's interface sees it. */
static void own(char ta, char tb, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc)
{
    netrt_sgemm(CblasRowMajor, ta == 'T' ? CblasTrans : CblasNoTrans,
                tb == 'T' ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c,
                ldc);
}

static void own_double(char ta, char tb, int m, int n, int k, double alpha, const double *a,
                       int lda, const double *b, int ldb, double beta, double *c, int ldc)
{
    cblas_dgemm(CblasRowMajor, ta == 'T' ? CblasTrans : CblasNoTrans,
                tb == 'T' ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c,
                ldc);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--small"))
        largest_case = 2e5;
    test_choose();
    NetrtGemmStatus st;
    NetrtErr err;
    CHECK(netrt_gemm_setup("openblas", 2, &st, &err) == 0 && !st.own);
    CHECK_CONTAINS(st.detail, "OpenBLAS (--gemm openblas)");
    CHECK(netrt_gemm_setup("nonsense", 2, &st, &err) == -1);
    CHECK_CONTAINS(err.msg, "--gemm nonsense: expected auto");
    test_then(NETRT_GEMM_OPENBLAS);
    static const NetrtGemmKernel kernels[] = {NETRT_GEMM_AVX512, NETRT_GEMM_AVX2};
    static const char *const shown[] = {"netc's AVX-512 kernel, 3 threads (--gemm avx512)",
                                        "netc's AVX2 kernel, 3 threads (--gemm avx2)"};
    static float *results[2][N_CASES];
    int ran[2] = {0, 0};
    char why[256];
    for (int i = 0; i < 2; i++) {
        const char *name = netrt_gemm_name(kernels[i]);
        if (!netrt_gemm_available(kernels[i], why, sizeof why)) {
            CHECK(netrt_gemm_setup(name, 0, &st, &err) == -1);
            CHECK_CONTAINS(err.msg, why);
            CHECK(netrt_gemm_use(kernels[i], 2) == -1);
            printf("%s: not run: %s\n", name, why);
            continue;
        }
        CHECK(netrt_gemm_setup(name, 3, &st, &err) == 0 && st.own && st.kernel == kernels[i] &&
              st.threads == 3);
        CHECK_CONTAINS(st.detail, shown[i]);
        test_cases(kernels[i], results[i]);
        test_then(kernels[i]);
        /* the start-up self-test's cases too (not with --small: some are large) */
        CHECK(netrt_gemm_use(kernels[i], 2) == 0);
        NetrtGemm gemm = {own, own_double};
        if (largest_case == 1e30)
            CHECK(netrt_blas_selftest(&gemm, why, sizeof why) == 0);
        ran[i] = 1;
        int checked = 0;
        for (int c = 0; c < N_CASES; c++)
            checked += results[i][c] != NULL;
        printf("%s: %d cases checked\n", name, checked);
    }
    if (ran[0] && ran[1])
        for (int c = 0; c < N_CASES; c++) {
            size_t size = (size_t)cases[c].m * (cases[c].n + pad_of(&cases[c]));
            if (!results[0][c])
                continue;
            if (memcmp(results[0][c], results[1][c], size * sizeof(float)))
                fprintf(stderr, "case %d: AVX-512 and AVX2 differ\n", c);
            CHECK(!memcmp(results[0][c], results[1][c], size * sizeof(float)));
        }
    for (int i = 0; i < 2; i++)
        for (int c = 0; c < N_CASES && ran[i]; c++)
            free(results[i][c]);
    CHECK(netrt_gemm_setup(NULL, 0, &st, &err) == 0 && st.kernel == netrt_gemm_best());
    if (test_failures)
        return test_failures;
    if (!ran[0] && !ran[1]) {
        printf("SKIPPED: no kernel of netc's runs on this CPU\n");
        return SKIP_CODE;
    }
    return 0;
}
