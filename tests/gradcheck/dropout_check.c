/* dropout_check.c: the mask of dropout_stats.net's dropout layer (p = 0.3), by statistics.
 *
 * A gradient check cannot see what the mask is: the same mask serves the forward and the
 * backward pass, so a mask that keeps a unit with probability p instead of 1 - p, or keeps it
 * unscaled, still has right gradients. Here the dense layer after the dropout is set to the
 * identity, so the model's output is x ⊙ mask, and over B·400 = 20,000 units:
 *   - training: each kept unit is x·1/(1 - p) (inverted dropout), each dropped one 0, and the
 *     fraction dropped is p within 5 standard deviations (√(p(1-p)/n) ≈ 0.0032), overall and in
 *     each of four quarters of the units and of the rows (no position favoured);
 *   - the next training pass draws a new mask (about 2p(1 - p) of the units change);
 *   - evaluation (training = 0) passes x through unchanged.
 * `--sabotage` checks against p = 0.35 instead, to show that the check can fail.
 */
#define NETC_NO_MAIN
#include MODEL_C

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "netrt_internal.h"

enum { B_CHECK = 50, UNITS = 400 };
static const double P_DROP = 0.3;
static int failures = 0;

#define EXPECT(cond, ...)                                                                  \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            printf(__VA_ARGS__);                                                           \
            printf("\n");                                                                  \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

/* The fraction of units dropped among rows [r0, r1) and units [u0, u1) of out (over x). */
static double dropped(const double *out, int r0, int r1, int u0, int u1)
{
    int n = 0, zero = 0;
    for (int r = r0; r < r1; r++)
        for (int u = u0; u < u1; u++, n++)
            zero += out[r * UNITS + u] == 0;
    return (double)zero / n;
}

/* Is p within 5 standard deviations of the expected fraction, over n units? */
static bool near_p(double fraction, double p, int n)
{
    return fabs(fraction - p) <= 5 * sqrt(p * (1 - p) / n);
}

int main(int argc, char **argv)
{
    double p = argc > 1 && !strcmp(argv[1], "--sabotage") ? 0.35 : P_DROP;
    if (model.dtype != NETRT_F64 || model.in_size != UNITS || model.out_size != UNITS ||
        model.n_params != 2 || model.params[0].size != UNITS * UNITS || !model.rng) {
        printf("%s is not dropout_stats.net in f64\n", MODEL_C);
        return 1;
    }
    double *W = model.params[0].value, *b = model.params[1].value, *x = model.input;
    for (int i = 0; i < UNITS * UNITS; i++)
        W[i] = i / UNITS == i % UNITS;
    for (int i = 0; i < UNITS; i++)
        b[i] = 0;
    for (int i = 0; i < B_CHECK * UNITS; i++)
        x[i] = 1 + i % 7; /* 1 … 7: a kept unit's scale shows */
    *model.rng = 2024;
    netrt_set_threads(1);

    static double first[B_CHECK * UNITS];
    const double *y = model.output, keep = 1 / (1 - P_DROP);
    model.forward(B_CHECK, 1);
    memcpy(first, y, sizeof first);
    int odd = 0;
    for (int i = 0; i < B_CHECK * UNITS; i++)
        odd += y[i] != 0 && fabs(y[i] - x[i] * keep) > 1e-12 * x[i];
    EXPECT(odd == 0, "%d kept units are not x/(1 - p) = x·%.6f", odd, keep);

    int n = B_CHECK * UNITS;
    double all = dropped(y, 0, B_CHECK, 0, UNITS);
    printf("dropped %.4f of %d units (p = %g)\n", all, n, P_DROP);
    EXPECT(near_p(all, p, n), "dropped %.4f of the units, expected %g ± %.4f", all, p,
           5 * sqrt(p * (1 - p) / n));
    for (int q = 0; q < 4; q++) {
        double units = dropped(y, 0, B_CHECK, q * UNITS / 4, (q + 1) * UNITS / 4);
        double rows = dropped(y, q * B_CHECK / 4, (q + 1) * B_CHECK / 4, 0, UNITS);
        EXPECT(near_p(units, p, n / 4), "units of quarter %d: dropped %.4f, expected %g", q,
               units, p);
        int r0 = q * B_CHECK / 4, r1 = (q + 1) * B_CHECK / 4;
        EXPECT(near_p(rows, p, (r1 - r0) * UNITS), "rows of quarter %d: dropped %.4f, expected %g",
               q, rows, p);
    }

    model.forward(B_CHECK, 1);
    int changed = 0;
    for (int i = 0; i < n; i++)
        changed += (first[i] == 0) != (y[i] == 0);
    double q = 2 * P_DROP * (1 - P_DROP);
    EXPECT(near_p((double)changed / n, q, n), "the next pass changed %d of %d units of the mask, "
           "expected about %.0f", changed, n, q * n);

    model.forward(B_CHECK, 0);
    int moved = 0;
    for (int i = 0; i < n; i++)
        moved += y[i] != x[i];
    EXPECT(moved == 0, "evaluation changed %d of %d units", moved, n);

    printf("%s: %s\n", model.name, failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}
