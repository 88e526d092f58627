/* emit_ops.c: one writer per IR op kind. Each takes a resolved op, checks nothing, and writes a
 * function that opens with the math it computes. Forward and backward writers sit together. */
#include "emit.h"

/* An elementwise activation: y = f(z), and f'(z) written from y, so z need not be kept. */
typedef struct {
    const char *forward;   /* C expression of z, giving y         */
    const char *backward;  /* C expression of y and dy, giving dz */
    const char *math_fwd;  /* the comment's formulas              */
    const char *math_bwd;
} Activation;

static Activation activation(LayerKind k)
{
    switch (k) {
    case LAYER_SIGMOID:
        return (Activation){"1.0@f / (1.0@f + exp@f(-z))", "dy[o] * y[o] * (1.0@f - y[o])",
                            "σ(z) = 1 / (1 + e^-z)", "dz = dy ⊙ y ⊙ (1 - y)"};
    case LAYER_TANH:
        return (Activation){"tanh@f(z)", "dy[o] * (1.0@f - y[o] * y[o])", "tanh(z)",
                            "dz = dy ⊙ (1 - y²)"};
    case LAYER_RELU:
    default:
        return (Activation){"z > 0.0@f ? z : 0.0@f", "y[o] > 0.0@f ? dy[o] : 0.0@f", "max(0, z)",
                            "dz = dy ⊙ [y > 0]"};
    }
}

/* ---- dense, with its activation fused --------------------------------------------------------
 * forward:  out[B,O] = in[B,I] · Wᵀ[I,O] + b[O], then y = f(out) in the same pass as the bias.
 * backward: dz = dy ⊙ f'(…) and the bias gradient in one pass, then two GEMMs:
 *           grad W[O,I] = dzᵀ[O,B] · in[B,I],   d_in[B,I] = dz[B,O] · W[O,I]. */

static void emit_dense_forward(Emitter *e, const IrOp *op)
{
    const char *n = op->name, *I = op->I_name, *O = op->O_name;
    emit(e, "/* forward:  %s_out[B,%d] = %s[B,%d] · %s_Wᵀ[%d,%d] + %s_b[%d]", n, op->O, op->in, op->I,
         n, op->I, op->O, n, op->O);
    if (op->act) {
        Activation a = activation(op->act_kind);
        emit(e, " *           %s = %s, z = %s_out", op->out, a.math_fwd, n);
        emit(e, " * The GEMM writes z into %s; one pass then adds the bias and applies %s in", op->out,
             op->act->name);
        emit(e, " * place. */");
    } else {
        emit(e, " * The GEMM writes into %s; one pass adds the bias. */", op->out);
    }
    emit_function(e, "static void %s_forward(int B)", n);
    emit(e, "@G(CblasRowMajor, CblasNoTrans, CblasTrans, B, %s, %s,", O, I);
    emit(e, "            1.0@f, %s, %s, param.%s_W, %s, 0.0@f, %s, %s);", op->in, I, n, I, op->out, O);
    emit_open(e, "for (int b = 0; b < B; b++)");
    emit(e, "@R *out = &%s[b * %s];", op->out, O);
    if (op->act) {
        emit_open(e, "for (int o = 0; o < %s; o++)", O);
        emit(e, "@R z = out[o] + param.%s_b[o];", n);
        emit(e, "out[o] = %s;", activation(op->act_kind).forward);
        emit_close(e, NULL);
    } else {
        emit(e, "for (int o = 0; o < %s; o++)", O);
        emit(e, "    out[o] += param.%s_b[o];", n);
    }
    emit_close(e, NULL);
    emit_close(e, NULL);
}

