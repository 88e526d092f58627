/* ir.c: lower a checked Net to the ordered ops the emitter writes, one function pair per op.
 *
 * Lowering decides three things the emitter then takes as given:
 *   - fusion: an elementwise activation right after a dense layer becomes part of that dense op,
 *     so bias + activation is one pass forward, and activation' + bias gradient one pass back;
 *   - buffers: each op reads a named buffer and writes `<layer>_out`; its gradient is `d_<name>`.
 *     `flatten` is free in row-major NCHW: it renames, nothing is copied;
 *   - cost: parameters and exact GEMM FLOPs per sample, for the header and `netc check`.
 */
#include "netc.h"

#include <ctype.h>
#include <string.h>

static void upper(char *dst, size_t size, const char *name, const char *suffix)
{
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++)
        dst[i] = (char)toupper((unsigned char)name[i]);
    snprintf(dst + i, size - i, "%s", suffix);
}

bool is_activation(LayerKind k)
{
    return k >= LAYER_RELU && k <= LAYER_SILU;
}

/* relu, leaky_relu, elu, sigmoid and tanh have derivatives that are functions of their output
 * (y > 0 exactly when z > 0, σ' = y(1-y), …), so backward reads y; gelu and silu do not. */
bool activation_needs_z(LayerKind k)
{
    return k == LAYER_GELU || k == LAYER_SILU;
}

/* The activation after a dense or conv layer becomes part of its op: the op's output is the
 * activation's, and the gradient before the activation gets a buffer of its own. */
static const NetLayer *fuse_activation(IrOp *op, const NetLayer *act)
{
    op->act = act;
    op->act_kind = act->kind;
    if (activation_needs_z(act->kind)) /* what it keeps for backward: z, or silu's σ(z) */
        snprintf(op->z, sizeof op->z, "%s_%s", op->layer->name,
                 act->kind == LAYER_SILU ? "sigma" : "z");
    return act;
}

Ir ir_lower(const Net *net, Arena *arena)
{
    Ir ir = {0};
    ir.ops = arena_alloc(arena, (size_t)(net->nlayers + 1) * sizeof *ir.ops);
    const char *cur = "input"; /* the buffer holding the current activation */
    bool cur_is_data = true;

    for (int i = 1; i < net->nlayers; i++) {
        const NetLayer *l = &net->layers[i];
        if (l->kind == LAYER_FLATTEN)
            continue; /* same memory, read as a vector */
        IrOp *op = &ir.ops[ir.nops++];
        op->layer = l;
        op->I = l->in_size;
        op->O = l->out_size;
        op->in_is_data = cur_is_data;
        snprintf(op->in, sizeof op->in, "%s", cur);
        snprintf(op->name, sizeof op->name, "%s", l->name);
        const NetLayer *last = l;
        switch (l->kind) {
        case LAYER_CONV:
        case LAYER_MAXPOOL:
        case LAYER_AVGPOOL: {
            op->kind = l->kind == LAYER_CONV ? IR_CONV : IR_POOL;
            upper(op->U, sizeof op->U, l->name, "");
            upper(op->I_name, sizeof op->I_name, l->name, "_IN");
            upper(op->O_name, sizeof op->O_name, l->name, "_OUT");
            if (l->kind != LAYER_CONV)
                break;
            snprintf(op->pre, sizeof op->pre, "d_%s_out", l->name);
            if (i + 1 < net->nlayers && is_activation(net->layers[i + 1].kind))
                last = fuse_activation(op, &net->layers[++i]);
            long long ckk = (long long)l->in_c * l->kernel * l->kernel;
            long long gemm = 2LL * l->out_shape[0] * ckk * l->out_shape[1] * l->out_shape[2];
            ir.nparams += l->out_shape[0] * ckk + l->out_shape[0];
            ir.flops_forward += gemm;
            ir.flops_train += gemm * (op->in_is_data ? 2 : 3);
            break;
        }
        case LAYER_DENSE:
            op->kind = IR_DENSE;
            upper(op->I_name, sizeof op->I_name, l->name, "_IN");
            upper(op->O_name, sizeof op->O_name, l->name, "_OUT");
            snprintf(op->pre, sizeof op->pre, "d_%s_out", l->name);
            if (i + 1 < net->nlayers && is_activation(net->layers[i + 1].kind))
                last = fuse_activation(op, &net->layers[++i]);
            ir.nparams += (long long)op->I * op->O + op->O;
            ir.flops_forward += 2LL * op->I * op->O;
            ir.flops_train += 2LL * op->I * op->O * (op->in_is_data ? 2 : 3);
            break;
        default:
            op->kind = l->kind == LAYER_SOFTMAX || l->kind == LAYER_LOG_SOFTMAX ? IR_SOFTMAX
                       : l->kind == LAYER_DROPOUT                             ? IR_DROPOUT
                                                                              : IR_ACT;
            op->act_kind = l->kind;
            upper(op->I_name, sizeof op->I_name, l->name, "_SIZE");
            snprintf(op->O_name, sizeof op->O_name, "%s", op->I_name);
            break;
        }
        snprintf(op->out, sizeof op->out, "%s_out", last->name);
        cur = op->out;
        cur_is_data = false;
    }
    ir.out = cur;
    ir.out_size = net->layers[net->nlayers - 1].out_size;

    IrOp *loss = &ir.ops[ir.nops++];
    loss->kind = IR_LOSS;
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
        const char *sep = i ? " → " : "";
        if (l->kind == LAYER_INPUT && l->out_rank == 2)
            used += (size_t)snprintf(buf + used, size - used, "input %dx%d", l->out_shape[0],
                                     l->out_shape[1]);
        else if (l->kind == LAYER_INPUT && l->out_rank == 3)
            used += (size_t)snprintf(buf + used, size - used, "input %dx%dx%d", l->out_shape[0],
                                     l->out_shape[1], l->out_shape[2]);
        else if (l->kind == LAYER_INPUT || l->kind == LAYER_DENSE)
            used += (size_t)snprintf(buf + used, size - used, "%s%s %d", sep, l->name, l->out_size);
        else if (l->kind == LAYER_CONV)
            used += (size_t)snprintf(buf + used, size - used, "%s%s %d %dx%d", sep, l->name,
                                     l->out_shape[0], l->kernel, l->kernel);
        else if (l->kind == LAYER_MAXPOOL || l->kind == LAYER_AVGPOOL)
            used += (size_t)snprintf(buf + used, size - used, "%s%s %dx%d", sep, l->name,
                                     l->kernel, l->kernel);
        else
            used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, l->name);
    }
    snprintf(buf + used, size - used, " → %s", net->loss_name);
    return buf;
}

