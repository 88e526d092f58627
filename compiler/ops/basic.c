/* basic.c: the ops that are neither products nor activations: input, flatten, dropout, and
 * softmax and log_softmax as layers. */
#include "op.h"

#include <string.h>

/* ---- input N | HxW | CxHxW: the shape of a sample -------------------------------------------- */

static bool input_shape(LayerCheck *lc)
{
    NetLayer *l = lc->l;
    const Value *a = check_resolve(lc->c, lc->at->arg);
    if (!a)
        return false;
    if (a->kind != VAL_SIZE) {
        int n = check_size(lc->c, a, "'input'", MAX_LAYER_SIZE);
        if (n < 0)
            return false;
        set_vector(l, n);
    } else {
        double size = 1;
        for (int i = 0; i < a->ndims; i++) {
            if (a->dims[i] < 1 || a->dims[i] > MAX_DIM) {
                diag(lc->src, a->loc, DIAG_ERROR, "every dimension must be in [1, %d]", MAX_DIM);
                return false;
            }
            size *= a->dims[i];
            l->out_shape[i] = a->dims[i];
        }
        if (size > MAX_LAYER_SIZE) {
            diag(lc->src, a->loc, DIAG_ERROR, "input of %.0f values is too large (at most %d)",
                 size, MAX_LAYER_SIZE);
            return false;
        }
        l->out_rank = a->ndims;
        l->out_size = (int)size;
    }
    l->in_size = l->out_size;
    return true;
}

static void input_describe(const NetLayer *l, char *buf, size_t size)
{
    if (l->out_rank == 3)
        snprintf(buf, size, "input %dx%dx%d", l->out_shape[0], l->out_shape[1], l->out_shape[2]);
    else if (l->out_rank == 2)
        snprintf(buf, size, "input %dx%d", l->out_shape[0], l->out_shape[1]);
    else
        snprintf(buf, size, "input %d", l->out_size);
}

const OpDesc op_input = {
    "input", NULL, NULL, ARG_SIZE, "a size", "input 784",
    .is_input = true,
    .shape = input_shape,
    .describe = input_describe,
};

/* ---- flatten: free in row-major NCHW; the next op reads the same memory as a vector ---------- */

static bool flatten_shape(LayerCheck *lc)
{
    if (lc->prev->out_rank == 1)
        diag(lc->src, lc->at->loc, DIAG_WARNING, "'flatten' after %s from '%s' does nothing: it "
             "is a vector already", lc->prev_shape, lc->prev->name);
    set_vector(lc->l, lc->prev->out_size);
    return true;
}

const OpDesc op_flatten = {"flatten", NULL, "Flatten", .is_free = true, .shape = flatten_shape};

/* ---- dropout P ----------------------------------------------------------------------------- */

static bool dropout_shape(LayerCheck *lc)
{
    const Value *p = check_resolve(lc->c, lc->at->arg);
    if (!p)
        return false;
    if (p->kind != VAL_NUMBER || p->num < 0 || p->num >= 1) {
        char text[64];
        diag(lc->src, p->loc, DIAG_ERROR, "'dropout' takes the probability of dropping a value, "
             "in [0, 1), got '%s'", check_value_text(p, text, sizeof text));
        return false;
    }
    lc->l->arg = p->num;
    keep_shape(lc);
    return true;
}

static int dropout_arrays(const IrOp *op, int batch_max, OpArray *a)
{
    double rows = (double)batch_max * op->O;
    a[0] = (OpArray){"kept masks", "", "0 (dropped) or 1/(1 - p) (kept), for the backward pass",
                     rows, rows};
    snprintf(a[0].decl, sizeof a[0].decl, "@R %s_mask[BATCH_MAX * %s];", op->name, op->O_name);
    return 1;
}

static void dropout_forward(Emitter *e, const IrOp *op)
{
    const NetLayer *l = op->layer;
    char p[40], keep[40];
    emit(e, "/* forward, while training: each value is kept with probability 1 - p = %g and scaled",
         1 - l->arg);
    emit(e, " *   by 1/(1 - p) (inverted dropout, as torch.nn.Dropout(%g)), else set to 0:", l->arg);
    emit(e, " *   %s = %s ⊙ mask, mask[i] = [u_i ≥ p] / (1 - p), u_i ~ U(0, 1)", op->out, op->in);
    emit(e, " * When evaluating, %s = %s: the scaling already kept the expected value. */", op->out,
         op->in);
    emit_function(e, "static void %s_forward(int B, int training)", op->name);
    emit_open(e, "for (int i = 0; i < B * %s; i++)", op->O_name);
    emit(e, "%s_mask[i] = !training ? 1.0@f : uniform01() >= %s ? %s : 0.0@f;", op->name,
         lit(e, p, l->arg), lit(e, keep, 1 / (1 - l->arg)));
    emit(e, "%s[i] = %s[i] * %s_mask[i];", op->out, op->in, op->name);
    emit_close(e, NULL);
    emit_close(e, NULL);
}

