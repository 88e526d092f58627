/* optim.c: the optimizers (ops/train.h), as torch.optim has them: sgd (and its momentum and
 * nesterov words), adagrad, rmsprop, adam, adamw.
 *
 * Each writes one step function, for one tensor, which update() (emit_train.c) calls for every
 * parameter tensor; its state (velocity, moments, …) are more instances of struct params, named
 * as torch.optim names them. */
#include "train.h"

#include <string.h>

#define CLIP_SETTINGS                                                                        \
    {"clip_value", SET_NUMBER, 0, 1e12, false, NET_FIELD(clip_value), NULL},             \
    {"clip_norm", SET_NUMBER, 0, 1e12, false, NET_FIELD(clip_norm), NULL}
#define LR_SETTING {"lr", SET_NUMBER, 1e-12, 1e6, false, NET_FIELD(lr), NULL}
#define WD_SETTING {"weight_decay", SET_NUMBER, 0, 1e6, false, NET_FIELD(weight_decay), NULL}
#define EPS_SETTING {"eps", SET_NUMBER, 1e-30, 1, false, NET_FIELD(eps), NULL} /* a float's */

/* ---- sgd, momentum, nesterov: torch.optim.SGD -------------------------------------------------- */

/* 1 - x as C, worked out in double and then rounded once to the element type, as torch computes
 * its `1 - beta2` (a Python float) before scaling a float tensor by it: (float)(1.0 - 0.999). In
 * float, 1.0f - 0.999f is 1.3e-5 away from that: Adam's second moment came out too small. */
static const char *one_minus(char buf[64], double x)
{
    char num[32];
    fmt_double(num, x);
    snprintf(buf, 64, "(@R)(1.0 - %s)", num);
    return buf;
}

static const SettingSpec sgd_settings[] = {
    LR_SETTING,
    {"momentum", SET_NUMBER, 0, 1, true, NET_FIELD(momentum), NULL},
    {"dampening", SET_NUMBER, 0, 1, false, NET_FIELD(dampening), NULL},
    {"nesterov", SET_BOOL, 0, 0, false, NET_FIELD(nesterov), NULL},
    WD_SETTING,
    CLIP_SETTINGS,
    END_SPECS,
};

/* 'momentum' and 'nesterov' name SGD with μ = 0.9 */
static void momentum_defaults(Net *net)
{
    net->momentum = 0.9;
}

static void nesterov_defaults(Net *net)
{
    net->momentum = 0.9;
    net->nesterov = true;
}

static int sgd_state(const Net *net, const char *names[3])
{
    (void)net;
    names[0] = "momentum_buffer";
    return 1;
}

static void sgd_step_function(Emitter *e)
{
    const Net *net = e->net;
    char damp[40];
    emit(e, "/* SGD, as torch.optim.SGD(lr, momentum, dampening=%g, weight_decay, nesterov=%s):",
         net->dampening, net->nesterov ? "True" : "False");
    emit(e, " *   g = grad + λ·θ            weight decay λ (L2)");
    if (net->dampening)
        emit(e, " *   v = μ·v + (1 - %g)·g       momentum μ with dampening (v = g at the first step)",
             net->dampening);
    else
        emit(e, " *   v = μ·v + g               momentum μ, v starting at 0 (none when μ = 0)");
    if (net->nesterov)
        emit(e, " *   θ = θ - η·(g + μ·v)       Nesterov: the step looks ahead along v */");
    else
        emit(e, " *   θ = θ - η·v               learning rate η (θ - η·g when μ = 0) */");
    if (net->dampening) /* the first step sets v = g */
        emit_function(e, "static void sgd_step(@R *theta, const @R *grad, @R *v, int n, @R lr, @R mu, @R wd, long step)");
    else
        emit_function(e, "static void sgd_step(@R *theta, const @R *grad, @R *v, int n, @R lr, @R mu, @R wd)");
    emit_open(e, "for (int i = 0; i < n; i++)");
    emit(e, "@R g = grad[i] + wd * theta[i];");
    emit_open(e, "if (mu != 0.0@f)");
    if (net->dampening)
        emit(e, "v[i] = step == 1 ? g : mu * v[i] + %s * g;", lit(e, damp, 1 - net->dampening));
    else
        emit(e, "v[i] = mu * v[i] + g;");
    emit(e, net->nesterov ? "g += mu * v[i];" : "g = v[i];");
    emit_close(e, NULL);
    emit(e, "theta[i] -= lr * g;");
    emit_close(e, NULL);
    emit_close(e, NULL);
}

