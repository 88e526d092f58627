/* gemm.c: netrt_sgemm, the single-precision products of generated trainers.
 *
 * On x86-64 CPUs with AVX-512, or AVX2 and FMA, netc computes its products itself rather than
 * through OpenBLAS: Debian's OpenBLAS picks its kernels by CPU model and may load AVX2 or SSE3
 * ones on an AVX-512 machine (and an OPENBLAS_CORETYPE preset by the system, which netc never
 * overrides, may do the same), its threads cost more than they bring on small products, while a
 * trainer's shapes are known and modest (a batch of 256 by 784 by 256, or 1600 by 64 by 64). The
 * algorithm is the textbook one (Goto; BLIS's loop order), kept small:
 *
 *   for each unit, an NR-wide panel of C's columns over a span of its rows, taken by the
 *   next free thread:
 *     for each KC depths:
 *       pack what cannot be read in place into the thread's own buffer: a transposed op(B)'s
 *       panel
 *       for each MR rows: C[MR×NR] (+)= A-panel · B-panel     the micro-kernel
 *
 * op(A) is read in place (its rows, or for Aᵀ its columns, are broadcast one value at a time),
 * and an untransposed op(B) too: on these sizes packing cost as much as the products. A tile of
 * fewer than MR rows (a product's last) is computed for its rows alone, by a copy of the
 * micro-kernel for that many; one of fewer than NR columns with masked loads and stores at the
 * edges of C and B (AVX2: stores through a small buffer).
 *
 * Two micro-kernels share that driver (a Kernel: its MR, NR, tile and transpose functions):
 * AVX-512's 12×32 (24 zmm sums) and AVX2's 6×16 (12 ymm sums). Each is compiled for its
 * instructions by a function attribute whatever the flags of the build, and chosen at run time
 * (netrt_gemm_setup) from what the CPU and its OS offer (netrt_cpu_features).
 *
 * Threads (threads.c) take the units one by one. They share nothing they write but C, and
 * wait for each other only at the end of a product. Every element of C gets the same sums in
 * the same order whichever thread computes its tile, so results do not depend on the number of
 * threads, bit for bit. The two kernels compute each element alike too (one multiply-add per
 * depth in order, KC depths at a time, then alpha and beta), so they give the same bits as each
 * other (tests/runtime/test_gemm.c checks both).
 *
 * Double precision, CPUs without AVX2 and FMA, and other architectures go to OpenBLAS (--gemm
 * openblas forces it). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cblas.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86_KERNELS 1
#else
#define HAVE_X86_KERNELS 0
#endif

#include "netrt_internal.h"

static const char *const kernel_names[] = {
    [NETRT_GEMM_OPENBLAS] = "openblas", [NETRT_GEMM_AVX512] = "avx512", [NETRT_GEMM_AVX2] = "avx2"};

const char *netrt_gemm_name(NetrtGemmKernel kernel)
{
    return kernel_names[kernel];
}

#if HAVE_X86_KERNELS
/* Every function of a kernel is compiled for its instructions whatever the flags of the build
 * (the CPU is checked at run time, in netrt_gemm_setup). Function attributes, not GCC's
 * `#pragma GCC target`, which Clang does not know. */
#define AVX512 __attribute__((target("avx512f")))
#define AVX2 __attribute__((target("avx2,fma")))

enum {
    MR_AVX512 = 12, /* rows of the micro-kernel: 12 × 2 accumulators + 2 loads of B + a broadcast */
    NR_AVX512 = 32, /* columns: two zmm registers                                                 */
    MR_AVX2 = 6,    /* 6 × 2 accumulators + 2 loads of B + a broadcast: 15 of the 16 ymm registers */
    NR_AVX2 = 16,   /* two ymm registers                                                          */
    NR_MAX = 32,
    KC = 256, /* depth of a block: MR rows of A (12 KiB) and a B panel (32 KiB) stay in L1      */
    MC = 96,  /* rows of a span at least: they share one B panel (a multiple of both MRs)      */
};

