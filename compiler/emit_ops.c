/* emit_ops.c: one writer per IR op kind, per loss and per optimizer. Each takes a resolved op,
 * checks nothing, and writes a function that opens with the math it computes. Forward and
 * backward writers sit together. */
#include "emit.h"

#include <string.h>

/* A floating literal in the generated code's precision: 0.01f, 1.0f, 1e-05f (or without f). */
static const char *lit(const Emitter *e, char buf[40], double x)
{
    char num[32];
    fmt_double(num, x);
    bool has_point = strpbrk(num, ".en") != NULL; /* "1e-05", "nan" need no ".0" */
    snprintf(buf, 40, "%s%s%s", num, has_point ? "" : ".0", e->f64 ? "" : "f");
    return buf;
}

/* ---- elementwise activations ------------------------------------------------------------------
 * y = f(z) in the forward pass; backward turns dy into dz = dy ⊙ f'(z). Where f' is a function
 * of y alone (relu, leaky_relu, elu, sigmoid, tanh) the backward pass reads y and z need not be
 * kept; gelu and silu need z, which the forward pass keeps. Those two get helper functions, so
 * that their formulas are written once. */
Activation activation(const Emitter *e, const NetLayer *l)
{
    Activation a = {0};
    char p[40];
    switch (l->kind) {
    case LAYER_LEAKY_RELU:
        lit(e, p, l->param);
        snprintf(a.forward, sizeof a.forward, "z > 0.0@f ? z : %s * z", p);
        snprintf(a.backward, sizeof a.backward, "y[o] > 0.0@f ? dy[o] : %s * dy[o]", p);
        snprintf(a.math_fwd, sizeof a.math_fwd, "z if z > 0 else %g·z", l->param);
        snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy if y > 0 else %g·dy", l->param);
        break;
    case LAYER_ELU:
        lit(e, p, l->param);
        snprintf(a.forward, sizeof a.forward, "z > 0.0@f ? z : %s * (@X(z) - 1.0@f)", p);
        snprintf(a.backward, sizeof a.backward, "y[o] > 0.0@f ? dy[o] : dy[o] * (y[o] + %s)", p);
        snprintf(a.math_fwd, sizeof a.math_fwd, "z if z > 0 else α(e^z - 1), α = %g", l->param);
        snprintf(a.math_bwd, sizeof a.math_bwd,
                 "dz = dy if y > 0 else dy·(y + α)   (α·e^z = y + α)");
        break;
    case LAYER_SIGMOID:
        snprintf(a.forward, sizeof a.forward, "1.0@f / (1.0@f + @X(-z))");
        snprintf(a.backward, sizeof a.backward, "dy[o] * y[o] * (1.0@f - y[o])");
        snprintf(a.math_fwd, sizeof a.math_fwd, "σ(z) = 1 / (1 + e^-z)");
        snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy ⊙ y ⊙ (1 - y)");
        break;
    case LAYER_TANH:
        snprintf(a.forward, sizeof a.forward, "tanh@f(z)");
        snprintf(a.backward, sizeof a.backward, "dy[o] * (1.0@f - y[o] * y[o])");
        snprintf(a.math_fwd, sizeof a.math_fwd, "tanh(z)");
        snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy ⊙ (1 - y²)");
        break;
    case LAYER_GELU:
        snprintf(a.forward, sizeof a.forward, "%s(z)", l->tanh_approx ? "gelu_tanh" : "gelu");
        snprintf(a.backward, sizeof a.backward, "dy[o] * %s_grad(z[o])",
                 l->tanh_approx ? "gelu_tanh" : "gelu");
        snprintf(a.math_fwd, sizeof a.math_fwd, "%s", l->tanh_approx
                 ? "gelu(z) ≈ z/2 · (1 + tanh(√(2/π)(z + 0.044715 z³)))"
                 : "gelu(z) = z·Φ(z) = z/2 · (1 + erf(z/√2))");
        snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy ⊙ gelu'(z)");
        snprintf(a.keep, sizeof a.keep, "z");
        snprintf(a.keep_math, sizeof a.keep_math, "z");
        snprintf(a.fwd_kept, sizeof a.fwd_kept, "%s", a.forward);
        snprintf(a.bwd_kept, sizeof a.bwd_kept, "dy[o] * %s_grad(k[o])",
                 l->tanh_approx ? "gelu_tanh" : "gelu");
        snprintf(a.math_bwd_kept, sizeof a.math_bwd_kept, "%s", a.math_bwd);
        break;
    case LAYER_SILU:
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
        break;
    case LAYER_RELU:
    default:
        snprintf(a.forward, sizeof a.forward, "z > 0.0@f ? z : 0.0@f");
        snprintf(a.backward, sizeof a.backward, "y[o] > 0.0@f ? dy[o] : 0.0@f");
        snprintf(a.math_fwd, sizeof a.math_fwd, "max(0, z)");
        snprintf(a.math_bwd, sizeof a.math_bwd, "dz = dy ⊙ [y > 0]");
        break;
    }
    return a;
}

/* The helper functions of the activations that call them, each written once, before the
 * layers: gelu's wherever it is; silu's only for a silu of its own, since a fused one keeps σ(z)
 * and writes its formulas out (emit_activation_kept). */
