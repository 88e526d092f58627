/* ops.c: the list of every op, and what the descriptors share. */
#include "op.h"

#include <ctype.h>
#include <string.h>

extern const OpDesc op_input, op_dense, op_flatten, op_dropout, op_relu, op_leaky_relu, op_elu,
    op_sigmoid, op_tanh, op_gelu, op_silu, op_softplus, op_mish, op_softmax, op_log_softmax,
    op_conv, op_maxpool, op_avgpool, op_batchnorm, op_layernorm;

const OpDesc *const op_list[] = {
    &op_input,   &op_dense,   &op_flatten,  &op_dropout,   &op_relu,    &op_leaky_relu,
    &op_elu,     &op_sigmoid, &op_tanh,     &op_gelu,      &op_silu,    &op_softplus,
    &op_mish,    &op_softmax, &op_log_softmax, &op_conv,   &op_maxpool, &op_avgpool,
    &op_batchnorm, &op_layernorm, NULL,
};
enum { NOPS = sizeof op_list / sizeof op_list[0] - 1 };

const OpDesc *op_find(const char *word)
{
    for (int i = 0; i < NOPS; i++)
        if (!strcmp(op_list[i]->word, word) || (op_list[i]->alias && !strcmp(op_list[i]->alias, word)))
            return op_list[i];
    return NULL;
}

int op_index(const OpDesc *op)
{
    for (int i = 0; i < NOPS; i++)
        if (op_list[i] == op)
            return i;
    return -1;
}

const char *const *op_words(void)
{
    static const char *words[2 * NOPS + 2];
    if (!words[0]) {
        int n = 0;
        for (int i = 0; i < NOPS; i++) {
            words[n++] = op_list[i]->word;
            if (op_list[i]->alias)
                words[n++] = op_list[i]->alias;
        }
        words[n] = "repeat";
    }
    return words;
}

int op_tensors(const NetLayer *l, OpTensor *out)
{
    return l->op->tensors ? l->op->tensors(l, out) : 0;
}

long long op_param_count(const NetLayer *l)
{
    OpTensor t[OP_MAX_TENSORS];
    long long count = 0;
    for (int k = 0, n = op_tensors(l, t); k < n; k++) {
        long long size = 1;
        for (int d = 0; d < t[k].rank; d++)
            size *= t[k].shape[d];
        count += t[k].buffer ? 0 : size;
    }
    return count;
}

void op_upper(char *dst, size_t size, const char *name, const char *suffix)
{
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++)
        dst[i] = (char)toupper((unsigned char)name[i]);
    snprintf(dst + i, size - i, "%s", suffix);
}

void op_tensor(OpTensor *t, const NetLayer *l, const char *suffix, const char *torch, int rank,
               const char *const *names, const int *dims)
{
    *t = (OpTensor){.torch = torch, .rank = rank, .init = {INIT_ZEROS, 0, 0}};
    snprintf(t->field, sizeof t->field, "%s_%s", l->name, suffix);
    size_t used = 0, shape_used = 0;
    shape_used += (size_t)snprintf(t->shape_c, sizeof t->shape_c, "{");
    for (int i = 0; i < rank; i++) {
        t->shape[i] = dims[i];
        used += (size_t)snprintf(t->size + used, sizeof t->size - used, "%s%s", i ? " * " : "",
                                 names[i]);
        shape_used += (size_t)snprintf(t->shape_c + shape_used, sizeof t->shape_c - shape_used,
                                       "%s%s", i ? ", " : "", names[i]);
    }
    if (rank == 0) { /* a scalar: one value, and a shape C can initialise */
        snprintf(t->size, sizeof t->size, "1");
        snprintf(t->shape_c, sizeof t->shape_c, "{0}");
        return;
    }
    snprintf(t->shape_c + shape_used, sizeof t->shape_c - shape_used, "}");
}

const char *lit(const Emitter *e, char buf[40], double x)
{
    char num[32];
    fmt_double(num, x);
    bool has_point = strpbrk(num, ".en") != NULL; /* "1e-05", "nan" need no ".0" */
    snprintf(buf, 40, "%s%s%s", num, has_point ? "" : ".0", e->f64 ? "" : "f");
    return buf;
}

void emit_gemm_loop(Emitter *e, const char *loop)
{
    emit(e, "/* GEMM: %s */", loop);
}

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

/* ---- netc layers: the reference, from the descriptors ---------------------------------------- */

static const char *const arg_text[] = {
    [ARG_NONE] = "", [ARG_SIZE] = " N", [ARG_PROB] = " P", [ARG_KERNEL] = " K",
};

/* An option's type, range and default, in words. */
static void print_option(FILE *out, const OptionSpec *o)
{
    fprintf(out, "      %-13s ", o->key);
    switch (o->type) {
    case OPT_NUMBER:
    case OPT_WEIGHT_DECAY: fprintf(out, "a number in [%g, %g]", o->min, o->max); break;
    case OPT_WHOLE: fprintf(out, "a whole number ≥ %g", o->min); break;
    case OPT_KERNEL: fprintf(out, "K or KxK, a square kernel"); break;
    case OPT_INIT: fprintf(out, "an initializer (docs/language.md)"); break;
    case OPT_CHOICE:
        for (int i = 0; o->choices[i]; i++)
            fprintf(out, "%s%s", i ? " or " : "", o->choices[i]);
        break;
    }
    if (o->default_text)
        fprintf(out, "; default %s\n", o->default_text);
    else if (o->type == OPT_CHOICE)
        fprintf(out, "; default %s\n", o->choices[(int)o->def]);
    else
        fprintf(out, "; default %g\n", o->def);
}

void op_print_reference(FILE *out)
{
    for (int i = 0; i < NOPS; i++) {
        const OpDesc *op = op_list[i];
        char head[128];
        snprintf(head, sizeof head, "%s%s%s%s", op->word, op->alias ? ", " : "",
                 op->alias ? op->alias : "", arg_text[op->arg]);
        fprintf(out, "  %-22s %s%s%s%s%s\n", head, op->torch ? "torch.nn." : "",
                op->torch ? op->torch : "", op->arg ? " (e.g. " : "", op->arg ? op->example : "",
                op->arg ? ")" : "");
        for (int k = 0; k < OP_MAX_OPTIONS && op->options[k].key; k++)
            print_option(out, &op->options[k]);
    }
}