/* A tile: C[mr×nr] = alpha·(A-panel · B-panel) + beta·C, mr ≤ MR, nr ≤ NR. Element (r, p) of
 * the A panel is at a[r·ars + p·aks] (only its mr rows are read); row p of the B panel is the NR
 * floats at b + p·bks (only the first nr are read, unless the panel is `packed`: then all NR are
 * there, zero past nr). One of ars and aks is 1: a kernel has one function for each (`a_step` is
 * the other), so that the other offsets are constants. alpha and beta are read from memory after
 * the sums: kept in registers through the loop, they took two that AVX2's 12 sums need (GCC then
 * moved one sum to the stack, and the 6×16 tile ran at half speed). */
typedef void TileFn(int kc, const float *a, size_t a_step, const float *b, size_t bks, int packed,
                    float *c, int ldc, int mr, int nr, const float *alpha_beta);

/* A micro-kernel: what the driver below (units, spans, packing, product_unit) needs of it. */
typedef struct {
    int mr, nr;
    /* The A panel with its values of a depth side by side: op(A) = Aᵀ read in place (a_step =
     * lda). */
    TileFn *tile_by_depth;
    /* The A panel as MR rows of A read in place (a_step = lda), each along the depth. */
    TileFn *tile_by_row;
    /* dst[p][c] = the transpose of `valid` ≤ width rows of kc floats at src + c·ld (columns past
     * `valid` zero), width = NR. */
    void (*transpose_rows)(const float *src, size_t ld, int valid, int width, int kc, float *dst);
} Kernel;

/* ---- AVX-512: 12×32 ------------------------------------------------------------------------ */

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

AVX512
static void transpose_rows16(const float *src, size_t ld, int valid, int width, int kc,
                             float *dst)
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

/* The micro-kernel for `rows` ≤ MR rows of A: a constant in each copy (tile16_rows), so that
 * the sums stay in registers and no row is computed for nothing. */
AVX512
static inline __attribute__((always_inline)) void tile16(int kc, const float *a, size_t ars,
                                                         size_t aks, const float *b, size_t bks,
                                                         float *c, int ldc, int rows, int nr,
                                                         const float *alpha_beta)
{
    __mmask16 m0 = nr >= 16 ? 0xffff : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr >= 32 ? 0xffff : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1);
    __m512 s[MR_AVX512][2];
#pragma GCC unroll 12
    for (int r = 0; r < rows; r++)
        s[r][0] = s[r][1] = _mm512_setzero_ps();
    for (int p = 0; p < kc; p++, a += aks, b += bks) {
        __m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
#pragma GCC unroll 12
        for (int r = 0; r < rows; r++) {
            __m512 x = _mm512_set1_ps(a[r * ars]);
            s[r][0] = _mm512_fmadd_ps(x, b0, s[r][0]);
            s[r][1] = _mm512_fmadd_ps(x, b1, s[r][1]);
        }
    }
    float beta = alpha_beta[1];
    __m512 va = _mm512_set1_ps(alpha_beta[0]), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
    for (int r = 0; r < rows; r++, c += ldc) {
        __m512 c0 = _mm512_mul_ps(va, s[r][0]), c1 = _mm512_mul_ps(va, s[r][1]);
        if (beta != 0) {
            c0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), c0);
            c1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), c1);
        }
        _mm512_mask_storeu_ps(c, m0, c0);
        _mm512_mask_storeu_ps(c + 16, m1, c1);
    }
}

/* tile16 for mr rows: a copy of it for each number. */
AVX512
static inline __attribute__((always_inline)) void tile16_rows(int kc, const float *a, size_t ars,
                                                              size_t aks, const float *b,
                                                              size_t bks, float *c, int ldc,
                                                              int mr, int nr,
                                                              const float *alpha_beta)
{
    switch (mr) {
#define ROWS(R)                                                                                 \
    case R:                                                                                     \
        tile16(kc, a, ars, aks, b, bks, c, ldc, R, nr, alpha_beta);                             \
        break;
        ROWS(1) ROWS(2) ROWS(3) ROWS(4) ROWS(5) ROWS(6) ROWS(7) ROWS(8) ROWS(9) ROWS(10) ROWS(11)
        ROWS(12)
#undef ROWS
    }
}

AVX512
static void tile16_by_depth(int kc, const float *a, size_t aks, const float *b, size_t bks,
                            int packed, float *c, int ldc, int mr, int nr,
                            const float *alpha_beta)
{
    (void)packed; /* AVX-512's masked loads cost what plain ones do */
    tile16_rows(kc, a, 1, aks, b, bks, c, ldc, mr, nr, alpha_beta);
}

