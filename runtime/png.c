/* png.c: a parameter tensor drawn as a grid of gray tiles (--weights-png), through libpng.
 *
 * The tensor's values, in memory order, are cut into tiles of tile_h·tile_w values: a dense
 * weight [out, 784] gives one 28×28 tile per output unit, a conv weight [out, in, k, k] one k×k
 * tile per (out, in) pair. Layout of the 8-bit grayscale image:
 *
 *   - n = min(tiles, max_tiles) tiles (all of them when max_tiles ≤ 0), row-major in a grid of
 *     cols = ⌈√n⌉ columns and rows = ⌈n / cols⌉ rows, so the grid is near square;
 *   - each value is an s×s block, s = ⌈56 / max(tile_h, tile_w)⌉ (at least 1): small filters are
 *     blown up to a visible size (5×5 → 60×60, 28×28 → 56×56) by nearest neighbour, no blurring;
 *   - tiles are framed by separators s pixels wide (between tiles and around the grid) of
 *     PNG_SEPARATOR, which also fills the unused cells of the last row. So the image is
 *     cols·(tile_w + 1)·s + s wide and rows·(tile_h + 1)·s + s high;
 *   - each tile is scaled on its own, its smallest value → 0 (black), its largest → 255 (white),
 *     linearly between and rounded: what a filter responds to shows even when layers' weights
 *     differ in scale. A constant tile is mid gray (128). Non-finite values (a diverged run) do
 *     not count toward the range: NaN and -inf are drawn 0, +inf 255.
 *
 * The file is written through outfile.h: a failed write (full disk, libpng error) never leaves a
 * truncated image behind, and a device or a link is written through, never replaced. */
#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "netrt_internal.h"

#define PNG_TILE_MIN_PX 56    /* a tile is scaled until its longer side is at least this */
#define PNG_SEPARATOR 255     /* separator gray: white, like paper around the tiles */
#define PNG_CONSTANT 128      /* a tile whose values are all equal */
#define PNG_MAX_SIDE 1000000L /* libpng's default limit on width and height */

/* Where the file goes, and why writing it failed: an errno from stdio, or libpng's message. */
typedef struct {
    FILE *f;
    int errnum;    /* errno of the failed write; 0 when libpng failed by itself */
    char msg[256]; /* libpng's error message */
} Sink;

static void sink_write(png_structp png, png_bytep data, size_t len)
{
    Sink *sink = png_get_io_ptr(png);
    errno = 0;
    if (fwrite(data, 1, len, sink->f) != len) {
        sink->errnum = errno ? errno : EIO;
        png_error(png, "write error");
    }
}

static void sink_flush(png_structp png)
{
    Sink *sink = png_get_io_ptr(png);
    errno = 0;
    if (fflush(sink->f) != 0) {
        sink->errnum = errno ? errno : EIO;
        png_error(png, "write error");
    }
}

/* libpng must not return from its error handler: keep the message and jump back to the
 * setjmp in write_png. */
