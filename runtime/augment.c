/* augment.c: random flips, rotations and shifts of training images (NetrtAugment).
 *
 * An image is uint8, C×H×W, as the dataset holds it. The three transforms are folded into one
 * map T from source to destination coordinates, applied in this order to a source pixel p:
 *
 *     flip (optional)    x → (W-1) - x                      (mirror about the vertical centre line)
 *     rotate by θ        about the centre (cx, cy) = ((W-1)/2, (H-1)/2)
 *     shift by (dx, dy)  x → x + dx, y → y + dy              (integer pixels)
 *
 * and the destination is computed by pulling, dst(q) = src(T⁻¹(q)) for every output pixel q, so
 * that each output pixel is resampled once, whatever the number of transforms.
 *
 * Rotation: pixel coordinates have y pointing down, and a positive θ turns the picture counter-
 * clockwise as seen on screen (as PIL and torchvision do). With u = x - cx, v = y - cy, the
 * forward rotation is
 *
 *     u' =  u·cos θ + v·sin θ
 *     v' = -u·sin θ + v·cos θ
 *
 * (the point right of the centre, (1, 0), goes to (0, -1), above it), and its inverse, the
 * transpose,
 *
 *     u =  u'·cos θ - v'·sin θ
 *     v =  u'·sin θ + v'·cos θ.
 *
 * So for an output pixel (x, y): u' = x - dx - cx, v' = y - dy - cy; rotate back to (u, v);
 * sx = cx + u, sy = cy + v; un-flip sx → (W-1) - sx. With θ ≠ 0, (sx, sy) is not on the grid and
 * the value is bilinear in the four neighbours, (1-fx)(1-fy)·s00 + fx(1-fy)·s10 + (1-fx)fy·s01 +
 * fx·fy·s11, where fx, fy are the fractional parts, rounded to the nearest integer; a neighbour
 * outside the image counts as 0, the background of MNIST-like images, so edges fade into it.
 * At θ = 0 (rotation off) the map is integer and the pixel is copied exactly. At multiples of
 * 90° cos and sin are within 1e-16 of integers, so bilinear weights are within 1e-16 of 0 and 1
 * and the rounding gives the exact permuted pixel. */
#include <math.h>

#include "netrt_internal.h"

int netrt_augment_is_on(const NetrtAugment *aug)
{
    return aug->flip || aug->rotate > 0 || aug->shift > 0;
}

/* Flip and integer shift only: dst(x, y) = src(unflip(x - dx), y - dy), or 0 off the image. */
static void apply_exact(const uint8_t *src, uint8_t *dst, int c, int h, int w, int flip, int dx,
                        int dy)
{
    size_t plane = (size_t)h * w;
    for (int y = 0; y < h; y++) {
        int sy = y - dy;
        for (int x = 0; x < w; x++) {
            int sx = flip ? (w - 1) - (x - dx) : x - dx;
            int inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
            size_t at = (size_t)y * w + x, from = inside ? (size_t)sy * w + sx : 0;
            for (int ch = 0; ch < c; ch++)
                dst[ch * plane + at] = inside ? src[ch * plane + from] : 0;
        }
    }
}

/* The general case: the inverse map of the header comment, then bilinear interpolation. The four
 * weights and offsets are worked out once per output pixel and used for every channel. */
static void apply_bilinear(const uint8_t *src, uint8_t *dst, int c, int h, int w, int flip,
                           double angle_deg, int dx, int dy)
{
    size_t plane = (size_t)h * w;
    double theta = angle_deg * (3.14159265358979323846 / 180);
    double cs = cos(theta), sn = sin(theta);
    double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    for (int y = 0; y < h; y++) {
        double v1 = y - dy - cy;
        for (int x = 0; x < w; x++) {
            double u1 = x - dx - cx;
            double sx = cx + u1 * cs - v1 * sn;
            double sy = cy + u1 * sn + v1 * cs;
            if (flip)
                sx = (w - 1) - sx;
            size_t at = (size_t)y * w + x;
            /* No neighbour inside: background. This also keeps floor() away from huge values. */
            if (!(sx > -1 && sx < w && sy > -1 && sy < h)) {
                for (int ch = 0; ch < c; ch++)
                    dst[ch * plane + at] = 0;
                continue;
            }
            int x0 = (int)floor(sx), y0 = (int)floor(sy);
            double fx = sx - x0, fy = sy - y0;
            /* neighbours (x0 + i, y0 + j): weight, and whether it lies inside the image */
            double wt[4] = {(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy};
            size_t off[4];
            int in[4];
            for (int k = 0; k < 4; k++) {
                int nx = x0 + (k & 1), ny = y0 + (k >> 1);
                in[k] = nx >= 0 && nx < w && ny >= 0 && ny < h;
                off[k] = in[k] ? (size_t)ny * w + nx : 0;
            }
            for (int ch = 0; ch < c; ch++) {
                const uint8_t *p = src + ch * plane;
                double sum = 0;
                for (int k = 0; k < 4; k++)
                    sum += in[k] ? wt[k] * p[off[k]] : 0;
                /* a convex combination of bytes: within [0, 255] up to rounding error */
                long r = lround(sum);
                dst[ch * plane + at] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
            }
        }
    }
}

void netrt_augment_apply(const uint8_t *src, uint8_t *dst, int c, int h, int w, int flip,
                         double angle_deg, int dx, int dy)
{
    if (angle_deg == 0)
        apply_exact(src, dst, c, h, w, flip, dx, dy);
    else
        apply_bilinear(src, dst, c, h, w, flip, angle_deg, dx, dy);
}

/* Uniform in [-m, m] for m = round(shift·size); nothing is drawn when that range is {0}. */
static int draw_shift(NetrtRng *rng, double shift, int size)
{
    long m = lround(shift * size);
    return m > 0 ? (int)netrt_rng_below(rng, 2 * (uint64_t)m + 1) - (int)m : 0;
}

void netrt_augment_draw(const NetrtAugment *aug, NetrtRng *rng, int h, int w, NetrtTransform *t)
{
    /* Fixed order, and only for the transforms that are on: the same seed and settings give the
     * same images. */
    t->flip = aug->flip ? (int)netrt_rng_below(rng, 2) : 0;
    t->angle = aug->rotate > 0 ? (2 * netrt_rng_uniform(rng) - 1) * aug->rotate : 0;
    t->dx = aug->shift > 0 ? draw_shift(rng, aug->shift, w) : 0;
    t->dy = aug->shift > 0 ? draw_shift(rng, aug->shift, h) : 0;
}

void netrt_augment_image(const NetrtAugment *aug, NetrtRng *rng, const uint8_t *src,
                         uint8_t *dst, int c, int h, int w)
{
    NetrtTransform t;
    netrt_augment_draw(aug, rng, h, w, &t);
    netrt_augment_apply(src, dst, c, h, w, t.flip, t.angle, t.dx, t.dy);
}

void netrt_augment_skip(NetrtAugmenter *aug, int h, int w, int count)
{
    NetrtTransform t;
    for (int i = 0; i < count; i++)
        netrt_augment_draw(aug->settings, &aug->rng, h, w, &t);
}