AVX512
static void tile16_by_row(int kc, const float *a, size_t ars, const float *b, size_t bks,
                          int packed, float *c, int ldc, int mr, int nr, const float *alpha_beta)
{
    (void)packed;
    tile16_rows(kc, a, ars, 1, b, bks, c, ldc, mr, nr, alpha_beta);
}

static const Kernel kernel_avx512 = {MR_AVX512, NR_AVX512, tile16_by_depth, tile16_by_row,
                                     transpose_rows16};

/* ---- AVX2 and FMA: 6×16 -------------------------------------------------------------------- */

/* AVX2 has no mask registers: a masked load or store takes a vector whose lanes' sign bits
 * say which to touch; first_lanes(n) has the first n ≤ 8 set. Masked-off lanes never fault,
 * so the edges of C and B are read and written in place, as on AVX-512. */
static const int32_t lane_mask[16] = {-1, -1, -1, -1, -1, -1, -1, -1};

AVX2
static inline __m256i first_lanes(int n)
{
    return _mm256_loadu_si256((const __m256i *)(lane_mask + 8 - n));
}

/* transpose16's 8×8 counterpart: `rows` ≤ 8 rows of `cols` ≤ 8 floats, column q stored at
 * dst + q·dst_ld under `keep`: pairs of rows interleaved (unpack), then groups of four
 * (shuffle), then the 128-bit lanes (permute2f128). A whole block (full: a constant, 8 rows of
 * 8 read, 8 lanes kept) takes plain loads and stores: masked stores are far slower than plain
 * ones on some CPUs (AMD's microcode them; on this Zen 5 they measured 1.4 times as slow). */
AVX2
static inline __attribute__((always_inline)) void transpose8(const float *src, size_t ld,
                                                             int rows, int cols, float *dst,
                                                             size_t dst_ld, __m256i keep,
                                                             int full)
{
    __m256i in = first_lanes(cols);
    __m256 r[8], t[8], u[8];
    for (int i = 0; i < 8; i++)
        r[i] = full        ? _mm256_loadu_ps(src + i * ld)
               : i < rows ? _mm256_maskload_ps(src + i * ld, in)
                          : _mm256_setzero_ps();
    for (int i = 0; i < 8; i += 2) { /* t[i]: r[i][0], r[i+1][0], r[i][1], r[i+1][1] per lane */
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) { /* u[i + c], lane L: column 4L + c, rows i..i+3 */
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    __m256 col[8]; /* column c: the low lanes of u[c] and u[4 + c]; column 4 + c, the high */
    for (int c = 0; c < 4; c++) {
        col[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
        col[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
    }
    for (int c = 0; c < 8; c++)
        if (full)
            _mm256_storeu_ps(dst + c * dst_ld, col[c]);
        else if (c < cols)
            _mm256_maskstore_ps(dst + c * dst_ld, keep, col[c]);
}

AVX2
static void transpose_rows8(const float *src, size_t ld, int valid, int width, int kc,
                            float *dst)
{
    for (int c0 = 0; c0 < width; c0 += 8) {
        int rows = valid - c0 < 0 ? 0 : valid - c0 > 8 ? 8 : valid - c0;
        int lanes = width - c0 < 8 ? width - c0 : 8;
        for (int p = 0; p < kc; p += 8) {
            const float *from = src + (size_t)c0 * ld + p;
            float *to = dst + (size_t)p * width + c0;
            if (rows == 8 && lanes == 8 && kc - p >= 8)
                transpose8(from, ld, 8, 8, to, (size_t)width, first_lanes(8), 1);
            else
                transpose8(from, ld, rows, kc - p < 8 ? kc - p : 8, to, (size_t)width,
                           first_lanes(lanes), 0);
        }
    }
}

/* v's first n ≤ 8 lanes to c, the floats after them untouched: a plain store when n is 8, else
 * through a buffer rather than a masked store (slow on some CPUs, above). */
AVX2
static inline void store_first(float *c, __m256 v, int n)
{
    if (n == 8) {
        _mm256_storeu_ps(c, v);
        return;
    }
    float part[8];
    _mm256_storeu_ps(part, v);
    for (int i = 0; i < n; i++)
        c[i] = part[i];
}

/* tile16's counterpart. Where the panel is NR wide (every panel but a product's last), or packed
 * (zero past nr), B is read with plain loads (plain_b): masked ones cost more on some CPUs; C is
 * stored whole where the panel is NR wide (whole). Both are constants in each copy. */
AVX2
static inline __attribute__((always_inline)) void tile8(int kc, const float *a, size_t ars,
                                                        size_t aks, const float *b, size_t bks,
                                                        float *c, int ldc, int rows, int nr,
                                                        const float *alpha_beta, int plain_b,
                                                        int whole)
{
    __m256i m0 = first_lanes(nr >= 8 ? 8 : nr), m1 = first_lanes(nr <= 8 ? 0 : nr - 8);
    __m256 s[MR_AVX2][2];
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++)
        s[r][0] = s[r][1] = _mm256_setzero_ps();
    for (int p = 0; p < kc; p++, a += aks, b += bks) {
        __m256 b0 = plain_b ? _mm256_loadu_ps(b) : _mm256_maskload_ps(b, m0);
        __m256 b1 = plain_b ? _mm256_loadu_ps(b + 8) : _mm256_maskload_ps(b + 8, m1);
#pragma GCC unroll 6
        for (int r = 0; r < rows; r++) {
            __m256 x = _mm256_broadcast_ss(a + r * ars);
            s[r][0] = _mm256_fmadd_ps(x, b0, s[r][0]);
            s[r][1] = _mm256_fmadd_ps(x, b1, s[r][1]);
        }
    }
    float beta = alpha_beta[1];
    __m256 va = _mm256_set1_ps(alpha_beta[0]), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++, c += ldc) {
        __m256 c0 = _mm256_mul_ps(va, s[r][0]), c1 = _mm256_mul_ps(va, s[r][1]);
        if (beta != 0) {
            c0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c, m0), c0);
            c1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c + 8, m1), c1);
        }
        if (whole) {
            _mm256_storeu_ps(c, c0);
            _mm256_storeu_ps(c + 8, c1);
        } else {
            store_first(c, c0, nr >= 8 ? 8 : nr);
            store_first(c + 8, c1, nr <= 8 ? 0 : nr - 8);
        }
    }
}