/* The most a generated trainer may declare in static buffers. Static data past 2 GiB does not
 * link with the default code model ("relocation truncated to fit"); 1 GiB leaves room. */
static const double STORAGE_MAX_BYTES = 1024.0 * 1024 * 1024;
enum { STORAGE_MAX_THREADS = 16, STORAGE_INSTANCES = 4 }; /* NETRT_MAX_THREADS; param, grad, and
                                                              up to two optimizer states */

typedef struct {
    const char *what;
    double count, row; /* values in all, and in the longest row an int indexes */
} StorageArray;

/* The arrays op declares (emit_storage), in values: each one's row (what generated code indexes
 * with an int) is checked, and the total returned. */
static double op_storage(Source *src, const IrOp *op, int batch_max, bool *ok)
{
    const NetLayer *l = op->layer;
    double rows = (double)batch_max * op->O;
    StorageArray arrays[8];
    int n = 0;
    arrays[n++] = (StorageArray){"outputs", rows, rows};
    arrays[n++] = (StorageArray){"output gradients", rows, rows};
    if (op->z[0])
        arrays[n++] = (StorageArray){"kept pre-activations", rows, rows};
    if (op->act)
        arrays[n++] = (StorageArray){"gradients before the activation", rows, rows};
    if (op->kind == IR_DROPOUT || l->kind == LAYER_MAXPOOL)
        arrays[n++] = (StorageArray){"kept masks", rows, rows};
    if (op->kind == IR_CONV) {
        double ckk = (double)l->in_c * l->kernel * l->kernel;
        double col = ckk * l->out_shape[1] * l->out_shape[2], sums = l->out_shape[0] * (ckk + 1);
        arrays[n++] = (StorageArray){"im2col scratch", STORAGE_MAX_THREADS * col, col};
        arrays[n++] = (StorageArray){"gradient sums", (batch_max + 3) / 4 * sums, sums};
    }
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
        if (ir->ops[i].kind == IR_LOSS)
            continue;
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