static void sink_error(png_structp png, png_const_charp msg)
{
    Sink *sink = png_get_error_ptr(png);
    snprintf(sink->msg, sizeof sink->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void sink_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* nothing a user of the image could act on */
}

/* The gray levels of one tile of n values, per the header comment. */
static void tile_gray(const NetrtParam *param, NetrtDtype dtype, size_t first, size_t n,
                      uint8_t *out)
{
    const float *f32 = param->value;
    const double *f64 = param->value;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = dtype == NETRT_F32 ? f32[first + i] : f64[first + i];
        if (isfinite(v)) {
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    }
    for (size_t i = 0; i < n; i++) {
        double v = dtype == NETRT_F32 ? f32[first + i] : f64[first + i];
        if (!(hi > lo)) { /* constant, or no finite value at all */
            out[i] = PNG_CONSTANT;
            continue;
        }
        /* t in [0, 1] for finite v; v = hi gives exactly 1 since x/x = 1 in IEEE arithmetic. The
         * comparisons send NaN to 0 and keep lround away from NaN and infinities. */
        double t = (v - lo) / (hi - lo);
        out[i] = !(t > 0) ? 0 : t >= 1 ? 255 : (uint8_t)lround(t * 255);
    }
}

/* Image row py: separator, or the value row of each tile it crosses, each value s times. */
static void fill_row(uint8_t *row, int py, const uint8_t *gray, int n, int cols, int tile_h,
                     int tile_w, int s)
{
    int period_y = (tile_h + 1) * s, period_x = (tile_w + 1) * s;
    int r = py / period_y, in_y = py % period_y - s;
    int width = cols * period_x + s;
    memset(row, PNG_SEPARATOR, (size_t)width);
    if (in_y < 0 || r * cols >= n) /* a separator row, or below the last tile */
        return;
    int ty = in_y / s;
    for (int col = 0; col < cols && r * cols + col < n; col++) {
        const uint8_t *values = gray + ((size_t)(r * cols + col) * tile_h + ty) * tile_w;
        uint8_t *px = row + (size_t)col * period_x + s;
        for (int tx = 0; tx < tile_w; tx++)
            memset(px + (size_t)tx * s, values[tx], (size_t)s);
    }
}

/* Write the image to the open file. Everything it frees or closes was made before setjmp, so
 * nothing needs to be volatile. Returns 0, or -1 with sink->errnum or sink->msg set. */
static int write_png(Sink *sink, const uint8_t *gray, int n, int cols, int rows, int tile_h,
                     int tile_w, int s, uint8_t *row)
{
    int width = cols * (tile_w + 1) * s + s, height = rows * (tile_h + 1) * s + s;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, sink_error,
                                              sink_warning);
    if (!png) {
        snprintf(sink->msg, sizeof sink->msg, "out of memory");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        snprintf(sink->msg, sizeof sink->msg, "out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_set_write_fn(png, sink, sink_write, sink_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int py = 0; py < height; py++) {
        fill_row(row, py, gray, n, cols, tile_h, tile_w, s);
        png_write_row(png, row);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int netrt_weights_png(const char *path, const NetrtParam *param, NetrtDtype dtype, int tile_h,
                      int tile_w, int max_tiles, NetrtErr *err)
{
    if (tile_h < 1 || tile_w < 1)
        return netrt_err(err, "%s: tiles of %dx%d values: both sides must be at least 1", path,
                         tile_h, tile_w);
    size_t tile_size = (size_t)tile_h * tile_w;
    if (param->size == 0 || param->size % tile_size != 0)
        return netrt_err(err, "%s: parameter %s has %zu values, not a whole number of %dx%d "
                         "tiles", path, param->name, param->size, tile_h, tile_w);
    size_t tiles = param->size / tile_size;
    int n = max_tiles > 0 && (size_t)max_tiles < tiles ? max_tiles
            : tiles <= PNG_MAX_SIDE                   ? (int)tiles
                                                      : -1;
    int longer = tile_h > tile_w ? tile_h : tile_w;
    int s = longer >= PNG_TILE_MIN_PX ? 1 : (PNG_TILE_MIN_PX + longer - 1) / longer;
    /* exact for any int n: sqrt() is correctly rounded and rounds no non-square to an integer */
    int cols = n > 0 ? (int)ceil(sqrt((double)n)) : 0;
    int rows = n > 0 ? (n + cols - 1) / cols : 0;
    /* both sides in long long: a huge tile count must fail here, not overflow below */
    long long width = (long long)cols * ((long long)tile_w + 1) * s + s;
    long long height = (long long)rows * ((long long)tile_h + 1) * s + s;
    if (n < 0 || width > PNG_MAX_SIDE || height > PNG_MAX_SIDE)
        return netrt_err(err, "%s: %zu tiles of %dx%d make an image too large for PNG (sides "
                         "up to %ld pixels)", path, n < 0 ? tiles : (size_t)n, tile_h, tile_w,
                         PNG_MAX_SIDE);

    uint8_t *gray = malloc((size_t)n * tile_size), *row = malloc((size_t)width);
    if (!gray || !row) {
        free(gray);
        free(row);
        return netrt_err(err, "%s: out of memory for %d tiles of %dx%d", path, n, tile_h,
                         tile_w);
    }
    for (int t = 0; t < n; t++)
        tile_gray(param, dtype, (size_t)t * tile_size, tile_size, gray + (size_t)t * tile_size);

    NetrtOut out;
    if (netrt_out_open(&out, path) != 0) {
        netrt_err(err, "%s: %s", path, strerror(errno));
        free(gray);
        free(row);
        return -1;
    }
    Sink sink = {.f = out.f};
    int failed = write_png(&sink, gray, n, cols, rows, tile_h, tile_w, s, row) != 0;
    free(gray);
    free(row);
    if (failed) {
        netrt_out_abort(&out);
        if (sink.errnum)
            return netrt_err(err, "%s: %s", path, strerror(sink.errnum));
        return netrt_err(err, "%s: libpng: %s", path, sink.msg);
    }
    /* a full disk shows up at the latest when stdio's buffer is flushed, in the commit */
    if (netrt_out_commit(&out, false) != 0)
        return netrt_err(err, "%s: %s", path, strerror(errno));
    return 0;
}
