/* activation.c: the elementwise activations, y = f(z).
 *
 * Forward, y = f(z); backward turns dy into dz = dy ⊙ f'(z). Where f' is a function of y alone
 * (relu, leaky_relu, elu, sigmoid, tanh) the backward pass reads y, and z need not be kept; gelu,
 * silu, softplus and mish need z (their `keeps`), which the forward pass keeps. After a dense or
 * conv layer an activation is fused into that layer's op (dense.c, image.c), which calls
 * activation() for the formulas; on its own it is an op of its own, written here. */
#include "op.h"

#include <string.h>

static Activation relu(const Emitter *e, const NetLayer *l)
{
    (void)e, (void)l;
    Activation a = {0};
    snprintf(a.forward, sizeof a.forward, "z > 0.0@f ? z : 0.0@f");
    snprintf(a.backward, sizeof a.backward, "y[o] > 0.0@f ? dy[o] : 0.0@f");
    snprintf(a.math_fwd, sizeof a.math_fwd, "max(0, z)");
    snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy ⊙ [y > 0]");
    return a;
}

enum { LEAKY_SLOPE };
static Activation leaky_relu(const Emitter *e, const NetLayer *l)
{
    Activation a = {0};
    char p[40];
    double slope = l->opt[LEAKY_SLOPE];
    lit(e, p, slope);
    snprintf(a.forward, sizeof a.forward, "z > 0.0@f ? z : %s * z", p);
    snprintf(a.backward, sizeof a.backward, "y[o] > 0.0@f ? dy[o] : %s * dy[o]", p);
    snprintf(a.math_fwd, sizeof a.math_fwd, "z if z > 0 else %g·z", slope);
    snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy if y > 0 else %g·dy", slope);
    return a;
}

enum { ELU_ALPHA };
static Activation elu(const Emitter *e, const NetLayer *l)
{
    Activation a = {0};
    char p[40];
    double alpha = l->opt[ELU_ALPHA];
    lit(e, p, alpha);
    snprintf(a.forward, sizeof a.forward, "z > 0.0@f ? z : %s * (@X(z) - 1.0@f)", p);
    snprintf(a.backward, sizeof a.backward, "y[o] > 0.0@f ? dy[o] : dy[o] * (y[o] + %s)", p);
    snprintf(a.math_fwd, sizeof a.math_fwd, "z if z > 0 else α(e^z - 1), α = %g", alpha);
    snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy if y > 0 else dy·(y + α)   (α·e^z = y + α)");
    return a;
}

static Activation sigmoid(const Emitter *e, const NetLayer *l)
{
    (void)e, (void)l;
    Activation a = {0};
    snprintf(a.forward, sizeof a.forward, "1.0@f / (1.0@f + @X(-z))");
    snprintf(a.backward, sizeof a.backward, "dy[o] * y[o] * (1.0@f - y[o])");
    snprintf(a.math_fwd, sizeof a.math_fwd, "σ(z) = 1 / (1 + e^-z)");
    snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy ⊙ y ⊙ (1 - y)");
    return a;
}

static Activation tanh_(const Emitter *e, const NetLayer *l)
{
    (void)e, (void)l;
    Activation a = {0};
    snprintf(a.forward, sizeof a.forward, "tanh@f(z)");
    snprintf(a.backward, sizeof a.backward, "dy[o] * (1.0@f - y[o] * y[o])");
    snprintf(a.math_fwd, sizeof a.math_fwd, "tanh(z)");
    snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy ⊙ (1 - y²)");
    return a;
}

/* An activation whose derivative is a function of z, kept as z itself when fused: the fused
 * forward is the plain one, and the fused backward reads k = z. */
static void keep_z(Activation *a, const char *backward_of_k)
{
    snprintf(a->keep, sizeof a->keep, "z");
    snprintf(a->keep_math, sizeof a->keep_math, "z");
    snprintf(a->fwd_kept, sizeof a->fwd_kept, "%s", a->forward);
    snprintf(a->bwd_kept, sizeof a->bwd_kept, "%s", backward_of_k);
    snprintf(a->math_bwd_kept, sizeof a->math_bwd_kept, "%s", a->math_bwd);
}