/* lr, momentum and weight decay as the command line may have changed them */
static void momentum_setup(Emitter *e, const TrainTensor *t, int n)
{
    (void)t, (void)n;
    emit(e, "const @R lr = (@R)h->lr, mu = (@R)h->momentum, wd = (@R)h->weight_decay;");
}

static void sgd_step_call(Emitter *e, const TrainTensor *t)
{
    emit(e, "sgd_step(param.%s, grad.%s, momentum_buffer.%s, %s, lr, mu, %s%s);", t->name,
         t->name, t->name, t->size, t->wd, e->net->dampening ? ", h->step" : "");
}

/* the momentum is the runtime's to show; dampening and nesterov only when they act */
static void sgd_detail(const Net *net, char *out, size_t size)
{
    out[0] = '\0';
    if (net->dampening)
        snprintf(out, size, "dampening %g", net->dampening);
    if (net->nesterov)
        snprintf(out + strlen(out), size - strlen(out), "%snesterov", out[0] ? "  " : "");
}

#define SGD_FAMILY                                                                           \
    .torch = "SGD", .settings = sgd_settings, .needs_lr = true, .cycles = CYCLES_MOMENTUM,   \
    .state = sgd_state, .step_function = sgd_step_function, .setup = momentum_setup,         \
    .step_call = sgd_step_call, .detail = sgd_detail

static const OptimDesc sgd = {.word = "sgd", SGD_FAMILY};
static const OptimDesc momentum = {.word = "momentum", .defaults = momentum_defaults, SGD_FAMILY};
static const OptimDesc nesterov = {.word = "nesterov", .defaults = nesterov_defaults, SGD_FAMILY};

/* ---- adagrad ------------------------------------------------------------------------------------ */

static const SettingSpec adagrad_settings[] = {
    LR_SETTING,
    {"lr_decay", SET_NUMBER, 0, 1e6, false, NET_FIELD(lr_decay), NULL},
    {"initial_accumulator_value", SET_NUMBER, 0, 1e6, false, NET_FIELD(initial_accumulator), NULL},
    EPS_SETTING,
    WD_SETTING,
    CLIP_SETTINGS,
    END_SPECS,
};

static void adagrad_defaults(Net *net)
{
    net->lr = 0.01, net->eps = 1e-10;
}

static int adagrad_state(const Net *net, const char *names[3])
{
    (void)net;
    names[0] = "sum";
    return 1;
}

static void adagrad_step_function(Emitter *e)
{
    const Net *net = e->net;
    char eps[40], a[40];
    lit(e, eps, net->eps);
    emit(e, "/* Adagrad, as torch.optim.Adagrad(lr, lr_decay=%g, weight_decay, eps=%g):", net->lr_decay,
         net->eps);
    emit(e, " *   g = grad + λ·θ");
    emit(e, " *   η_t = η / (1 + (t - 1)·lr_decay)     t the step, from 1");
    emit(e, " *   s = s + g²                          s starts at %g", net->initial_accumulator);
    emit(e, " *   θ = θ - η_t · g / (√s + ε) */");
    emit_function(e, "static void adagrad_step(@R *theta, const @R *grad, @R *s, int n, @R lr, @R wd, long step)");
    emit(e, "const @R lr_t = lr / (1.0@f + (@R)(step - 1) * %s);", lit(e, a, net->lr_decay));
    emit_open(e, "for (int i = 0; i < n; i++)");
    emit(e, "@R g = grad[i] + wd * theta[i];");
    emit(e, "s[i] += g * g;");
    emit(e, "theta[i] -= lr_t * g / (sqrt@f(s[i]) + %s);", eps);
    emit_close(e, NULL);
    emit_close(e, NULL);
}

