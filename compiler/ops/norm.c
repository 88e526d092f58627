/* norm.c: batch normalization and layer normalization.
 *
 * Both make x̂ = (x - μ) / √(σ² + ε) and y = γ·x̂ + β; they differ in what μ and σ² are taken
 * over. batchnorm: per channel, over the batch (and the image's positions), as
 * torch.nn.BatchNorm1d after a dense layer and BatchNorm2d after a conv; while evaluating it uses
 * the running statistics it kept while training. layernorm: per sample, over its D values, as
 * torch.nn.LayerNorm(D). Sums are taken in double precision. */
#include "op.h"

#include <string.h>

extern const OpDesc op_batchnorm;

enum { NORM_MOMENTUM, NORM_EPS, NORM_AFFINE }; /* batchnorm's options; layernorm has the last two */
enum { LN_EPS, LN_AFFINE };
static const char *const booleans[] = {"false", "true", NULL};

static bool affine(const NetLayer *l)
{
    return l->opt[l->op == &op_batchnorm ? NORM_AFFINE : LN_AFFINE] == 1;
}

static double eps(const NetLayer *l)
{
    return l->opt[l->op == &op_batchnorm ? NORM_EPS : LN_EPS];
}

/* ---- check ------------------------------------------------------------------------------------ */

/* batchnorm: channels C of an image [C,H,W] (HxW: one channel), or the C values of a vector */
static bool batchnorm_shape(LayerCheck *lc)
{
    const NetLayer *prev = lc->prev;
    NetLayer *l = lc->l;
    l->in_c = prev->out_rank == 3 ? prev->out_shape[0]
              : prev->out_rank == 2 ? 1
                                    : prev->out_size;
    l->in_h = prev->out_rank == 1 ? 1 : prev->out_shape[prev->out_rank - 2];
    l->in_w = prev->out_rank == 1 ? 1 : prev->out_shape[prev->out_rank - 1];
    keep_shape(lc);
    return true;
}

static bool layernorm_shape(LayerCheck *lc)
{
    if (lc->prev->out_rank != 1) {
        diag(lc->src, lc->at->loc, DIAG_ERROR, "'layernorm' normalizes a vector, got %s from '%s' "
             "(line %d)", lc->prev_shape, lc->prev->name, lc->prev->src->loc.first_line);
        diag(lc->src, lc->at->loc, DIAG_NOTE, "insert 'flatten' before it, or use 'batchnorm' "
             "for images");
        return false;
    }
    lc->l->in_c = lc->prev->out_size;
    lc->l->in_h = lc->l->in_w = 1;
    keep_shape(lc);
    return true;
}

/* γ and β [C] (torch's weight and bias) when affine; batchnorm's running statistics */
static int norm_tensors(const NetLayer *l, OpTensor *t)
{
    char c[48];
    op_upper(c, sizeof c, l->name, "_C");
    const char *names[] = {c};
    int dims[] = {l->in_c}, n = 0;
    if (affine(l)) {
        op_tensor(&t[n], l, "gamma", "weight", 1, names, dims);
        t[n++].init = (Init){INIT_CONSTANT, 1, 0};
        op_tensor(&t[n], l, "beta", "bias", 1, names, dims);
        t[n++].init = (Init){INIT_ZEROS, 0, 0};
    }
    for (int i = 0; i < n; i++)
        t[i].fan_in = t[i].fan_out = l->in_c;
    if (l->op != &op_batchnorm)
        return n;
    op_tensor(&t[n], l, "running_mean", "running_mean", 1, names, dims);
    t[n].buffer = true;
    t[n++].buffer_init = 0;
    op_tensor(&t[n], l, "running_var", "running_var", 1, names, dims);
    t[n].buffer = true;
    t[n++].buffer_init = 1;
    op_tensor(&t[n], l, "num_batches_tracked", "num_batches_tracked", 0, NULL, NULL);
    t[n].buffer = t[n].count = true;
    t[n++].buffer_init = 0;
    return n;
}

/* ---- lower and emit ------------------------------------------------------------------------- */

static void norm_sizes(Emitter *e, const IrOp *op)
{
    const NetLayer *l = op->layer;
    char C[48], HW[48];
    op_upper(C, sizeof C, op->name, "_C");
    op_upper(HW, sizeof HW, op->name, "_HW");
    if (l->op == &op_batchnorm)
        emit(e, "%s = %d, %s = %d, %s = %s * %s, /* channels, values of a channel per sample */",
             C, l->in_c, HW, l->in_h * l->in_w, op->I_name, C, HW);
    else
        emit(e, "%s = %d, %s = %s, /* the values normalized together */", C, l->in_c, op->I_name, C);
}

