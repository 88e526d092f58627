/* test_optimizers.c: the generated update() against torch.optim's formulas, step by step.
 *
 * Built once per configuration from the file `netc gen --dtype f64 -D …` writes, included here
 * whole (MODEL_C names it). OPTIM_CONFIG is the same `NAME=VALUE …` list that was given to netc
 * as -D, so the harness knows the settings the generated code was made with; everything not in
 * it has torch.optim's default for the optimizer the model names (model.optimizer).
 *
 * The harness writes parameter values and gradients by hand into model.params[t].value / .grad,
 * calls model.update(&h) for steps 1, 2, 3 (new gradients before each, no backward), and after
 * each step compares every parameter with reference_step() below: the pseudo-code of the
 * torch.optim documentation, written out plainly, on its own copies of θ and of the state. The
 * tolerance is 1e-12 relative (to |θ|, or to 1e-3 for a θ nearer 0).
 *
 * Arguments (after the compiled-in configuration):
 *   hyper_lr=X hyper_momentum=X hyper_weight_decay=X
 *                  pass these in NetrtHyper instead of the file's values (model.train), as the
 *                  command line of a trainer does; the reference uses them too
 *   step2_norm=X   rescale the step-2 gradients to this global L2 norm (clip_norm's edge)
 *   per_step=0|1   the file's schedule must reach the trainer stepping per epoch (0) or per
 *                  batch (1): the runtime, not update(), applies it (schedule.net)
 *   --hand         also check the hand-computed first step below (defaults.net, lr = 0.01)
 *   --wrong        perturb the reference's learning rate by 1e-9 (relative): the test must fail
 *   --dump         print θ, gradients and results for torch_crosscheck.py
 */
#define NETC_NO_MAIN
#include MODEL_C

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../splitmix.h"

enum { STEPS = 3, MAX_VALUES = 256 };
static const double TOLERANCE = 1e-12;

typedef enum { SGD, ADAGRAD, RMSPROP, ADAM, ADAMW } Kind;

typedef struct {
    Kind kind;
    double lr, momentum, dampening, weight_decay; /* as in the file: model.train must agree */
    bool nesterov, centered;
    double lr_decay, initial_accumulator_value, eps, alpha, beta1, beta2;
    double clip_value, clip_norm; /* 0: off */
    double layer_wd;              /* dense1's own weight decay; < 0: none (the global one) */
    double hyper_lr, hyper_momentum, hyper_weight_decay; /* NaN: the file's */
    double step2_norm;                                   /* 0: leave the step-2 gradients  */
    double per_step;                                     /* NaN: the schedule not checked  */
    bool hand, wrong, dump;
} Config;

static int fail(const char *fmt, const char *a)
{
    fprintf(stderr, "test_optimizers: ");
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    exit(2);
}

/* torch.optim's defaults for the optimizer the .net file names */
static Config defaults(const char *name)
{
    Config c = {.layer_wd = -1, .hyper_lr = NAN, .hyper_momentum = NAN, .hyper_weight_decay = NAN,
                .per_step = NAN};
    if (!strcmp(name, "sgd") || !strcmp(name, "momentum") || !strcmp(name, "nesterov")) {
        c.kind = SGD; /* torch.optim.SGD has no default lr: every configuration gives one */
        c.momentum = strcmp(name, "sgd") ? 0.9 : 0; /* netc's names for SGD with μ = 0.9 */
        c.nesterov = !strcmp(name, "nesterov");
    } else if (!strcmp(name, "adagrad")) {
        c.kind = ADAGRAD, c.lr = 0.01, c.eps = 1e-10;
    } else if (!strcmp(name, "rmsprop")) {
        c.kind = RMSPROP, c.lr = 0.01, c.alpha = 0.99, c.eps = 1e-8;
    } else if (!strcmp(name, "adam") || !strcmp(name, "adamw")) {
        c.kind = strcmp(name, "adam") ? ADAMW : ADAM;
        c.lr = 1e-3, c.beta1 = 0.9, c.beta2 = 0.999, c.eps = 1e-8;
        c.weight_decay = c.kind == ADAMW ? 1e-2 : 0;
    } else {
        fail("unknown optimizer '%s'", name);
    }
    return c;
}