/* the sums start at initial_accumulator_value, set at the first step */
static void adagrad_setup(Emitter *e, const TrainTensor *t, int n)
{
    const Net *net = e->net;
    emit(e, "const @R lr = (@R)h->lr, wd = (@R)h->weight_decay;");
    if (!net->initial_accumulator)
        return;
    char init[40];
    lit(e, init, net->initial_accumulator);
    emit_open(e, "if (h->step == 1)");
    for (int i = 0; i < n; i++) {
        emit(e, "for (int i = 0; i < %s; i++)", t[i].size);
        emit(e, "    sum.%s[i] = %s;", t[i].name, init);
    }
    emit_close(e, NULL);
}

static void adagrad_step_call(Emitter *e, const TrainTensor *t)
{
    emit(e, "adagrad_step(param.%s, grad.%s, sum.%s, %s, lr, %s, h->step);", t->name, t->name,
         t->name, t->size, t->wd);
}

static void adagrad_detail(const Net *net, char *out, size_t size)
{
    int n = snprintf(out, size, "lr_decay %g  eps %g", net->lr_decay, net->eps);
    if (net->initial_accumulator && n > 0 && (size_t)n < size)
        snprintf(out + n, size - (size_t)n, "  initial_accumulator_value %g",
                 net->initial_accumulator);
}

static const OptimDesc adagrad = {
    .word = "adagrad",
    .torch = "Adagrad",
    .settings = adagrad_settings,
    .defaults = adagrad_defaults,
    .cycles = CYCLES_NOTHING,
    .state = adagrad_state,
    .step_function = adagrad_step_function,
    .setup = adagrad_setup,
    .step_call = adagrad_step_call,
    .detail = adagrad_detail,
};

/* ---- rmsprop ------------------------------------------------------------------------------------ */

static const SettingSpec rmsprop_settings[] = {
    LR_SETTING,
    {"alpha", SET_NUMBER, 0, 1, true, NET_FIELD(alpha), NULL},
    EPS_SETTING,
    {"momentum", SET_NUMBER, 0, 1, true, NET_FIELD(momentum), NULL},
    {"centered", SET_BOOL, 0, 0, false, NET_FIELD(centered), NULL},
    WD_SETTING,
    CLIP_SETTINGS,
    END_SPECS,
};

static void rmsprop_defaults(Net *net)
{
    net->lr = 0.01, net->alpha = 0.99, net->eps = 1e-8;
}

static int rmsprop_state(const Net *net, const char *names[3])
{
    names[0] = "square_avg", names[1] = "momentum_buffer", names[2] = "grad_avg";
    return net->centered ? 3 : 2;
}

static void rmsprop_step_function(Emitter *e)
{
    const Net *net = e->net;
    char eps[40], a[40];
    lit(e, eps, net->eps);
    lit(e, a, net->alpha);
    emit(e, "/* RMSprop, as torch.optim.RMSprop(lr, alpha=%g, eps=%g, weight_decay, momentum,",
         net->alpha, net->eps);
    emit(e, " * centered=%s):", net->centered ? "True" : "False");
    emit(e, " *   g = grad + λ·θ");
    emit(e, " *   s = α·s + (1 - α)·g²");
    if (net->centered) {
        emit(e, " *   ḡ = α·ḡ + (1 - α)·g                 (centered: the variance, not the raw second moment)");
        emit(e, " *   r = √(s - ḡ²) + ε");
    } else {
        emit(e, " *   r = √s + ε");
    }
    emit(e, " *   v = μ·v + g / r                     momentum μ (with μ = 0, v = g / r)");
    emit(e, " *   θ = θ - η·v */");
    emit_function(e, "static void rmsprop_step(@R *theta, const @R *grad, @R *s, @R *v, %sint n, @R lr, @R mu, @R wd)",
                  net->centered ? "@R *gavg, " : "");
    emit_open(e, "for (int i = 0; i < n; i++)");
    emit(e, "@R g = grad[i] + wd * theta[i];");
    char one_a[64];
    one_minus(one_a, net->alpha);
    emit(e, "s[i] = %s * s[i] + %s * g * g;", a, one_a);
    if (net->centered) {
        emit(e, "gavg[i] = %s * gavg[i] + %s * g;", a, one_a);
        emit(e, "@R r = sqrt@f(s[i] - gavg[i] * gavg[i]) + %s;", eps);
    } else {
        emit(e, "@R r = sqrt@f(s[i]) + %s;", eps);
    }
    emit(e, "v[i] = mu * v[i] + g / r;");
    emit(e, "theta[i] -= lr * v[i];");
    emit_close(e, NULL);
    emit_close(e, NULL);
}