static void emit_dense_backward(Emitter *e, const IrOp *op)
{
    const char *n = op->name, *I = op->I_name, *O = op->O_name;
    /* dz: the gradient at the GEMM's output, the bias included */
    char dz[48];
    if (op->act)
        snprintf(dz, sizeof dz, "%s", op->pre);
    else
        snprintf(dz, sizeof dz, "d_%s", op->out);

    emit(e, "/* backward, given d_%s[B,%d] = ∂L/∂%s:", op->out, op->O, op->out);
    if (op->act)
        emit(e, " *   %s[B,%d] = %s   (%s' written from its output y)", dz, op->O,
             activation(op->act_kind).math_bwd, op->act->name);
    emit(e, " *   grad.%s_b[%d] = Σ_b %s[b,:]", n, op->O, dz);
    emit(e, " *   grad.%s_W[%d,%d] = %sᵀ[%d,B] · %s[B,%d]", n, op->O, op->I, dz, op->O, op->in, op->I);
    if (op->in_is_data)
        emit(e, " *   (no d_%s: the input is data, so the third GEMM is skipped) */", op->in);
    else
        emit(e, " *   d_%s[B,%d] = %s[B,%d] · %s_W[%d,%d] */", op->in, op->I, dz, op->O, n, op->O,
             op->I);
    emit_function(e, "static void %s_backward(int B)", n);
    emit(e, "for (int o = 0; o < %s; o++)", O);
    emit(e, "    grad.%s_b[o] = 0.0@f;", n);
    emit_open(e, "for (int b = 0; b < B; b++)");
    if (op->act) {
        emit(e, "const @R *y = &%s[b * %s], *dy = &d_%s[b * %s];", op->out, O, op->out, O);
        emit(e, "@R *dz = &%s[b * %s];", dz, O);
        emit_open(e, "for (int o = 0; o < %s; o++)", O);
        emit(e, "dz[o] = %s;", activation(op->act_kind).backward);
        emit(e, "grad.%s_b[o] += dz[o];", n);
        emit_close(e, NULL);
    } else {
        emit(e, "const @R *dz = &%s[b * %s];", dz, O);
        emit(e, "for (int o = 0; o < %s; o++)", O);
        emit(e, "    grad.%s_b[o] += dz[o];", n);
    }
    emit_close(e, NULL);
    emit(e, "@G(CblasRowMajor, CblasTrans, CblasNoTrans, %s, %s, B,", O, I);
    emit(e, "            1.0@f, %s, %s, %s, %s, 0.0@f, grad.%s_W, %s);", dz, O, op->in, I, n, I);
    if (!op->in_is_data) {
        emit(e, "@G(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, %s, %s,", I, O);
        emit(e, "            1.0@f, %s, %s, param.%s_W, %s, 0.0@f, d_%s, %s);", dz, O, n, I, op->in, I);
    }
    emit_close(e, NULL);
}

/* ---- an activation on its own: y = f(x) elementwise ------------------------------------------ */

static void emit_act_forward(Emitter *e, const IrOp *op)
{
    Activation a = activation(op->act_kind);
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
    Activation a = activation(op->act_kind);
    if (op->in_is_data) {
        emit(e, "/* backward: nothing to do, the input is data and has no gradient */");
        emit_function(e, "static void %s_backward(int B)", op->name);
        emit(e, "(void)B;");
        emit_close(e, NULL);
        return;
    }
    emit(e, "/* backward:  d_%s = %s, with y = %s and dy = d_%s */", op->in, a.math_bwd, op->out, op->out);
    emit_function(e, "static void %s_backward(int B)", op->name);
    emit(e, "const @R *y = %s, *dy = d_%s;", op->out, op->out);
    emit(e, "for (int o = 0; o < B * %s; o++)", op->O_name);
    emit(e, "    d_%s[o] = %s;", op->in, a.backward);
    emit_close(e, NULL);
}

/* ---- softmax as a layer ---------------------------------------------------------------------- */

