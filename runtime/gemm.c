/* gemm.c: netrt_sgemm, the single-precision products of generated trainers.
 *
 * Where the CPU has AVX-512, netc computes its products itself rather than through OpenBLAS:
 * Debian's OpenBLAS picks its kernels by CPU model and may load AVX2 or SSE3 ones on an AVX-512
 * machine (and an OPENBLAS_CORETYPE preset by the system, which netc never overrides, may do the
 * same), while a trainer's shapes are known and modest (a batch of 256 by 784 by 256, or 1600
 * by 64 by 64). The algorithm is the textbook one (Goto; BLIS's loop order), kept small:
 *
 *   for each unit, an NR-wide panel of C's columns over a span of its rows, taken by the
 *   next free thread:
 *     for each KC depths:
 *       pack what cannot be read in place, into the thread's own buffers: a transposed
 *       op(B)'s panel, and op(A)'s last MR rows when they are fewer than MR
 *       for each MR rows: C[MR×NR] (+)= A-panel · B-panel     the micro-kernel, 24 zmm sums
 *
 * op(A) is read in place (its rows, or for Aᵀ its columns, are broadcast one value at a time),
 * and an untransposed op(B) too: on these sizes packing cost as much as the products. Partial
 * tiles are computed whole, with masked loads and stores at the edges of C and B.
 *
 * Threads (threads.c) take the units one by one. They share nothing they write but C, and
 * wait for each other only at the end of a product. Every element of C gets the same sums in
 * the same order whichever thread computes its tile, so results do not depend on the number of
 * threads, bit for bit.
 *
 * Double precision, and CPUs without AVX-512, go to OpenBLAS (--gemm openblas forces it). */
#include <stdio.h>
#include <string.h>

#include <cblas.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX512_KERNEL 1
#else
#define HAVE_AVX512_KERNEL 0
#endif

#include "netrt_internal.h"

#if HAVE_AVX512_KERNEL
static int use_own = 0; /* netrt_gemm_use_own */

/* Every function of the kernel is compiled for AVX-512 whatever the flags of the build (the
 * CPU is checked at run time, in netrt_gemm_setup). A function attribute, not GCC's
 * `#pragma GCC target`, which Clang does not know. */
#define AVX512 __attribute__((target("avx512f")))

enum {
    MR = 12,   /* rows of the micro-kernel: 12 × 2 accumulators + 2 loads of B + a broadcast  */
    NR = 32,   /* columns: two zmm registers                                                   */
    KC = 256,  /* depth of a block: an ap panel (12 KiB) and a bp panel (32 KiB) stay in L1    */
    MC = 96,   /* rows of a span at least: they share one B panel                          */
};


/* Transpose a block of `rows` ≤ 16 rows of `cols` ≤ 16 floats (row i at src + i·ld; rows past
 * `rows` read as zero) into `cols` vectors of 16, column q stored at dst + q·dst_ld under
 * `keep`: 4×4 blocks within 128-bit lanes (unpack), then the lanes (shuffle_f32x4). */
AVX512
static void transpose16(const float *src, size_t ld, int rows, int cols, float *dst,
                        size_t dst_ld, __mmask16 keep)
{
    __mmask16 in = (__mmask16)((1u << cols) - 1);
    __m512 r[16], t[16], u[16];
    for (int i = 0; i < 16; i++)
        r[i] = i < rows ? _mm512_maskz_loadu_ps(in, src + i * ld) : _mm512_setzero_ps();
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) { /* u[i + c], lane L: column 4L + c, rows i..i+3 */
        __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 2]);
        __m512d c = _mm512_castps_pd(t[i + 1]), d = _mm512_castps_pd(t[i + 3]);
        u[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
        u[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        u[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
        u[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
    }
    for (int c = 0; c < 4; c++) {
        __m512 x0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44);
        __m512 x1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xee);
        __m512 y0 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
        __m512 y1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xee);
        __m512 col[4] = {_mm512_shuffle_f32x4(x0, y0, 0x88), _mm512_shuffle_f32x4(x0, y0, 0xdd),
                         _mm512_shuffle_f32x4(x1, y1, 0x88), _mm512_shuffle_f32x4(x1, y1, 0xdd)};
        for (int l = 0; l < 4; l++)
            if (4 * l + c < cols)
                _mm512_mask_storeu_ps(dst + (4 * l + c) * dst_ld, keep, col[l]);
    }
}

