/* test_png.c: png.c (--weights-png). Images of small fake parameters are written, read back
 * with libpng's reader and compared pixel by pixel with the layout worked out here: size of the
 * grid and of the scaled tiles, each tile's minimum black and maximum white, a constant tile mid
 * gray, NaN black, separators and empty cells white, max_tiles, float and double alike. Then the
 * errors: a size that is not a whole number of tiles, a directory that does not exist, and a full
 * disk (the temporary file made a symlink to /dev/full), which must leave no temporary file and
 * must not touch an existing image. */
#define _POSIX_C_SOURCE 200809L /* mkdir, symlink, lstat */

#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netrt_internal.h"
#include "test_util.h"

#define DIR "png_test_files"
#define TILES 10
#define SEP 255 /* separator gray */

/* Decoded image: 8-bit gray pixels, row-major, or NULL when the file is not that. */
typedef struct {
    uint8_t *px;
    int width, height;
    int bit_depth, color_type;
} Image;

static Image read_png(const char *path)
{
    Image img = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return img;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep *volatile rows = NULL;
    uint8_t *volatile px = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        free(px);
        fclose(f);
        return (Image){0};
    }
    png_init_io(png, f);
    png_read_info(png, info);
    img.width = (int)png_get_image_width(png, info);
    img.height = (int)png_get_image_height(png, info);
    img.bit_depth = png_get_bit_depth(png, info);
    img.color_type = png_get_color_type(png, info);
    if (img.bit_depth == 8 && img.color_type == PNG_COLOR_TYPE_GRAY) {
        px = malloc((size_t)img.width * img.height);
        rows = malloc(sizeof *rows * (size_t)img.height);
        for (int y = 0; y < img.height; y++)
            rows[y] = px + (size_t)y * img.width;
        png_read_image(png, rows);
        png_read_end(png, NULL);
    }
    img.px = px;
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    fclose(f);
    return img;
}

/* Tile t, value i of 16: a line a + b·i, rising for even t and falling for odd t, so its gray
 * is 17·i (255/15 = 17) or 17·(15 - i); tile 3 is constant (mid gray, 128); tile 5 has a NaN
 * at i = 7 (black), tiles 8 and 9 -inf (black) and +inf (white) there: none of them counts
 * toward the range. */
static double value(int t, int i)
{
    if (t == 3)
        return 0.25;
    if (t == 5 && i == 7)
        return NAN;
    if (t == 8 && i == 7)
        return -INFINITY;
    if (t == 9 && i == 7)
        return INFINITY;
    double a = -0.5 + 0.1 * t, b = 0.01 * (t + 1);
    return t % 2 ? a - b * i : a + b * i;
}

static int gray(int t, int i)
{
    if (t == 3)
        return 128;
    if ((t == 5 || t == 8) && i == 7)
        return 0;
    if (t == 9 && i == 7)
        return 255;
    return t % 2 ? 17 * (15 - i) : 17 * i;
}

/* The expected pixel (x, y) of n 4×4 tiles in `cols` columns, scale 14: the grid starts after a
 * 14-pixel border, and each cell is 56 pixels of tile then 14 of separator. */
static int expected(int x, int y, int n, int cols)
{
    int gx = x - 14, gy = y - 14;
    if (gx < 0 || gy < 0 || gx % 70 >= 56 || gy % 70 >= 56)
        return SEP;
    int t = gy / 70 * cols + gx / 70;
    if (gx / 70 >= cols || t >= n)
        return SEP;
    return gray(t, gy % 70 / 14 * 4 + gx % 70 / 14);
}

/* Check the whole image at path: width × height, then every pixel; returns the image read. */
static void check_image(const char *path, int width, int height, int n, int cols)
{
    Image img = read_png(path);
    CHECK(img.bit_depth == 8 && img.color_type == PNG_COLOR_TYPE_GRAY);
    CHECK(img.width == width && img.height == height);
    if (img.px && img.width == width && img.height == height) {
        int bad = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bad += img.px[y * width + x] != expected(x, y, n, cols);
        CHECK(bad == 0);
        if (bad)
            fprintf(stderr, "%s: %d pixels differ\n", path, bad);
    }
    free(img.px);
}