/* What the backward pass keeps: x̂, and 1/√(σ² + ε) per channel (batchnorm) or sample
 * (layernorm); batchnorm's per-channel scratch too: its passes sweep the batch in memory order,
 * summing into one slot per channel. */
static int norm_arrays(const IrOp *op, int batch_max, OpArray *a)
{
    bool bn = op->op == &op_batchnorm;
    double rows = (double)batch_max * op->O, C_count = op->layer->in_c;
    char C[48];
    op_upper(C, sizeof C, op->name, "_C");
    a[0] = (OpArray){"kept normalized values", "", "x̂ = (x - μ)/√(σ² + ε), for the backward pass",
                     rows, rows};
    snprintf(a[0].decl, sizeof a[0].decl, "@R %s_xhat[BATCH_MAX * %s];", op->name, op->I_name);
    a[1] = (OpArray){"kept deviations", "", bn ? "1/√(σ² + ε) of each channel" : "1/√(σ² + ε) of each sample",
                     bn ? C_count : batch_max, bn ? C_count : batch_max};
    snprintf(a[1].decl, sizeof a[1].decl, "@R %s_invstd[%s];", op->name, bn ? C : "BATCH_MAX");
    if (!bn)
        return 2;
    a[2] = (OpArray){"channel means", "", "μ of each channel; in the backward pass, mean(dy)",
                     C_count, C_count};
    snprintf(a[2].decl, sizeof a[2].decl, "@R %s_mean[%s];", op->name, C);
    a[3] = (OpArray){"channel sums", "", "each channel's sums, in double precision", C_count,
                     C_count};
    snprintf(a[3].decl, sizeof a[3].decl, "double %s_sum[%s], %s_sum2[%s];", op->name, C,
             op->name, C);
    if (op->in_is_data && !affine(op->layer))
        return 4; /* a backward pass with nothing to do */
    a[4] = (OpArray){"channel means", "", "in the backward pass, mean(dy·x̂) of each channel",
                     C_count, C_count};
    snprintf(a[4].decl, sizeof a[4].decl, "@R %s_mean2[%s];", op->name, C);
    return 5;
}

/* The names a pass over one op uses. */
typedef struct {
    char C[48], HW[48];
    char x[48], y[48], dy[48], dx[48], xhat[64], invstd[64];
    char gamma[64], beta[64];   /* "param.bn1_gamma[c]", or "1" and "0" without affine */
    char mean[64], var[64];     /* batchnorm's running statistics */
} NormNames;

static NormNames norm_names(const Emitter *e, const IrOp *op, const char *ch)
{
    NormNames n;
    op_upper(n.C, sizeof n.C, op->name, "_C");
    op_upper(n.HW, sizeof n.HW, op->name, "_HW");
    snprintf(n.x, sizeof n.x, "%s", op->in);
    snprintf(n.y, sizeof n.y, "%s", op->out);
    snprintf(n.dy, sizeof n.dy, "d_%s", op->out);
    snprintf(n.dx, sizeof n.dx, "d_%s", op->in);
    snprintf(n.xhat, sizeof n.xhat, "%s_xhat", op->name);
    snprintf(n.invstd, sizeof n.invstd, "%s_invstd", op->name);
    if (affine(op->layer)) {
        snprintf(n.gamma, sizeof n.gamma, "param.%s_gamma[%s]", op->name, ch);
        snprintf(n.beta, sizeof n.beta, "param.%s_beta[%s]", op->name, ch);
    } else {
        snprintf(n.gamma, sizeof n.gamma, "1.0%s", e->f64 ? "" : "f");
        snprintf(n.beta, sizeof n.beta, "0.0%s", e->f64 ? "" : "f");
    }
    snprintf(n.mean, sizeof n.mean, "buffer.%s_running_mean[c]", op->name);
    snprintf(n.var, sizeof n.var, "buffer.%s_running_var[c]", op->name);
    return n;
}

/* batchnorm's sweep over every value of the batch in memory order: each sample b, each
 * channel c, and each position s of an image; `i` is the index of the value. Returns how many
 * loops to close. */