enum { GELU_APPROXIMATE };
static Activation gelu(const Emitter *e, const NetLayer *l)
{
    (void)e;
    Activation a = {0};
    bool tanh_approx = l->opt[GELU_APPROXIMATE] == 1;
    const char *f = tanh_approx ? "gelu_tanh" : "gelu";
    snprintf(a.forward, sizeof a.forward, "%s(z)", f);
    snprintf(a.backward, sizeof a.backward, "dy[o] * %s_grad(z[o])", f);
    snprintf(a.math_fwd, sizeof a.math_fwd, "%s", tanh_approx
             ? "gelu(z) ≈ z/2 · (1 + tanh(√(2/π)(z + 0.044715 z³)))"
             : "gelu(z) = z·Φ(z) = z/2 · (1 + erf(z/√2))");
    snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy ⊙ gelu'(z)");
    char kept[320];
    snprintf(kept, sizeof kept, "dy[o] * %s_grad(k[o])", f);
    keep_z(&a, kept);
    return a;
}

static Activation silu(const Emitter *e, const NetLayer *l)
{
    (void)e, (void)l;
    Activation a = {0};
    snprintf(a.forward, sizeof a.forward, "silu(z)");
    snprintf(a.backward, sizeof a.backward, "dy[o] * silu_grad(z[o])");
    snprintf(a.math_fwd, sizeof a.math_fwd, "silu(z) = z·σ(z)");
    snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy ⊙ σ(z)(1 + z(1 - σ(z)))");
    snprintf(a.keep, sizeof a.keep, "1.0@f / (1.0@f + @X(-z))");
    snprintf(a.keep_math, sizeof a.keep_math, "σ(z)");
    snprintf(a.fwd_kept, sizeof a.fwd_kept, "z * k");
    snprintf(a.bwd_kept, sizeof a.bwd_kept, "dy[o] * (k[o] + y[o] * (1.0@f - k[o]))");
    a.bwd_kept_reads_y = true;
    snprintf(a.math_bwd_kept, sizeof a.math_bwd_kept, "dz = dy ⊙ (σ + y(1 - σ)), σ = σ(z) kept");
    return a;
}

/* softplus(z) = log(1 + e^(βz)) / β, and z itself where βz > threshold (there the two differ by
 * less than e^-threshold), as torch.nn.Softplus(beta, threshold); its derivative is σ(βz). */
enum { SOFTPLUS_BETA, SOFTPLUS_THRESHOLD };

/* βx as C: "x" when β is 1, else "β * x" */
static const char *beta_times(char buf[80], double beta, const char *b, const char *x)
{
    snprintf(buf, 80, beta == 1 ? "%.0s%s" : "%s * %s", b, x);
    return buf;
}

static Activation softplus(const Emitter *e, const NetLayer *l)
{
    Activation a = {0};
    double beta = l->opt[SOFTPLUS_BETA], threshold = l->opt[SOFTPLUS_THRESHOLD];
    char b[40], t[40], bz[80], bzo[80], bk[80];
    lit(e, b, beta);
    lit(e, t, threshold);
    beta_times(bz, beta, b, "z");
    beta_times(bzo, beta, b, "z[o]");
    beta_times(bk, beta, b, "k[o]");
    if (beta == 1)
        snprintf(a.forward, sizeof a.forward, "z > %s ? z : log1p@f(@X(z))", t);
    else
        snprintf(a.forward, sizeof a.forward, "%s > %s ? z : log1p@f(@X(%s)) / %s", bz, t, bz, b);
    snprintf(a.backward, sizeof a.backward, "%s > %s ? dy[o] : dy[o] / (1.0@f + @X(-%s))", bzo, t,
             bzo);
    snprintf(a.math_fwd, sizeof a.math_fwd, "log(1 + e^(βz))/β, z where βz > %g; β = %g",
             threshold, beta);
    snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy ⊙ σ(βz), dy where βz > %g", threshold);
    char kept[320];
    snprintf(kept, sizeof kept, "%s > %s ? dy[o] : dy[o] / (1.0@f + @X(-%s))", bk, t, bk);
    keep_z(&a, kept);
    return a;
}