static void test_layout(void)
{
    static float w32[TILES * 16];
    static double w64[TILES * 16];
    for (int t = 0; t < TILES; t++)
        for (int i = 0; i < 16; i++) {
            w64[t * 16 + i] = value(t, i);
            w32[t * 16 + i] = (float)value(t, i);
        }
    NetrtParam p32 = {.name = "conv1_W", .rank = 4, .shape = {TILES, 1, 4, 4},
                      .size = TILES * 16, .value = w32};
    NetrtParam p64 = p32;
    p64.value = w64;
    NetrtErr err = {0};

    /* 10 tiles: 4 columns, 3 rows, cells 70 pixels (4·14 + 14) plus the 14-pixel border:
     * 294 × 224; cells 10 and 11 are empty */
    CHECK(netrt_weights_png(DIR "/w32.png", &p32, NETRT_F32, 4, 4, 0, &err) == 0);
    check_image(DIR "/w32.png", 294, 224, TILES, 4);
    CHECK(count_entries(DIR, "w32.png") == 1); /* no temporary left */
    CHECK(netrt_weights_png(DIR "/w64.png", &p64, NETRT_F64, 4, 4, 100, &err) == 0);
    check_image(DIR "/w64.png", 294, 224, TILES, 4);

    /* by hand, in w32.png: tile 0's minimum (value 0, top left) is black from (14, 14) to
     * (27, 27), its maximum (value 15, bottom right) white at (56 … 69, 56 … 69), with the
     * separator column at x = 70 … 83; tile 1 (second column) falls, so it starts white at
     * x = 84; tile 3 is mid gray */
    Image img = read_png(DIR "/w32.png");
    if (img.px && img.width == 294) {
        const uint8_t *px = img.px;
        CHECK(px[14 * 294 + 14] == 0 && px[27 * 294 + 27] == 0 && px[28 * 294 + 28] == 17 * 5);
        CHECK(px[56 * 294 + 56] == 255 && px[69 * 294 + 69] == 255);
        CHECK(px[13 * 294 + 14] == SEP && px[14 * 294 + 13] == SEP && px[14 * 294 + 70] == SEP);
        CHECK(px[14 * 294 + 84] == 255 && px[69 * 294 + 84 + 55] == 0);
        CHECK(px[20 * 294 + 3 * 70 + 14 + 20] == 128);
        CHECK(px[223 * 294 + 293] == SEP);
    }
    free(img.px);

    /* max_tiles 4: a 2×2 grid of tiles 0 … 3, 154 × 154; 1: tile 0 alone, 84 × 84 */
    CHECK(netrt_weights_png(DIR "/four.png", &p32, NETRT_F32, 4, 4, 4, &err) == 0);
    check_image(DIR "/four.png", 154, 154, 4, 2);
    CHECK(netrt_weights_png(DIR "/one.png", &p64, NETRT_F64, 4, 4, 1, &err) == 0);
    check_image(DIR "/one.png", 84, 84, 1, 1);

    /* scale by the longer side: 5×5 filters → 12 (60 pixels), 28×28 → 2 (56), 2×8 and 8×2
     * → 7; the same 160 values cut as 2×8 tiles give 10 tiles again: 4 × 3 cells of 9·7 × 3·7
     * (3·7 × 9·7 for 8×2) */
    static double big[2 * 784];
    for (int i = 0; i < 2 * 784; i++)
        big[i] = sin(i);
    NetrtParam dense = {.name = "dense1_W", .rank = 2, .shape = {2, 784}, .size = 2 * 784,
                        .value = big};
    NetrtParam conv5 = {.name = "conv1_W", .rank = 4, .shape = {2, 1, 5, 5}, .size = 50,
                        .value = big};
    Image got;
    CHECK(netrt_weights_png(DIR "/dense.png", &dense, NETRT_F64, 28, 28, 0, &err) == 0);
    got = read_png(DIR "/dense.png");
    CHECK(got.width == 2 * 29 * 2 + 2 && got.height == 29 * 2 + 2);
    free(got.px);
    CHECK(netrt_weights_png(DIR "/conv5.png", &conv5, NETRT_F64, 5, 5, 0, &err) == 0);
    got = read_png(DIR "/conv5.png");
    CHECK(got.width == 2 * 6 * 12 + 12 && got.height == 6 * 12 + 12);
    free(got.px);
    CHECK(netrt_weights_png(DIR "/wide.png", &p64, NETRT_F64, 2, 8, 0, &err) == 0);
    got = read_png(DIR "/wide.png");
    CHECK(got.width == 4 * 9 * 7 + 7 && got.height == 3 * 3 * 7 + 7);
    free(got.px);
    CHECK(netrt_weights_png(DIR "/tall.png", &p64, NETRT_F64, 8, 2, 0, &err) == 0);
    got = read_png(DIR "/tall.png");
    CHECK(got.width == 4 * 3 * 7 + 7 && got.height == 3 * 9 * 7 + 7);
    free(got.px);
}

