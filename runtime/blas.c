/* blas.c: the best OpenBLAS core (kernel set) this CPU runs correctly, without the user knowing.
 *
 * Debian's OpenBLAS 0.3.21 is built for every x86 core (DYNAMIC_ARCH) and picks one by CPU
 * vendor and model when it loads. It does not know recent models and falls back to Prescott's
 * SSE3 kernels (a new Xeon's sgemm runs 3-5 times slower than with SkylakeX's). The variable
 * OPENBLAS_CORETYPE overrides that choice, but is read only at load time, so the only way to
 * change the core of a running trainer is to run it again. netrt_blas_setup, the first thing
 * netrt_main does:
 *
 *   1. reads the CPU's features with cpuid (and the OS's with xgetbv) and the core loaded
 *      (openblas_get_corename());
 *   2. decides, with netrt_blas_choose: a core from --blas-core; else a preset
 *      OPENBLAS_CORETYPE, never overridden; else the loaded core, or SkylakeX / Haswell when it
 *      uses less of the CPU than those would;
 *   3. when that is not the core loaded, runs the program again, once: execve of /proc/self/exe
 *      with the same argv and OPENBLAS_CORETYPE=<core>, plus the marker NETRT_BLAS_UPGRADED;
 *   4. in the run that finds the marker: trusts the new core only after a GEMM self-test; if
 *      that fails, runs the program once more without OPENBLAS_CORETYPE, with the marker
 *      NETRT_BLAS_UPGRADED=failed, which forbids upgrading: OpenBLAS's own choice then runs.
 *
 * The markers, in the environment of a run netrt started (each removed once read):
 *   NETRT_BLAS_UPGRADED=<core>   an automatic upgrade; OPENBLAS_CORETYPE is ours, not a preset
 *   NETRT_BLAS_DETECTED=<core>   with it: OpenBLAS's own choice, for "upgraded from …"
 *   NETRT_BLAS_UPGRADED=failed   the upgrade failed its self-test; never upgrade again
 *   NETRT_BLAS_FAILED=<core>     with it: the core that failed
 *   NETRT_BLAS_UPGRADED=user     OPENBLAS_CORETYPE comes from --blas-core
 * Every run with a marker either keeps its core or (only after an upgrade) re-runs into the
 * "failed" state, which never re-runs: at most two re-runs, never a loop.
 *
 * A core whose kernels use instructions the CPU lacks dies of SIGILL rather than computing
 * wrong numbers. Of the two ways to survive that (run the self-test in a forked child first, or
 * catch the signal) this file catches it: a handler for SIGILL, SIGSEGV, SIGBUS and SIGFPE is in
 * place during the self-test only, and re-runs the program in the "failed" state with execve,
 * which is async-signal-safe, from an argv and environment prepared beforehand. A fork would
 * cost a process per start and does not mix well with OpenBLAS's thread pool; the handler also
 * covers a crash in one of OpenBLAS's worker threads, since execve replaces the whole process.
 *
 * For tests only, NETRT_BLAS_SELFTEST_BREAK=wrong (one GEMM result perturbed) or =crash (a
 * SIGILL raised) makes the self-test of a re-run fail, so the fallback path can be exercised on
 * any machine. */
#define _POSIX_C_SOURCE 200809L /* sigaction, unsetenv, strcasecmp, execve */

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cblas.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "netrt_internal.h"

extern char **environ; /* POSIX: the application declares it */

#define MARK_UPGRADED "NETRT_BLAS_UPGRADED"
#define MARK_DETECTED "NETRT_BLAS_DETECTED"
#define MARK_FAILED "NETRT_BLAS_FAILED"
#define SELFTEST_BREAK "NETRT_BLAS_SELFTEST_BREAK"
#define SELF_EXE "/proc/self/exe"

/* ---- the CPU ------------------------------------------------------------------------------ */

void netrt_cpu_features(NetrtCpuFeatures *f)
{
    memset(f, 0, sizeof *f);
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx)
        return; /* without OSXSAVE there is no xgetbv, and no OS support for AVX state */
    /* XCR0: which register state the OS saves across context switches. Bits 1-2: SSE and the
     * upper halves of the YMM registers (AVX); bits 5-7: the opmask registers and the upper
     * ZMM registers (AVX-512). xgetbv by its opcode, so no -mxsave is needed. */
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    int os_avx = (xcr0_lo & 0x06) == 0x06, os_avx512 = os_avx && (xcr0_lo & 0xe0) == 0xe0;
    if (!os_avx)
        return;
    f->avx = 1;
    f->fma = fma;
    if ((unsigned)__get_cpuid_max(0x80000000u, NULL) >= 0x80000001u && /* int in clang */
        __get_cpuid(0x80000001u, &a, &b, &c, &d))
        f->fma4 = (c >> 16) & 1;
    if (__get_cpuid_max(0, NULL) < 7 || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return;
    f->avx2 = (b >> 5) & 1;
    if (os_avx512) {
        f->avx512f = (b >> 16) & 1;
        f->avx512dq = (b >> 17) & 1;
        f->avx512cd = (b >> 28) & 1;
        f->avx512bw = (b >> 30) & 1;
        f->avx512vl = (b >> 31) & 1;
        f->avx512_fp16 = (d >> 23) & 1;
        unsigned max_sub = a; /* leaf 7, sub-leaf 0: EAX is the highest sub-leaf */
        if (max_sub >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d))
            f->avx512_bf16 = (a >> 5) & 1;
    }