static void emit_softmax_forward(Emitter *e, const IrOp *op)
{
    const char *S = op->O_name;
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
    emit_open(e, "for (int k = 0; k < %s; k++)", S);
    emit(e, "y[k] = exp@f(x[k] - m);");
    emit(e, "sum += y[k];");
    emit_close(e, NULL);
    emit(e, "for (int k = 0; k < %s; k++)", S);
    emit(e, "    y[k] /= sum;");
    emit_close(e, NULL);
    emit_close(e, NULL);
}

static void emit_softmax_backward(Emitter *e, const IrOp *op)
{
    const char *S = op->O_name;
    if (op->in_is_data) {
        emit(e, "/* backward: nothing to do, the input is data and has no gradient */");
        emit_function(e, "static void %s_backward(int B)", op->name);
        emit(e, "(void)B;");
        emit_close(e, NULL);
        return;
    }
    emit(e, "/* backward, the Jacobian of softmax times dy, row by row (y = %s, dy = d_%s):", op->out,
         op->out);
    emit(e, " *   d_%s[b,k] = y[b,k] · (dy[b,k] - Σ_j dy[b,j] · y[b,j]) */", op->in);
    emit_function(e, "static void %s_backward(int B)", op->name);
    emit_open(e, "for (int b = 0; b < B; b++)");
    emit(e, "const @R *y = &%s[b * %s], *dy = &d_%s[b * %s];", op->out, S, op->out, S);
    emit(e, "@R *dx = &d_%s[b * %s];", op->in, S);
    emit(e, "@R dot = 0.0@f;");
    emit(e, "for (int k = 0; k < %s; k++)", S);
    emit(e, "    dot += dy[k] * y[k];");
    emit(e, "for (int k = 0; k < %s; k++)", S);
    emit(e, "    dx[k] = y[k] * (dy[k] - dot);");
    emit_close(e, NULL);
    emit_close(e, NULL);
}

void emit_op_forward(Emitter *e, const IrOp *op)
{
    switch (op->kind) {
    case IR_DENSE: emit_dense_forward(e, op); break;
    case IR_ACT: emit_act_forward(e, op); break;
    case IR_SOFTMAX: emit_softmax_forward(e, op); break;
    case IR_LOSS: break;
    }
}

void emit_op_backward(Emitter *e, const IrOp *op)
{
    switch (op->kind) {
    case IR_DENSE: emit_dense_backward(e, op); break;
    case IR_ACT: emit_act_backward(e, op); break;
    case IR_SOFTMAX: emit_softmax_backward(e, op); break;
    case IR_LOSS: break;
    }
}

/* ---- the loss --------------------------------------------------------------------------------- */

static void emit_cross_entropy(Emitter *e, const IrOp *op)
{
    const char *z = op->in;
    emit(e, "/* softmax cross-entropy, fused, as torch.nn.CrossEntropyLoss (mean over the batch):");
    emit(e, " *   p[b,k] = e^(z[b,k] - m_b) / Σ_j e^(z[b,j] - m_b)      z = %s, m_b = max_j z[b,j]", z);
    emit(e, " *   L = (1/B) Σ_b -log p[b, y_b] = (1/B) Σ_b (log Σ_j e^(z[b,j] - m_b) - (z[b,y_b] - m_b))");
    emit(e, " *   d_%s[b,k] = (p[b,k] - [k = y_b]) / B", z);
    emit(e, " * The 1/B of the mean enters here, once: it starts the chain rule for every gradient. */");
    emit_function(e, "static double loss(int B)");
    emit(e, "double total = 0.0;");
    emit_open(e, "for (int b = 0; b < B; b++)");
    emit(e, "const @R *zb = &%s[b * CLASSES];", z);
    emit(e, "@R *dz = &d_%s[b * CLASSES];", z);
    emit(e, "@R m = zb[0], sum = 0.0@f;");
    emit(e, "for (int k = 1; k < CLASSES; k++)");
    emit(e, "    m = zb[k] > m ? zb[k] : m;");
    emit_open(e, "for (int k = 0; k < CLASSES; k++)");
    emit(e, "dz[k] = exp@f(zb[k] - m);");
    emit(e, "sum += dz[k];");
    emit_close(e, NULL);
    emit(e, "total += log@f(sum) - (zb[labels[b]] - m);");
    emit(e, "for (int k = 0; k < CLASSES; k++)");
    emit(e, "    dz[k] = (dz[k] / sum - (k == labels[b])) / B;");
    emit_close(e, NULL);
    emit(e, "return total / B;");
    emit_close(e, NULL);
}