void emit_activation_helpers(Emitter *e)
{
    bool gelu = false, gelu_tanh = false, silu = false;
    for (int i = 0; i < e->ir->nops; i++) {
        const IrOp *op = &e->ir->ops[i];
        const NetLayer *l = op->kind == IR_ACT ? op->layer : op->act;
        if (!l)
            continue;
        gelu |= l->kind == LAYER_GELU && !l->tanh_approx;
        gelu_tanh |= l->kind == LAYER_GELU && l->tanh_approx;
        silu |= l->kind == LAYER_SILU && op->kind == IR_ACT;
    }
    if (gelu) {
        emit(e, "/* gelu(z) = z·Φ(z), Φ the standard normal CDF: z/2 · (1 + erf(z/√2)), as torch.nn.GELU().");
        emit(e, " * gelu'(z) = Φ(z) + z·φ(z), φ(z) = e^(-z²/2) / √(2π) */");
        emit_function(e, "static inline @R gelu(@R z)");
        emit(e, "return 0.5@f * z * (1.0@f + erf@f(z * 0.70710678118654752@f));");
        emit_close(e, NULL);
        emit_function(e, "static inline @R gelu_grad(@R z)");
        emit(e, "return 0.5@f * (1.0@f + erf@f(z * 0.70710678118654752@f)) +");
        emit(e, "       z * 0.39894228040143268@f * @X(-0.5@f * z * z);");
        emit_close(e, NULL);
        emit_blank(e);
    }
    if (gelu_tanh) {
        emit(e, "/* gelu, tanh approximation, as torch.nn.GELU(approximate='tanh'):");
        emit(e, " *   gelu(z) ≈ z/2 · (1 + t),  t = tanh(u),  u = √(2/π) (z + 0.044715 z³)");
        emit(e, " *   gelu'(z) = (1 + t)/2 + z/2 · (1 - t²) · √(2/π) (1 + 3·0.044715 z²) */");
        emit_function(e, "static inline @R gelu_tanh(@R z)");
        emit(e, "return 0.5@f * z * (1.0@f + tanh@f(0.79788456080286536@f * (z + 0.044715@f * z * z * z)));");
        emit_close(e, NULL);
        emit_function(e, "static inline @R gelu_tanh_grad(@R z)");
        emit(e, "@R t = tanh@f(0.79788456080286536@f * (z + 0.044715@f * z * z * z));");
        emit(e, "return 0.5@f * (1.0@f + t) +");
        emit(e, "       0.5@f * z * (1.0@f - t * t) * 0.79788456080286536@f * (1.0@f + 0.134145@f * z * z);");
        emit_close(e, NULL);
        emit_blank(e);
    }
    if (silu) {
        emit(e, "/* silu(z) = z·σ(z), σ(z) = 1/(1 + e^-z), as torch.nn.SiLU();");
        emit(e, " * silu'(z) = σ(z) + z·σ(z)(1 - σ(z)) = σ(z)(1 + z(1 - σ(z))) */");
        emit_function(e, "static inline @R silu(@R z)");
        emit(e, "return z / (1.0@f + @X(-z));");
        emit_close(e, NULL);
        emit_function(e, "static inline @R silu_grad(@R z)");
        emit(e, "@R s = 1.0@f / (1.0@f + @X(-z));");
        emit(e, "return s * (1.0@f + z * (1.0@f - s));");
        emit_close(e, NULL);
        emit_blank(e);
    }
}

/* Fused, in the pass over z (the bias added): y = f(z) into out[i], keeping k in ks[i] if the
 * activation needs it. */
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

/* The backward pass's pointers into sample `b`'s rows: the kept k (and y if read), or y; dy. */
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

/* ---- dense, with its activation fused --------------------------------------------------------
 * forward:  out[B,O] = in[B,I] · Wᵀ[I,O] + b[O], then y = f(out) in the same pass as the bias.
 * backward: dz = dy ⊙ f'(…) and the bias gradient in one pass, then two GEMMs:
 *           grad W[O,I] = dzᵀ[O,B] · in[B,I],   d_in[B,I] = dz[B,O] · W[O,I].
 * Where O is wider than 16, the passes go over ranges of the O columns, for every row, shared
 * among the threads (netrt_parallel): a column's bias sum then adds its rows in order whatever
 * the threads. */

/* Columns per range of a pass over O columns: 16 or more (a cache line of floats per row),
 * about 8 ranges. A pass of one range (O ≤ 16) stays inline. */
static int column_chunk(int O)
{
    int chunk = (O / 8 + 15) / 16 * 16;
    return chunk < 16 ? 16 : chunk;
}

/* Open the function that holds a pass over the columns: `NAME_PASS_columns(lo, hi, B)` when
 * the pass is shared among the threads (returns true), else `NAME_PASS(B)` itself, the pass
 * written inline over every column. Sets the bounds of the pass's column loop. */
static bool emit_columns_open(Emitter *e, const IrOp *op, const char *pass, const char **lo,
                              const char **hi)
{
    if (column_chunk(op->O) < op->O) {
        emit_function(e, "static void %s_%s_columns(int lo, int hi, int B)", op->name, pass);
        *lo = "lo";
        *hi = "hi";
        return true;
    }
    emit_function(e, "static void %s_%s(int B)", op->name, pass);
    *lo = "0";
    *hi = op->O_name;
    return false;
}

/* Close the pass's own function and open NAME_PASS(B), which runs it. */
static void emit_columns_caller(Emitter *e, const IrOp *op, const char *pass)
{
    emit_close(e, NULL);
    emit_blank(e);
    emit_function(e, "static void %s_%s(int B)", op->name, pass);
}

static void emit_columns_run(Emitter *e, const IrOp *op, const char *pass)
{
    emit(e, "netrt_parallel(%s, %d, %s_%s_columns, B); /* %d columns at a time, on the threads */",
         op->O_name, column_chunk(op->O), op->name, pass, column_chunk(op->O));
}

/* The loop a GEMM call stands for, on the line above it (the header says how to read a call). */
void emit_gemm_loop(Emitter *e, const char *loop)
{
    emit(e, "/* GEMM: %s */", loop);
}

static void emit_dense_gemm_forward(Emitter *e, const IrOp *op)
{
    const char *n = op->name, *I = op->I_name, *O = op->O_name;
    emit_gemm_loop(e, emit_text(e, "for b, o: %s[b,o] = Σ_i %s[b,i] · %s_W[o,i]", op->out, op->in,
                                n));
    emit(e, "@G(CblasRowMajor, CblasNoTrans, CblasTrans, B, %s, %s,", O, I);
    emit(e, "            1.0@f, %s, %s, param.%s_W, %s, 0.0@f, %s, %s);", op->in, I, n, I, op->out, O);
}