#endif
}

/* ---- OpenBLAS's cores, ranked by the instructions their kernels use ----------------------- */

/* The levels a core can need and a CPU can offer. Within a level cores differ in tuning only;
 * between levels the wider vectors (and FMA) are what make the 2-5x. */
enum { ISA_SSE, ISA_AVX, ISA_AVX2, ISA_AVX512 };

static const char *isa_name(int level)
{
    static const char *names[] = {"SSE", "AVX", "AVX2 and FMA", "AVX-512"};
    return names[level];
}

/* What a core needs beyond its level. */
enum { NEEDS_BF16 = 1, NEEDS_FMA4 = 2, NEEDS_FP16 = 4 };

typedef struct {
    const char *name; /* as openblas_get_corename() spells it */
    int level;
    int needs;        /* NEEDS_BF16, NEEDS_FP16: built with -march=cooperlake, sapphirerapids;
                         NEEDS_FMA4: AMD's four-operand FMA, which Intel CPUs and AMD's since
                         Zen lack */
    int listed;       /* named in the error for an unknown --blas-core: the usual choices */
} Core;

/* Every name OpenBLAS 0.3.x reports (dynamic.c's corename[]), SapphireRapids from 0.3.22.
 * Bulldozer to Excavator are AMD cores with FMA4 kernels: ranked at AVX, the level they share,
 * so that a CPU with AVX2 and FMA gets Haswell's kernels. */
static const Core cores[] = {
    {"Katmai", ISA_SSE, 0, 0},         {"Coppermine", ISA_SSE, 0, 0},
    {"Northwood", ISA_SSE, 0, 0},      {"Prescott", ISA_SSE, 0, 1},
    {"Banias", ISA_SSE, 0, 0},         {"Atom", ISA_SSE, 0, 0},
    {"Core2", ISA_SSE, 0, 0},          {"Penryn", ISA_SSE, 0, 0},
    {"Dunnington", ISA_SSE, 0, 0},     {"Nehalem", ISA_SSE, 0, 1},
    {"Athlon", ISA_SSE, 0, 0},         {"Opteron", ISA_SSE, 0, 0},
    {"Opteron_SSE3", ISA_SSE, 0, 0},   {"Barcelona", ISA_SSE, 0, 0},
    {"Nano", ISA_SSE, 0, 0},           {"Bobcat", ISA_SSE, 0, 0},
    {"Sandybridge", ISA_AVX, 0, 1},    {"Bulldozer", ISA_AVX, NEEDS_FMA4, 0},
    {"Piledriver", ISA_AVX, NEEDS_FMA4, 0}, {"Steamroller", ISA_AVX, NEEDS_FMA4, 0},
    {"Excavator", ISA_AVX, NEEDS_FMA4, 0},  {"Haswell", ISA_AVX2, 0, 1},
    {"Zen", ISA_AVX2, 0, 1},           {"SkylakeX", ISA_AVX512, 0, 1},
    {"Cooperlake", ISA_AVX512, NEEDS_BF16, 1},
    {"SapphireRapids", ISA_AVX512, NEEDS_BF16 | NEEDS_FP16, 1},
};
#define N_CORES (int)(sizeof cores / sizeof cores[0])

/* The table row of name, any case; NULL for a name netrt does not know ("Unknown" included). */
static const Core *find_core(const char *name)
{
    for (int i = 0; i < N_CORES; i++)
        if (!strcasecmp(name, cores[i].name))
            return &cores[i];
    return NULL;
}

/* The highest level the CPU runs. AVX-512 needs every subset -march=skylake-avx512 (OpenBLAS's
 * flags for its SkylakeX kernels) lets the compiler use: F, CD, BW, DQ and VL. */
static int cpu_level(const NetrtCpuFeatures *f)
{
    if (f->avx && f->avx2 && f->fma && f->avx512f && f->avx512cd && f->avx512bw &&
        f->avx512dq && f->avx512vl)
        return ISA_AVX512;
    if (f->avx && f->avx2 && f->fma)
        return ISA_AVX2;
    if (f->avx)
        return ISA_AVX;
    return ISA_SSE;
}