/* One NAME=VALUE (a -D of the configuration, or an argument) or flag. */
static void set_option(Config *c, const char *arg)
{
    if (!strcmp(arg, "--hand") || !strcmp(arg, "--wrong") || !strcmp(arg, "--dump")) {
        *(arg[2] == 'h' ? &c->hand : arg[2] == 'w' ? &c->wrong : &c->dump) = true;
        return;
    }
    const char *eq = strchr(arg, '=');
    if (!eq)
        fail("expected NAME=VALUE, got '%s'", arg);
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(eq - arg), arg);
    const char *v = eq + 1;
    if (!strcmp(key, "opt")) /* the optimizer: the harness takes it from model.optimizer */
        return;
    if (!strcmp(key, "nesterov") || !strcmp(key, "centered")) {
        bool b = !strcmp(v, "true");
        if (!b && strcmp(v, "false"))
            fail("true or false, got '%s'", v);
        *(key[0] == 'n' ? &c->nesterov : &c->centered) = b;
        return;
    }
    static const struct {
        const char *key;
        size_t offset;
    } numbers[] = {
#define NUMBER(f) {#f, offsetof(Config, f)}
        NUMBER(lr),         NUMBER(momentum),       NUMBER(dampening),
        NUMBER(weight_decay), NUMBER(lr_decay),     NUMBER(initial_accumulator_value),
        NUMBER(eps),        NUMBER(alpha),          NUMBER(beta1),
        NUMBER(beta2),      NUMBER(clip_value),     NUMBER(clip_norm),
        NUMBER(layer_wd),   NUMBER(hyper_lr),       NUMBER(hyper_momentum),
        NUMBER(hyper_weight_decay), NUMBER(step2_norm),     NUMBER(per_step),
#undef NUMBER
    };
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        if (!strcmp(key, numbers[i].key)) {
            char *end;
            *(double *)((char *)c + numbers[i].offset) = strtod(v, &end);
            if (*end || end == v)
                fail("not a number: '%s'", arg);
            return;
        }
    fail("unknown setting '%s'", arg);
}

/* ---- the reference: torch.optim's documented algorithms, one element at a time ---------------
 * γ the learning rate, λ the weight decay, μ the momentum, t the step (from 1). State starts at
 * 0 (Adagrad's state_sum at initial_accumulator_value); torch's "if t > 1" for SGD is "if the
 * momentum buffer exists", which it does from the second step on. */
static double b[MAX_VALUES], state_sum[MAX_VALUES], v[MAX_VALUES], g_ave[MAX_VALUES], m[MAX_VALUES];

static void reference_element(const Config *c, int i, double *theta, double g, double gamma,
                              double lambda, double mu, long t)
{
    switch (c->kind) {
    case SGD: /* torch.optim.SGD */
        if (lambda != 0)
            g = g + lambda * *theta;
        if (mu != 0) {
            b[i] = t > 1 ? mu * b[i] + (1 - c->dampening) * g : g;
            g = c->nesterov ? g + mu * b[i] : b[i];
        }
        *theta = *theta - gamma * g;
        break;
    case ADAGRAD: { /* torch.optim.Adagrad */
        double gamma_t = gamma / (1 + (t - 1) * c->lr_decay);
        if (lambda != 0)
            g = g + lambda * *theta;
        state_sum[i] = state_sum[i] + g * g;
        *theta = *theta - gamma_t * g / (sqrt(state_sum[i]) + c->eps);
        break;
    }
    case RMSPROP: { /* torch.optim.RMSprop */
        double a = c->alpha;
        if (lambda != 0)
            g = g + lambda * *theta;
        v[i] = a * v[i] + (1 - a) * g * g;
        double v_tilde = v[i];
        if (c->centered) {
            g_ave[i] = a * g_ave[i] + (1 - a) * g;
            v_tilde = v_tilde - g_ave[i] * g_ave[i];
        }
        if (mu > 0) {
            b[i] = mu * b[i] + g / (sqrt(v_tilde) + c->eps);
            *theta = *theta - gamma * b[i];
        } else {
            *theta = *theta - gamma * g / (sqrt(v_tilde) + c->eps);
        }
        break;
    }
    case ADAM:
    case ADAMW: { /* torch.optim.Adam (λ as L2 in the gradient), torch.optim.AdamW (decoupled) */
        if (c->kind == ADAMW)
            *theta = *theta - gamma * lambda * *theta;
        else if (lambda != 0)
            g = g + lambda * *theta;
        m[i] = c->beta1 * m[i] + (1 - c->beta1) * g;
        v[i] = c->beta2 * v[i] + (1 - c->beta2) * g * g;
        double m_hat = m[i] / (1 - pow(c->beta1, (double)t));
        double v_hat = v[i] / (1 - pow(c->beta2, (double)t));
        *theta = *theta - gamma * m_hat / (sqrt(v_hat) + c->eps);
        break;
    }
    }
}

