/* test_augment.c: augment.c. The deterministic transform (netrt_augment_apply) on small images
 * against results worked out by hand: shifts, flips, flip then shift, rotations by 0, 90, -90 and
 * 180 degrees (exact permutations, bilinear at grid points), one bilinear value at 45 degrees,
 * background fill, and the same transform on every channel. Then the random part
 * (netrt_augment_image): nothing drawn when off, the draw order pinned by replaying it, shifts
 * within bounds with both extremes reached, flips about half the time, reproducible for a seed. */
#include <math.h>
#include <stdlib.h>

#include "netrt_internal.h"
#include "test_util.h"

/* src[y][x] = 1 + y·w + x: every pixel distinct and nonzero, so a 0 can only be background. */
static void numbered(uint8_t *img, int h, int w)
{
    for (int i = 0; i < h * w; i++)
        img[i] = (uint8_t)(1 + i);
}

/* src pixel (x, y) or 0 outside: what the exact cases are compared with */
static int at(const uint8_t *img, int h, int w, int x, int y)
{
    return x >= 0 && x < w && y >= 0 && y < h ? img[y * w + x] : 0;
}

static void test_shift_flip(void)
{
    enum { H = 4, W = 5 };
    uint8_t src[H * W], dst[H * W];
    numbered(src, H, W);

    /* one pixel right: the left column is background, pixel (1, 2) holds src (0, 2) */
    netrt_augment_apply(src, dst, 1, H, W, 0, 0, 1, 0);
    CHECK(dst[2 * W + 1] == src[2 * W + 0]);
    CHECK(dst[2 * W + 4] == src[2 * W + 3]);
    for (int y = 0; y < H; y++)
        CHECK(dst[y * W + 0] == 0);

    /* two left and one down */
    netrt_augment_apply(src, dst, 1, H, W, 0, 0, -2, 1);
    int bad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            bad += dst[y * W + x] != at(src, H, W, x + 2, y - 1);
    CHECK(bad == 0);
    CHECK(dst[0] == 0 && dst[1 * W + 0] == src[0 * W + 2] && dst[1 * W + 3] == 0);

    /* a flip mirrors every row */
    netrt_augment_apply(src, dst, 1, H, W, 1, 0, 0, 0);
    const uint8_t row1[W] = {10, 9, 8, 7, 6};
    CHECK(memcmp(dst + W, row1, W) == 0);
    bad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            bad += dst[y * W + x] != src[y * W + (W - 1 - x)];
    CHECK(bad == 0);

    /* flip, then move one right: the mirrored row 6 7 8 9 10 → 0 10 9 8 7 */
    netrt_augment_apply(src, dst, 1, H, W, 1, 0, 1, 0);
    const uint8_t flipped_right[W] = {0, 10, 9, 8, 7};
    CHECK(memcmp(dst + W, flipped_right, W) == 0);

    /* moved off the image entirely: all background */
    netrt_augment_apply(src, dst, 1, H, W, 0, 0, W, 0);
    bad = 0;
    for (int i = 0; i < H * W; i++)
        bad += dst[i] != 0;
    CHECK(bad == 0);
    netrt_augment_apply(src, dst, 1, H, W, 1, 0, 0, -H);
    bad = 0;
    for (int i = 0; i < H * W; i++)
        bad += dst[i] != 0;
    CHECK(bad == 0);
}