/* The core netrt upgrades to at a level: the oldest, most exercised kernels of the level.
 * Cooperlake adds only bf16 GEMMs, which trainers do not call, so SkylakeX serves AVX-512. */
static const char *best_core(int level)
{
    return level == ISA_AVX512 ? "SkylakeX" : level == ISA_AVX2 ? "Haswell" : NULL;
}

/* Can a CPU of level have, with features f, run core? */
static int runs(const Core *core, int have, const NetrtCpuFeatures *f)
{
    return core->level <= have && !((core->needs & NEEDS_BF16) && !f->avx512_bf16) &&
           !((core->needs & NEEDS_FP16) && !f->avx512_fp16) &&
           !((core->needs & NEEDS_FMA4) && !f->fma4);
}

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

/* "AVX-512 with BF16 (avx512_bf16)": what core needs, for messages. */
static const char *needs_text(const Core *core, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s", isa_name(core->level),
             core->needs & NEEDS_FP16   ? " with BF16 and FP16 (avx512_bf16, avx512_fp16)"
             : core->needs & NEEDS_BF16 ? " with BF16 (avx512_bf16)"
             : core->needs & NEEDS_FMA4 ? " with FMA4"
                                        : "");
    return buf;
}

void netrt_blas_detail(const NetrtBlasChoice *c, char *buf, size_t size)
{
    /* a preset's only reason is that OpenBLAS does not have it: it chose nothing, and the
     * reason says who did */
    const char *preset = c->reason[0] ? "" : "preset by OPENBLAS_CORETYPE";
    const char *what = c->origin == NETRT_BLAS_PRESET ? preset
                       : c->origin == NETRT_BLAS_USER ? "--blas-core"
                                                      : "detected";
    snprintf(buf, size, "%s%s%s", what, what[0] && c->reason[0] ? "; " : "", c->reason);
}

int netrt_blas_choose(const NetrtCpuFeatures *f, const char *current_core, const char *preset,
                      const char *user, NetrtBlasChoice *out)
{
    memset(out, 0, sizeof *out);
    copy(out->core, sizeof out->core, current_core);
    int have = cpu_level(f);
    const Core *current = find_core(current_core);

    if (user && strcasecmp(user, "auto")) {
        const Core *want = find_core(user);
        if (!want) {
            /* "Skylake", "sandy": a prefix of a core's name, either way round */
            const Core *near = NULL;
            for (int i = 0; i < N_CORES && !near; i++) {
                size_t a = strlen(user), b = strlen(cores[i].name);
                if (a >= 3 && !strncasecmp(user, cores[i].name, a < b ? a : b))
                    near = &cores[i];
            }
            int n = snprintf(out->reason, sizeof out->reason, "--blas-core %s: not a core netrt "
                             "knows%s%s%s; this CPU runs auto", user,
                             near ? " (did you mean " : "", near ? near->name : "",
                             near ? "?)" : "");
            for (int i = 0; i < N_CORES && n < (int)sizeof out->reason; i++)
                if (cores[i].listed && runs(&cores[i], have, f))
                    n += snprintf(out->reason + n, sizeof out->reason - n, ", %s", cores[i].name);
            return -1;
        }
        if (!runs(want, have, f)) {
            char needs[64];
            snprintf(out->reason, sizeof out->reason,
                     "--blas-core %s needs %s, which this CPU does not have%s%s%s", want->name,
                     needs_text(want, needs, sizeof needs), want->level > have ? " (it has " : "",
                     want->level > have ? isa_name(have) : "", want->level > have ? ")" : "");
            return -1;
        }
        out->origin = NETRT_BLAS_USER;
        copy(out->core, sizeof out->core, want->name);
        out->reexec = strcasecmp(current_core, want->name) != 0;
        return 0;
    }

    if (preset && preset[0]) {
        out->origin = NETRT_BLAS_PRESET;
        /* OpenBLAS falls back to its own choice for a name it does not have */
        if (strcasecmp(preset, current_core))
            snprintf(out->reason, sizeof out->reason,
                     "OPENBLAS_CORETYPE=%s is not a core of this OpenBLAS, which chose %s itself",
                     preset, current_core);
        char needs[64];
        if (current && !runs(current, have, f)) /* OpenBLAS loads it all the same */
            snprintf(out->remark, sizeof out->remark,
                     "OPENBLAS_CORETYPE=%s is preset, but the %s core needs %s, which this CPU "
                     "does not have: expect SIGILL; unset OPENBLAS_CORETYPE to let netrt choose",
                     preset, current->name, needs_text(current, needs, sizeof needs));
        else if (current && current->level < have && have >= ISA_AVX2)
            snprintf(out->remark, sizeof out->remark,
                     "OPENBLAS_CORETYPE=%s is preset; this CPU has %s: --blas-core %s may be "
                     "faster", preset, isa_name(have), best_core(have));
        return 0;
    }

    out->origin = NETRT_BLAS_DETECTED;
    if (!current) {
        /* A core named after this file was written: its instructions are unknown, so any
         * choice could be a downgrade. */
        snprintf(out->reason, sizeof out->reason,
                 "netrt does not know the core '%s', so it is kept", current_core);
        return 0;
    }
    if (current->level < have && have >= ISA_AVX2) {
        out->origin = NETRT_BLAS_UPGRADED;
        copy(out->core, sizeof out->core, best_core(have));
        out->reexec = 1;
        snprintf(out->reason, sizeof out->reason, "the CPU has %s", isa_name(have));
    }
    return 0;
}