static void emit_mse(Emitter *e, const IrOp *op)
{
    const char *y = op->in;
    emit(e, "/* mean squared error against one-hot targets, as torch.nn.MSELoss (mean over all B·K");
    emit(e, " * values, K = CLASSES):");
    emit(e, " *   t[b,k] = [k = y_b]");
    emit(e, " *   L = 1/(B·K) Σ_b Σ_k (%s[b,k] - t[b,k])²", y);
    emit(e, " *   d_%s[b,k] = 2 (%s[b,k] - t[b,k]) / (B·K)", y, y);
    emit(e, " * The 1/(B·K) of the mean enters here, once: it starts the chain rule. */");
    emit_function(e, "static double loss(int B)");
    emit(e, "double total = 0.0;");
    emit(e, "const @R scale = 2.0@f / (@R)(B * CLASSES);");
    emit_open(e, "for (int b = 0; b < B; b++)");
    emit(e, "const @R *yb = &%s[b * CLASSES];", y);
    emit(e, "@R *dy = &d_%s[b * CLASSES];", y);
    emit_open(e, "for (int k = 0; k < CLASSES; k++)");
    emit(e, "@R diff = yb[k] - (@R)(k == labels[b]);");
    emit(e, "total += (double)diff * diff;");
    emit(e, "dy[k] = scale * diff;");
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit(e, "return total / ((double)B * CLASSES);");
    emit_close(e, NULL);
}

void emit_loss(Emitter *e, const IrOp *op)
{
    emit_banner(e, op);
    if (e->net->loss == LOSS_CROSS_ENTROPY)
        emit_cross_entropy(e, op);
    else
        emit_mse(e, op);
}

/* ---- the optimizer ---------------------------------------------------------------------------- */

void emit_update(Emitter *e)
{
    emit(e, "/* ---- update: SGD, as torch.optim.SGD(lr, momentum, weight_decay) -------------------------- */");
    emit(e, "/*   g = grad + λ·θ        weight decay λ (L2), applied to weights and biases alike");
    emit(e, " *   v = μ·v + g           momentum μ; v starts at 0, so with μ = 0 this is plain SGD");
    emit(e, " *   θ = θ - η·v           learning rate η */");
    emit_function(e, "static void sgd_step(@R *theta, const @R *g, @R *v, int n, @R lr, @R mu, @R wd)");
    emit_open(e, "for (int i = 0; i < n; i++)");
    emit(e, "v[i] = mu * v[i] + (g[i] + wd * theta[i]);");
    emit(e, "theta[i] -= lr * v[i];");
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit_blank(e);
    emit_function(e, "static void update(const NetrtHyper *h)");
    emit(e, "const @R lr = (@R)h->lr, mu = (@R)h->momentum, wd = (@R)h->weight_decay;");
    for (int i = 0; i < e->ir->nops; i++) {
        const IrOp *op = &e->ir->ops[i];
        if (op->kind != IR_DENSE)
            continue;
        emit(e, "sgd_step(param.%s_W, grad.%s_W, velocity.%s_W, %s * %s, lr, mu, wd);", op->name,
             op->name, op->name, op->O_name, op->I_name);
        emit(e, "sgd_step(param.%s_b, grad.%s_b, velocity.%s_b, %s, lr, mu, wd);", op->name,
             op->name, op->name, op->O_name);
    }
    emit_close(e, NULL);
}