static void dropout_backward(Emitter *e, const IrOp *op)
{
    if (emit_no_input_gradient(e, op))
        return;
    emit(e, "/* backward:  d_%s = d_%s ⊙ mask */", op->in, op->out);
    emit_function(e, "static void %s_backward(int B)", op->name);
    emit(e, "for (int i = 0; i < B * %s; i++)", op->O_name);
    emit(e, "    d_%s[i] = d_%s[i] * %s_mask[i];", op->in, op->out, op->name);
    emit_close(e, NULL);
}

static void dropout_infer(Emitter *e, const IrOp *op)
{
    emit(e, "/* evaluation: the identity, y = x (the training pass scaled the kept values by 1/(1 - p),");
    emit(e, " * so the expected value is already that of x) */");
    emit_function(e, "static void %s_forward(const float *x, float *y)", op->name);
    emit(e, "for (int i = 0; i < %s; i++)", op->O_name);
    emit(e, "    y[i] = x[i];");
    emit_close(e, NULL);
}

const OpDesc op_dropout = {
    "dropout", NULL, "Dropout", ARG_PROB, "a probability", "dropout 0.5",
    .uses_training = true,
    .eval_note = "turns dropout off",
    .uses_rng = true,
    .shape = dropout_shape,
    .arrays = dropout_arrays,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .infer = dropout_infer,
};

/* ---- softmax and log_softmax as layers, over a vector ---------------------------------------- */

static bool softmax_shape(LayerCheck *lc)
{
    if (lc->prev->out_rank != 1) {
        diag(lc->src, lc->at->loc, DIAG_ERROR, "'%s' expects a vector input, got %s from '%s' "
             "(line %d)", lc->word, lc->prev_shape, lc->prev->name, lc->prev->src->loc.first_line);
        return false;
    }
    set_vector(lc->l, lc->prev->out_size);
    return true;
}


/* One row x[0..S) into y: softmax or log_softmax, e^ written as `exp` ("@X" in the trainer,
 * which vectorizes; "expf" in an exported file, which has libm only). */
static void emit_softmax_row(Emitter *e, const char *S, bool log, const char *exp)
{
    emit(e, "@R m = x[0], sum = 0.0@f;");
    emit(e, "for (int k = 1; k < %s; k++)", S);
    emit(e, "    m = x[k] > m ? x[k] : m;");
    if (log) {
        emit(e, "for (int k = 0; k < %s; k++)", S);
        emit(e, "    sum += %s(x[k] - m);", exp);
        emit(e, "@R log_sum = m + log@f(sum);");
        emit(e, "for (int k = 0; k < %s; k++)", S);
        emit(e, "    y[k] = x[k] - log_sum;");
    } else {
        emit_open(e, "for (int k = 0; k < %s; k++)", S);
        emit(e, "y[k] = %s(x[k] - m);", exp);
        emit(e, "sum += y[k];");
        emit_close(e, NULL);
        emit(e, "for (int k = 0; k < %s; k++)", S);
        emit(e, "    y[k] /= sum;");
    }
}

static void softmax_forward(Emitter *e, const IrOp *op)
{
    const char *S = op->O_name;
    bool log = op->op->yields == YIELDS_LOG_PROBABILITIES;
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
    emit_softmax_row(e, S, log, "@X");
    emit_close(e, NULL);
    emit_close(e, NULL);
}

static void softmax_infer(Emitter *e, const IrOp *op)
{
    const char *S = op->O_name;
    bool log = op->op->yields == YIELDS_LOG_PROBABILITIES;
    if (log)
        emit(e, "/* y[k] = x[k] - m - log Σ_j e^(x[j] - m), m = max_j x[j] */");
    else
        emit(e, "/* y[k] = e^(x[k] - m) / Σ_j e^(x[j] - m), m = max_j x[j] */");
    emit_function(e, "static void %s_forward(const float *x, float *y)", op->name);
    emit_softmax_row(e, S, log, "expf");
    emit_close(e, NULL);
}

static void softmax_backward(Emitter *e, const IrOp *op)
{
    const char *S = op->O_name;
    if (emit_no_input_gradient(e, op))
        return;
    bool log = op->op->yields == YIELDS_LOG_PROBABILITIES;
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


const OpDesc op_softmax = {
    "softmax", NULL, "Softmax", .yields = YIELDS_PROBABILITIES, .shape = softmax_shape, .forward = softmax_forward,
    .backward = softmax_backward, .infer = softmax_infer,
};
const OpDesc op_log_softmax = {
    "log_softmax", NULL, "LogSoftmax", .yields = YIELDS_LOG_PROBABILITIES, .shape = softmax_shape, .forward = softmax_forward,
    .backward = softmax_backward, .infer = softmax_infer,
};
