/* dense.c: the fully connected layer, torch.nn.Linear, with the activation after it fused.
 *
 * forward:  out[B,O] = in[B,I] · Wᵀ[I,O] + b[O], then y = f(out) in the same pass as the bias.
 *           The pass runs on each block of the product as the product hands it over
 *           (netrt_sgemm_then): on the thread that computed it, while it is in that core's
 *           cache, with no pass over the whole batch of its own.
 * backward: dz = dy ⊙ f'(…) and the bias gradient in one pass, then two GEMMs:
 *           grad W[O,I] = dzᵀ[O,B] · in[B,I],   d_in[B,I] = dz[B,O] · W[O,I].
 * Where O is wider than 16, the backward pass (and the forward one of a one-input layer) goes
 * over ranges of the O columns, for every row, shared among the threads (netrt_parallel): a
 * column's bias sum then adds its rows in order whatever the threads. */
#include "op.h"

/* ---- check and lower ------------------------------------------------------------------------- */

enum { DENSE_INIT, DENSE_BIAS, DENSE_WEIGHT_DECAY };

/* dense N: a vector in, a vector of N out */
static bool dense_shape(LayerCheck *lc)
{
    int n = check_size(lc->c, lc->at->arg, "'dense'", MAX_LAYER_SIZE);
    if (n < 0)
        return false;
    if (lc->prev->out_rank != 1) {
        diag(lc->src, lc->at->loc, DIAG_ERROR, "'dense' expects a vector input, got %s from '%s' "
             "(line %d)", lc->prev_shape, lc->prev->name, lc->prev->src->loc.first_line);
        diag(lc->src, lc->at->loc, DIAG_NOTE, "insert 'flatten' before this layer");
        return false;
    }
    set_vector(lc->l, n);
    if ((double)lc->l->in_size * lc->l->out_size > MAX_PARAMS) {
        diag(lc->src, lc->at->loc, DIAG_ERROR, "'dense' with %dx%d weights is too large",
             lc->l->out_size, lc->l->in_size);
        return false;
    }
    return true;
}

static void dense_describe(const NetLayer *l, char *buf, size_t size)
{
    snprintf(buf, size, "%s %d", l->name, l->out_size);
}

/* W [out, in] and b [out], as torch.nn.Linear */
static int dense_tensors(const NetLayer *l, OpTensor *t)
{
    char out[48], in[48];
    op_upper(out, sizeof out, l->name, "_OUT");
    op_upper(in, sizeof in, l->name, "_IN");
    const char *w_names[] = {out, in}, *b_names[] = {out};
    int w_dims[] = {l->out_size, l->in_size}, b_dims[] = {l->out_size};
    op_tensor(&t[0], l, "W", "weight", 2, w_names, w_dims);
    op_tensor(&t[1], l, "b", "bias", 1, b_names, b_dims);
    t[0].init = l->init[0];
    t[1].init = l->init[1];
    t[0].fan_in = t[1].fan_in = l->in_size;
    t[0].fan_out = t[1].fan_out = l->out_size;
    return 2;
}

static long long dense_flops(const NetLayer *l)
{
    return 2LL * l->in_size * l->out_size;
}

static void dense_lower(IrOp *op)
{
    op_upper(op->I_name, sizeof op->I_name, op->name, "_IN");
    op_upper(op->O_name, sizeof op->O_name, op->name, "_OUT");
    snprintf(op->pre, sizeof op->pre, "d_%s_out", op->name);
}

static void dense_sizes(Emitter *e, const IrOp *op)
{
    emit(e, "%s = %d, %s = %d,", op->I_name, op->I, op->O_name, op->O);
}

/* ---- emit ------------------------------------------------------------------------------------ */

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

/* The product, then NAME_forward_block on each block of it */
static void dense_gemm_forward(Emitter *e, const IrOp *op)
{
    const char *n = op->name, *I = op->I_name, *O = op->O_name;
    emit_gemm_loop(e, emit_text(e, "for b, o: %s[b,o] = Σ_i %s[b,i] · %s_W[o,i]; then the pass",
                                op->out, op->in, n));
    emit(e, "@T(CblasRowMajor, CblasNoTrans, CblasTrans, B, %s, %s,", O, I);
    emit(e, "                 1.0@f, %s, %s, param.%s_W, %s, 0.0@f, %s, %s,", op->in, I, n, I,
         op->out, O);
    emit(e, "                 %s_forward_block);", n);
}

/* The comment above the forward pass: the product, the activation, and where each happens. */
static void dense_forward_comment(Emitter *e, const IrOp *op)
{
    const char *n = op->name;
    bool outer = op->I == 1;
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
        emit(e, " * The GEMM writes z into %s; the pass, on each block of it, adds the bias and\n"
             " * applies %s in place%s%s%s. */", op->out, op->act->name, keep ? ", keeping " : "",
             keep ? keep : "", keep ? " for the backward pass" : "");
    else
        emit(e, " * The GEMM writes into %s; the pass, on each block of it, adds the bias. */",
             op->out);
}