static void test_rotate(void)
{
    enum { N = 5 };
    uint8_t src[N * N], dst[N * N];
    numbered(src, N, N);

    /* 0 degrees is the identity, both through the exact path and through bilinear (tiny angle) */
    netrt_augment_apply(src, dst, 1, N, N, 0, 0.0, 0, 0);
    CHECK(memcmp(src, dst, sizeof src) == 0);
    netrt_augment_apply(src, dst, 1, N, N, 0, 1e-9, 0, 0);
    CHECK(memcmp(src, dst, sizeof src) == 0);

    /* 90 degrees counter-clockwise: the right edge becomes the top, dst[y][x] = src[x][N-1-y];
     * the marker right of the centre, src (4, 2), goes above it, to (2, 0) */
    netrt_augment_apply(src, dst, 1, N, N, 0, 90, 0, 0);
    CHECK(dst[0 * N + 2] == src[2 * N + 4]);
    int bad = 0;
    for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++)
            bad += dst[y * N + x] != src[x * N + (N - 1 - y)];
    CHECK(bad == 0);

    /* -90 (clockwise): dst[y][x] = src[N-1-x][y]; 270 is the same */
    uint8_t dst270[N * N];
    netrt_augment_apply(src, dst, 1, N, N, 0, -90, 0, 0);
    netrt_augment_apply(src, dst270, 1, N, N, 0, 270, 0, 0);
    bad = 0;
    for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++)
            bad += dst[y * N + x] != src[(N - 1 - x) * N + y];
    CHECK(bad == 0);
    CHECK(memcmp(dst, dst270, sizeof dst) == 0);

    /* 180 degrees on a non-square even-sized image: the centre (2.5, 1.5) is between pixels, and
     * every pixel still lands on one: dst[y][x] = src[H-1-y][W-1-x] */
    enum { H = 4, W = 6 };
    uint8_t s2[H * W], d2[H * W];
    numbered(s2, H, W);
    netrt_augment_apply(s2, d2, 1, H, W, 0, 180, 0, 0);
    bad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            bad += d2[y * W + x] != s2[(H - 1 - y) * W + (W - 1 - x)];
    CHECK(bad == 0);

    /* 90 degrees of a 3×5 image (centre (2, 1)): dst(x, y) = src(3 - y, x - 1), so columns 0
     * and 4 come from rows -1 and 3, outside: background */
    enum { H3 = 3, W3 = 5 };
    uint8_t s3[H3 * W3], d3[H3 * W3];
    numbered(s3, H3, W3);
    netrt_augment_apply(s3, d3, 1, H3, W3, 0, 90, 0, 0);
    bad = 0;
    for (int y = 0; y < H3; y++)
        for (int x = 0; x < W3; x++)
            bad += d3[y * W3 + x] != at(s3, H3, W3, 3 - y, x - 1);
    CHECK(bad == 0);
    CHECK(d3[0] == 0 && d3[4] == 0 && d3[1 * W3 + 0] == 0 && d3[2 * W3 + 4] == 0);

    /* 45 degrees of a 3×3 image, 7 at the centre and 200 at the bottom right: output (2, 1)
     * samples (1 + cos 45°, 1 + sin 45°), weight (√2/2)² = 1/2 on (2, 2) and (1 - √2/2)² =
     * 0.0858 on the centre: 100 + 0.60 → 101. The centre stays put. */
    uint8_t s4[9] = {0, 0, 0, 0, 7, 0, 0, 0, 200}, d4[9];
    netrt_augment_apply(s4, d4, 1, 3, 3, 0, 45, 0, 0);
    CHECK(d4[1 * 3 + 2] == 101);
    CHECK(d4[4] == 7);
    CHECK(d4[0] == 0); /* (0, 0) samples (1, 1 - √2), above the top row: zeros and background */
}

/* Three channels, each its own picture: every channel moves as the single-channel image would. */
static void test_channels(void)
{
    enum { C = 3, H = 7, W = 9 };
    uint8_t src[C * H * W], dst[C * H * W], one[H * W];
    for (int i = 0; i < C * H * W; i++)
        src[i] = (uint8_t)(i * 37 % 251);
    const double angles[] = {0, 17.5, -33};
    for (int a = 0; a < 3; a++) {
        netrt_augment_apply(src, dst, C, H, W, 1, angles[a], 2, -1);
        for (int ch = 0; ch < C; ch++) {
            netrt_augment_apply(src + ch * H * W, one, 1, H, W, 1, angles[a], 2, -1);
            CHECK(memcmp(dst + ch * H * W, one, sizeof one) == 0);
        }
    }
    /* and a 90-degree turn of channel 1 is its transpose-flip (the other channels are unrelated) */
    enum { N = 5 };
    uint8_t s[C * N * N], d[C * N * N];
    for (int i = 0; i < C * N * N; i++)
        s[i] = (uint8_t)(255 - i);
    netrt_augment_apply(s, d, C, N, N, 0, 90, 0, 0);
    int bad = 0;
    for (int ch = 0; ch < C; ch++)
        for (int y = 0; y < N; y++)
            for (int x = 0; x < N; x++)
                bad += d[ch * N * N + y * N + x] != s[ch * N * N + x * N + (N - 1 - y)];
    CHECK(bad == 0);
}

/* Where the single nonzero pixel of img is, or -1 when there is not exactly one. */
static int marker(const uint8_t *img, int n)
{
    int found = -1;
    for (int i = 0; i < n; i++)
        if (img[i]) {
            if (found >= 0)
                return -1;
            found = i;
        }
    return found;
}