/* tile8 for mr rows and each kind of panel (whole; packed and partial; partial, in place): a
 * copy of it for each. */
AVX2
static inline __attribute__((always_inline)) void tile8_rows(int kc, const float *a, size_t ars,
                                                             size_t aks, const float *b,
                                                             size_t bks, int packed, float *c,
                                                             int ldc, int mr, int nr,
                                                             const float *alpha_beta)
{
    int whole = nr == NR_AVX2;
    switch (mr) {
#define ROWS(R)                                                                                 \
    case R:                                                                                     \
        if (whole)                                                                              \
            tile8(kc, a, ars, aks, b, bks, c, ldc, R, nr, alpha_beta, 1, 1);                    \
        else if (packed)                                                                        \
            tile8(kc, a, ars, aks, b, bks, c, ldc, R, nr, alpha_beta, 1, 0);                    \
        else                                                                                    \
            tile8(kc, a, ars, aks, b, bks, c, ldc, R, nr, alpha_beta, 0, 0);                    \
        break;
        ROWS(1) ROWS(2) ROWS(3) ROWS(4) ROWS(5) ROWS(6)
#undef ROWS
    }
}

AVX2
static void tile8_by_depth(int kc, const float *a, size_t aks, const float *b, size_t bks,
                           int packed, float *c, int ldc, int mr, int nr,
                           const float *alpha_beta)
{
    tile8_rows(kc, a, 1, aks, b, bks, packed, c, ldc, mr, nr, alpha_beta);
}

AVX2
static void tile8_by_row(int kc, const float *a, size_t ars, const float *b, size_t bks,
                         int packed, float *c, int ldc, int mr, int nr, const float *alpha_beta)
{
    tile8_rows(kc, a, ars, 1, b, bks, packed, c, ldc, mr, nr, alpha_beta);
}

static const Kernel kernel_avx2 = {MR_AVX2, NR_AVX2, tile8_by_depth, tile8_by_row,
                                   transpose_rows8};

/* ---- the driver, for either kernel ---------------------------------------------------------- */