/* ---- the self-test ------------------------------------------------------------------------ */

static CBLAS_TRANSPOSE cblas_trans(char t)
{
    return t == 'T' ? CblasTrans : CblasNoTrans;
}

static void openblas_sgemm(char ta, char tb, int m, int n, int k, float alpha, const float *a,
                           int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    cblas_sgemm(CblasRowMajor, cblas_trans(ta), cblas_trans(tb), m, n, k, alpha, a, lda, b, ldb,
                beta, c, ldc);
}

static void openblas_dgemm(char ta, char tb, int m, int n, int k, double alpha, const double *a,
                           int lda, const double *b, int ldb, double beta, double *c, int ldc)
{
    cblas_dgemm(CblasRowMajor, cblas_trans(ta), cblas_trans(tb), m, n, k, alpha, a, lda, b, ldb,
                beta, c, ldc);
}

/* NETRT_BLAS_SELFTEST_BREAK=wrong: OpenBLAS's sgemm with one result moved by 1% of its size. */
static void broken_sgemm(char ta, char tb, int m, int n, int k, float alpha, const float *a,
                         int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    openblas_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    c[(size_t)(m - 1) * ldc + (n - 1)] *= 1.01f;
}

typedef struct {
    char ta, tb;
    int m, n, k;
    int pad;       /* extra columns of every leading dimension, where nothing may be written */
    double alpha, beta;
    int f64;       /* dgemm instead of sgemm */
    const char *what;
} GemmCase;

/* What generated trainers call (row-major; dense forward NT, weight gradient TN, input gradient
 * NN; convolutions NN, NT with beta 1, TN), at sizes that take OpenBLAS's threaded and blocked
 * paths (256³) and odd ones that leave partial tiles at every edge of the kernels' blocks. */
static const GemmCase cases[] = {
    {'N', 'N', 256, 256, 256, 0, 1, 0, 0, "large: threads and blocking"},
    {'N', 'T', 64, 10, 784, 0, 1, 0, 0, "a dense layer's forward"},
    {'T', 'N', 10, 784, 64, 0, 1, 0, 0, "a dense layer's weight gradient"},
    {'N', 'N', 64, 784, 10, 0, 1, 0, 0, "a dense layer's input gradient"},
    {'N', 'N', 33, 17, 45, 3, 1, 1, 0, "odd sizes, accumulating"},
    {'N', 'T', 33, 17, 45, 3, 1, 1, 0, "odd sizes, accumulating"},
    {'T', 'N', 33, 17, 45, 3, 1, 0, 0, "odd sizes"},
    {'T', 'T', 33, 17, 45, 3, 0.5, 1, 0, "odd sizes, alpha 0.5, accumulating"},
    {'N', 'T', 33, 17, 45, 3, 1, 1, 1, "odd sizes, accumulating, f64"},
    {'T', 'N', 31, 19, 47, 1, 1, 0, 1, "odd sizes, f64"},
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

/* Tolerances, relative to the largest |value| of the case's result (about √k/3 here: inputs
 * are uniform in [-1, 1]). float carries 24 bits (6e-8): OpenBLAS's blocked, FMA-fused sums of
 * at most 784 products stay within about 1e-6 of that in practice, and even the worst-case bound
 * k·eps·Σ|a·b| is a few 1e-4; a wrong kernel misses or doubles whole products, errors of 1e-2
 * and more. 1e-4 leaves a hundredfold margin either way. double: the same argument at 1e-16. */
#define TOL_F32 1e-4
#define TOL_F64 1e-10
#define GARBAGE 1000.0 /* in C before a beta-0 call: must vanish, not be added */
#define SENTINEL 4242.0 /* in the padding columns of C: must stay */

/* dst[0..n-1] = src as double (f64) or float: the inputs of a case as the GEMM takes them. */
static void store(void *dst, int f64, const double *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (f64)
            ((double *)dst)[i] = src[i];
        else
            ((float *)dst)[i] = (float)src[i];
    }
}

