/* forward_check.c: the generated forward pass of cnn_nonsquare.net against the same network
 * computed here from the definitions (torch.nn.Conv2d, MaxPool2d, AvgPool2d, Linear), with plain
 * loops over every index, in double precision.
 *
 * The gradient check cannot see a bug that the forward and backward passes share: a pooling
 * window that starts at the wrong pixel, or an output size computed from the wrong side, gives a
 * different network whose gradients are still right. This check can. The layer sizes are those of
 * cnn_nonsquare.net, written out below; the generated parameter table must agree with them, and
 * its values (random) are read from it. `--sabotage` changes one weight of the reference, to show
 * that the comparison can fail (the suite expects that run to fail).
 */
#define NETC_NO_MAIN
#include MODEL_C

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netrt_internal.h"
#include "../splitmix.h"

/* cnn_nonsquare.net: input 2x4x6; conv 3 k3 s1 p1 -> [3,4,6]; maxpool 2 s2 -> [3,2,3];
 * conv 2 k2 s1 p1 -> [2,3,4]; avgpool 2 s1 -> [2,2,3]; flatten 12; dense 3 */
enum { B_CHECK = 5, C0 = 2, H0 = 4, W0 = 6, C1 = 3, H1 = 4, W1 = 6, H2 = 2, W2 = 3, C3 = 2,
       H3 = 3, W3 = 4, H4 = 2, W4 = 3, FLAT = C3 * H4 * W4, OUT = 3 };

static uint64_t rng_state = 0x2545f4914f6cdd1du;

static double uniform(double lo, double hi)
{
    return splitmix_uniform(&rng_state, lo, hi);
}

static int failures = 0;

/* The parameter NAME of the table, which must have `size` values. */
static double *param_named(const char *name, size_t size)
{
    for (int t = 0; t < model.n_params; t++)
        if (!strcmp(model.params[t].name, name)) {
            if (model.params[t].size != size) {
                printf("%s has %zu values, the network of cnn_nonsquare.net %zu\n", name,
                       model.params[t].size, size);
                failures++;
                return NULL;
            }
            return model.params[t].value;
        }
    printf("no parameter %s\n", name);
    failures++;
    return NULL;
}

/* y[co,oh,ow] = b[co] + Σ_{ci,i,j} W[co,ci,i,j] · x[ci, oh·S - P + i, ow·S - P + j] (0 outside) */
static void conv(const double *x, int ci_n, int h, int w, const double *W, const double *b,
                 int co_n, int k, int s, int p, double *y, int oh_n, int ow_n)
{
    for (int co = 0; co < co_n; co++)
        for (int oh = 0; oh < oh_n; oh++)
            for (int ow = 0; ow < ow_n; ow++) {
                double sum = b[co];
                for (int ci = 0; ci < ci_n; ci++)
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++) {
                            int r = oh * s - p + i, c = ow * s - p + j;
                            if (r >= 0 && r < h && c >= 0 && c < w)
                                sum += W[((co * ci_n + ci) * k + i) * k + j] * x[(ci * h + r) * w + c];
                        }
                y[(co * oh_n + oh) * ow_n + ow] = sum;
            }
}

/* y[c,oh,ow] = max or mean over i, j < k of x[c, oh·s + i, ow·s + j] */
static void pool(const double *x, int c_n, int h, int w, int k, int s, bool max, double *y,
                 int oh_n, int ow_n)
{
    for (int c = 0; c < c_n; c++)
        for (int oh = 0; oh < oh_n; oh++)
            for (int ow = 0; ow < ow_n; ow++) {
                double acc = max ? -INFINITY : 0;
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++) {
                        double v = x[(c * h + oh * s + i) * w + ow * s + j];
                        acc = max ? fmax(acc, v) : acc + v;
                    }
                y[(c * oh_n + oh) * ow_n + ow] = max ? acc : acc / (k * k);
            }
}

int main(int argc, char **argv)
{
    bool sabotage = argc > 1 && !strcmp(argv[1], "--sabotage");
    if (model.dtype != NETRT_F64 || model.in_size != C0 * H0 * W0 || model.out_size != OUT) {
        printf("%s is not cnn_nonsquare.net in f64: in %d, out %d\n", MODEL_C, model.in_size,
               model.out_size);
        return 1;
    }
    double *W1p = param_named("conv1_W", C1 * C0 * 9), *b1 = param_named("conv1_b", C1);
    double *W3p = param_named("conv2_W", C3 * C1 * 4), *b3 = param_named("conv2_b", C3);
    double *Wd = param_named("dense1_W", OUT * FLAT), *bd = param_named("dense1_b", OUT);
    if (failures)
        return 1;
    for (int t = 0; t < model.n_params; t++) {
        double *v = model.params[t].value;
        for (size_t i = 0; i < model.params[t].size; i++)
            v[i] = uniform(-1, 1);
    }
    double *x = model.input;
    for (int i = 0; i < B_CHECK * model.in_size; i++)
        x[i] = uniform(-2, 2);
    netrt_set_threads(3);
    model.forward(B_CHECK, 0);
    const double *got = model.output;

    if (sabotage)
        Wd[OUT * FLAT / 2] += 1e-3;
    double worst = 0;
    for (int b = 0; b < B_CHECK; b++) {
        static double a1[C1 * H1 * W1], a2[C1 * H2 * W2], a3[C3 * H3 * W3], a4[FLAT];
        conv(x + b * C0 * H0 * W0, C0, H0, W0, W1p, b1, C1, 3, 1, 1, a1, H1, W1);
        pool(a1, C1, H1, W1, 2, 2, true, a2, H2, W2);
        conv(a2, C1, H2, W2, W3p, b3, C3, 2, 1, 1, a3, H3, W3);
        pool(a3, C3, H3, W3, 2, 1, false, a4, H4, W4);
        for (int o = 0; o < OUT; o++) {
            double want = bd[o];
            for (int i = 0; i < FLAT; i++)
                want += Wd[o * FLAT + i] * a4[i];
            double err = fabs(got[b * OUT + o] - want) / fmax(1, fabs(want));
            worst = fmax(worst, err);
            if (err > 1e-12) {
                printf("sample %d output %d: generated %.15g, by the definitions %.15g\n", b, o,
                       got[b * OUT + o], want);
                failures++;
            }
        }
    }
    printf("%s: %d samples, worst relative error %.2e, %s\n", model.name, B_CHECK, worst,
           failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}