static void emit_dense_forward(Emitter *e, const IrOp *op)
{
    const char *n = op->name, *O = op->O_name, *lo, *hi;
    bool outer = op->I == 1; /* the product is an outer product: written into the pass */
    /* with an activation, the product + bias is z, which has no buffer of its own */
    emit(e, "/* forward:  %s[B,%d] = %s[B,%d] · %s_Wᵀ[%d,%d] + %s_b[%d]", op->act ? "z" : op->out,
         op->O, op->in, op->I, n, op->I, op->O, n, op->O);
    const char *keep = op->act && op->z[0] ? activation(e, op->act).keep_math : NULL;
    if (op->act)
        emit(e, " *           %s[B,%d] = %s", op->out, op->O, activation(e, op->act).math_fwd);
    if (outer && op->act)
        emit(e, " * One input: z[b,o] = %s[b]·%s_W[o] + %s_b[o], an outer product, computed in the\n"
             " * pass that applies %s%s%s%s. */", op->in, n, n, op->act->name,
             keep ? ", keeping " : "", keep ? keep : "", keep ? " for the backward pass" : "");
    else if (outer)
        emit(e, " * One input: %s[b,o] = %s[b]·%s_W[o] + %s_b[o], an outer product, in one pass. */",
             op->out, op->in, n, n);
    else if (op->act)
        emit(e, " * The GEMM writes z into %s; one pass then adds the bias and applies %s in\n"
             " * place%s%s%s. */", op->out, op->act->name, keep ? ", keeping " : "", keep ? keep : "",
             keep ? " for the backward pass" : "");
    else
        emit(e, " * The GEMM writes into %s; one pass adds the bias. */", op->out);
    bool shared = emit_columns_open(e, op, "forward", &lo, &hi);
    if (!shared && !outer)
        emit_dense_gemm_forward(e, op);
    emit_open(e, "for (int b = 0; b < B; b++)");
    emit(e, "@R *out = &%s[b * %s];", op->out, O);
    char z[200];
    if (outer)
        snprintf(z, sizeof z, "%s[b] * param.%s_W[o] + param.%s_b[o]", op->in, n, n);
    else
        snprintf(z, sizeof z, "out[o] + param.%s_b[o]", n);
    if (op->act) {
        if (op->z[0])
            emit(e, "@R *ks = &%s[b * %s];", op->z, O);
        emit_open(e, "for (int o = %s; o < %s; o++)", lo, hi);
        emit(e, "@R z = %s;", z);
        emit_activation_kept(e, op, "o");
        emit_close(e, NULL);
    } else {
        emit(e, "for (int o = %s; o < %s; o++)", lo, hi);
        if (outer)
            emit(e, "    out[o] = %s;", z);
        else
            emit(e, "    out[o] += param.%s_b[o];", n);
    }
    emit_close(e, NULL);
    if (shared) {
        emit_columns_caller(e, op, "forward");
        if (!outer)
            emit_dense_gemm_forward(e, op);
        emit_columns_run(e, op, "forward");
    }
    emit_close(e, NULL);
}

static void emit_dense_backward(Emitter *e, const IrOp *op)
{
    const char *n = op->name, *I = op->I_name, *O = op->O_name, *lo, *hi;
    const char *dz = op->pre; /* the gradient at the GEMM's output, the bias included */
    bool outer = op->I == 1;  /* the weight gradient is summed in the pass */

    emit(e, "/* backward, given d_%s[B,%d] = ∂L/∂%s:", op->out, op->O, op->out);
    if (op->act && op->z[0])
        emit(e, " *   %s[B,%d] = %s", dz, op->O, activation(e, op->act).math_bwd_kept);
    else if (op->act)
        emit(e, " *   %s[B,%d] = %s   (%s' written from its output y)", dz, op->O,
             activation(e, op->act).math_bwd, op->act->name);
    emit(e, " *   grad.%s_b[%d] = Σ_b %s[b,:]", n, op->O, dz);
    if (outer)
        emit(e, " *   grad.%s_W[%d,1] = Σ_b %s[b,:]·%s[b]     (one input: in the same pass)", n, op->O, dz,
             op->in);
    else
        emit(e, " *   grad.%s_W[%d,%d] = %sᵀ[%d,B] · %s[B,%d]", n, op->O, op->I, dz, op->O, op->in,
             op->I);
    if (op->in_is_data)
        emit(e, " *   (no d_%s: the input is data, so the %sGEMM is skipped) */", op->in,
             outer ? "" : "third ");
    else
        emit(e, " *   d_%s[B,%d] = %s[B,%d] · %s_W[%d,%d] */", op->in, op->I, dz, op->O, n, op->O,
             op->I);
    bool shared = emit_columns_open(e, op, "backward", &lo, &hi);
    emit(e, "for (int o = %s; o < %s; o++)", lo, hi);
    if (outer)
        emit(e, "    grad.%s_b[o] = grad.%s_W[o] = 0.0@f;", n, n);
    else
        emit(e, "    grad.%s_b[o] = 0.0@f;", n);
    emit_open(e, "for (int b = 0; b < B; b++)");
    if (op->act) {
        emit_activation_inputs(e, op, "b");
        emit(e, "@R *dz = &%s[b * %s];", dz, O);
    } else {
        emit(e, "const @R *dz = &%s[b * %s];", dz, O);
    }
    if (op->act || outer) {
        emit_open(e, "for (int o = %s; o < %s; o++)", lo, hi);
        if (op->act)
            emit(e, "dz[o] = %s;", op->z[0] ? activation(e, op->act).bwd_kept
                                             : activation(e, op->act).backward);
        emit(e, "grad.%s_b[o] += dz[o];", n);
        if (outer)
            emit(e, "grad.%s_W[o] += dz[o] * %s[b];", n, op->in);
        emit_close(e, NULL);
    } else {
        emit(e, "for (int o = %s; o < %s; o++)", lo, hi);
        emit(e, "    grad.%s_b[o] += dz[o];", n);
    }
    emit_close(e, NULL);
    if (shared) {
        emit_columns_caller(e, op, "backward");
        emit_columns_run(e, op, "backward");
    }
    if (!outer) {
        emit_gemm_loop(e, emit_text(e, "for o, i: grad.%s_W[o,i] = Σ_b %s[b,o] · %s[b,i]", n, dz,
                                    op->in));
        emit(e, "@G(CblasRowMajor, CblasTrans, CblasNoTrans, %s, %s, B,", O, I);
        emit(e, "            1.0@f, %s, %s, %s, %s, 0.0@f, grad.%s_W, %s);", dz, O, op->in, I, n, I);
    }
    if (!op->in_is_data) {
        emit_gemm_loop(e, emit_text(e, "for b, i: d_%s[b,i] = Σ_o %s[b,o] · %s_W[o,i]", op->in,
                                    dz, n));
        emit(e, "@G(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, %s, %s,", I, O);
        emit(e, "            1.0@f, %s, %s, param.%s_W, %s, 0.0@f, d_%s, %s);", dz, O, n, I, op->in, I);
    }
    emit_close(e, NULL);
}