/* dst[p][0..width) = the `valid` ≤ width floats at src + p·ld, zero after them, for p < kc. */
static void copy_rows(const float *src, size_t ld, int valid, int width, int kc, float *dst)
{
    for (int p = 0; p < kc; p++, src += ld, dst += width) {
        memcpy(dst, src, (size_t)valid * sizeof *dst);
        memset(dst + valid, 0, (size_t)(width - valid) * sizeof *dst);
    }
}

/* bp[p][c] = op(B)[p0 + p][j0 + c] for the nr ≤ NR columns of a panel, zero after. */
static void pack_b(const Kernel *kern, char tb, const float *b, int ldb, int p0, int kc, int j0,
                   int nr, float *bp)
{
    if (tb == 'N')
        copy_rows(b + (size_t)p0 * ldb + j0, (size_t)ldb, nr, kern->nr, kc, bp);
    else
        kern->transpose_rows(b + (size_t)j0 * ldb + p0, (size_t)ldb, nr, kern->nr, kc, bp);
}

/* One product, cut into units of work: each an NR-wide panel of C's columns over a span of its
 * rows. */
typedef struct {
    NetrtJob job;    /* its units, for netrt_run_job */
    const Kernel *kern;
    char ta, tb;
    int m, n, k;
    float alpha, beta;
    const float *a, *b;
    float *c;
    int lda, ldb, ldc;
    int pack_b;      /* op(B) packed, panel by panel, rather than read in place */
    int spans, rows; /* spans of rows per column panel, and rows per span (MR·x) */
    NetrtBlockFn *then; /* the pass on each unit's block of C once computed, or NULL */
} Product;

/* Each thread's own packed panel: NR columns of op(B), KC deep. */
static float my_b[NETRT_MAX_THREADS][KC * NR_MAX] __attribute__((aligned(64)));

/* Unit u of the product, on thread t. It packs what it reads of op(B) into its own thread's
 * buffer: no thread waits for another, and nothing packed moves between cores. Every element
 * of C gets the same sums in the same order whichever thread computes it (KC depths at a
 * time, into C), so the result does not depend on the number of threads. */
static void product_unit(const NetrtJob *job, int u, int t)
{
    const Product *q = (const Product *)job;
    const Kernel *kern = q->kern;
    int MR = kern->mr, NR = kern->nr;
    int jr = u / q->spans * NR, i0 = u % q->spans * q->rows;
    int nr = q->n - jr < NR ? q->n - jr : NR;
    int i1 = q->m - i0 < q->rows ? q->m : i0 + q->rows;
    for (int pc = 0; pc < q->k; pc += KC) {
        int kc = q->k - pc < KC ? q->k - pc : KC;
        float alpha_beta[2] = {q->alpha, pc == 0 ? q->beta : 1.0f};
        const float *b = q->b + (size_t)pc * q->ldb + jr;
        size_t bks = (size_t)q->ldb;
        if (q->pack_b) {
            pack_b(kern, q->tb, q->b, q->ldb, pc, kc, jr, nr, my_b[t]);
            b = my_b[t];
            bks = (size_t)NR;
        }
        for (int ir = i0; ir < i1; ir += MR) {
            float *c = q->c + (size_t)ir * q->ldc + jr;
            int mr = i1 - ir < MR ? i1 - ir : MR;
            if (q->ta == 'T') {
                kern->tile_by_depth(kc, q->a + (size_t)pc * q->lda + ir, (size_t)q->lda, b, bks,
                                    q->pack_b, c, q->ldc, mr, nr, alpha_beta);
            } else {
                kern->tile_by_row(kc, q->a + (size_t)ir * q->lda + pc, (size_t)q->lda, b, bks,
                                  q->pack_b, c, q->ldc, mr, nr, alpha_beta);
            }
        }
    }
    if (q->then)
        q->then(i0, i1, jr, jr + nr);
}