/* Gradient clipping before the step, as torch.nn.utils does. Returns whether it changed any. */
static bool reference_clip(const Config *c, double *g, int n)
{
    bool changed = false;
    if (c->clip_value) /* clip_grad_value_: clamp to [-c, c] */
        for (int i = 0; i < n; i++)
            if (fabs(g[i]) > c->clip_value) {
                g[i] = g[i] > 0 ? c->clip_value : -c->clip_value;
                changed = true;
            }
    if (c->clip_norm) { /* clip_grad_norm_: coef = max/(‖g‖ + 1e-6), clamped to at most 1 */
        double norm = 0;
        for (int i = 0; i < n; i++)
            norm += g[i] * g[i];
        norm = sqrt(norm);
        double coef = c->clip_norm / (norm + 1e-6);
        if (coef < 1) {
            for (int i = 0; i < n; i++)
                g[i] *= coef;
            changed = true;
        }
    }
    return changed;
}

/* ---- the test -------------------------------------------------------------------------------- */

static uint64_t rng_state = 0x2545f4914f6cdd1du;

static double uniform(double lo, double hi)
{
    return splitmix_uniform(&rng_state, lo, hi);
}

static void dump(const char *what, const double *x, int n)
{
    printf("%s", what);
    for (int i = 0; i < n; i++)
        printf(" %.17g", x[i]);
    printf("\n");
}

/* The hand-computed first step: θ = 1, g = 0.5, lr = 0.01, torch's defaults otherwise.
 *   sgd       θ = 1 - 0.01·0.5                                              = 0.995
 *   momentum  the buffer starts as g: b = 0.5, θ = 1 - 0.01·0.5              = 0.995
 *   nesterov  b = 0.5, θ = 1 - 0.01·(0.5 + 0.9·0.5) = 1 - 0.0095             = 0.9905
 *   adagrad   state_sum = 0.25, θ = 1 - 0.01·0.5/(0.5 + 1e-10)
 *                                  = 1 - 0.01·(1 - 2e-10 + …)               = 0.990000000002
 *   rmsprop   v = 0.01·0.25 = 0.0025, √v = 0.05, θ = 1 - 0.01·0.5/(0.05 + 1e-8)
 *                                  = 1 - 0.1/(1 + 2e-7) = 1 - 0.1 + 2e-8 - 4e-15 = 0.900000019999996
 *   adam      m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 0.00025, m̂ = 0.05/0.1 = 0.5,
 *             v̂ = 0.00025/0.001 = 0.25, θ = 1 - 0.01·0.5/(√0.25 + 1e-8)
 *                                  = 1 - 0.01/(1 + 2e-8) = 1 - 0.01 + 2e-10    = 0.9900000002
 *   adamw     λ = 0.01: θ = 1·(1 - 0.01·0.01) = 0.9999, then as adam         = 0.9899000002
 * (the terms left out are below 1e-17). */