/* A backward pass with nothing to do: the op's input is the data. */
bool emit_no_input_gradient(Emitter *e, const IrOp *op)
{
    if (!op->in_is_data)
        return false;
    emit(e, "/* backward: nothing to do, the input is data and has no gradient */");
    emit_function(e, "static void %s_backward(int B)", op->name);
    emit(e, "(void)B;");
    emit_close(e, NULL);
    return true;
}

/* ---- an activation on its own: y = f(z) elementwise ------------------------------------------ */

static void emit_act_forward(Emitter *e, const IrOp *op)
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

static void emit_act_backward(Emitter *e, const IrOp *op)
{
    if (emit_no_input_gradient(e, op))
        return;
    Activation a = activation(e, op->layer);
    bool needs_z = activation_needs_z(op->layer->kind);
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

/* ---- dropout --------------------------------------------------------------------------------- */

static void emit_dropout_forward(Emitter *e, const IrOp *op)
{
    const NetLayer *l = op->layer;
    char p[40], keep[40];
    emit(e, "/* forward, while training: each value is kept with probability 1 - p = %g and scaled",
         1 - l->param);
    emit(e, " *   by 1/(1 - p) (inverted dropout, as torch.nn.Dropout(%g)), else set to 0:", l->param);
    emit(e, " *   %s = %s ⊙ mask, mask[i] = [u_i ≥ p] / (1 - p), u_i ~ U(0, 1)", op->out, op->in);
    emit(e, " * When evaluating, %s = %s: the scaling already kept the expected value. */", op->out,
         op->in);
    emit_function(e, "static void %s_forward(int B, int training)", op->name);
    emit_open(e, "for (int i = 0; i < B * %s; i++)", op->O_name);
    emit(e, "%s_mask[i] = !training ? 1.0@f : uniform01() >= %s ? %s : 0.0@f;", op->name,
         lit(e, p, l->param), lit(e, keep, 1 / (1 - l->param)));
    emit(e, "%s[i] = %s[i] * %s_mask[i];", op->out, op->in, op->name);
    emit_close(e, NULL);
    emit_close(e, NULL);
}

static void emit_dropout_backward(Emitter *e, const IrOp *op)
{
    if (emit_no_input_gradient(e, op))
        return;
    emit(e, "/* backward:  d_%s = d_%s ⊙ mask */", op->in, op->out);
    emit_function(e, "static void %s_backward(int B)", op->name);
    emit(e, "for (int i = 0; i < B * %s; i++)", op->O_name);
    emit(e, "    d_%s[i] = d_%s[i] * %s_mask[i];", op->in, op->out, op->name);
    emit_close(e, NULL);
}

/* ---- softmax and log_softmax as layers -------------------------------------------------------- */

static void emit_softmax_forward(Emitter *e, const IrOp *op)
{
    const char *S = op->O_name;
    bool log = op->layer->kind == LAYER_LOG_SOFTMAX;
    if (log)
        emit(e, "/* forward:  %s[b,k] = x[b,k] - m - log Σ_j e^(x[b,j] - m), x = %s, m = max_j x[b,j]",
             op->out, op->in);
    else
        emit(e, "/* forward:  %s[b,k] = e^(x[b,k] - m) / Σ_j e^(x[b,j] - m), x = %s, m = max_j x[b,j]",
             op->out, op->in);
    emit(e, " *           (subtracting the row's max changes nothing but keeps e^x finite) */");
    emit_function(e, "static void %s_forward(int B)", op->name);
    emit_open(e, "for (int b = 0; b < B; b++)");
    emit(e, "const @R *x = &%s[b * %s];", op->in, S);
    emit(e, "@R *y = &%s[b * %s];", op->out, S);
    emit(e, "@R m = x[0], sum = 0.0@f;");
    emit(e, "for (int k = 1; k < %s; k++)", S);
    emit(e, "    m = x[k] > m ? x[k] : m;");
    if (log) {
        emit(e, "for (int k = 0; k < %s; k++)", S);
        emit(e, "    sum += @X(x[k] - m);");
        emit(e, "@R log_sum = m + log@f(sum);");
        emit(e, "for (int k = 0; k < %s; k++)", S);
        emit(e, "    y[k] = x[k] - log_sum;");
    } else {
        emit_open(e, "for (int k = 0; k < %s; k++)", S);
        emit(e, "y[k] = @X(x[k] - m);");
        emit(e, "sum += y[k];");
        emit_close(e, NULL);
        emit(e, "for (int k = 0; k < %s; k++)", S);
        emit(e, "    y[k] /= sum;");
    }
    emit_close(e, NULL);
    emit_close(e, NULL);
}

static void emit_softmax_backward(Emitter *e, const IrOp *op)
{
    const char *S = op->O_name;
    if (emit_no_input_gradient(e, op))
        return;
    bool log = op->layer->kind == LAYER_LOG_SOFTMAX;
    emit(e, "/* backward, the Jacobian of %s times dy, row by row (y = %s, dy = d_%s):",
         log ? "log_softmax" : "softmax", op->out, op->out);
    if (log)
        emit(e, " *   d_%s[b,k] = dy[b,k] - e^y[b,k] · Σ_j dy[b,j]      (e^y is the softmax) */",
             op->in);
    else
        emit(e, " *   d_%s[b,k] = y[b,k] · (dy[b,k] - Σ_j dy[b,j] · y[b,j]) */", op->in);
    emit_function(e, "static void %s_backward(int B)", op->name);
    emit_open(e, "for (int b = 0; b < B; b++)");
    emit(e, "const @R *y = &%s[b * %s], *dy = &d_%s[b * %s];", op->out, S, op->out, S);
    emit(e, "@R *dx = &d_%s[b * %s];", op->in, S);
    if (log) {
        emit(e, "@R sum = 0.0@f;");
        emit(e, "for (int k = 0; k < %s; k++)", S);
        emit(e, "    sum += dy[k];");
        emit(e, "for (int k = 0; k < %s; k++)", S);
        emit(e, "    dx[k] = dy[k] - @X(y[k]) * sum;");
    } else {
        emit(e, "@R dot = 0.0@f;");
        emit(e, "for (int k = 0; k < %s; k++)", S);
        emit(e, "    dot += dy[k] * y[k];");
        emit(e, "for (int k = 0; k < %s; k++)", S);
        emit(e, "    dx[k] = y[k] * (dy[k] - dot);");
    }
    emit_close(e, NULL);
    emit_close(e, NULL);
}

void emit_op_forward(Emitter *e, const IrOp *op)
{
    switch (op->kind) {
    case IR_DENSE: emit_dense_forward(e, op); break;
    case IR_CONV:
    case IR_POOL: emit_image_forward(e, op); break;
    case IR_ACT: emit_act_forward(e, op); break;
    case IR_DROPOUT: emit_dropout_forward(e, op); break;
    case IR_SOFTMAX: emit_softmax_forward(e, op); break;
    case IR_LOSS: break;
    }
}

void emit_op_backward(Emitter *e, const IrOp *op)
{
    switch (op->kind) {
    case IR_DENSE: emit_dense_backward(e, op); break;
    case IR_CONV:
    case IR_POOL: emit_image_backward(e, op); break;
    case IR_ACT: emit_act_backward(e, op); break;
    case IR_DROPOUT: emit_dropout_backward(e, op); break;
    case IR_SOFTMAX: emit_softmax_backward(e, op); break;
    case IR_LOSS: break;
    }
}

/* ---- the loss ---------------------------------------------------------------------------------
 * Each returns the mean loss over the batch and writes its gradient; the 1/B (or 1/(B·K)) of the
 * mean enters there, once: it starts the chain rule for every gradient. */

/* The target of output k of sample b, as C: one-hot for classes, the value for regression. */
static const char *target(const Emitter *e)
{
    return e->net->regression ? "targets[b * OUTPUTS + k]" : "(@R)(k == labels[b])";
}

static const char *target_math(const Emitter *e)
{
    return e->net->regression ? "t[b,k] = targets[b,k]" : "t[b,k] = [k = y_b], one-hot";
}

/* The frame every loss shares: loss(B) summing into total over the samples b, with zb the
 * outputs of sample b and dz their gradient; emit_loss_close() returns total's mean. */
static void emit_loss_open(Emitter *e, const char *z, const char *K, const char *setup)
{
    emit_function(e, "static double loss(int B)");
    emit(e, "double total = 0.0;");
    if (setup)
        emit(e, "%s", setup);
    emit_open(e, "for (int b = 0; b < B; b++)");
    emit(e, "const @R *zb = &%s[b * %s];", z, K);
    emit(e, "@R *dz = &d_%s[b * %s];", z, K);
}

static void emit_loss_close(Emitter *e, const char *mean_over)
{
    emit_close(e, NULL);
    emit(e, "return total / %s;", mean_over);
    emit_close(e, NULL);
}

static void emit_cross_entropy(Emitter *e, const IrOp *op)
{
    const char *z = op->in;
    emit(e, "/* softmax cross-entropy, fused, as torch.nn.CrossEntropyLoss (mean over the batch):");
    emit(e, " *   p[b,k] = e^(z[b,k] - m_b) / Σ_j e^(z[b,j] - m_b)      z = %s, m_b = max_j z[b,j]", z);
    emit(e, " *   L = (1/B) Σ_b -log p[b, y_b] = (1/B) Σ_b (log Σ_j e^(z[b,j] - m_b) - (z[b,y_b] - m_b))");
    emit(e, " *   d_%s[b,k] = (p[b,k] - [k = y_b]) / B */", z);
    emit_loss_open(e, z, "CLASSES", NULL);
    emit(e, "@R m = zb[0], sum = 0.0@f;");
    emit(e, "for (int k = 1; k < CLASSES; k++)");
    emit(e, "    m = zb[k] > m ? zb[k] : m;");
    emit_open(e, "for (int k = 0; k < CLASSES; k++)");
    emit(e, "dz[k] = @X(zb[k] - m);");
    emit(e, "sum += dz[k];");
    emit_close(e, NULL);
    emit(e, "total += log@f(sum) - (zb[labels[b]] - m);");
    emit(e, "for (int k = 0; k < CLASSES; k++)");
    emit(e, "    dz[k] = (dz[k] / sum - (k == labels[b])) / B;");
    emit_loss_close(e, "B");
}

/* nll on log-probabilities (after log_softmax), or on probabilities (after softmax, logged
 * here); kl_div with one-hot targets is the same loss: Σ_k t (log t - z) = -z[y] (0·log 0 = 0). */
static void emit_nll(Emitter *e, const IrOp *op)
{
    const char *z = op->in;
    bool of_probabilities = e->net->layers[e->net->nlayers - 1].kind == LAYER_SOFTMAX;
    if (e->net->loss == LOSS_KL_DIV) {
        emit(e, "/* KL divergence, as torch.nn.KLDivLoss(reduction='batchmean'), z = %s the", z);
        emit(e, " * log-probabilities and t the one-hot target:");
        emit(e, " *   L = (1/B) Σ_b Σ_k t[b,k] (log t[b,k] - z[b,k]) = (1/B) Σ_b -z[b, y_b]   (0·log 0 = 0)");
        emit(e, " *   d_%s[b,k] = -[k = y_b] / B */", z);
    } else if (of_probabilities) {
        emit(e, "/* negative log-likelihood of the probabilities p = %s (from softmax):", z);
        emit(e, " *   L = (1/B) Σ_b -log p[b, y_b]");
        emit(e, " *   d_%s[b,k] = -[k = y_b] / (B · p[b, y_b]) */", z);
    } else {
        emit(e, "/* negative log-likelihood, as torch.nn.NLLLoss, of the log-probabilities z = %s:", z);
        emit(e, " *   L = (1/B) Σ_b -z[b, y_b]");
        emit(e, " *   d_%s[b,k] = -[k = y_b] / B */", z);
    }
    emit_loss_open(e, z, "CLASSES", NULL);
    emit(e, "for (int k = 0; k < CLASSES; k++)");
    emit(e, "    dz[k] = 0.0@f;");
    if (of_probabilities && e->net->loss == LOSS_NLL) {
        emit(e, "total -= log@f(zb[labels[b]]);");
        emit(e, "dz[labels[b]] = -1.0@f / (B * zb[labels[b]]);");
    } else {
        emit(e, "total -= zb[labels[b]];");
        emit(e, "dz[labels[b]] = -1.0@f / B;");
    }
    emit_loss_close(e, "B");
}

/* The losses that compare every output with its target, elementwise, mean over all B·K values:
 * mse, huber, binary cross-entropy with logits. */
static void emit_elementwise_loss(Emitter *e, const IrOp *op)
{
    const char *y = op->in, *K = e->net->regression ? "OUTPUTS" : "CLASSES";
    const Net *net = e->net;
    char delta[40];
    switch (net->loss) {
    case LOSS_HUBER:
        emit(e, "/* Huber loss, as torch.nn.HuberLoss(delta=%g) (mean over all B·K values, K = %s),", net->delta, K);
        emit(e, " *   d = %s[b,k] - t[b,k],  %s", y, target_math(e));
        emit(e, " *   ℓ(d) = d²/2 if |d| ≤ δ, else δ(|d| - δ/2)");
        emit(e, " *   d_%s[b,k] = ℓ'(d) / (B·K) = (d if |d| ≤ δ, else δ·sign(d)) / (B·K) */", y);
        break;
    case LOSS_BCE:
        emit(e, "/* binary cross-entropy on logits, as torch.nn.BCEWithLogitsLoss (mean over all B·K");
        emit(e, " * values, K = %s); z = %s, %s, σ(z) = 1/(1 + e^-z):", K, y, target_math(e));
        emit(e, " *   ℓ = -(t log σ(z) + (1 - t) log(1 - σ(z))) = max(z, 0) - z·t + log(1 + e^-|z|)");
        emit(e, " *   d_%s[b,k] = (σ(z) - t) / (B·K) */", y);
        break;
    default:
        emit(e, "/* mean squared error, as torch.nn.MSELoss (mean over all B·K values, K = %s):", K);
        emit(e, " *   %s", target_math(e));
        emit(e, " *   L = 1/(B·K) Σ_b Σ_k (%s[b,k] - t[b,k])²", y);
        emit(e, " *   d_%s[b,k] = 2 (%s[b,k] - t[b,k]) / (B·K) */", y, y);
        break;
    }
    char setup[96], mean[64];
    snprintf(setup, sizeof setup, "const @R scale = 1.0@f / (@R)(B * %s);", K);
    snprintf(mean, sizeof mean, "((double)B * %s)", K);
    emit_loss_open(e, y, K, setup);
    emit_open(e, "for (int k = 0; k < %s; k++)", K);
    emit(e, "@R t = %s;", target(e));
    switch (net->loss) {
    case LOSS_HUBER:
        lit(e, delta, net->delta);
        emit(e, "@R d = zb[k] - t, a = fabs@f(d);");
        emit_open(e, "if (a <= %s)", delta);
        emit(e, "total += 0.5 * (double)d * d;");
        emit(e, "dz[k] = scale * d;");
        emit_close(e, NULL);
        emit_open(e, "else");
        emit(e, "total += %s * (a - 0.5@f * %s);", delta, delta);
        emit(e, "dz[k] = scale * (d > 0.0@f ? %s : -%s);", delta, delta);
        emit_close(e, NULL);
        break;
    case LOSS_BCE:
        emit(e, "@R z = zb[k];");
        emit(e, "total += (z > 0.0@f ? z : 0.0@f) - z * t + log1p@f(@X(-fabs@f(z)));");
        emit(e, "dz[k] = scale * (1.0@f / (1.0@f + @X(-z)) - t);");
        break;
    default:
        emit(e, "@R d = zb[k] - t;");
        emit(e, "total += (double)d * d;");
        emit(e, "dz[k] = 2.0@f * scale * d;");
        break;
    }
    emit_close(e, NULL);
    emit_loss_close(e, mean);
}

static void emit_multi_margin(Emitter *e, const IrOp *op)
{
    const Net *net = e->net;
    const char *z = op->in;
    char margin[40];
    lit(e, margin, net->margin);
    bool squared = net->margin_p == 2;
    emit(e, "/* multi-class margin (hinge) loss, as torch.nn.MultiMarginLoss(p=%d, margin=%g), z = %s:",
         net->margin_p, net->margin, z);
    emit(e, " *   s[b,k] = margin - z[b, y_b] + z[b,k]");
    emit(e, " *   L = (1/B) Σ_b (1/K) Σ_{k ≠ y_b} max(0, s[b,k])%s", squared ? "²" : "");
    emit(e, " *   for each k ≠ y_b with s > 0:  d_%s[b,k] += g,  d_%s[b,y_b] -= g,  g = %s / (B·K) */",
         z, z, squared ? "2s" : "1");
    emit_loss_open(e, z, "CLASSES", "const @R scale = 1.0@f / (@R)(B * CLASSES);");
    emit(e, "int y = labels[b];");
    emit(e, "for (int k = 0; k < CLASSES; k++)");
    emit(e, "    dz[k] = 0.0@f;");
    emit_open(e, "for (int k = 0; k < CLASSES; k++)");
    emit(e, "@R s = %s - zb[y] + zb[k];", margin);
    emit(e, "if (k == y || s <= 0.0@f)");
    emit(e, "    continue;");
    if (squared) {
        emit(e, "total += (double)s * s;");
        emit(e, "dz[k] += 2.0@f * s * scale;");
        emit(e, "dz[y] -= 2.0@f * s * scale;");
    } else {
        emit(e, "total += s;");
        emit(e, "dz[k] += scale;");
        emit(e, "dz[y] -= scale;");
    }
    emit_close(e, NULL);
    emit_loss_close(e, "((double)B * CLASSES)");
}

void emit_loss(Emitter *e, const IrOp *op)
{
    emit_banner(e, op);
    emit(e, "/* L is the mean over the batch, so its gradient below is divided by B (by B·K where the");
    emit(e, " * mean is over every output too): that 1/B starts the chain rule, once, and each layer's");
    emit(e, " * backward pass carries it along without dividing again. */");
    switch (e->net->loss) {
    case LOSS_CROSS_ENTROPY: emit_cross_entropy(e, op); break;
    case LOSS_NLL:
    case LOSS_KL_DIV: emit_nll(e, op); break;
    case LOSS_MULTI_MARGIN: emit_multi_margin(e, op); break;
    case LOSS_MSE:
    case LOSS_HUBER:
    case LOSS_BCE: emit_elementwise_loss(e, op); break;
    }
}

/* ---- the optimizer ----------------------------------------------------------------------------
 * One step function per file, for the optimizer in use, written for one tensor; update() calls
 * it for every parameter tensor, after clipping the gradients if the file asks for it. Its state
 * (velocity, moments, …) are more instances of struct params, named as torch.optim names them. */

/* The state instances of each optimizer, as torch.optim names them. */
int optimizer_state(const Net *net, const char *names[3])
{
    switch (net->optimizer) {
    case OPT_SGD: names[0] = "momentum_buffer"; return 1;
    case OPT_ADAGRAD: names[0] = "sum"; return 1;
    case OPT_RMSPROP:
        names[0] = "square_avg", names[1] = "momentum_buffer", names[2] = "grad_avg";
        return net->centered ? 3 : 2;
    case OPT_ADAM:
    case OPT_ADAMW: names[0] = "exp_avg", names[1] = "exp_avg_sq"; return 2;
    }
    return 0;
}

static void emit_step_function(Emitter *e)
{
    const Net *net = e->net;
    char eps[40], a[40], b1[40], b2[40], damp[40];
    lit(e, eps, net->eps);
    switch (net->optimizer) {
    case OPT_SGD:
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
        break;
    case OPT_ADAGRAD:
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
        break;
    case OPT_RMSPROP:
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
        emit(e, "s[i] = %s * s[i] + (1.0@f - %s) * g * g;", a, a);
        if (net->centered) {
            emit(e, "gavg[i] = %s * gavg[i] + (1.0@f - %s) * g;", a, a);
            emit(e, "@R r = sqrt@f(s[i] - gavg[i] * gavg[i]) + %s;", eps);
        } else {
            emit(e, "@R r = sqrt@f(s[i]) + %s;", eps);
        }
        emit(e, "v[i] = mu * v[i] + g / r;");
        emit(e, "theta[i] -= lr * v[i];");
        emit_close(e, NULL);
        emit_close(e, NULL);
        break;
    case OPT_ADAM:
    case OPT_ADAMW:
        lit(e, b1, net->beta1);
        lit(e, b2, net->beta2);
        if (net->optimizer == OPT_ADAMW) {
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
        if (net->optimizer == OPT_ADAMW) {
            emit(e, "theta[i] *= 1.0@f - lr * wd;");
            emit(e, "@R g = grad[i];");
        } else {
            emit(e, "@R g = grad[i] + wd * theta[i];");
        }
        emit(e, "m[i] = %s * m[i] + (1.0@f - %s) * g;", b1, b1);
        emit(e, "v[i] = %s * v[i] + (1.0@f - %s) * g * g;", b2, b2);
        emit(e, "theta[i] -= step_size * m[i] / (sqrt@f(v[i]) / root_c2 + %s);", eps);
        emit_close(e, NULL);
        emit_close(e, NULL);
        break;
    }
}

/* The call of the step function for one tensor. */
static void emit_step_call(Emitter *e, const char *tensor, const char *size, const char *wd)
{
    const Net *net = e->net;
    switch (net->optimizer) {
    case OPT_SGD:
        emit(e, "sgd_step(param.%s, grad.%s, momentum_buffer.%s, %s, lr, mu, %s%s);", tensor,
             tensor, tensor, size, wd, net->dampening ? ", h->step" : "");
        break;
    case OPT_ADAGRAD:
        emit(e, "adagrad_step(param.%s, grad.%s, sum.%s, %s, lr, %s, h->step);", tensor, tensor,
             tensor, size, wd);
        break;
    case OPT_RMSPROP:
        if (net->centered)
            emit(e, "rmsprop_step(param.%s, grad.%s, square_avg.%s, momentum_buffer.%s, grad_avg.%s, %s, lr, mu, %s);",
                 tensor, tensor, tensor, tensor, tensor, size, wd);
        else
            emit(e, "rmsprop_step(param.%s, grad.%s, square_avg.%s, momentum_buffer.%s, %s, lr, mu, %s);",
                 tensor, tensor, tensor, tensor, size, wd);
        break;
    case OPT_ADAM:
    case OPT_ADAMW:
        emit(e, "adam_step(param.%s, grad.%s, exp_avg.%s, exp_avg_sq.%s, %s, lr, %s, c1, c2);", tensor,
             tensor, tensor, tensor, size, wd);
        break;
    }
}

/* The parameter tensors of the model, in table order: name, size expression, weight decay. */
typedef struct {
    char name[48], size[160], wd[40];
} Tensor;

static int tensors(const Emitter *e, Tensor *out, int max)
{
    int n = 0;
    for (int i = 0; i < e->ir->nops && n + 2 <= max; i++) {
        const IrOp *op = &e->ir->ops[i];
        Weights w;
        if (!op_weights(op, &w))
            continue;
        char wd[40] = "wd";
        if (op->layer->weight_decay >= 0)
            snprintf(wd, sizeof wd, "%s_wd", op->name);
        snprintf(out[n].name, sizeof out[n].name, "%s_W", op->name);
        snprintf(out[n].size, sizeof out[n].size, "%s", w.w_size);
        snprintf(out[n].wd, sizeof out[n].wd, "%s", wd);
        n++;
        snprintf(out[n].name, sizeof out[n].name, "%s_b", op->name);
        snprintf(out[n].size, sizeof out[n].size, "%s", w.b_size);
        snprintf(out[n].wd, sizeof out[n].wd, "%s", wd);
        n++;
    }
    return n;
}

static void emit_clipping(Emitter *e, const Tensor *t, int n)
{
    const Net *net = e->net;
    char c[40];
    if (net->clip_value) {
        lit(e, c, net->clip_value);
        emit(e, "/* clip every gradient value to [-%g, %g], as torch.nn.utils.clip_grad_value_ */",
             net->clip_value, net->clip_value);
        for (int i = 0; i < n; i++) {
            emit(e, "for (int i = 0; i < %s; i++)", t[i].size);
            emit(e, "    grad.%s[i] = grad.%s[i] > %s ? %s : grad.%s[i] < -%s ? -%s : grad.%s[i];",
                 t[i].name, t[i].name, c, c, t[i].name, c, c, t[i].name);
        }
    }
    if (net->clip_norm) {
        lit(e, c, net->clip_norm);
        emit(e, "/* scale all gradients by c/(‖g‖ + 1e-6) when their global L2 norm ‖g‖ exceeds c = %g,",
             net->clip_norm);
        emit(e, " * as torch.nn.utils.clip_grad_norm_ (which scales when ‖g‖ + 1e-6 > c) */");
        emit(e, "double norm2 = 0.0;");
        for (int i = 0; i < n; i++) {
            emit(e, "for (int i = 0; i < %s; i++)", t[i].size);
            emit(e, "    norm2 += (double)grad.%s[i] * grad.%s[i];", t[i].name, t[i].name);
        }
        emit_open(e, "if (sqrt(norm2) + 1e-6 > %s)", c);
        emit(e, "const @R s = (@R)(%s / (sqrt(norm2) + 1e-6));", c);
        for (int i = 0; i < n; i++) {
            emit(e, "for (int i = 0; i < %s; i++)", t[i].size);
            emit(e, "    grad.%s[i] *= s;", t[i].name);
        }
        emit_close(e, NULL);
    }
}

void emit_update(Emitter *e)
{
    static const char *const torch[] = {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW"};
    const Net *net = e->net;
    emit(e, "/* ---- update: %s, as torch.optim.%s ------------------------------------------------------- */",
         net->optimizer_name, torch[net->optimizer]);
    emit_step_function(e);
    emit_blank(e);

    Tensor t[256];
    int n = tensors(e, t, 256);
    emit(e, "/* One step for every parameter tensor, with the learning rate of this step (the schedule");
    emit(e, " * is the runtime's), momentum and weight decay as the command line may have changed them. */");
    emit_function(e, "static void update(const NetrtHyper *h)");
    emit_clipping(e, t, n);
    switch (net->optimizer) {
    case OPT_SGD:
    case OPT_RMSPROP:
        emit(e, "const @R lr = (@R)h->lr, mu = (@R)h->momentum, wd = (@R)h->weight_decay;");
        break;
    case OPT_ADAGRAD:
        emit(e, "const @R lr = (@R)h->lr, wd = (@R)h->weight_decay;");
        if (net->initial_accumulator) {
            char init[40];
            lit(e, init, net->initial_accumulator);
            emit_open(e, "if (h->step == 1)");
            for (int i = 0; i < n; i++) {
                emit(e, "for (int i = 0; i < %s; i++)", t[i].size);
                emit(e, "    sum.%s[i] = %s;", t[i].name, init);
            }
            emit_close(e, NULL);
        }
        break;
    case OPT_ADAM:
    case OPT_ADAMW: {
        char b1[32], b2[32];
        emit(e, "const @R lr = (@R)h->lr, wd = (@R)h->weight_decay;");
        emit(e, "const @R c1 = (@R)(1.0 - pow(%s, (double)h->step));", fmt_double(b1, net->beta1));
        emit(e, "const @R c2 = (@R)(1.0 - pow(%s, (double)h->step));", fmt_double(b2, net->beta2));
        break;
    }
    }
    /* a layer's own weight decay, named, in place of the optimizer's wd */
    for (int i = 0; i < e->ir->nops; i++) {
        const IrOp *op = &e->ir->ops[i];
        char x[40];
        if ((op->kind == IR_DENSE || op->kind == IR_CONV) && op->layer->weight_decay >= 0)
            emit(e, "const @R %s_wd = %s; /* %s's own weight_decay */", op->name,
                 lit(e, x, op->layer->weight_decay), op->name);
    }
    bool uses_global_wd = false;
    for (int i = 0; i < n; i++) {
        emit_step_call(e, t[i].name, t[i].size, t[i].wd);
        uses_global_wd |= !strcmp(t[i].wd, "wd");
    }
    if (!uses_global_wd)
        emit(e, "(void)wd; /* every layer has its own weight decay */");
    emit_close(e, NULL);
}