/* dst[p][0..width) = the `valid` ≤ width floats at src + p·ld, zero after them, for p < kc. */
AVX512
static void copy_rows(const float *src, size_t ld, int valid, int width, int kc, float *dst)
{
    for (int p = 0; p < kc; p++, src += ld, dst += width) {
        memcpy(dst, src, (size_t)valid * sizeof *dst);
        memset(dst + valid, 0, (size_t)(width - valid) * sizeof *dst);
    }
}

/* dst[p][c] = the transpose of `valid` ≤ width rows of kc floats at src + c·ld (columns past
 * `valid` zero), width = 12 or 32. */
AVX512
static void transpose_rows(const float *src, size_t ld, int valid, int width, int kc, float *dst)
{
    for (int c0 = 0; c0 < width; c0 += 16) {
        int rows = valid - c0 < 0 ? 0 : valid - c0 > 16 ? 16 : valid - c0;
        int lanes = width - c0 < 16 ? width - c0 : 16;
        for (int p = 0; p < kc; p += 16)
            transpose16(src + (size_t)c0 * ld + p, ld, rows, kc - p < 16 ? kc - p : 16,
                        dst + (size_t)p * width + c0, (size_t)width,
                        (__mmask16)((1u << lanes) - 1));
    }
}

/* ap[p][r] = op(A)[i0 + r][p0 + p] for the mr < MR rows of A's short last panel, zero after. */
AVX512
static void pack_a(char ta, const float *a, int lda, int i0, int mr, int p0, int kc, float *ap)
{
    if (ta == 'T')
        copy_rows(a + (size_t)p0 * lda + i0, (size_t)lda, mr, MR, kc, ap);
    else
        transpose_rows(a + (size_t)i0 * lda + p0, (size_t)lda, mr, MR, kc, ap);
}

/* bp[p][c] = op(B)[p0 + p][j0 + c] for the nr ≤ NR columns of a panel, zero after. */
AVX512
static void pack_b(char tb, const float *b, int ldb, int p0, int kc, int j0, int nr, float *bp)
{
    if (tb == 'N')
        copy_rows(b + (size_t)p0 * ldb + j0, (size_t)ldb, nr, NR, kc, bp);
    else
        transpose_rows(b + (size_t)j0 * ldb + p0, (size_t)ldb, nr, NR, kc, bp);
}

/* A tile: C[mr×nr] = alpha·(A-panel · B-panel) + beta·C, mr ≤ MR, nr ≤ NR. Element (r, p) of
 * the A panel is at a[r·ars + p·aks]; row p of the B panel is the NR floats at b + p·bks (only
 * the first nr are read). One of ars and aks is 1: the two instances below fix which, so that
 * the other offsets are constants. */
AVX512
static inline __attribute__((always_inline)) void tile(int kc, const float *a, size_t ars,
                                                       size_t aks, const float *b, size_t bks,
                                                       float *c, int ldc, int mr, int nr,
                                                       float alpha, float beta)
{
    __mmask16 m0 = nr >= 16 ? 0xffff : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr >= 32 ? 0xffff : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1);
    __m512 s[MR][2];
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++)
        s[r][0] = s[r][1] = _mm512_setzero_ps();
    for (int p = 0; p < kc; p++, a += aks, b += bks) {
        __m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
#pragma GCC unroll 12
        for (int r = 0; r < MR; r++) {
            __m512 x = _mm512_set1_ps(a[r * ars]);
            s[r][0] = _mm512_fmadd_ps(x, b0, s[r][0]);
            s[r][1] = _mm512_fmadd_ps(x, b1, s[r][1]);
        }
    }
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
    for (int r = 0; r < mr; r++, c += ldc) {
        __m512 c0 = _mm512_mul_ps(va, s[r][0]), c1 = _mm512_mul_ps(va, s[r][1]);
        if (beta != 0) {
            c0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), c0);
            c1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), c1);
        }
        _mm512_mask_storeu_ps(c, m0, c0);
        _mm512_mask_storeu_ps(c + 16, m1, c1);
    }
}