static double hand_computed(const char *name)
{
    static const struct {
        const char *name;
        double theta;
    } table[] = {
        {"sgd", 0.995},          {"momentum", 0.995},          {"nesterov", 0.9905},
        {"adagrad", 0.990000000002}, {"rmsprop", 0.900000019999996}, {"adam", 0.9900000002},
        {"adamw", 0.9899000002},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].name, name))
            return table[i].theta;
    return NAN;
}

int main(int argc, char **argv)
{
    if (model.dtype != NETRT_F64)
        fail("%s was not generated with --dtype f64", MODEL_C);
    Config c = defaults(model.optimizer);
    char config[] = OPTIM_CONFIG;
    for (char *tok = strtok(config, " "); tok; tok = strtok(NULL, " "))
        set_option(&c, tok);
    for (int i = 1; i < argc; i++)
        set_option(&c, argv[i]);
    int failures = 0;

    /* the file's settings reached the trainer's defaults, which the runtime passes to update() */
    bool has_momentum = c.kind == SGD || c.kind == RMSPROP;
    if (model.train.lr != c.lr || model.train.weight_decay != c.weight_decay ||
        (has_momentum && model.train.momentum != c.momentum)) {
        fprintf(stderr, "FAIL: model.train has lr %g momentum %g weight_decay %g; the file says %g %g %g\n",
                model.train.lr, model.train.momentum, model.train.weight_decay, c.lr, c.momentum,
                c.weight_decay);
        failures++;
    }
    if (!isnan(c.per_step) && model.train.schedule.per_step != (int)c.per_step) {
        fprintf(stderr, "FAIL: model.train.schedule steps per %s; expected per %s\n",
                model.train.schedule.per_step ? "batch" : "epoch", c.per_step ? "batch" : "epoch");
        failures++;
    }
    /* what update() is given: the file's values unless the "command line" changed them */
    NetrtHyper h = {
        .lr = isnan(c.hyper_lr) ? model.train.lr : c.hyper_lr,
        .momentum = isnan(c.hyper_momentum) ? model.train.momentum : c.hyper_momentum,
        .weight_decay = isnan(c.hyper_weight_decay) ? model.train.weight_decay : c.hyper_weight_decay,
        .clip_value = model.train.clip_value,
        .clip_norm = model.train.clip_norm,
    };
    if ((!isnan(c.hyper_lr) && c.hyper_lr == c.lr) ||
        (!isnan(c.hyper_momentum) && c.hyper_momentum == c.momentum) ||
        (!isnan(c.hyper_weight_decay) && c.hyper_weight_decay == c.weight_decay))
        fail("an override equal to the file's value tests nothing%s", "");

    /* every parameter as one flat vector; θ ~ U(-1, 1), the first one 1 (the hand example) */
    int n = 0, offset[64];
    double lambda_of[MAX_VALUES];
    for (int t = 0; t < model.n_params; t++) {
        offset[t] = n;
        bool own = c.layer_wd >= 0 && !strncmp(model.params[t].name, "dense1_", 7);
        for (size_t i = 0; i < model.params[t].size; i++)
            lambda_of[n + (int)i] = own ? c.layer_wd : h.weight_decay;
        n += (int)model.params[t].size;
    }
    offset[model.n_params] = n;
    if (n > MAX_VALUES)
        fail("the model is too large for the harness%s", "");
    double theta[MAX_VALUES], grads[STEPS][MAX_VALUES];
    for (int i = 0; i < n; i++)
        theta[i] = i == 0 ? 1 : uniform(-1, 1);
    /* gradients of three sizes, so that clip_norm clips at steps 1 and 3 and not at step 2 */
    static const double scale[STEPS] = {1, 0.1, 2};
    for (int s = 0; s < STEPS; s++)
        for (int i = 0; i < n; i++)
            grads[s][i] = s == 0 && i == 0 ? 0.5 : scale[s] * uniform(-1, 1);
    if (c.step2_norm) {
        double norm = 0;
        for (int i = 0; i < n; i++)
            norm += grads[1][i] * grads[1][i];
        for (int i = 0; i < n; i++)
            grads[1][i] *= c.step2_norm / sqrt(norm);
    }
    for (int t = 0; t < model.n_params; t++)
        memcpy(model.params[t].value, theta + offset[t], model.params[t].size * sizeof(double));
    for (int i = 0; i < n; i++)
        state_sum[i] = c.initial_accumulator_value;

    if (c.dump) {
        printf("optimizer %s\n", model.optimizer);
        printf("hyper %.17g %.17g %.17g\n", h.lr, h.momentum, h.weight_decay);
        printf("config dampening=%.17g nesterov=%d lr_decay=%.17g initial_accumulator_value=%.17g "
               "eps=%.17g alpha=%.17g centered=%d beta1=%.17g beta2=%.17g clip_value=%.17g "
               "clip_norm=%.17g layer_wd=%.17g\n",
               c.dampening, c.nesterov, c.lr_decay, c.initial_accumulator_value, c.eps, c.alpha,
               c.centered, c.beta1, c.beta2, c.clip_value, c.clip_norm, c.layer_wd);
        for (int t = 0; t < model.n_params; t++)
            printf("tensor %s %zu\n", model.params[t].name, model.params[t].size);
        dump("theta0", theta, n);
    }

    int clipped_steps = 0;
    for (int s = 0; s < STEPS; s++) {
        h.step = s + 1;
        for (int t = 0; t < model.n_params; t++)
            memcpy(model.params[t].grad, grads[s] + offset[t], model.params[t].size * sizeof(double));
        model.update(&h);

        double g[MAX_VALUES];
        memcpy(g, grads[s], sizeof g);
        bool clipped = reference_clip(&c, g, n);
        clipped_steps += clipped;
        if (c.clip_value || c.clip_norm) {
            double norm = 0;
            for (int i = 0; i < n; i++)
                norm += grads[s][i] * grads[s][i];
            printf("step %d: gradient norm %.9g, %s\n", s + 1, sqrt(norm),
                   clipped ? "clipped" : "not clipped");
        }
        double gamma = h.lr * (c.wrong ? 1 + 1e-9 : 1);
        for (int i = 0; i < n; i++)
            reference_element(&c, i, &theta[i], g[i], gamma, lambda_of[i], h.momentum, h.step);

        double got[MAX_VALUES], worst = 0;
        int worst_i = 0;
        for (int t = 0; t < model.n_params; t++)
            memcpy(got + offset[t], model.params[t].value, model.params[t].size * sizeof(double));
        for (int i = 0; i < n; i++) {
            double err = fabs(got[i] - theta[i]) / fmax(fabs(theta[i]), 1e-3);
            if (!(err <= worst)) /* NaN counts as the worst */
                worst = err, worst_i = i;
        }
        if (c.dump) {
            dump("grad", grads[s], n);
            dump("theta", got, n);
        }
        int t = 0;
        while (offset[t + 1] <= worst_i)
            t++;
        printf("step %d: largest relative error %.3g at %s[%d] (generated %.17g, reference %.17g)\n",
               s + 1, worst, model.params[t].name, worst_i - offset[t], got[worst_i], theta[worst_i]);
        if (!(worst <= TOLERANCE)) {
            fprintf(stderr, "FAIL: step %d differs from torch.optim's formula by more than %g\n",
                    s + 1, TOLERANCE);
            failures++;
        }
        if (s == 0 && c.hand) {
            double want = hand_computed(model.optimizer);
            printf("hand-computed first step of %s: θ = %.17g, generated %.17g\n", model.optimizer,
                   want, got[0]);
            if (!(fabs(got[0] - want) <= 1e-15)) {
                fprintf(stderr, "FAIL: the hand-computed first step\n");
                failures++;
            }
        }
    }
    /* clipping must have been exercised both ways, else the test says little */
    if ((c.clip_value || c.clip_norm) && (clipped_steps == 0 || clipped_steps == STEPS)) {
        fprintf(stderr, "FAIL: clipping changed the gradients at %d of %d steps\n", clipped_steps, STEPS);
        failures++;
    }
    printf("%s: %s\n", MODEL_C, failures ? "FAILED" : "ok");
    return failures != 0;
}