static void rmsprop_step_call(Emitter *e, const TrainTensor *t)
{
    const char *x = t->name;
    if (e->net->centered)
        emit(e, "rmsprop_step(param.%s, grad.%s, square_avg.%s, momentum_buffer.%s, grad_avg.%s, %s, lr, mu, %s);",
             x, x, x, x, x, t->size, t->wd);
    else
        emit(e, "rmsprop_step(param.%s, grad.%s, square_avg.%s, momentum_buffer.%s, %s, lr, mu, %s);",
             x, x, x, x, t->size, t->wd);
}

static void rmsprop_detail(const Net *net, char *out, size_t size)
{
    snprintf(out, size, "alpha %g  eps %g%s", net->alpha, net->eps,
             net->centered ? "  centered" : "");
}

static const OptimDesc rmsprop = {
    .word = "rmsprop",
    .torch = "RMSprop",
    .settings = rmsprop_settings,
    .defaults = rmsprop_defaults,
    .cycles = CYCLES_MOMENTUM,
    .state = rmsprop_state,
    .step_function = rmsprop_step_function,
    .setup = momentum_setup,
    .step_call = rmsprop_step_call,
    .detail = rmsprop_detail,
};

/* ---- adam and adamw: one step function, the weight decay added to g or decoupled ----------- */

static const SettingSpec adam_settings[] = {
    LR_SETTING,
    {"beta1", SET_NUMBER, 0, 1, true, NET_FIELD(beta1), NULL},
    {"beta2", SET_NUMBER, 0, 1, true, NET_FIELD(beta2), NULL},
    EPS_SETTING,
    WD_SETTING,
    CLIP_SETTINGS,
    END_SPECS,
};

static void adam_defaults(Net *net)
{
    net->lr = 1e-3, net->beta1 = 0.9, net->beta2 = 0.999, net->eps = 1e-8;
}

static void adamw_defaults(Net *net)
{
    adam_defaults(net);
    net->weight_decay = 1e-2;
}

static int adam_state(const Net *net, const char *names[3])
{
    (void)net;
    names[0] = "exp_avg", names[1] = "exp_avg_sq";
    return 2;
}