static void test_errors(void)
{
    static float w[TILES * 16];
    for (int i = 0; i < TILES * 16; i++)
        w[i] = (float)i;
    NetrtParam p = {.name = "conv1_W", .rank = 4, .shape = {TILES, 1, 4, 4}, .size = TILES * 16,
                    .value = w};
    NetrtErr err = {0};

    /* 160 values are not 3×3 tiles */
    CHECK(netrt_weights_png(DIR "/bad.png", &p, NETRT_F32, 3, 3, 0, &err) == -1);
    CHECK_CONTAINS(err.msg, DIR "/bad.png: parameter conv1_W has 160 values");
    CHECK(count_entries(DIR, "bad.png") == 0);

    /* a directory that does not exist */
    CHECK(netrt_weights_png(DIR "/missing/w.png", &p, NETRT_F32, 4, 4, 0, &err) == -1);
    CHECK_CONTAINS(err.msg, DIR "/missing/w.png: No such file or directory");

    /* A full disk, as a file size limit of 64 bytes (RLIMIT_FSIZE, writes past it fail with
     * EFBIG once SIGXFSZ is ignored). A small image fails when stdio's buffer is flushed, a
     * large one (random values, far more than a buffer) inside libpng's writes. Either way: -1,
     * the message, no temporary file left, and the image already at the path untouched. */
    static float noise[64 * 784];
    NetrtRng rng;
    netrt_rng_seed(&rng, 9);
    for (int i = 0; i < 64 * 784; i++)
        noise[i] = (float)netrt_rng_uniform(&rng);
    NetrtParam large = {.name = "dense1_W", .rank = 2, .shape = {64, 784}, .size = 64 * 784,
                        .value = noise};
    const char *path = DIR "/full.png";
    CHECK(netrt_weights_png(path, &p, NETRT_F32, 4, 4, 0, &err) == 0);
    const NetrtParam *params[2] = {&p, &large};
    const int side[2] = {4, 28};
    struct rlimit old, small = {.rlim_cur = 64};
    getrlimit(RLIMIT_FSIZE, &old);
    small.rlim_max = old.rlim_max;
    signal(SIGXFSZ, SIG_IGN);
    for (int k = 0; k < 2; k++) {
        strcpy(err.msg, "");
        CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
        CHECK(netrt_weights_png(path, params[k], NETRT_F32, side[k], side[k], 0, &err) == -1);
        setrlimit(RLIMIT_FSIZE, &old);
        CHECK(strcmp(err.msg, DIR "/full.png: File too large") == 0);
        if (strcmp(err.msg, DIR "/full.png: File too large") != 0)
            fprintf(stderr, "  got \"%s\"\n", err.msg);
        CHECK(count_entries(DIR, "full.png") == 1); /* no temporary beside it */
        Image img = read_png(path);
        CHECK(img.width == 294 && img.height == 224);
        free(img.px);
    }
}

int main(void)
{
    if (mkdir(DIR, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "test_png: cannot create %s: %s\n", DIR, strerror(errno));
        return 1;
    }
    test_layout();
    test_errors();
    if (test_failures)
        fprintf(stderr, "test_png: %d checks failed\n", test_failures);
    return test_failures;
}
