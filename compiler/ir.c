/* ir.c: lower a checked Net to the ordered ops the emitter writes, one function pair per op.
 *
 * Lowering decides three things the emitter then takes as given:
 *   - fusion: an elementwise activation right after a dense layer becomes part of that dense op,
 *     so bias + activation is one pass forward, and activation' + bias gradient one pass back;
 *   - buffers: each op reads a named buffer and writes `<layer>_out`; its gradient is `d_<name>`.
 *     `flatten` is free in row-major NCHW: it renames, nothing is copied;
 *   - cost: parameters and exact GEMM FLOPs per sample, for the header and `netc check`.
 */
#include "ops/op.h"

#include <string.h>

/* The activation after a dense or conv layer becomes part of its op: the op's output is the
 * activation's, and the gradient before the activation gets a buffer of its own. */
static const NetLayer *fuse_activation(IrOp *op, const NetLayer *act)
{
    op->act = act;
    if (act->op->keeps) /* what it keeps for backward: z, or silu's σ(z) */
        snprintf(op->z, sizeof op->z, "%s_%s", op->layer->name, act->op->keeps);
    return act;
}

/* Its parameters (not its buffers) and the FLOPs of its products, added to the totals. */
static void count_cost(Ir *ir, const IrOp *op)
{
    ir->nparams += op_param_count(op->layer);
    if (op->op->flops) {
        long long flops = op->op->flops(op->layer);
        ir->flops_forward += flops;
        ir->flops_train += flops * (op->in_is_data ? 2 : 3);
    }
}

Ir ir_lower(const Net *net, Arena *arena)
{
    Ir ir = {0};
    ir.ops = arena_alloc(arena, (size_t)net->nlayers * sizeof *ir.ops);
    const char *cur = "input"; /* the buffer holding the current activation */
    bool cur_is_data = true;

    for (int i = 1; i < net->nlayers; i++) {
        const NetLayer *l = &net->layers[i];
        if (l->op->is_free)
            continue; /* same memory, read another way */
        IrOp *op = &ir.ops[ir.nops++];
        op->op = l->op;
        op->layer = l;
        op->I = l->in_size;
        op->O = l->out_size;
        op->in_is_data = cur_is_data;
        snprintf(op->in, sizeof op->in, "%s", cur);
        snprintf(op->name, sizeof op->name, "%s", l->name);
        if (l->op->lower) {
            l->op->lower(op);
        } else {
            op_upper(op->I_name, sizeof op->I_name, l->name, "_SIZE");
            snprintf(op->O_name, sizeof op->O_name, "%s", op->I_name);
        }
        const NetLayer *last = l;
        if (l->op->fuses_activation && i + 1 < net->nlayers && net->layers[i + 1].op->activation)
            last = fuse_activation(op, &net->layers[++i]);
        count_cost(&ir, op);
        snprintf(op->out, sizeof op->out, "%s_out", last->name);
        cur = op->out;
        cur_is_data = false;
    }
    ir.out = cur;
    ir.out_size = net->layers[net->nlayers - 1].out_size;

    IrOp *loss = &ir.loss;
    snprintf(loss->name, sizeof loss->name, "loss");
    snprintf(loss->in, sizeof loss->in, "%s", cur);
    loss->I = loss->O = ir.out_size;
    snprintf(loss->I_name, sizeof loss->I_name, "OUTPUTS");
    snprintf(loss->O_name, sizeof loss->O_name, "OUTPUTS");
    return ir;
}

char *ir_describe(const Net *net, Arena *arena)
{
    size_t size = 64 + strlen(net->loss_name), used = 0;
    for (int i = 0; i < net->nlayers; i++)
        size += 64 + strlen(net->layers[i].name);
    char *buf = arena_alloc(arena, size);
    for (int i = 0; i < net->nlayers; i++) {
        const NetLayer *l = &net->layers[i];
        used += (size_t)snprintf(buf + used, size - used, "%s", i ? " → " : "");
        if (l->op->describe)
            l->op->describe(l, buf + used, size - used);
        else
            snprintf(buf + used, size - used, "%s", l->name);
        used += strlen(buf + used);
    }
    snprintf(buf + used, size - used, " → %s", net->loss_name);
    return buf;
}

/* The most a generated trainer may declare in static buffers. Static data past 2 GiB does not
 * link with the default code model ("relocation truncated to fit"); 1 GiB leaves room. */
static const double STORAGE_MAX_BYTES = 1024.0 * 1024 * 1024;
enum { STORAGE_INSTANCES = 4 }; /* param, grad, and up to two optimizer states */

/* The arrays op declares (emit_storage), in values: each one's row (what generated code indexes
 * with an int) is checked, and the total returned. */
static double op_storage(Source *src, const IrOp *op, int batch_max, bool *ok)
{
    const NetLayer *l = op->layer;
    double rows = (double)batch_max * op->O;
    OpArray arrays[4 + OP_MAX_ARRAYS];
    int n = 0;
    arrays[n++] = (OpArray){"outputs", "", NULL, rows, rows};
    arrays[n++] = (OpArray){"output gradients", "", NULL, rows, rows};
    if (op->z[0])
        arrays[n++] = (OpArray){"kept pre-activations", "", NULL, rows, rows};
    if (op->act)
        arrays[n++] = (OpArray){"gradients before the activation", "", NULL, rows, rows};
    if (op->op->arrays)
        n += op->op->arrays(op, batch_max, arrays + n);
    double total = 0;
    for (int i = 0; i < n; i++) {
        if (arrays[i].row > 2147483647.0 && *ok) {
            diag(src, l->src->loc, DIAG_ERROR, "%s's %s take %.0f values for batches of up to "
                 "%d, past what a C int indexes (2^31 - 1): lower the batch or this layer's size",
                 l->name, arrays[i].what, arrays[i].row, batch_max);
            *ok = false;
        }
        total += arrays[i].count;
    }
    return total;
}

bool ir_check_storage(Source *src, const Ir *ir, int batch_max, int value_bytes)
{
    bool ok = true;
    double total = (double)ir->nparams * STORAGE_INSTANCES, largest = 0;
    const IrOp *big = NULL;
    for (int i = 0; i < ir->nops && ok; i++) {
        double n = op_storage(src, &ir->ops[i], batch_max, &ok);
        total += n;
        if (n > largest)
            largest = n, big = &ir->ops[i];
    }
    double bytes = total * value_bytes, gib = 1024.0 * 1024 * 1024;
    if (ok && bytes > STORAGE_MAX_BYTES && big) {
        diag(src, big->layer->src->loc, DIAG_ERROR, "the trainer's buffers would take %.1f GiB "
             "for batches of up to %d, %.1f GiB of it %s's; netc keeps them under %.0f GiB: lower "
             "the batch (or --batch-max) or the layers' sizes", bytes / gib, batch_max,
             largest * value_bytes / gib, big->layer->name, STORAGE_MAX_BYTES / gib);
        ok = false;
    }
    return ok;
}