/* decoupled: AdamW's weight decay shrinks θ, and is not added to g */
static void adam_step_function_of(Emitter *e, bool decoupled)
{
    const Net *net = e->net;
    char eps[40], b1[40], b2[40];
    lit(e, eps, net->eps);
    lit(e, b1, net->beta1);
    lit(e, b2, net->beta2);
    if (decoupled) {
        emit(e, "/* AdamW, as torch.optim.AdamW(lr, betas=(%g, %g), eps=%g, weight_decay):", net->beta1,
             net->beta2, net->eps);
        emit(e, " *   θ = θ·(1 - η·λ)                     decoupled weight decay λ, not added to g");
        emit(e, " *   g = grad");
    } else {
        emit(e, "/* Adam, as torch.optim.Adam(lr, betas=(%g, %g), eps=%g, weight_decay):", net->beta1,
             net->beta2, net->eps);
        emit(e, " *   g = grad + λ·θ                      weight decay λ (L2)");
    }
    emit(e, " *   m = β1·m + (1 - β1)·g               first moment");
    emit(e, " *   v = β2·v + (1 - β2)·g²              second moment");
    emit(e, " *   θ = θ - η/c1 · m / (√v/√c2 + ε)     bias corrections c1 = 1 - β1^t, c2 = 1 - β2^t */");
    emit_function(e, "static void adam_step(@R *theta, const @R *grad, @R *m, @R *v, int n, @R lr, @R wd, @R c1, @R c2)");
    emit(e, "const @R step_size = lr / c1, root_c2 = sqrt@f(c2);");
    emit_open(e, "for (int i = 0; i < n; i++)");
    if (decoupled) {
        emit(e, "theta[i] *= 1.0@f - lr * wd;");
        emit(e, "@R g = grad[i];");
    } else {
        emit(e, "@R g = grad[i] + wd * theta[i];");
    }
    char one_b1[64], one_b2[64];
    emit(e, "m[i] = %s * m[i] + %s * g;", b1, one_minus(one_b1, net->beta1));
    emit(e, "v[i] = %s * v[i] + %s * g * g;", b2, one_minus(one_b2, net->beta2));
    emit(e, "theta[i] -= step_size * m[i] / (sqrt@f(v[i]) / root_c2 + %s);", eps);
    emit_close(e, NULL);
    emit_close(e, NULL);
}

static void adam_step_function(Emitter *e)
{
    adam_step_function_of(e, false);
}

static void adamw_step_function(Emitter *e)
{
    adam_step_function_of(e, true);
}

/* the bias corrections of this step */
static void adam_setup(Emitter *e, const TrainTensor *t, int n)
{
    (void)t, (void)n;
    char b1[32], b2[32];
    emit(e, "const @R lr = (@R)h->lr, wd = (@R)h->weight_decay;");
    emit(e, "const @R c1 = (@R)(1.0 - pow(%s, (double)h->step));", fmt_double(b1, e->net->beta1));
    emit(e, "const @R c2 = (@R)(1.0 - pow(%s, (double)h->step));", fmt_double(b2, e->net->beta2));
}

static void adam_step_call(Emitter *e, const TrainTensor *t)
{
    emit(e, "adam_step(param.%s, grad.%s, exp_avg.%s, exp_avg_sq.%s, %s, lr, %s, c1, c2);", t->name,
         t->name, t->name, t->name, t->size, t->wd);
}

static void adam_detail(const Net *net, char *out, size_t size)
{
    snprintf(out, size, "betas (%g, %g)  eps %g", net->beta1, net->beta2, net->eps);
}

#define ADAM_FAMILY                                                                          \
    .settings = adam_settings, .cycles = CYCLES_BETA1, .state = adam_state,                  \
    .setup = adam_setup, .step_call = adam_step_call, .detail = adam_detail

static const OptimDesc adam = {.word = "adam", .torch = "Adam", .defaults = adam_defaults,
                               .step_function = adam_step_function, ADAM_FAMILY};
static const OptimDesc adamw = {.word = "adamw", .torch = "AdamW", .defaults = adamw_defaults,
                                .step_function = adamw_step_function, ADAM_FAMILY};

/* ---- the list ---------------------------------------------------------------------------------- */

const OptimDesc *const optim_list[] = {
    &sgd, &momentum, &nesterov, &adagrad, &rmsprop, &adam, &adamw, NULL,
};

const char *const *optim_words(void)
{
    static const char *words[sizeof optim_list / sizeof optim_list[0]];
    if (!words[0])
        for (int i = 0; optim_list[i]; i++)
            words[i] = optim_list[i]->word;
    return words;
}

const OptimDesc *optim_find(const char *word)
{
    int i = train_word_index(optim_words(), word);
    return i < 0 ? NULL : optim_list[i];
}