static void own_sgemm(const Kernel *kern, char ta, char tb, int m, int n, int k, float alpha,
                      const float *a, int lda, const float *b, int ldb, float beta, float *c,
                      int ldc, NetrtBlockFn *then)
{
    if (m == 0 || n == 0)
        return;
    if (k == 0 || alpha == 0) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                c[(size_t)i * ldc + j] = beta == 0 ? 0 : beta * c[(size_t)i * ldc + j];
        if (then)
            then(0, m, 0, n);
        return;
    }
    int MR = kern->mr, NR = kern->nr;
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
    Product q = {{product_unit, panels * spans}, kern, ta, tb, m, n, k, alpha, beta, a, b, c,
                 lda, ldb, ldc, pack, spans, rows, then};
    netrt_run_job(&q.job, nt);
}

static const Kernel *kernel_of(NetrtGemmKernel id)
{
    return id == NETRT_GEMM_AVX512 ? &kernel_avx512 : id == NETRT_GEMM_AVX2 ? &kernel_avx2 : NULL;
}
#endif /* HAVE_X86_KERNELS */

/* The pass after a product computed by a library: ranges of C's rows, whole rows each, on
 * netc's threads; about 8 of them, of at least 16 rows. */
typedef struct {
    NetrtJob job;
    int m, n, rows;
    NetrtBlockFn *then;
} ThenRows;

static void then_rows_unit(const NetrtJob *job, int u, int t)
{
    const ThenRows *r = (const ThenRows *)job;
    (void)t;
    int r0 = u * r->rows;
    r->then(r0, r->m - r0 < r->rows ? r->m : r0 + r->rows, 0, r->n);
}

static void then_by_rows(int m, int n, NetrtBlockFn *then)
{
    if (!then || m <= 0 || n <= 0)
        return;
    int rows = (m + 7) / 8 < 16 ? 16 : (m + 7) / 8;
    ThenRows r = {{then_rows_unit, (m + rows - 1) / rows}, m, n, rows, then};
    netrt_run_job(&r.job, netrt_threads());
}

/* netrt_gemm_use: the kernel computing netrt_sgemm; OpenBLAS's when NETRT_GEMM_OPENBLAS */
static NetrtGemmKernel in_use = NETRT_GEMM_OPENBLAS;

void netrt_sgemm_then(CBLAS_ORDER order, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m,
                      int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                      float beta, float *c, int ldc, NetrtBlockFn *then)
{
#if HAVE_X86_KERNELS
    if (in_use != NETRT_GEMM_OPENBLAS) { /* generated code is row-major throughout */
        own_sgemm(kernel_of(in_use), trans_a == CblasTrans ? 'T' : 'N',
                  trans_b == CblasTrans ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c,
                  ldc, then);
        return;
    }
#endif
    cblas_sgemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    then_by_rows(m, n, then);
}

void netrt_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m,
                 int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc)
{
    netrt_sgemm_then(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL);
}

void netrt_dgemm_then(CBLAS_ORDER order, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int m,
                      int n, int k, double alpha, const double *a, int lda, const double *b,
                      int ldb, double beta, double *c, int ldc, NetrtBlockFn *then)
{
    cblas_dgemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    then_by_rows(m, n, then);
}

int netrt_gemm_runs(const NetrtCpuFeatures *f, NetrtGemmKernel kernel, char *why, size_t size)
{
    if (kernel == NETRT_GEMM_OPENBLAS)
        return 1;
    if (!HAVE_X86_KERNELS) {
        snprintf(why, size, "netc's kernels are x86-64 code, and this trainer is built for %s: "
                            "its products run on OpenBLAS (--gemm auto or openblas)", NETRT_ARCH);
        return 0;
    }
    if (kernel == NETRT_GEMM_AVX512 && !f->avx512f) {
        snprintf(why, size, "the AVX-512 kernel needs AVX-512 (avx512f), which this CPU (or its "
                            "OS) does not offer");
        return 0;
    }
    if (kernel == NETRT_GEMM_AVX2 && !(f->avx2 && f->fma)) {
        snprintf(why, size, "the AVX2 kernel needs AVX2 and FMA, and this CPU (or its OS) does "
                            "not offer %s",
                 !f->avx2 && !f->fma ? "AVX2 and FMA" : !f->avx2 ? "AVX2" : "FMA");
        return 0;
    }
    return 1;
}