/* Run one case through gemm; 0, or -1 with what went wrong in why. */
static int run_case(const NetrtGemm *gemm, const GemmCase *gc, int index, char *why, size_t size)
{
    int m = gc->m, n = gc->n, k = gc->k;
    int a_rows = gc->ta == 'N' ? m : k, lda = (gc->ta == 'N' ? k : m) + gc->pad;
    int b_rows = gc->tb == 'N' ? k : n, ldb = (gc->tb == 'N' ? n : k) + gc->pad;
    int ldc = n + gc->pad;
    size_t na = (size_t)a_rows * lda, nb = (size_t)b_rows * ldb, nc = (size_t)m * ldc;
    size_t elem = gc->f64 ? sizeof(double) : sizeof(float);
    /* ad, bd, c0: the inputs in double, exactly the values the GEMM sees (rounded to float
     * first for sgemm); ref: the expected C */
    double *ad = malloc(na * sizeof *ad), *bd = malloc(nb * sizeof *bd);
    double *c0 = malloc(nc * sizeof *c0), *ref = malloc(nc * sizeof *ref);
    void *a = malloc(na * elem), *b = malloc(nb * elem), *c = malloc(nc * elem);
    int status = 0;
    if (!ad || !bd || !c0 || !ref || !a || !b || !c) {
        snprintf(why, size, "out of memory");
        status = -1;
        goto done;
    }
    NetrtRng rng;
    netrt_rng_seed(&rng, 0x5e1f7e57u + (uint64_t)index);
    for (size_t i = 0; i < na + nb + nc; i++) {
        double v = 2 * netrt_rng_uniform(&rng) - 1;
        if (!gc->f64)
            v = (float)v;
        if (i < na)
            ad[i] = v;
        else if (i < na + nb)
            bd[i - na] = v;
        else {
            size_t j = i - na - nb;
            c0[j] = (int)(j % ldc) >= n ? SENTINEL : gc->beta == 0 ? GARBAGE : v;
        }
    }
    /* The triple loop, i-p-j: a row of C at a time, so that for B not transposed the innermost
     * loop runs along rows of B (the 256³ case takes a few ms rather than tens). */
    double max_abs = 0;
    for (int i = 0; i < m; i++) {
        double *row = ref + (size_t)i * ldc;
        for (int j = 0; j < n; j++)
            row[j] = 0;
        for (int p = 0; p < k; p++) {
            double x = gc->ta == 'N' ? ad[(size_t)i * lda + p] : ad[(size_t)p * lda + i];
            if (gc->tb == 'N')
                for (int j = 0; j < n; j++)
                    row[j] += x * bd[(size_t)p * ldb + j];
            else
                for (int j = 0; j < n; j++)
                    row[j] += x * bd[(size_t)j * ldb + p];
        }
        for (int j = 0; j < ldc; j++) {
            size_t at = (size_t)i * ldc + j;
            if (j >= n) {
                row[j] = SENTINEL;
                continue;
            }
            row[j] = gc->alpha * row[j] + (gc->beta == 0 ? 0 : gc->beta * c0[at]);
            if (fabs(row[j]) > max_abs)
                max_abs = fabs(row[j]);
        }
    }
    store(a, gc->f64, ad, na);
    store(b, gc->f64, bd, nb);
    store(c, gc->f64, c0, nc);

    if (gc->f64)
        gemm->dgemm(gc->ta, gc->tb, m, n, k, gc->alpha, a, lda, b, ldb, gc->beta, c, ldc);
    else
        gemm->sgemm(gc->ta, gc->tb, m, n, k, (float)gc->alpha, a, lda, b, ldb, (float)gc->beta,
                    c, ldc);

    double tol = (gc->f64 ? TOL_F64 : TOL_F32) * max_abs;
    for (int i = 0; i < m && !status; i++)
        for (int j = 0; j < ldc && !status; j++) {
            size_t at = (size_t)i * ldc + j;
            double got = gc->f64 ? ((double *)c)[at] : ((float *)c)[at];
            double diff = fabs(got - ref[at]);
            if (j >= n ? got != SENTINEL : !(diff <= tol)) { /* !(<=): a NaN fails too */
                char problem[256];
                if (j >= n)
                    snprintf(problem, sizeof problem, "wrote %g into C[%d][%d], a padding column "
                             "beyond the %d of the matrix", got, i, j, n);
                else
                    snprintf(problem, sizeof problem, "C[%d][%d] = %.9g where a triple loop in "
                             "double gives %.9g: |difference| %.3g > %g × %.3g, the largest |C|",
                             i, j, got, ref[at], diff, gc->f64 ? TOL_F64 : TOL_F32, max_abs);
                snprintf(why, size, "%cgemm(%c, %c) %dx%dx%d (%s): %s", gc->f64 ? 'd' : 's',
                         gc->ta, gc->tb, m, n, k, gc->what, problem);
                status = -1;
            }
        }
done:
    free(ad), free(bd), free(c0), free(ref), free(a), free(b), free(c);
    return status;
}

