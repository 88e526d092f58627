/* emit_train.c: what training adds to the network: the loss (each one a writer) and the
 * optimizer step over every parameter tensor, update(). Each writes a function that opens with
 * the math it computes. */
#include "ops/op.h"

#include <string.h>

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
    bool of_probabilities = e->net->layers[e->net->nlayers - 1].op->yields == YIELDS_PROBABILITIES;
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

void emit_loss(Emitter *e)
{
    const IrOp *op = &e->ir->loss;
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
    for (int i = 0; i < e->ir->nops; i++) {
        const IrOp *op = &e->ir->ops[i];
        OpTensor t[OP_MAX_TENSORS];
        int nt = op_tensors(op->layer, t);
        for (int k = 0; k < nt && n < max; k++) {
            if (t[k].buffer)
                continue;
            memcpy(out[n].name, t[k].field, sizeof out[n].name);
            memcpy(out[n].size, t[k].size, sizeof out[n].size);
            if (op->layer->weight_decay >= 0)
                snprintf(out[n].wd, sizeof out[n].wd, "%s_wd", op->name);
            else
                snprintf(out[n].wd, sizeof out[n].wd, "wd");
            n++;
        }
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
        if (op->layer->weight_decay >= 0)
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