/* mish(z) = z·tanh(softplus(z)), as torch.nn.Mish(); mish'(z) = t + z·σ(z)(1 - t²), t that tanh. */
static Activation mish(const Emitter *e, const NetLayer *l)
{
    (void)e, (void)l;
    Activation a = {0};
    snprintf(a.forward, sizeof a.forward, "mish(z)");
    snprintf(a.backward, sizeof a.backward, "dy[o] * mish_grad(z[o])");
    snprintf(a.math_fwd, sizeof a.math_fwd, "mish(z) = z·tanh(log(1 + e^z))");
    snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy ⊙ mish'(z)");
    keep_z(&a, "dy[o] * mish_grad(k[o])");
    return a;
}

Activation activation(const Emitter *e, const NetLayer *l)
{
    return l->op->activation(e, l);
}

/* ---- helper functions, each written once, before the layers ------------------------------- */

/* Does an op of the file apply `d` (fused, or on its own unless fused_too is false), with
 * option 0 equal to `opt0` (a negative opt0: any)? */
static bool uses(const Ir *ir, const OpDesc *d, bool fused_too, double opt0)
{
    for (int i = 0; i < ir->nops; i++) {
        const IrOp *op = &ir->ops[i];
        const NetLayer *l = op->op == d ? op->layer : fused_too && op->act && op->act->op == d
                                                          ? op->act : NULL;
        if (l && (opt0 < 0 || l->opt[0] == opt0))
            return true;
    }
    return false;
}

extern const OpDesc op_gelu, op_silu, op_mish;

static void gelu_helpers(Emitter *e, const Ir *ir)
{
    if (uses(ir, &op_gelu, true, 0)) {
        emit(e, "/* gelu(z) = z·Φ(z), Φ the standard normal CDF: z/2 · (1 + erf(z/√2)), as torch.nn.GELU().");
        emit(e, " * gelu'(z) = Φ(z) + z·φ(z), φ(z) = e^(-z²/2) / √(2π) */");
        emit_function(e, "static inline @R gelu(@R z)");
        emit(e, "return 0.5@f * z * (1.0@f + erf@f(z * 0.70710678118654752@f));");
        emit_close(e, NULL);
        if (!e->inference) { /* an export has no backward pass */
            emit_function(e, "static inline @R gelu_grad(@R z)");
            emit(e, "return 0.5@f * (1.0@f + erf@f(z * 0.70710678118654752@f)) +");
            emit(e, "       z * 0.39894228040143268@f * @X(-0.5@f * z * z);");
            emit_close(e, NULL);
        }
        emit_blank(e);
    }
    if (uses(ir, &op_gelu, true, 1)) {
        emit(e, "/* gelu, tanh approximation, as torch.nn.GELU(approximate='tanh'):");
        emit(e, " *   gelu(z) ≈ z/2 · (1 + t),  t = tanh(u),  u = √(2/π) (z + 0.044715 z³)");
        emit(e, " *   gelu'(z) = (1 + t)/2 + z/2 · (1 - t²) · √(2/π) (1 + 3·0.044715 z²) */");
        emit_function(e, "static inline @R gelu_tanh(@R z)");
        emit(e, "return 0.5@f * z * (1.0@f + tanh@f(0.79788456080286536@f * (z + 0.044715@f * z * z * z)));");
        emit_close(e, NULL);
        if (!e->inference) {
            emit_function(e, "static inline @R gelu_tanh_grad(@R z)");
            emit(e, "@R t = tanh@f(0.79788456080286536@f * (z + 0.044715@f * z * z * z));");
            emit(e, "return 0.5@f * (1.0@f + t) +");
            emit(e, "       0.5@f * z * (1.0@f - t * t) * 0.79788456080286536@f * (1.0@f + 0.134145@f * z * z);");
            emit_close(e, NULL);
        }
        emit_blank(e);
    }
}

/* silu's helpers serve a silu of its own only: a fused one keeps σ(z) and writes its formulas
 * out (emit_activation_kept). */