static int emit_sweep_open(Emitter *e, const IrOp *op, const NormNames *n)
{
    emit_open(e, "for (int b = 0; b < B; b++)");
    emit_open(e, "for (int c = 0; c < %s; c++)", n->C);
    if (op->layer->in_h * op->layer->in_w == 1) {
        emit(e, "const int i = b * %s + c;", n->C);
        return 2;
    }
    emit_open(e, "for (int s = 0; s < %s; s++)", n->HW);
    emit(e, "const int i = (b * %s + c) * %s + s;", n->C, n->HW);
    return 3;
}

static void emit_close_n(Emitter *e, int n)
{
    while (n--)
        emit_close(e, NULL);
}

/* sum[c] = sum2[c] = 0 for every channel */
static void emit_clear_sums(Emitter *e, const IrOp *op, const NormNames *n)
{
    emit(e, "for (int c = 0; c < %s; c++)", n->C);
    emit(e, "    %s_sum[c] = %s_sum2[c] = 0.0;", op->name, op->name);
}

static void batchnorm_forward(Emitter *e, const IrOp *op)
{
    const NetLayer *l = op->layer;
    const char *nm = op->name;
    NormNames n = norm_names(e, op, "c");
    char m[40], one_m[40], ep[40];
    bool image = l->in_h * l->in_w > 1;
    emit(e, "/* forward, while training: for each channel c, over its n = B%s values x in %s,", image ? "·HW" : "", n.x);
    emit(e, " *   μ = mean(x),  σ² = mean((x - μ)²),  x̂ = (x - μ)/√(σ² + ε),  %s = %sx̂%s", n.y,
         affine(l) ? "γ_c·" : "", affine(l) ? " + β_c" : "");
    emit(e, " *   running_mean_c ← (1 - m)·running_mean_c + m·μ");
    emit(e, " *   running_var_c  ← (1 - m)·running_var_c + m·σ²·n/(n - 1)   (the unbiased variance)");
    emit(e, " * When evaluating, μ and σ² are running_mean_c and running_var_c. m = %g, ε = %g, as",
         l->opt[NORM_MOMENTUM], eps(l));
    emit(e, " * torch.nn.BatchNorm%dd(%d%s). Each pass sweeps the batch in memory order. */",
         image ? 2 : 1, l->in_c, affine(l) ? "" : ", affine=False");
    emit_function(e, "static void %s_forward(int B, int training)", nm);
    emit(e, "const int n = B%s%s; /* the values of a channel in the batch */", image ? " * " : "",
         image ? n.HW : "");
    emit_open(e, "if (training)");
    emit(e, "buffer.%s_num_batches_tracked++;", nm);
    emit_clear_sums(e, op, &n);
    int depth = emit_sweep_open(e, op, &n);
    emit(e, "%s_sum[c] += %s[i];", nm, n.x);
    emit_close_n(e, depth);
    emit(e, "for (int c = 0; c < %s; c++)", n.C);
    emit(e, "    %s_mean[c] = (@R)(%s_sum[c] / n);", nm, nm);
    depth = emit_sweep_open(e, op, &n);
    emit(e, "const @R d = %s[i] - %s_mean[c];", n.x, nm);
    emit(e, "%s_sum2[c] += (double)d * d;", nm);
    emit_close_n(e, depth);
    lit(e, m, l->opt[NORM_MOMENTUM]);
    lit(e, one_m, 1 - l->opt[NORM_MOMENTUM]);
    emit_open(e, "for (int c = 0; c < %s; c++)", n.C);
    emit(e, "const @R mean = %s_mean[c], var = (@R)(%s_sum2[c] / n);", nm, nm);
    emit(e, "%s = %s * %s + %s * mean;", n.mean, one_m, n.mean, m);
    emit(e, "%s = %s * %s + %s * (n > 1 ? var * (@R)n / (@R)(n - 1) : var);", n.var, one_m, n.var, m);
    emit(e, "%s[c] = 1.0@f / sqrt@f(var + %s);", n.invstd, lit(e, ep, eps(l)));
    emit_close(e, NULL);
    emit_else(e);
    emit_open(e, "for (int c = 0; c < %s; c++)", n.C);
    emit(e, "%s_mean[c] = %s;", nm, n.mean);
    emit(e, "%s[c] = 1.0@f / sqrt@f(%s + %s);", n.invstd, n.var, ep);
    emit_close(e, NULL);
    emit_close(e, NULL);
    depth = emit_sweep_open(e, op, &n);
    emit(e, "const @R xhat = (%s[i] - %s_mean[c]) * %s[c];", n.x, nm, n.invstd);
    emit(e, "%s[i] = xhat;", n.xhat);
    emit(e, "%s[i] = %s * xhat + %s;", n.y, n.gamma, n.beta);
    emit_close_n(e, depth);
    emit_close(e, NULL);
}