int netrt_blas_selftest(const NetrtGemm *gemm, char *why, size_t size)
{
    static const NetrtGemm openblas = {openblas_sgemm, openblas_dgemm};
    if (!gemm)
        gemm = &openblas;
    for (int i = 0; i < N_CASES; i++)
        if (run_case(gemm, &cases[i], i, why, size) < 0)
            return -1;
    if (size)
        why[0] = '\0';
    return 0;
}

/* ---- the command line and the environment ------------------------------------------------- */

const char *netrt_blas_core_arg(int argc, char **argv)
{
    const char *value = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--blas-core")) {
            if (i + 1 < argc)
                value = argv[++i];
        } else if (!strncmp(argv[i], "--blas-core=", 12)) {
            value = argv[i] + 12;
        }
    }
    return value;
}

/* Copy the value of the environment variable name into out ("" when unset or too long for a
 * core's name, which no marker of ours is) and remove it: the markers are for one run only. */
static void take_env(const char *name, char *out, size_t size)
{
    const char *v = getenv(name);
    if (v && strlen(v) < size)
        copy(out, size, v);
    else
        out[0] = '\0';
    unsetenv(name);
}

/* Does the "NAME=value" string belong to the variables a re-run sets itself? */
static int is_ours(const char *entry)
{
    static const char *names[] = {"OPENBLAS_CORETYPE=", MARK_UPGRADED "=", MARK_DETECTED "=",
                                  MARK_FAILED "="};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strncmp(entry, names[i], strlen(names[i])))
            return 1;
    return 0;
}

/* The environment of a re-run: environ without the variables of is_ours, then add (a
 * NULL-terminated list of "NAME=value"). A new array sharing the strings; NULL without memory. */
static char **rerun_env(char *const *add)
{
    size_t n = 0, n_add = 0, k = 0;
    while (environ[n])
        n++;
    while (add[n_add])
        n_add++;
    char **env = malloc((n + n_add + 1) * sizeof *env);
    if (!env)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!is_ours(environ[i]))
            env[k++] = environ[i];
    for (size_t i = 0; i < n_add; i++)
        env[k++] = add[i];
    env[k] = NULL;
    return env;
}

/* Run this program again with argv and environment env. Returns only on failure: the errno. */
static int rerun(char **argv, char **env)
{
    fflush(NULL);
    execve(SELF_EXE, argv, env);
    return errno;
}

/* ---- surviving a crash in the self-test ----------------------------------------------------- */

/* The only mutable globals of the runtime's BLAS setup: what the signal handler needs, set just
 * before the self-test and cleared after it. A handler may call only async-signal-safe functions
 * (write, execve, _exit), so the message, argv and environment are ready beforehand. */
static char crash_msg[192];     /* "netrt: the SkylakeX core crashed in its self-test" */
static size_t crash_msg_len;
static char **crash_argv;
static char **crash_env;        /* the "failed" re-run; NULL: a --blas-core core, exit 1 */
static atomic_flag crash_taken = ATOMIC_FLAG_INIT;

static const int crash_signals[] = {SIGILL, SIGSEGV, SIGBUS, SIGFPE};
#define N_CRASH_SIGNALS (int)(sizeof crash_signals / sizeof crash_signals[0])

static void say(const char *text)
{
    ssize_t written = write(STDERR_FILENO, text, strlen(text));
    (void)written; /* nothing to do about a stderr that cannot be written */
}

static void on_crash(int sig)
{
    /* Several of OpenBLAS's threads can fault at once: the first one through speaks and re-runs
     * (or exits), which ends the others, waiting here. atomic_flag is lock-free, so safe here. */
    if (atomic_flag_test_and_set(&crash_taken))
        for (;;)
            pause();
    const char *name = sig == SIGILL    ? " (SIGILL: an instruction this CPU does not have)"
                       : sig == SIGSEGV ? " (SIGSEGV)"
                       : sig == SIGBUS  ? " (SIGBUS)"
                                        : " (SIGFPE)";
    ssize_t written = write(STDERR_FILENO, crash_msg, crash_msg_len);
    (void)written;
    say(name);
    if (crash_env) {
        say("; running again with OpenBLAS's own choice\n");
        execve(SELF_EXE, crash_argv, crash_env);
        say("netrt: cannot run the program again (execve " SELF_EXE " failed)\n");
    } else {
        say("\nnetrt: hint: --blas-core auto picks a core this CPU runs\n");
    }
    _exit(1);
}

/* Run the self-test with the crash handler in place: on a crash, env (NULL: none) is run
 * instead, or the process exits 1. SA_NODEFER keeps the signal unblocked in the handler, as the
 * signal mask survives execve and the next run must not start with SIGILL blocked. */