static void silu_helpers(Emitter *e, const Ir *ir)
{
    if (!uses(ir, &op_silu, false, -1))
        return;
    emit(e, "/* silu(z) = z·σ(z), σ(z) = 1/(1 + e^-z), as torch.nn.SiLU();");
    emit(e, " * silu'(z) = σ(z) + z·σ(z)(1 - σ(z)) = σ(z)(1 + z(1 - σ(z))) */");
    emit_function(e, "static inline @R silu(@R z)");
    emit(e, "return z / (1.0@f + @X(-z));");
    emit_close(e, NULL);
    if (!e->inference) {
        emit_function(e, "static inline @R silu_grad(@R z)");
        emit(e, "@R s = 1.0@f / (1.0@f + @X(-z));");
        emit(e, "return s * (1.0@f + z * (1.0@f - s));");
        emit_close(e, NULL);
    }
    emit_blank(e);
}

static void mish_helpers(Emitter *e, const Ir *ir)
{
    if (!uses(ir, &op_mish, true, -1))
        return;
    emit(e, "/* mish(z) = z·t, t = tanh(softplus(z)), softplus(z) = log(1 + e^z), as torch.nn.Mish();");
    emit(e, " * mish'(z) = t + z·σ(z)·(1 - t²), since softplus'(z) = σ(z) */");
    emit_function(e, "static inline @R mish(@R z)");
    emit(e, "return z * tanh@f(log1p@f(@X(z)));");
    emit_close(e, NULL);
    if (!e->inference) {
        emit_function(e, "static inline @R mish_grad(@R z)");
        emit(e, "@R t = tanh@f(log1p@f(@X(z)));");
        emit(e, "return t + z * (1.0@f - t * t) / (1.0@f + @X(-z));");
        emit_close(e, NULL);
    }
    emit_blank(e);
}

/* ---- an activation on its own: y = f(z) elementwise ------------------------------------------ */

static void act_forward(Emitter *e, const IrOp *op)
{
    Activation a = activation(e, op->layer);
    emit(e, "/* forward:  %s = %s, z = %s, elementwise over [B,%d] */", op->out, a.math_fwd, op->in,
         op->O);
    emit_function(e, "static void %s_forward(int B)", op->name);
    emit_open(e, "for (int i = 0; i < B * %s; i++)", op->O_name);
    emit(e, "@R z = %s[i];", op->in);
    emit(e, "%s[i] = %s;", op->out, a.forward);
    emit_close(e, NULL);
    emit_close(e, NULL);
}

static void act_backward(Emitter *e, const IrOp *op)
{
    if (emit_no_input_gradient(e, op))
        return;
    Activation a = activation(e, op->layer);
    bool needs_z = op->op->keeps != NULL;
    emit(e, "/* backward:  d_%s = %s, with %s = %s and dy = d_%s */", op->in, a.math_bwd,
         needs_z ? "z" : "y", needs_z ? op->in : op->out, op->out);
    emit_function(e, "static void %s_backward(int B)", op->name);
    if (needs_z)
        emit(e, "const @R *z = %s, *dy = d_%s;", op->in, op->out);
    else
        emit(e, "const @R *y = %s, *dy = d_%s;", op->out, op->out);
    emit(e, "for (int o = 0; o < B * %s; o++)", op->O_name);
    emit(e, "    d_%s[o] = %s;", op->in, a.backward);
    emit_close(e, NULL);
}

static void act_infer(Emitter *e, const IrOp *op)
{
    Activation a = activation(e, op->layer);
    emit(e, "/* y[i] = %s, z = x[i], elementwise over [%d] */", a.math_fwd, op->O);
    emit_function(e, "static void %s_forward(const float *x, float *y)", op->name);
    emit_open(e, "for (int i = 0; i < %s; i++)", op->O_name);
    emit(e, "float z = x[i];");
    emit(e, "y[i] = %s;", a.forward);
    emit_close(e, NULL);
    emit_close(e, NULL);
}

/* ---- fused into a dense or conv layer ---------------------------------------------------------- */