/* A panel with its MR values of a depth side by side: packed (aks = MR), or op(A) = Aᵀ read in
 * place (aks = lda). */
AVX512
static void tile_by_depth(int kc, const float *a, size_t aks, const float *b, size_t bks,
                          float *c, int ldc, int mr, int nr, float alpha, float beta)
{
    tile(kc, a, 1, aks, b, bks, c, ldc, mr, nr, alpha, beta);
}

/* A panel of MR rows of A read in place (ars = lda), each along the depth. */
AVX512
static void tile_by_row(int kc, const float *a, size_t ars, const float *b, size_t bks,
                        float *c, int ldc, int mr, int nr, float alpha, float beta)
{
    tile(kc, a, ars, 1, b, bks, c, ldc, mr, nr, alpha, beta);
}

/* One product, cut into units of work: each an NR-wide panel of C's columns over a span of its
 * rows. */
typedef struct {
    NetrtJob job;    /* its units, for netrt_run_job */
    char ta, tb;
    int m, n, k;
    float alpha, beta;
    const float *a, *b;
    float *c;
    int lda, ldb, ldc;
    int pack_b;      /* op(B) packed, panel by panel, rather than read in place */
    int spans, rows; /* spans of rows per column panel, and rows per span (MR·x) */
} Product;

/* Each thread's own packed panels: NR columns of op(B) and A's short last panel, KC deep. */
static float my_b[NETRT_MAX_THREADS][KC * NR] __attribute__((aligned(64)));
static float my_a[NETRT_MAX_THREADS][MR * KC] __attribute__((aligned(64)));

/* Unit u of the product, on thread t. It packs what it reads of op(B) into its own thread's
 * buffer: no thread waits for another, and nothing packed moves between cores. Every element
 * of C gets the same sums in the same order whichever thread computes it (KC depths at a
 * time, into C), so the result does not depend on the number of threads. */
AVX512
static void product_unit(const NetrtJob *job, int u, int t)
{
    const Product *q = (const Product *)job;
    int jr = u / q->spans * NR, i0 = u % q->spans * q->rows;
    int nr = q->n - jr < NR ? q->n - jr : NR;
    int i1 = q->m - i0 < q->rows ? q->m : i0 + q->rows;
    for (int pc = 0; pc < q->k; pc += KC) {
        int kc = q->k - pc < KC ? q->k - pc : KC;
        float beta = pc == 0 ? q->beta : 1.0f;
        const float *b = q->b + (size_t)pc * q->ldb + jr;
        size_t bks = (size_t)q->ldb;
        if (q->pack_b) {
            pack_b(q->tb, q->b, q->ldb, pc, kc, jr, nr, my_b[t]);
            b = my_b[t];
            bks = NR;
        }
        for (int ir = i0; ir < i1; ir += MR) {
            float *c = q->c + (size_t)ir * q->ldc + jr;
            int mr = i1 - ir < MR ? i1 - ir : MR;
            if (mr < MR) { /* packed: read in place, it would run past A */
                pack_a(q->ta, q->a, q->lda, ir, mr, pc, kc, my_a[t]);
                tile_by_depth(kc, my_a[t], MR, b, bks, c, q->ldc, mr, nr, q->alpha, beta);
            } else if (q->ta == 'T') {
                tile_by_depth(kc, q->a + (size_t)pc * q->lda + ir, q->lda, b, bks, c, q->ldc,
                              mr, nr, q->alpha, beta);
            } else {
                tile_by_row(kc, q->a + (size_t)ir * q->lda + pc, q->lda, b, bks, c, q->ldc, mr,
                            nr, q->alpha, beta);
            }
        }
    }
}