static void batchnorm_backward(Emitter *e, const IrOp *op)
{
    const NetLayer *l = op->layer;
    const char *nm = op->name;
    NormNames n = norm_names(e, op, "c");
    bool image = l->in_h * l->in_w > 1;
    emit(e, "/* backward, given dy = %s, for each channel c over its n values (x̂ kept by forward):", n.dy);
    if (affine(l))
        emit(e, " *   grad.γ_c = Σ dy·x̂,   grad.β_c = Σ dy");
    if (op->in_is_data)
        emit(e, " *   (no %s: the input is data) */", n.dx);
    else
        emit(e, " *   %s = %s/√(σ² + ε) · (dy - Σ dy / n - x̂ · Σ dy·x̂ / n) */", n.dx,
             affine(l) ? "γ_c" : "1");
    emit_function(e, "static void %s_backward(int B)", nm);
    if (op->in_is_data && !affine(l)) {
        emit(e, "(void)B;");
        emit_close(e, NULL);
        return;
    }
    emit(e, "const int n = B%s%s;", image ? " * " : "", image ? n.HW : "");
    emit_clear_sums(e, op, &n);
    int depth = emit_sweep_open(e, op, &n);
    emit(e, "%s_sum[c] += %s[i];", nm, n.dy);
    emit(e, "%s_sum2[c] += (double)%s[i] * %s[i];", nm, n.dy, n.xhat);
    emit_close_n(e, depth);
    emit_open(e, "for (int c = 0; c < %s; c++)", n.C);
    if (affine(l)) {
        emit(e, "grad.%s_gamma[c] = (@R)%s_sum2[c];", nm, nm);
        emit(e, "grad.%s_beta[c] = (@R)%s_sum[c];", nm, nm);
    }
    emit(e, "%s_mean[c] = (@R)(%s_sum[c] / n);", nm, nm);
    emit(e, "%s_mean2[c] = (@R)(%s_sum2[c] / n);", nm, nm);
    emit_close(e, NULL);
    if (!op->in_is_data) {
        depth = emit_sweep_open(e, op, &n);
        emit(e, "%s[i] = %s * %s[c] * (%s[i] - %s_mean[c] - %s[i] * %s_mean2[c]);", n.dx, n.gamma,
             n.invstd, n.dy, nm, n.xhat, nm);
        emit_close_n(e, depth);
    }
    emit_close(e, NULL);
}

static void layernorm_forward(Emitter *e, const IrOp *op)
{
    const NetLayer *l = op->layer;
    NormNames n = norm_names(e, op, "d");
    char ep[40];
    emit(e, "/* forward: for each sample b, over its D = %d values x in %s:", l->in_c, n.x);
    emit(e, " *   μ = mean(x),  σ² = mean((x - μ)²),  x̂ = (x - μ)/√(σ² + ε),  %s = %sx̂%s", n.y,
         affine(l) ? "γ⊙" : "", affine(l) ? " + β" : "");
    emit(e, " * ε = %g, as torch.nn.LayerNorm(%d%s); the same while training and evaluating. */",
         eps(l), l->in_c, affine(l) ? "" : ", elementwise_affine=False");
    emit_function(e, "static void %s_forward(int B)", op->name);
    emit_open(e, "for (int b = 0; b < B; b++)");
    emit(e, "const @R *x = &%s[b * %s];", n.x, n.C);
    emit(e, "@R *y = &%s[b * %s], *xhat = &%s[b * %s];", n.y, n.C, n.xhat, n.C);
    emit(e, "double sum = 0.0, squares = 0.0;");
    emit(e, "for (int d = 0; d < %s; d++)", n.C);
    emit(e, "    sum += x[d];");
    emit(e, "const @R mean = (@R)(sum / %s);", n.C);
    emit(e, "for (int d = 0; d < %s; d++)", n.C);
    emit(e, "    squares += (double)(x[d] - mean) * (x[d] - mean);");
    emit(e, "const @R invstd = 1.0@f / sqrt@f((@R)(squares / %s) + %s);", n.C, lit(e, ep, eps(l)));
    emit(e, "%s[b] = invstd;", n.invstd);
    emit_open(e, "for (int d = 0; d < %s; d++)", n.C);
    emit(e, "xhat[d] = (x[d] - mean) * invstd;");
    emit(e, "y[d] = %s * xhat[d] + %s;", n.gamma, n.beta);
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit_close(e, NULL);
}

