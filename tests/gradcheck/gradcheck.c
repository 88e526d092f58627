/* gradcheck.c: the generated backward pass against finite differences.
 *
 * Built once per model from the file `netc gen --dtype f64` writes, included here whole
 * (MODEL_C names it) so that this harness can reach its buffers and steps. For a small random
 * batch it compares
 *   1. every parameter's analytic gradient, coordinate by coordinate (all of them for a small
 *      tensor, 20 spread over a large one), with the five-point central difference
 *        (-L(θ + 2ε) + 8 L(θ + ε) - 8 L(θ - ε) + L(θ - 2ε)) / 12ε,  ε = 1e-4,
 *      whose error is O(ε⁴) where the plain (L(θ + ε) - L(θ - ε)) / 2ε has O(ε²): with six
 *      activations in a row, ε² times a third derivative is already near 1e-6 of a small
 *      gradient;
 *   2. the gradient along one random direction δ over all parameters at once:
 *        ∇L · δ  against  (L(θ + δ) - L(θ - δ)) / 2,  |δ_i| ≤ 1e-5,
 * and fails on a relative error above 1e-6, relative to the larger of the two values or 1e-4,
 * whichever is larger: below 1e-4 the two must agree within 1e-10, since the five-point
 * difference's own rounding is about 18·|L|·2⁻⁵³/(12ε) ≈ 2e-12·|L|, and a gradient that is 0 by
 * structure (a bias right before a batchnorm, which removes any shift) comes out as a few
 * 1e-12 of rounding. `--sabotage` corrupts one analytic gradient first,
 * to show that the check catches a wrong one (the test suite expects that run to fail).
 * Regression models get random targets; a model with dropout draws the same mask at every
 * evaluation (its random state is reset), so that L is one function of the parameters.
 * The passes that generated code shares among threads (netrt_parallel) run on three here.
 */
#define NETC_NO_MAIN
#include MODEL_C

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netrt_internal.h"
#include "../splitmix.h"

/* 37 samples: gradients summed over a batch of some size, as in training */
enum { B_CHECK = 37, COORDS_PER_TENSOR = 20 };
static const double EPS = 1e-4, DIRECTION_EPS = 1e-5, TOLERANCE = 1e-6;

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static double uniform(double lo, double hi)
{
    return splitmix_uniform(&rng_state, lo, hi);
}

/* The loss at the current parameters; dropout draws the same mask every time. */
static double loss_at(void)
{
    if (model.rng)
        *model.rng = 12345;
    model.forward(B_CHECK, 1);
    return model.loss(B_CHECK);
}

static double relative_error(double a, double b)
{
    double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) / (scale > 1e-4 ? scale : 1e-4);
}

int main(int argc, char **argv)
{
    bool sabotage = argc > 1 && !strcmp(argv[1], "--sabotage");
    if (model.dtype != NETRT_F64) {
        fprintf(stderr, "gradcheck: %s was not generated with --dtype f64\n", MODEL_C);
        return 2;
    }
    netrt_set_threads(3);

    /* a random model, batch and labels; parameters of the usual scale, U(±2/√fan_in), so that
     * deep stacks neither saturate (gradients too small to difference) nor explode */
    size_t total = 0;
    for (int t = 0; t < model.n_params; t++) {
        double *v = model.params[t].value, r = 2 / sqrt(model.params[t].fan_in);
        for (size_t i = 0; i < model.params[t].size; i++)
            v[i] = uniform(-r, r);
        total += model.params[t].size;
    }
    double *x = model.input;
    for (int i = 0; i < B_CHECK * model.in_size; i++)
        x[i] = uniform(-2, 2);
    for (int b = 0; b < B_CHECK; b++) {
        if (model.task == NETRT_REGRESS)
            for (int k = 0; k < model.out_size; k++)
                ((double *)model.targets)[b * model.out_size + k] = uniform(-1, 1);
        else
            model.labels[b] = (int32_t)(uniform(0, 1) * model.out_size) % model.out_size;
    }

    /* the analytic gradients, kept aside: every later forward pass overwrites the buffers */
    loss_at();
    model.backward(B_CHECK);
    double *analytic = malloc(total * sizeof *analytic), *delta = malloc(total * sizeof *delta);
    if (!analytic || !delta)
        return 2;
    size_t off = 0;
    for (int t = 0; t < model.n_params; t++) {
        memcpy(analytic + off, model.params[t].grad, model.params[t].size * sizeof(double));
        off += model.params[t].size;
    }
    if (sabotage)
        analytic[total / 2] += 1e-3;

    /* 1. coordinate by coordinate */
    int failures = 0, checked = 0;
    off = 0;
    for (int t = 0; t < model.n_params; t++) {
        const NetrtParam *p = &model.params[t];
        double *v = p->value, worst = 0;
        size_t step = p->size <= COORDS_PER_TENSOR ? 1 : p->size / COORDS_PER_TENSOR;
        for (size_t i = 0; i < p->size; i += step) {
            double saved = v[i], at[4];
            const double steps[4] = {2 * EPS, EPS, -EPS, -2 * EPS};
            for (int s = 0; s < 4; s++) {
                v[i] = saved + steps[s];
                at[s] = loss_at();
            }
            v[i] = saved;
            /* the differences first: exactly 0 when the loss does not move (a kernel row that
             * sees only padding), where -L₀ + 8L₁ - 8L₂ + L₃ would leave a few ulp of 7L */
            double numeric = (8 * (at[1] - at[2]) - (at[0] - at[3])) / (12 * EPS);
            double a = analytic[off + i];
            double err = relative_error(a, numeric);
            worst = err > worst ? err : worst;
            checked++;
            if (err > TOLERANCE) {
                printf("grad.%s[%zu] NOT OK: analytic %.10e numeric %.10e rel. error %.2e\n",
                       p->name, i, a, numeric, err);
                failures++;
            }
        }
        printf("grad.%-10s max rel. error %.2e\n", p->name, worst);
        off += p->size;
    }

    /* 2. along a random direction, all parameters at once */
    double along = 0;
    off = 0;
    for (int t = 0; t < model.n_params; t++) {
        double *v = model.params[t].value;
        for (size_t i = 0; i < model.params[t].size; i++, off++) {
            delta[off] = uniform(-DIRECTION_EPS, DIRECTION_EPS);
            along += analytic[off] * delta[off];
            v[i] += delta[off];
        }
    }
    double up = loss_at();
    off = 0;
    for (int t = 0; t < model.n_params; t++) {
        double *v = model.params[t].value;
        for (size_t i = 0; i < model.params[t].size; i++, off++)
            v[i] -= 2 * delta[off];
    }
    double down = loss_at(), err = relative_error(along, (up - down) / 2);
    printf("direction: ∇L·δ %.10e numeric %.10e rel. error %.2e\n", along, (up - down) / 2, err);
    if (err > TOLERANCE)
        failures++;

    printf("%s: %d coordinates in %d tensors, %s\n", model.name, checked, model.n_params,
           failures ? "FAILED" : "passed");
    free(analytic);
    free(delta);
    return failures ? 1 : 0;
}