AVX512
static void own_sgemm(char ta, char tb, int m, int n, int k, float alpha, const float *a,
                      int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    if (m == 0 || n == 0)
        return;
    if (k == 0 || alpha == 0) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                c[(size_t)i * ldc + j] = beta == 0 ? 0 : beta * c[(size_t)i * ldc + j];
        return;
    }
    /* Threads only for products worth the hand-over (a few microseconds). */
    int nt = (double)m * n * k < 2e5 ? 1 : netrt_threads();
    /* Pack a transposed op(B); and an untransposed one when many rows will read it, since its
     * rows, far apart in memory, can fall on the same cache sets (2048 floats apart, all do).
     * Spans of MC rows or more; but each span packs its panel again, so a packed op(B) gets
     * only as many spans as give each thread about four units. */
    int panels = (n + NR - 1) / NR, pack = tb == 'T' || m >= 4 * MC;
    int spans = m / MC > 1 ? m / MC : 1;
    if (pack) {
        int enough = nt == 1 ? 1 : (4 * nt + panels - 1) / panels;
        spans = spans < enough ? spans : enough;
    }
    int rows = ((m + spans - 1) / spans + MR - 1) / MR * MR; /* whole panels of MR rows */
    spans = (m + rows - 1) / rows;
    Product q = {{product_unit, panels * spans}, ta, tb, m, n, k, alpha, beta, a, b, c, lda,
                 ldb, ldc, pack, spans, rows};
    netrt_run_job(&q.job, nt);
}

#endif /* HAVE_AVX512_KERNEL */

void netrt_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m,
                 int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc)
{
#if HAVE_AVX512_KERNEL
    if (use_own) { /* generated code is row-major throughout: order is CblasRowMajor */
        own_sgemm(trans_a == CblasTrans ? 'T' : 'N', trans_b == CblasTrans ? 'T' : 'N', m, n, k,
                  alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
#endif
    cblas_sgemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

int netrt_gemm_setup(const char *choice, int threads, NetrtGemmStatus *st, NetrtErr *err)
{
    memset(st, 0, sizeof *st);
    if (choice && strcmp(choice, "auto") && strcmp(choice, "netc") && strcmp(choice, "openblas"))
        return netrt_err(err, "--gemm %s: expected auto, netc or openblas", choice);
#if !NETRT_X86
    /* Off x86 netc has no kernel to offer: say so, rather than blame the CPU's extensions. */
    if (choice && strcmp(choice, "auto") && strcmp(choice, "openblas"))
        return netrt_err(err, "--gemm %s: netc's kernels are x86-64 code (the kernel needs "
                         "AVX-512), and this trainer is built for %s: its products run on "
                         "OpenBLAS (--gemm auto or openblas)", choice, NETRT_ARCH);
#endif
    NetrtCpuFeatures f;
    netrt_cpu_features(&f);
    int can = HAVE_AVX512_KERNEL && f.avx512f;
    if (choice && !strcmp(choice, "netc") && !can)
        return netrt_err(err, "--gemm netc: the kernel needs AVX-512, which this CPU (or its "
                         "OS) does not offer");
    st->own = can && !(choice && !strcmp(choice, "openblas"));
    st->threads = threads > 0 ? threads : netrt_cpus_available();
    if (st->threads > NETRT_MAX_THREADS)
        st->threads = NETRT_MAX_THREADS;
    if (st->own)
        snprintf(st->detail, sizeof st->detail, "netc's AVX-512 kernel, %d thread%s (%s)",
                 st->threads, st->threads == 1 ? "" : "s",
                 choice && !strcmp(choice, "netc") ? "--gemm netc"
                                                   : "the CPU has AVX-512; --gemm openblas "
                                                     "for OpenBLAS's");
    else
        snprintf(st->detail, sizeof st->detail, "OpenBLAS (%s)",
                 choice && !strcmp(choice, "openblas") ? "--gemm openblas"
                                                       : NETRT_X86 ? "no AVX-512 on this CPU"
                                                       : "netc's kernels are x86-64 code; "
                                                         "this is " NETRT_ARCH);
    netrt_gemm_use_own(st->own, st->threads);
    return 0;
}

void netrt_gemm_use_own(int on, int threads)
{
#if HAVE_AVX512_KERNEL
    use_own = on;
#else
    on = 0;
#endif
    /* With OpenBLAS, whose threads spin between its calls, the passes stay on one thread. */
    netrt_set_threads(on ? threads : 1);
}
