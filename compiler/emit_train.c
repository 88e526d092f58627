/* emit_train.c: what training adds to the network: loss(B), written by the loss's descriptor
 * (ops/loss.c), and update(), the optimizer's step (ops/optim.c) over every parameter tensor,
 * after clipping the gradients if the file asks for it. Each writes a function that opens with
 * the math it computes. */
#include "ops/train.h"

#include <string.h>

void emit_loss(Emitter *e)
{
    const IrOp *op = &e->ir->loss;
    emit_banner(e, op);
    emit(e, "/* L is the mean over the batch, so its gradient below is divided by B (by B·K where the");
    emit(e, " * mean is over every output too): that 1/B starts the chain rule, once, and each layer's");
    emit(e, " * backward pass carries it along without dividing again. */");
    e->net->loss->emit(e, op);
}

/* ---- the optimizer ----------------------------------------------------------------------------
 * One step function per file, for the optimizer in use, written for one tensor; update() calls
 * it for every parameter tensor, after clipping the gradients if the file asks for it. Its state
 * (velocity, moments, …) are more instances of struct params, named as torch.optim names them. */

/* The state instances of the optimizer, as torch.optim names them. */
int optimizer_state(const Net *net, const char *names[3])
{
    return net->optimizer->state(net, names);
}

/* The parameter tensors of the model, in table order: name, size expression, weight decay. */
static int tensors(const Emitter *e, TrainTensor *out, int max)
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

/* clip_gradients(): the clipping the run asks for (the file's clip_value or clip_norm, or the
 * trainer's --clip-value or --clip-norm), one of the two at most; update() calls it only when
 * one is on, so a run without clipping pays one branch per step. */
static void emit_clipping(Emitter *e, const TrainTensor *t, int n)
{
    emit(e, "/* Gradient clipping before the step, as torch.nn.utils clips: by value, c = h->clip_value,");
    emit(e, " * every gradient value into [-c, c] (clip_grad_value_); or by norm, c = h->clip_norm, all");
    emit(e, " * gradients scaled by c/(‖g‖ + 1e-6) when their global L2 norm ‖g‖ exceeds c");
    emit(e, " * (clip_grad_norm_, which scales when ‖g‖ + 1e-6 > c). */");
    emit_function(e, "static void clip_gradients(const NetrtHyper *h)");
    emit_open(e, "if (h->clip_value > 0)");
    emit(e, "const @R c = (@R)h->clip_value;");
    for (int i = 0; i < n; i++) {
        emit(e, "for (int i = 0; i < %s; i++)", t[i].size);
        emit(e, "    grad.%s[i] = grad.%s[i] > c ? c : grad.%s[i] < -c ? -c : grad.%s[i];",
             t[i].name, t[i].name, t[i].name, t[i].name);
    }
    emit_close(e, NULL);
    emit_open(e, "if (h->clip_norm > 0)");
    emit(e, "const double c = h->clip_norm;");
    emit(e, "double norm2 = 0.0;");
    for (int i = 0; i < n; i++) {
        emit(e, "for (int i = 0; i < %s; i++)", t[i].size);
        emit(e, "    norm2 += (double)grad.%s[i] * grad.%s[i];", t[i].name, t[i].name);
    }
    emit_open(e, "if (sqrt(norm2) + 1e-6 > c)");
    emit(e, "const @R s = (@R)(c / (sqrt(norm2) + 1e-6));");
    for (int i = 0; i < n; i++) {
        emit(e, "for (int i = 0; i < %s; i++)", t[i].size);
        emit(e, "    grad.%s[i] *= s;", t[i].name);
    }
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit_close(e, NULL);
}

void emit_update(Emitter *e)
{
    const OptimDesc *o = e->net->optimizer;
    emit(e, "/* ---- update: %s, as torch.optim.%s ------------------------------------------------------- */",
         o->word, o->torch);
    o->step_function(e);
    emit_blank(e);

    TrainTensor t[256];
    int n = tensors(e, t, 256);
    emit_clipping(e, t, n);
    emit_blank(e);
    emit(e, "/* One step for every parameter tensor, with the learning rate of this step (the schedule");
    emit(e, " * is the runtime's), momentum and weight decay as the command line may have changed them. */");
    emit_function(e, "static void update(const NetrtHyper *h)");
    emit(e, "if (h->clip_value > 0 || h->clip_norm > 0)");
    emit(e, "    clip_gradients(h);");
    o->setup(e, t, n);
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
        o->step_call(e, &t[i]);
        uses_global_wd |= !strcmp(t[i].wd, "wd");
    }
    if (!uses_global_wd)
        emit(e, "(void)wd; /* every layer has its own weight decay */");
    emit_close(e, NULL);
}