void emit_activation_kept(Emitter *e, const IrOp *op, const char *i)
{
    Activation a = activation(e, op->act);
    if (!op->z[0]) {
        emit(e, "out[%s] = %s;", i, a.forward);
    } else if (!strcmp(a.keep, "z")) {
        emit(e, "ks[%s] = z;", i);
        emit(e, "out[%s] = %s;", i, a.fwd_kept);
    } else {
        emit(e, "@R k = %s;", a.keep);
        emit(e, "ks[%s] = k;", i);
        emit(e, "out[%s] = %s;", i, a.fwd_kept);
    }
}

/* As the trainer's fused pass computes it (emit_activation_kept), so that both round alike:
 * silu through the σ(z) it keeps. */
void emit_infer_activation(Emitter *e, const IrOp *op, const char *i)
{
    Activation a = activation(e, op->act);
    if (op->z[0] && strcmp(a.keep, "z")) {
        emit(e, "float k = %s; /* %s */", a.keep, a.keep_math);
        emit(e, "y[%s] = %s;", i, a.fwd_kept);
    } else {
        emit(e, "y[%s] = %s;", i, a.forward);
    }
}

void emit_activation_inputs(Emitter *e, const IrOp *op, const char *b)
{
    const char *O = op->O_name;
    if (op->z[0] && activation(e, op->act).bwd_kept_reads_y)
        emit(e, "const @R *k = &%s[%s * %s], *y = &%s[%s * %s], *dy = &d_%s[%s * %s];", op->z, b, O,
             op->out, b, O, op->out, b, O);
    else if (op->z[0])
        emit(e, "const @R *k = &%s[%s * %s], *dy = &d_%s[%s * %s];", op->z, b, O, op->out, b, O);
    else
        emit(e, "const @R *y = &%s[%s * %s], *dy = &d_%s[%s * %s];", op->out, b, O, op->out, b, O);
}

/* ---- the descriptors ------------------------------------------------------------------------- */

#define ACTIVATION .forward = act_forward, .backward = act_backward, .infer = act_infer

const OpDesc op_relu = {"relu", NULL, "ReLU", .activation = relu, ACTIVATION};
const OpDesc op_leaky_relu = {
    "leaky_relu", NULL, "LeakyReLU", .activation = leaky_relu, ACTIVATION,
    .options = {[LEAKY_SLOPE] = {"slope", OPT_NUMBER, .min = 0, .max = 1e6, .def = 0.01}},
};
const OpDesc op_elu = {
    "elu", NULL, "ELU", .activation = elu, ACTIVATION,
    .options = {[ELU_ALPHA] = {"alpha", OPT_NUMBER, .min = 1e-12, .max = 1e6, .def = 1.0}},
};
const OpDesc op_sigmoid = {"sigmoid", NULL, "Sigmoid", .activation = sigmoid, ACTIVATION};
const OpDesc op_tanh = {"tanh", NULL, "Tanh", .activation = tanh_, ACTIVATION};
static const char *const gelu_approximations[] = {"none", "tanh", NULL};
const OpDesc op_gelu = {
    "gelu", NULL, "GELU", .activation = gelu, ACTIVATION, .keeps = "z", .helpers = gelu_helpers,
    .options = {[GELU_APPROXIMATE] = {"approximate", OPT_CHOICE, .choices = gelu_approximations}},
};
const OpDesc op_silu = {
    "silu", "swish", "SiLU", .activation = silu, ACTIVATION, .keeps = "sigma",
    .helpers = silu_helpers,
};
const OpDesc op_softplus = {
    "softplus", NULL, "Softplus", .activation = softplus, ACTIVATION, .keeps = "z",
    .options = {[SOFTPLUS_BETA] = {"beta", OPT_NUMBER, .min = 1e-3, .max = 1e3, .def = 1},
                [SOFTPLUS_THRESHOLD] = {"threshold", OPT_NUMBER, .min = 1, .max = 80, .def = 20}},
};
const OpDesc op_mish = {
    "mish", NULL, "Mish", .activation = mish, ACTIVATION, .keeps = "z", .helpers = mish_helpers,
};