static int guarded_selftest(const NetrtGemm *gemm, int crash_on_purpose, char **argv, char **env,
                            const char *crash_text, char *why, size_t size)
{
    struct sigaction sa, old[N_CRASH_SIGNALS];
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    copy(crash_msg, sizeof crash_msg, crash_text);
    crash_msg_len = strlen(crash_msg);
    crash_argv = argv;
    crash_env = env;
    for (int i = 0; i < N_CRASH_SIGNALS; i++)
        sigaction(crash_signals[i], &sa, &old[i]);
    if (crash_on_purpose)
        raise(SIGILL);
    int status = netrt_blas_selftest(gemm, why, size);
    for (int i = 0; i < N_CRASH_SIGNALS; i++)
        sigaction(crash_signals[i], &old[i], NULL);
    crash_argv = crash_env = NULL;
    return status;
}

/* ---- netrt_blas_setup ------------------------------------------------------------------------ */

/* This run was started by netrt with OPENBLAS_CORETYPE=requested (upgrade: from --blas-core
 * when user is set). Self-test the core; on failure re-run in the "failed" state (upgrade) or
 * fail (user). */
static int check_rerun(char **argv, const char *requested, const char *user,
                       const char *detected, NetrtBlasStatus *st, NetrtErr *err)
{
    const char *loaded = openblas_get_corename();
    char breaker[16];
    take_env(SELFTEST_BREAK, breaker, sizeof breaker);
    /* tests only: see the head of the file */
    static const NetrtGemm broken = {broken_sgemm, openblas_dgemm};
    const NetrtGemm *gemm = !strcmp(breaker, "wrong") ? &broken : NULL;
    int crash = !strcmp(breaker, "crash");

    if (user) {
        if (strcasecmp(loaded, requested))
            return netrt_err(err, "--blas-core %s: this OpenBLAS has no such core "
                             "(OPENBLAS_CORETYPE=%s loaded %s)", requested, requested, loaded);
        char crash_text[96], why[512];
        snprintf(crash_text, sizeof crash_text, "netrt: --blas-core %s: the core crashed in its "
                 "self-test", requested);
        if (guarded_selftest(gemm, crash, argv, NULL, crash_text, why, sizeof why) < 0) {
            netrt_err(err, "--blas-core %s: the core failed its self-test: %s", requested, why);
            netrt_err_hint(err, "--blas-core auto picks a core that passes it");
            return -1;
        }
        st->origin = NETRT_BLAS_USER;
        copy(st->detail, sizeof st->detail, "--blas-core");
        return 0;
    }

    /* the "failed" re-run, ready before the self-test for the crash handler */
    char mark_failed[] = MARK_UPGRADED "=failed", mark_core[64];
    snprintf(mark_core, sizeof mark_core, MARK_FAILED "=%s", requested);
    char *add[] = {mark_failed, mark_core, NULL};
    char **env = rerun_env(add);
    if (!env)
        return netrt_err(err, "out of memory");
    char crash_text[96], why[512];
    snprintf(crash_text, sizeof crash_text, "netrt: the %s core crashed in its self-test",
             requested);
    if (guarded_selftest(gemm, crash, argv, env, crash_text, why, sizeof why) < 0) {
        fprintf(stderr, "netrt: self-test of the %s core: %s\n", requested, why);
        int e = rerun(argv, env);
        free(env);
        netrt_err(err, "the %s core failed its self-test, and running the program again "
                  "without it failed (execve %s: %s)", requested, SELF_EXE, strerror(e));
        netrt_err_hint(err, "choose a core with --blas-core, e.g. --blas-core %s", detected);
        return -1;
    }
    free(env);

    /* A build without the core requested loads another: a build with a shorter list of cores
     * (DYNAMIC_LIST) maps it to the nearest one it has, a version that does not know the name
     * falls back to its own choice. Only a higher level than the first run's is an upgrade. */
    const Core *now = find_core(loaded), *before = find_core(detected);
    if (strcasecmp(loaded, requested) && (!now || !before || now->level <= before->level)) {
        st->origin = NETRT_BLAS_DETECTED;
        snprintf(st->detail, sizeof st->detail, "detected; this OpenBLAS has no %s core: "
                 "OPENBLAS_CORETYPE=%s loaded %s", requested, requested, loaded);
        return 0;
    }
    NetrtCpuFeatures f;
    netrt_cpu_features(&f);
    st->origin = NETRT_BLAS_UPGRADED;
    snprintf(st->detail, sizeof st->detail, "upgraded from %s: the CPU has %s",
             detected[0] ? detected : "OpenBLAS's choice", isa_name(cpu_level(&f)));
    if (strcasecmp(loaded, requested))
        snprintf(st->detail + strlen(st->detail), sizeof st->detail - strlen(st->detail),
                 "; OPENBLAS_CORETYPE=%s loaded %s", requested, loaded);
    return 0;
}