static void layernorm_backward(Emitter *e, const IrOp *op)
{
    const NetLayer *l = op->layer;
    NormNames n = norm_names(e, op, "d");
    emit(e, "/* backward, given dy = %s, x̂ kept by forward, for each sample b:", n.dy);
    if (affine(l))
        emit(e, " *   grad.γ = Σ_b dy⊙x̂,   grad.β = Σ_b dy");
    if (op->in_is_data)
        emit(e, " *   (no %s: the input is data) */", n.dx);
    else
        emit(e, " *   %s = 1/√(σ² + ε) · (g - mean(g) - x̂·mean(g⊙x̂)),  g = %s */", n.dx,
             affine(l) ? "γ⊙dy" : "dy");
    emit_function(e, "static void %s_backward(int B)", op->name);
    if (op->in_is_data && !affine(l)) {
        emit(e, "(void)B;");
        emit_close(e, NULL);
        return;
    }
    if (affine(l)) {
        emit(e, "for (int d = 0; d < %s; d++)", n.C);
        emit(e, "    grad.%s_gamma[d] = grad.%s_beta[d] = 0.0@f;", op->name, op->name);
    }
    emit_open(e, "for (int b = 0; b < B; b++)");
    emit(e, "const @R *dy = &%s[b * %s], *xhat = &%s[b * %s];", n.dy, n.C, n.xhat, n.C);
    if (affine(l)) {
        emit_open(e, "for (int d = 0; d < %s; d++)", n.C);
        emit(e, "grad.%s_gamma[d] += dy[d] * xhat[d];", op->name);
        emit(e, "grad.%s_beta[d] += dy[d];", op->name);
        emit_close(e, NULL);
    }
    if (!op->in_is_data) {
        emit(e, "@R *dx = &%s[b * %s];", n.dx, n.C);
        emit(e, "double sum_g = 0.0, sum_g_xhat = 0.0;");
        emit_open(e, "for (int d = 0; d < %s; d++)", n.C);
        emit(e, "const @R g = %s * dy[d];", n.gamma);
        emit(e, "sum_g += g;");
        emit(e, "sum_g_xhat += (double)g * xhat[d];");
        emit_close(e, NULL);
        emit(e, "const @R mean_g = (@R)(sum_g / %s), mean_g_xhat = (@R)(sum_g_xhat / %s);", n.C, n.C);
        emit(e, "for (int d = 0; d < %s; d++)", n.C);
        emit(e, "    dx[d] = %s[b] * (%s * dy[d] - mean_g - xhat[d] * mean_g_xhat);", n.invstd, n.gamma);
    }
    emit_close(e, NULL);
    emit_close(e, NULL);
}

/* ---- export: one sample ----------------------------------------------------------------------- */

/* Evaluation applies the running statistics as the trainer's evaluation pass does, the same float
 * operations in the same order (not folded into the layer before, which would round otherwise). */