int netrt_gemm_choose(const NetrtCpuFeatures *f, const char *choice, NetrtGemmKernel *kernel,
                      char *msg, size_t size)
{
    if (!choice)
        choice = "auto";
    char why[160];
    int auto_choice = !strcmp(choice, "auto") || !strcmp(choice, "netc");
    if (auto_choice)
        *kernel = netrt_gemm_runs(f, NETRT_GEMM_AVX512, why, sizeof why)  ? NETRT_GEMM_AVX512
                  : netrt_gemm_runs(f, NETRT_GEMM_AVX2, why, sizeof why) ? NETRT_GEMM_AVX2
                                                                          : NETRT_GEMM_OPENBLAS;
    else if (!strcmp(choice, "avx512"))
        *kernel = NETRT_GEMM_AVX512;
    else if (!strcmp(choice, "avx2"))
        *kernel = NETRT_GEMM_AVX2;
    else if (!strcmp(choice, "openblas"))
        *kernel = NETRT_GEMM_OPENBLAS;
    else {
        snprintf(msg, size, "--gemm %s: expected auto, avx512, avx2, openblas or netc (netc's "
                            "best kernel for this CPU)", choice);
        return -1;
    }
    if (!strcmp(choice, "netc") && *kernel == NETRT_GEMM_OPENBLAS) { /* why: AVX2's refusal */
        snprintf(msg, size, "--gemm netc: %s%s",
                 HAVE_X86_KERNELS ? "no kernel of netc's runs here: " : "", why);
        return -1;
    }
    if (!netrt_gemm_runs(f, *kernel, why, sizeof why)) {
        snprintf(msg, size, "--gemm %s: %s", choice, why);
        return -1;
    }
    if (strcmp(choice, "auto"))
        snprintf(msg, size, "--gemm %s", choice);
    else if (*kernel == NETRT_GEMM_AVX512)
        snprintf(msg, size, "the CPU has AVX-512; --gemm avx2 or openblas for the others");
    else if (*kernel == NETRT_GEMM_AVX2)
        snprintf(msg, size, "the CPU has AVX2 and FMA, not AVX-512; --gemm openblas for "
                            "OpenBLAS's");
    else
        snprintf(msg, size, "%s", HAVE_X86_KERNELS ? "no AVX2 and FMA on this CPU"
                                                   : "netc's kernels are x86-64 code; this is "
                                                     NETRT_ARCH);
    return 0;
}

int netrt_gemm_available(NetrtGemmKernel kernel, char *why, size_t size)
{
    NetrtCpuFeatures f;
    netrt_cpu_features(&f);
    return netrt_gemm_runs(&f, kernel, why, size);
}

NetrtGemmKernel netrt_gemm_best(void)
{
    NetrtCpuFeatures f;
    netrt_cpu_features(&f);
    NetrtGemmKernel kernel;
    char msg[160];
    netrt_gemm_choose(&f, "auto", &kernel, msg, sizeof msg);
    return kernel;
}

int netrt_gemm_setup(const char *choice, int threads, NetrtGemmStatus *st, NetrtErr *err)
{
    memset(st, 0, sizeof *st);
    NetrtCpuFeatures f;
    netrt_cpu_features(&f);
    char reason[160];
    if (netrt_gemm_choose(&f, choice, &st->kernel, reason, sizeof reason) < 0)
        return netrt_err(err, "%s", reason);
    st->own = st->kernel != NETRT_GEMM_OPENBLAS;
    st->threads = threads > 0 ? threads : netrt_cpus_available();
    if (st->threads > NETRT_MAX_THREADS)
        st->threads = NETRT_MAX_THREADS;
    if (st->own)
        snprintf(st->detail, sizeof st->detail, "netc's %s kernel, %d thread%s (%s)",
                 st->kernel == NETRT_GEMM_AVX512 ? "AVX-512" : "AVX2", st->threads,
                 st->threads == 1 ? "" : "s", reason);
    else
        snprintf(st->detail, sizeof st->detail, "OpenBLAS (%s)", reason);
    netrt_gemm_use(st->kernel, st->threads);
    return 0;
}

int netrt_gemm_use(NetrtGemmKernel kernel, int threads)
{
    char why[160];
    if (!netrt_gemm_available(kernel, why, sizeof why))
        return -1;
    in_use = kernel;
    /* With OpenBLAS, whose threads spin between its calls, the passes stay on one thread. */
    netrt_set_threads(kernel != NETRT_GEMM_OPENBLAS ? threads : 1);
    return 0;
}