/* The pass over rows r0 … r1, columns lo … hi: z = the product + bias (or, with one input, the
 * outer product itself), then the activation, if any. */
static void dense_bias_pass(Emitter *e, const IrOp *op, const char *r0, const char *r1,
                            const char *lo, const char *hi)
{
    const char *n = op->name, *O = op->O_name;
    bool outer = op->I == 1;
    emit_open(e, "for (int b = %s; b < %s; b++)", r0, r1);
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
}

/* The product with the pass on each of its blocks; or, with one input, the outer product in
 * the pass alone: inline, or over ranges of columns on the threads. */
static void dense_forward(Emitter *e, const IrOp *op)
{
    dense_forward_comment(e, op);
    if (op->I > 1) {
        emit_function(e, "static void %s_forward_block(int r0, int r1, int c0, int c1)", op->name);
        dense_bias_pass(e, op, "r0", "r1", "c0", "c1");
        emit_close(e, NULL);
        emit_blank(e);
        emit_function(e, "static void %s_forward(int B)", op->name);
        dense_gemm_forward(e, op);
        emit_close(e, NULL);
        return;
    }
    const char *lo, *hi;
    bool shared = emit_columns_open(e, op, "forward", &lo, &hi);
    dense_bias_pass(e, op, "0", "B", lo, hi);
    if (shared) {
        emit_columns_caller(e, op, "forward");
        emit_columns_run(e, op, "forward");
    }
    emit_close(e, NULL);
}

static void dense_backward_comment(Emitter *e, const IrOp *op)
{
    const char *n = op->name, *dz = op->pre;
    bool outer = op->I == 1;
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
}

/* The pass over columns lo … hi: dz = dy ⊙ f'(…) in place, the bias gradient (and, with one
 * input, the weight gradient) summed over the rows in order. */
static void dense_gradient_pass(Emitter *e, const IrOp *op, const char *lo, const char *hi)
{
    const char *n = op->name, *O = op->O_name, *dz = op->pre;
    bool outer = op->I == 1;
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
}

/* The two GEMMs after the pass: W's gradient (unless the pass summed it) and the input's
 * (unless the input is data). */
static void dense_backward_gemms(Emitter *e, const IrOp *op)
{
    const char *n = op->name, *I = op->I_name, *O = op->O_name, *dz = op->pre;
    if (op->I > 1) {
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
}

static void dense_backward(Emitter *e, const IrOp *op)
{
    const char *lo, *hi;
    dense_backward_comment(e, op);
    bool shared = emit_columns_open(e, op, "backward", &lo, &hi);
    dense_gradient_pass(e, op, lo, hi);
    if (shared) {
        emit_columns_caller(e, op, "backward");
        emit_columns_run(e, op, "backward");
    }
    dense_backward_gemms(e, op);
    emit_close(e, NULL);
}

/* ---- export: one sample, plain loops ------------------------------------------------------------ */

static void dense_infer(Emitter *e, const IrOp *op)
{
    const char *n = op->name, *I = op->I_name, *O = op->O_name;
    emit(e, "/* %s[%d] = %s_W[%d,%d] · x[%d] + %s_b[%d], as torch.nn.Linear(%d, %d): row o of W",
         op->act ? "z" : "y", op->O, n, op->O, op->I, op->I, n, op->O, op->I, op->O);
    if (op->act)
        emit(e, " * holds the weights into output o; then y = %s */",
             activation(e, op->act).math_fwd);
    else
        emit(e, " * holds the weights into output o */");
    emit_function(e, "static void %s_forward(const float *x, float *y)", n);
    emit_open(e, "for (int o = 0; o < %s; o++)", O);
    emit(e, "float sum = 0.0f;");
    emit(e, "for (int i = 0; i < %s; i++)", I);
    emit(e, "    sum += %s_W[o * %s + i] * x[i];", n, I);
    if (op->act) {
        emit(e, "float z = sum + %s_b[o];", n);
        emit_infer_activation(e, op, "o");
    } else {
        emit(e, "y[o] = sum + %s_b[o];", n);
    }
    emit_close(e, NULL);
    emit_close(e, NULL);
}

const OpDesc op_dense = {
    "dense", NULL, "Linear", ARG_SIZE, "a size", "dense 128",
    .options = {[DENSE_INIT] = {"init", OPT_INIT, .slot = 0, .default_text = "torch's U(±1/√fan_in)"},
                [DENSE_BIAS] = {"bias", OPT_INIT, .slot = 1, .default_text = "torch's U(±1/√fan_in); zeros when init is given"},
                [DENSE_WEIGHT_DECAY] = {"weight_decay", OPT_WEIGHT_DECAY, .min = 0, .max = 1e6, .default_text = "the optimizer's"}},
    .layout = "a dense W is [out, in]: row o holds the weights into unit o",
    .fuses_activation = true,
    .shape = dense_shape,
    .describe = dense_describe,
    .tensors = dense_tensors,
    .flops = dense_flops,
    .lower = dense_lower,
    .sizes = dense_sizes,
    .forward = dense_forward,
    .backward = dense_backward,
    .infer = dense_infer,
};