static void batchnorm_infer(Emitter *e, const IrOp *op)
{
    const NetLayer *l = op->layer;
    const char *nm = op->name;
    char C[48], HW[48], ep[40];
    op_upper(C, sizeof C, nm, "_C");
    op_upper(HW, sizeof HW, nm, "_HW");
    bool image = l->in_h * l->in_w > 1;
    emit(e, "/* for each channel c%s: y = %s(x - running_mean_c) / √(running_var_c + ε)%s,",
         image ? " and each of its positions s" : "", affine(l) ? "γ_c·" : "", affine(l) ? " + β_c" : "");
    emit(e, " *   the statistics batchnorm kept while training; ε = %g, as torch.nn.BatchNorm%dd(%d%s)",
         eps(l), image ? 2 : 1, l->in_c, affine(l) ? "" : ", affine=False");
    emit(e, " *   in eval() mode. x, y [%d%s] */", l->in_c,
         image ? emit_text(e, ",%d", l->in_h * l->in_w) : "");
    emit_function(e, "static void %s_forward(const float *x, float *y)", nm);
    emit_open(e, "for (int c = 0; c < %s; c++)", C);
    emit(e, "const float invstd = 1.0f / sqrtf(%s_running_var[c] + %s);", nm, lit(e, ep, eps(l)));
    const char *gamma = affine(l) ? emit_text(e, "%s_gamma[c]", nm) : "1.0f";
    const char *beta = affine(l) ? emit_text(e, "%s_beta[c]", nm) : "0.0f";
    if (image) {
        emit_open(e, "for (int s = 0; s < %s; s++)", HW);
        emit(e, "const int i = c * %s + s;", HW);
    } else {
        emit(e, "const int i = c;");
    }
    emit(e, "const float xhat = (x[i] - %s_running_mean[c]) * invstd;", nm);
    emit(e, "y[i] = %s * xhat + %s;", gamma, beta);
    if (image)
        emit_close(e, NULL);
    emit_close(e, NULL);
    emit_close(e, NULL);
}

static void layernorm_infer(Emitter *e, const IrOp *op)
{
    const NetLayer *l = op->layer;
    char C[48], ep[40];
    op_upper(C, sizeof C, op->name, "_C");
    emit(e, "/* over the D = %d values x of the sample: μ = mean(x), σ² = mean((x - μ)²),", l->in_c);
    emit(e, " *   y = %s(x - μ)/√(σ² + ε)%s; ε = %g, as torch.nn.LayerNorm(%d%s) */",
         affine(l) ? "γ⊙" : "", affine(l) ? " + β" : "", eps(l), l->in_c,
         affine(l) ? "" : ", elementwise_affine=False");
    emit_function(e, "static void %s_forward(const float *x, float *y)", op->name);
    emit(e, "double sum = 0.0, squares = 0.0;");
    emit(e, "for (int d = 0; d < %s; d++)", C);
    emit(e, "    sum += x[d];");
    emit(e, "const float mean = (float)(sum / %s);", C);
    emit(e, "for (int d = 0; d < %s; d++)", C);
    emit(e, "    squares += (double)(x[d] - mean) * (x[d] - mean);");
    emit(e, "const float invstd = 1.0f / sqrtf((float)(squares / %s) + %s);", C, lit(e, ep, eps(l)));
    emit(e, "for (int d = 0; d < %s; d++)", C);
    if (affine(l))
        emit(e, "    y[d] = %s_gamma[d] * ((x[d] - mean) * invstd) + %s_beta[d];", op->name, op->name);
    else
        emit(e, "    y[d] = (x[d] - mean) * invstd;");
    emit_close(e, NULL);
}

/* ---- the descriptors ------------------------------------------------------------------------- */

const OpDesc op_batchnorm = {
    "batchnorm", NULL, "BatchNorm1d or BatchNorm2d",
    .options = {[NORM_MOMENTUM] = {"momentum", OPT_NUMBER, .min = 0, .max = 1, .def = 0.1},
                [NORM_EPS] = {"eps", OPT_NUMBER, .min = 1e-12, .max = 1, .def = 1e-5},
                [NORM_AFFINE] = {"affine", OPT_CHOICE, .def = 1, .choices = booleans}},
    .layout = "a batchnorm's γ and β are [channels], torch's weight and bias",
    .uses_training = true,
    .eval_note = "makes batchnorm use its running statistics",
    .shape = batchnorm_shape,
    .tensors = norm_tensors,
    .sizes = norm_sizes,
    .arrays = norm_arrays,
    .forward = batchnorm_forward,
    .backward = batchnorm_backward,
    .infer = batchnorm_infer,
};

const OpDesc op_layernorm = {
    "layernorm", NULL, "LayerNorm",
    .options = {[LN_EPS] = {"eps", OPT_NUMBER, .min = 1e-12, .max = 1, .def = 1e-5},
                [LN_AFFINE] = {"affine", OPT_CHOICE, .def = 1, .choices = booleans}},
    .layout = "a layernorm's γ and β are [values], torch's weight and bias",
    .shape = layernorm_shape,
    .tensors = norm_tensors,
    .sizes = norm_sizes,
    .arrays = norm_arrays,
    .forward = layernorm_forward,
    .backward = layernorm_backward,
    .infer = layernorm_infer,
};