static void test_random(void)
{
    NetrtAugment off = {0, 0, 0}, flip = {1, 0, 0}, rot = {0, 10, 0}, shift = {0, 0, 0.1};
    CHECK(!netrt_augment_is_on(&off));
    CHECK(netrt_augment_is_on(&flip) && netrt_augment_is_on(&rot) && netrt_augment_is_on(&shift));

    enum { H = 11, W = 21 };
    uint8_t src[H * W], dst[H * W], again[H * W];
    numbered(src, H, W);
    NetrtRng rng, ref;

    /* off: a copy, and no number drawn */
    netrt_rng_seed(&rng, 5);
    netrt_rng_seed(&ref, 5);
    netrt_augment_image(&off, &rng, src, dst, 1, H, W);
    CHECK(memcmp(src, dst, sizeof src) == 0);
    CHECK(netrt_rng_next(&rng) == netrt_rng_next(&ref));

    /* the draw order, replayed by hand: flip, angle, dx, dy with all on; dx, dy with shift only.
     * shift 0.1 of 21×11: dx in [-2, 2], dy in [-1, 1] */
    NetrtAugment all = {1, 15, 0.1};
    netrt_rng_seed(&rng, 77);
    netrt_rng_seed(&ref, 77);
    int bad = 0;
    for (int t = 0; t < 50; t++) {
        netrt_augment_image(&all, &rng, src, dst, 1, H, W);
        int f = (int)netrt_rng_below(&ref, 2);
        double angle = (2 * netrt_rng_uniform(&ref) - 1) * 15;
        int dx = (int)netrt_rng_below(&ref, 5) - 2;
        int dy = (int)netrt_rng_below(&ref, 3) - 1;
        netrt_augment_apply(src, again, 1, H, W, f, angle, dx, dy);
        bad += memcmp(dst, again, sizeof dst) != 0;
        netrt_augment_image(&shift, &rng, src, dst, 1, H, W);
        dx = (int)netrt_rng_below(&ref, 5) - 2;
        dy = (int)netrt_rng_below(&ref, 3) - 1;
        netrt_augment_apply(src, again, 1, H, W, 0, 0, dx, dy);
        bad += memcmp(dst, again, sizeof dst) != 0;
    }
    CHECK(bad == 0);

    /* shifts of a marker at the centre (10, 5): always inside [-2, 2] × [-1, 1], every value
     * reached, each one about a fifth (a third) of the time */
    uint8_t dot[H * W] = {0};
    dot[5 * W + 10] = 255;
    int count_dx[5] = {0}, count_dy[3] = {0}, outside = 0;
    netrt_rng_seed(&rng, 1);
    for (int t = 0; t < 3000; t++) {
        netrt_augment_image(&shift, &rng, dot, dst, 1, H, W);
        int m = marker(dst, H * W);
        int dx = m % W - 10, dy = m / W - 5;
        if (m < 0 || dx < -2 || dx > 2 || dy < -1 || dy > 1) {
            outside++;
            continue;
        }
        count_dx[dx + 2]++;
        count_dy[dy + 1]++;
    }
    CHECK(outside == 0);
    for (int k = 0; k < 5; k++)
        CHECK(count_dx[k] > 450 && count_dx[k] < 750);
    for (int k = 0; k < 3; k++)
        CHECK(count_dy[k] > 850 && count_dy[k] < 1150);

    /* flips of a marker at (3, 5): either in place or at (17, 5), mirrored about 10 */
    uint8_t left[H * W] = {0};
    left[5 * W + 3] = 9;
    int flipped = 0, kept = 0;
    netrt_rng_seed(&rng, 2);
    for (int t = 0; t < 1000; t++) {
        netrt_augment_image(&flip, &rng, left, dst, 1, H, W);
        int m = marker(dst, H * W);
        flipped += m == 5 * W + 17;
        kept += m == 5 * W + 3;
    }
    CHECK(flipped + kept == 1000);
    CHECK(flipped >= 400 && flipped <= 600);

    /* rotations only: the centre pixel of an odd image never moves; the image changes (but for
     * an angle so small that no pixel rounds differently) */
    uint8_t sq[W * W];
    numbered(sq, W, W);
    uint8_t rotated[W * W];
    int moved = 0;
    netrt_rng_seed(&rng, 3);
    for (int t = 0; t < 20; t++) {
        netrt_augment_image(&rot, &rng, sq, rotated, 1, W, W);
        CHECK(rotated[10 * W + 10] == sq[10 * W + 10]);
        moved += memcmp(rotated, sq, sizeof sq) != 0;
    }
    CHECK(moved >= 18);

    /* the same seed gives the same images, another seed other images */
    static uint8_t run1[40][H * W], run2[40][H * W], run3[40][H * W];
    uint8_t (*runs[3])[H * W] = {run1, run2, run3};
    const uint64_t seeds[3] = {123, 123, 124};
    for (int r = 0; r < 3; r++) {
        netrt_rng_seed(&rng, seeds[r]);
        for (int t = 0; t < 40; t++)
            netrt_augment_image(&all, &rng, src, runs[r][t], 1, H, W);
    }
    CHECK(memcmp(run1, run2, sizeof run1) == 0);
    CHECK(memcmp(run1, run3, sizeof run1) != 0);
}

int main(void)
{
    test_shift_flip();
    test_rotate();
    test_channels();
    test_random();
    if (test_failures)
        fprintf(stderr, "test_augment: %d checks failed\n", test_failures);
    return test_failures;
}