int netrt_blas_setup(int argc, char **argv, const char *blas_core_option,
                     NetrtBlasStatus *st, NetrtErr *err)
{
    memset(st, 0, sizeof *st);
    const char *loaded = openblas_get_corename();
    copy(st->core, sizeof st->core, loaded);
    const char *user = blas_core_option ? blas_core_option : netrt_blas_core_arg(argc, argv);
    if (user && !user[0])
        return netrt_err(err, "--blas-core: empty value");
    if (user && !strcasecmp(user, "auto"))
        user = NULL;
#if !NETRT_X86
    /* Off x86 the cores in the table are not this OpenBLAS's, and there are no features to rank
     * its own by: OpenBLAS's choice (or a preset OPENBLAS_CORETYPE) runs, never re-run. */
    if (user) {
        netrt_err(err, "--blas-core %s: netrt chooses among OpenBLAS's x86 cores, and this "
                  "trainer is built for %s, where OpenBLAS chose its %s core itself", user,
                  NETRT_ARCH, loaded);
        netrt_err_hint(err, "--blas-core auto; OPENBLAS_CORETYPE=NAME, set before the trainer "
                       "starts, loads another of OpenBLAS's %s cores", NETRT_ARCH);
        return -1;
    }
    const char *preset = getenv("OPENBLAS_CORETYPE");
    NetrtCpuFeatures none = {0};
    NetrtBlasChoice kept;
    netrt_blas_choose(&none, loaded, preset, NULL, &kept);
    st->origin = kept.origin;
    netrt_blas_detail(&kept, st->detail, sizeof st->detail);
    return 0;
#endif

    char mark[32], detected[32], failed[32];
    take_env(MARK_UPGRADED, mark, sizeof mark);
    take_env(MARK_DETECTED, detected, sizeof detected);
    take_env(MARK_FAILED, failed, sizeof failed);
    const char *coretype = getenv("OPENBLAS_CORETYPE");

    if (!strcmp(mark, "failed")) {
        fprintf(stderr, "netrt: the %s core failed its self-test; using OpenBLAS's own choice, "
                "%s\n", failed[0] ? failed : "upgraded", loaded);
        st->origin = NETRT_BLAS_DETECTED;
        snprintf(st->detail, sizeof st->detail, "detected; the %s core failed its self-test",
                 failed[0] ? failed : "upgraded");
        return 0;
    }
    if (!strcmp(mark, "user") && user && coretype)
        return check_rerun(argv, coretype, user, "", st, err);
    if (mark[0] && find_core(mark) && coretype && !strcasecmp(mark, coretype))
        return check_rerun(argv, coretype, NULL, detected, st, err);
    /* else: the first run (a marker that does not fit is ignored) */

    NetrtCpuFeatures f;
    netrt_cpu_features(&f);
    NetrtBlasChoice choice;
    if (netrt_blas_choose(&f, loaded, coretype, user, &choice) < 0) {
        netrt_err(err, "%s", choice.reason);
        return -1;
    }
    if (choice.reexec) {
        char set_core[64], set_mark[64], set_detected[64];
        snprintf(set_core, sizeof set_core, "OPENBLAS_CORETYPE=%s", choice.core);
        if (choice.origin == NETRT_BLAS_USER)
            snprintf(set_mark, sizeof set_mark, MARK_UPGRADED "=user");
        else
            snprintf(set_mark, sizeof set_mark, MARK_UPGRADED "=%s", choice.core);
        snprintf(set_detected, sizeof set_detected, MARK_DETECTED "=%s", loaded);
        char *add[] = {set_core, set_mark, set_detected, NULL};
        char **env = rerun_env(add);
        int e = env ? rerun(argv, env) : ENOMEM;
        free(env);
        /* still here: the program could not be run again */
        if (choice.origin == NETRT_BLAS_USER)
            return netrt_err(err, "--blas-core %s: cannot run the program again to load it "
                             "(execve %s: %s)", choice.core, SELF_EXE, strerror(e));
        fprintf(stderr, "netrt: cannot run the program again with OPENBLAS_CORETYPE=%s (execve "
                "%s: %s); keeping OpenBLAS's own choice, %s\n", choice.core, SELF_EXE,
                strerror(e), loaded);
        st->origin = NETRT_BLAS_DETECTED;
        snprintf(st->detail, sizeof st->detail, "detected; running again with %s failed: %s",
                 choice.core, strerror(e));
        return 0;
    }

    st->origin = choice.origin;
    netrt_blas_detail(&choice, st->detail, sizeof st->detail);
    copy(st->remark, sizeof st->remark, choice.remark);
    return 0;
}
