/* batchnorm_check.c: what the gradient check cannot see of batchnorm (bn_stats.net: BatchNorm2d
 * over 3 channels of 4×5, momentum 0.2, ε 0.01, right on the input).
 *
 * A gradient check runs the training forward pass only, and running statistics take no part in
 * it. Here, from the definitions, for random γ, β and batches of B = 7:
 *   - training: each channel's output is γ·(x - μ)/√(σ² + ε) + β with μ and σ² (biased) over the
 *     channel's B·20 values of this batch;
 *   - running_mean and running_var move as (1 - m)·r + m·μ and (1 - m)·r + m·σ²·n/(n - 1),
 *     from 0 and 1, over three training passes; num_batches_tracked counts them (3);
 *   - evaluation (training = 0) normalizes with the running statistics, changes none of them,
 *     and does not count.
 * `--sabotage` checks against the biased variance in the running statistics, to show that the
 * check can fail.
 */
#define NETC_NO_MAIN
#include MODEL_C

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "netrt_internal.h"
#include "../splitmix.h"

enum { B_CHECK = 7, C = 3, HW = 20 };
static const double M = 0.2, EPS = 0.01, TOLERANCE = 1e-12;
static int failures = 0;
static uint64_t rng_state = 42;

static void expect_near(double got, double want, const char *what, int c)
{
    if (!(fabs(got - want) <= TOLERANCE * (1 + fabs(want)))) {
        printf("%s of channel %d: %.17g, expected %.17g\n", what, c, got, want);
        failures++;
    }
}

/* The output of a forward pass against γ(x - mean)/√(var + ε) + β, channel c. */
static void expect_normalized(int c, double mean, double var, const char *what)
{
    for (int b = 0; b < B_CHECK; b++)
        for (int s = 0; s < HW; s++) {
            int i = (b * C + c) * HW + s;
            double want = param.batchnorm1_gamma[c] * (input[i] - mean) / sqrt(var + EPS) +
                          param.batchnorm1_beta[c];
            expect_near(batchnorm1_out[i], want, what, c);
        }
}

/* The mean and biased variance of channel c over the batch. */
static void batch_stats(int c, double *mean, double *var)
{
    double sum = 0, squares = 0;
    for (int b = 0; b < B_CHECK; b++)
        for (int s = 0; s < HW; s++)
            sum += input[(b * C + c) * HW + s];
    *mean = sum / (B_CHECK * HW);
    for (int b = 0; b < B_CHECK; b++)
        for (int s = 0; s < HW; s++) {
            double d = input[(b * C + c) * HW + s] - *mean;
            squares += d * d;
        }
    *var = squares / (B_CHECK * HW);
}

int main(int argc, char **argv)
{
    bool sabotage = argc > 1 && !strcmp(argv[1], "--sabotage");
    netrt_set_threads(1);
    for (int k = 0; k < model.n_buffers; k++) { /* as the runtime starts them */
        const NetrtBuffer *t = &model.buffers[k];
        for (size_t i = 0; i < t->size; i++) {
            if (t->is_count)
                ((int64_t *)t->value)[i] = (int64_t)t->init;
            else
                ((double *)t->value)[i] = t->init;
        }
    }
    for (int c = 0; c < C; c++) {
        param.batchnorm1_gamma[c] = splitmix_uniform(&rng_state, 0.5, 2);
        param.batchnorm1_beta[c] = splitmix_uniform(&rng_state, -1, 1);
    }
    double running_mean[C] = {0, 0, 0}, running_var[C] = {1, 1, 1};
    int n = B_CHECK * HW;
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < B_CHECK * C * HW; i++) /* channels with their own mean and spread */
            input[i] = (i / HW % C + 1) * splitmix_uniform(&rng_state, -2, 3) + pass;
        model.forward(B_CHECK, 1);
        for (int c = 0; c < C; c++) {
            double mean, var;
            batch_stats(c, &mean, &var);
            expect_normalized(c, mean, var, "training output");
            running_mean[c] = (1 - M) * running_mean[c] + M * mean;
            running_var[c] = (1 - M) * running_var[c] + M * var * (sabotage ? 1.0 : n / (n - 1.0));
            expect_near(buffer.batchnorm1_running_mean[c], running_mean[c], "running_mean", c);
            expect_near(buffer.batchnorm1_running_var[c], running_var[c], "running_var", c);
        }
    }
    if (buffer.batchnorm1_num_batches_tracked != 3) {
        printf("num_batches_tracked %lld after 3 training passes\n",
               (long long)buffer.batchnorm1_num_batches_tracked);
        failures++;
    }
    for (int i = 0; i < B_CHECK * C * HW; i++)
        input[i] = splitmix_uniform(&rng_state, -3, 3);
    model.forward(B_CHECK, 0);
    for (int c = 0; c < C; c++) {
        expect_normalized(c, running_mean[c], running_var[c], "evaluation output");
        expect_near(buffer.batchnorm1_running_mean[c], running_mean[c], "running_mean after evaluation", c);
        expect_near(buffer.batchnorm1_running_var[c], running_var[c], "running_var after evaluation", c);
    }
    if (buffer.batchnorm1_num_batches_tracked != 3) {
        printf("evaluation counted a batch\n");
        failures++;
    }
    printf("batchnorm statistics: %s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}
