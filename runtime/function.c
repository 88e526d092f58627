/* function.c: synthetic regression data, y = f(x) sampled on an interval.
 *
 * f is the C function netc compiled from the .net file's expression. Its points are made once,
 * at start-up, into the same float rows as a CSV file's, so splitting, normalization and batches
 * treat both alike. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netrt_internal.h"

int netrt_function_rows(const NetrtFunction *fn, NetrtRng *rng, NetrtRows *out, NetrtErr *err)
{
    memset(out, 0, sizeof *out);
    if (!fn->f)
        return netrt_err(err, "function: the model gives no f(x)");
    if (fn->n < 1)
        return netrt_err(err, "function: n = %d points: there must be at least one", fn->n);
    if (!(isfinite(fn->lo) && isfinite(fn->hi) && fn->lo < fn->hi))
        return netrt_err(err, "function: the interval [%g, %g] of x needs finite lo < hi", fn->lo,
                         fn->hi);
    /* x is a float: beyond FLT_MAX it would be inf (data that only looks like a divergence
     * later), and an interval that rounds to one float gives n copies of one point. */
    if (fabs(fn->lo) > FLT_MAX || fabs(fn->hi) > FLT_MAX)
        return netrt_err(err, "function: the interval [%g, %g] of x is beyond the range of a "
                         "float (%g in magnitude)", fn->lo, fn->hi, FLT_MAX);
    if ((float)fn->lo == (float)fn->hi)
        return netrt_err(err, "function: the interval [%.9g, %.9g] of x is a single value as a "
                         "float (%.9g): every point would be the same", fn->lo, fn->hi,
                         (float)fn->lo);
    out->x = malloc((size_t)fn->n * sizeof *out->x);
    out->y = malloc((size_t)fn->n * sizeof *out->y);
    if (!out->x || !out->y) {
        netrt_rows_free(out);
        return netrt_err(err, "function: out of memory for %d points", fn->n);
    }
    out->n = fn->n;
    out->x_size = out->y_size = 1;
    double lo = fn->lo, width = fn->hi - fn->lo;
    for (int i = 0; i < fn->n; i++) {
        /* linspace: lo + (hi - lo)·i/(n - 1), so that the last point is hi itself; uniform:
         * lo + (hi - lo)·u, u in [0, 1). */
        double t = fn->linspace ? (fn->n > 1 ? (double)i / (fn->n - 1) : 0)
                                : netrt_rng_uniform(rng);
        float x = (float)(lo + width * t);
        double y = fn->f(x);
        if (!isfinite(y)) {
            netrt_rows_free(out);
            netrt_err(err, "function: y = f(x) is %s at x = %.9g (point %d of %d)",
                      isnan(y) ? "nan" : y > 0 ? "inf" : "-inf", x, i + 1, fn->n);
            netrt_err_hint(err, "f is not defined everywhere on [%g, %g] (a log or square root "
                           "of a negative number, a division by 0?): narrow the interval of x",
                           fn->lo, fn->hi);
            return -1;
        }
        if (fabs(y) > FLT_MAX) {
            netrt_rows_free(out);
            return netrt_err(err, "function: y = f(x) = %g at x = %.9g (point %d of %d) is out of "
                             "the range of a float", y, x, i + 1, fn->n);
        }
        out->x[i] = x;
        out->y[i] = (float)y;
    }
    return 0;
}
