/* emit.c: the frame of the generated file, top to bottom.
 *
 *   1. header comment: source, the network in one line, counts, conventions
 *   2. includes, the size enum, struct params and its instances, activation buffers
 *   3. each layer's <name>_forward() and <name>_backward(), in model order   (emit_ops.c)
 *   4. loss()                                                                (emit_ops.c)
 *   5. forward() and backward(): the call lists, in order and in reverse
 *   6. update()                                                              (emit_ops.c)
 *   7. the parameter table, the model description, main()
 */
#include "emit.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(Emitter *e, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *text = arena_alloc(e->scratch, (size_t)(n > 0 ? n : 0) + 1);
    vsnprintf(text, (size_t)n + 1, fmt, again);
    va_end(again);
    return text;
}

char *emit_text(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = vformat(e, fmt, ap);
    va_end(ap);
    return text;
}

/* `text` with @R, @f, @X and @G (emit.h) expanded. */
static char *expand(Emitter *e, const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '@' ? 16 : 1;
    char *out = arena_alloc(e->scratch, n + 1), *o = out;
    for (const char *p = text; *p; p++) {
        const char *word = NULL;
        if (p[0] == '@' && p[1] == 'R')
            word = e->f64 ? "double" : "float";
        else if (p[0] == '@' && p[1] == 'f')
            word = e->f64 ? "" : "f";
        else if (p[0] == '@' && p[1] == 'X')
            word = e->f64 ? "exp" : "netrt_expf";
        else if (p[0] == '@' && p[1] == 'G')
            word = e->f64 ? "cblas_dgemm" : "netrt_sgemm";
        if (word) {
            o += sprintf(o, "%s", word);
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

static void vemit(Emitter *e, const char *fmt, va_list ap)
{
    const char *line = expand(e, vformat(e, fmt, ap));
    if (line[0] != '\0')
        for (int i = 0; i < e->depth; i++)
            fputs("    ", e->out);
    fputs(line, e->out);
}

void emit(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(e, fmt, ap);
    va_end(ap);
    fputc('\n', e->out);
}

void emit_open(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(e, fmt, ap);
    va_end(ap);
    fputs(" {\n", e->out);
    e->depth++;
}

void emit_function(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(e, fmt, ap);
    va_end(ap);
    fputs("\n{\n", e->out);
    e->depth++;
}

void emit_commented(Emitter *e, const char *code, const char *comment)
{
    emit(e, "%-52s /* %s */", expand(e, code), comment);
}

const char *fmt_double(char buf[32], double x)
{
    for (int digits = 6; digits < 17; digits++) {
        snprintf(buf, 32, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            return buf;
    }
    snprintf(buf, 32, "%.17g", x);
    return buf;
}

void emit_close(Emitter *e, const char *suffix)
{
    e->depth--;
    emit(e, "}%s", suffix ? suffix : "");
}

void emit_blank(Emitter *e)
{
    fputc('\n', e->out);
}

const char *fmt_count(char buf[32], long long n)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%lld", n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

/* User text inside a C comment. It must not end the comment: "*" then "/" gets a space between
 * them, and so do "/" then "*" (which -Wcomment reports) and "??", which C11 may read as a
 * trigraph ("??/" is a backslash, which at the end of a line would join the next one to it).
 * Control bytes become '?'. */
static char *comment_text(Emitter *e, const char *text)
{
    char *dst = arena_alloc(e->scratch, 2 * strlen(text) + 1), *o = dst;
    for (const char *p = text; *p; p++) {
        *o++ = (unsigned char)*p < 0x20 ? '?' : *p;
        if ((p[0] == '*' && p[1] == '/') || (p[0] == '/' && p[1] == '*') ||
            (p[0] == '?' && p[1] == '?'))
            *o++ = ' ';
    }
    *o = '\0';
    return dst;
}

/* User text inside a C string literal, which it can never leave: '"' and '\\' are escaped, and
 * so is every '?' ("\\?"), since "??/" is a trigraph for '\\' in C11; control bytes and, unless
 * `utf8` (netc's own text), bytes past ASCII become octal escapes. */
static char *c_string(Emitter *e, const char *text, bool utf8)
{
    char *dst = arena_alloc(e->scratch, 4 * strlen(text) + 1), *o = dst;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\' || *p == '?')
            o += sprintf(o, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f || (*p > 0x7f && !utf8))
            o += sprintf(o, "\\%03o", *p);
        else
            *o++ = (char)*p;
    }
    *o = '\0';
    return dst;
}

void emit_banner(Emitter *e, const IrOp *op)
{
    const char *where = comment_text(e, e->src->path), *title;
    if (op->kind == IR_LOSS) {
        title = emit_text(e, "/* ---- loss (%s:%d) ", where, e->net->loss_loc.first_line);
    } else {
        const Layer *first = op->layer->src, *last = op->act ? op->act->src : first;
        char lines[32];
        if (last->loc.first_line != first->loc.first_line)
            snprintf(lines, sizeof lines, "%d-%d", first->loc.first_line, last->loc.first_line);
        else
            snprintf(lines, sizeof lines, "%d", first->loc.first_line);
        title = emit_text(e, "/* ---- %s%s%s (%s:%s) ", op->layer->name, op->act ? " + " : "",
                          op->act ? op->act->name : "", where, lines);
    }
    /* pad the banner to 100 columns, counting characters, not bytes */
    int width = 0;
    for (const char *p = title; *p; p++)
        width += ((unsigned char)*p & 0xc0) != 0x80;
    char rule[128] = "";
    for (int i = width; i < 97 && i - width < (int)sizeof rule - 1; i++)
        strcat(rule, "-");
    emit(e, "%s%s */", title, rule);
}

static void emit_header(Emitter *e, const EmitOptions *opt)
{
    const Net *net = e->net;
    const Ir *ir = e->ir;
    char n1[32], n2[32], n3[32];
    const char *desc = comment_text(e, ir_describe(net, e->scratch));
    emit(e, "/* %s: generated by netc %s from %s; do not edit.", net->name, NETC_VERSION,
         comment_text(e, e->src->path));
    emit(e, " *   %s", comment_text(e, opt->command));
    emit(e, " *");
    emit(e, " * Network:    %s", desc);
    emit(e, " * Parameters: %s", fmt_count(n1, ir->nparams));
    emit(e, " * FLOPs per sample: %s forward, %s per training step (matrix products, 2 per",
         fmt_count(n2, ir->flops_forward), fmt_count(n3, ir->flops_train));
    emit(e, " *                   multiply-add)");
    emit(e, " *");
    emit(e, " * Conventions");
    emit(e, " *   B        the number of samples in a call, B ≤ BATCH_MAX; a batch is B rows, row-major.");
    emit(e, " *   W[o][i]  a dense layer's weight is [out, in], so out = in · Wᵀ + b, as torch.nn.Linear.");
    emit(e, " *   d_x      ∂L/∂x, L being the mean loss over the batch. Each backward pass overwrites (=)");
    emit(e, " *            the gradients; nothing accumulates across steps.");
    bool images = false;
    for (int i = 0; i < ir->nops; i++)
        images |= ir->ops[i].kind == IR_CONV || ir->ops[i].kind == IR_POOL;
    if (images)
        emit(e, " *   NCHW     an image input is [channels, height, width] per sample; 'flatten' is free.");
    emit(e, " *   GEMM     %s(order, opA, opB, M, N, K, α, A, lda, B, ldb, β, C, ldc) computes",
         e->f64 ? "cblas_dgemm" : "netrt_sgemm");
    emit(e, " *            C[M,N] = α·opA(A)[M,K]·opB(B)[K,N] + β·C, opX(X) = X or Xᵀ (CblasTrans),");
    emit(e, " *            lda, ldb, ldc the length of a row of A, B, C in memory (row-major). The");
    emit(e, " *            comment above each call gives the loop it stands for.");
    emit(e, " *   %s   every tensor (%s precision%s).", e->f64 ? "double" : "float ",
         e->f64 ? "double" : "single", e->f64 ? ", for gradient checks" : "");
    emit(e, " */");
    emit(e, "#include <math.h>");
    emit(e, "#include <stdint.h>");
    emit(e, "#include <cblas.h>");
    emit(e, "#include \"netrt.h\"");
    emit_blank(e);
}

static void emit_sizes(Emitter *e, int batch_max)
{
    const Net *net = e->net;
    const NetLayer *in = &net->layers[0];
    char shape[64];
    net_shape_text(in, shape, sizeof shape);

    emit(e, "/* Sizes: every loop bound and GEMM dimension below is one of these. */");
    emit_open(e, "enum");
    emit(e, "BATCH_MAX = %d, /* rows of every buffer: the largest batch, training or evaluation */",
         batch_max);
    emit(e, "INPUT_SIZE = %d, /* one sample: %s */", in->out_size, shape);
    bool images = false;
    for (int i = 0; i < e->ir->nops; i++)
        images |= e->ir->ops[i].kind == IR_CONV || e->ir->ops[i].kind == IR_POOL;
    if (images)
        emit(e, "SAMPLES = %d, /* samples a thread takes at a time in the image layers */",
             CONV_SAMPLES);
    for (int i = 0; i < e->ir->nops; i++) {
        const IrOp *op = &e->ir->ops[i];
        if (op->kind == IR_DENSE)
            emit(e, "%s = %d, %s = %d,", op->I_name, op->I, op->O_name, op->O);
        else if (op->kind == IR_CONV || op->kind == IR_POOL)
            emit_image_sizes(e, op);
        else if (op->kind != IR_LOSS)
            emit(e, "%s = %d,", op->I_name, op->I);
    }
    if (e->net->regression)
        emit(e, "OUTPUTS = %d, /* target values per sample */", e->ir->out_size);
    else
        emit(e, "CLASSES = %d, /* outputs per sample; labels are 0 … CLASSES-1 */", e->ir->out_size);
    emit_close(e, ";");
    emit_blank(e);
}

bool op_weights(const IrOp *op, Weights *w)
{
    const NetLayer *l = op->layer;
    if (op->kind == IR_DENSE) {
        snprintf(w->w_size, sizeof w->w_size, "%s * %s", op->O_name, op->I_name);
        snprintf(w->b_size, sizeof w->b_size, "%s", op->O_name);
        snprintf(w->w_shape, sizeof w->w_shape, "{%s, %s}", op->O_name, op->I_name);
        snprintf(w->w_text, sizeof w->w_text, "[%d,%d]", op->O, op->I);
        w->rank = 2, w->b_count = op->O, w->fan_in = op->I, w->fan_out = op->O;
        return true;
    }
    if (op->kind == IR_CONV) {
        const char *u = op->U;
        int oc = l->out_shape[0], k = l->kernel;
        snprintf(w->w_size, sizeof w->w_size, "%s_OC * %s_IC * %s_K * %s_K", u, u, u, u);
        snprintf(w->b_size, sizeof w->b_size, "%s_OC", u);
        snprintf(w->w_shape, sizeof w->w_shape, "{%s_OC, %s_IC, %s_K, %s_K}", u, u, u, u);
        snprintf(w->w_text, sizeof w->w_text, "[%d,%d,%d,%d]", oc, l->in_c, k, k);
        w->rank = 4, w->b_count = oc, w->fan_in = l->in_c * k * k, w->fan_out = oc * k * k;
        return true;
    }
    return false;
}

static const char *init_text(char *buf, size_t size, Init init, int fan_in, int fan_out,
                             const char *torch_layer)
{
    switch (init.kind) {
    case INIT_TORCH: snprintf(buf, size, "U(±1/√%d), as torch.nn.%s", fan_in, torch_layer); break;
    case INIT_ZEROS: snprintf(buf, size, "zeros"); break;
    case INIT_CONSTANT: snprintf(buf, size, "constant %g", init.a); break;
    case INIT_NORMAL: snprintf(buf, size, "normal: N(%g, %g²)", init.a, init.b); break;
    case INIT_UNIFORM: snprintf(buf, size, "uniform: U(%g, %g)", init.a, init.b); break;
    case INIT_XAVIER_UNIFORM:
        snprintf(buf, size, "xavier_uniform: U(±√(6/(%d+%d)))", fan_in, fan_out);
        break;
    case INIT_XAVIER_NORMAL:
        snprintf(buf, size, "xavier_normal: N(0, 2/(%d+%d))", fan_in, fan_out);
        break;
    case INIT_HE_UNIFORM: snprintf(buf, size, "he_uniform: U(±√(6/%d))", fan_in); break;
    case INIT_HE_NORMAL: snprintf(buf, size, "he_normal: N(0, 2/%d)", fan_in); break;
    case INIT_LECUN_UNIFORM: snprintf(buf, size, "lecun_uniform: U(±√(3/%d))", fan_in); break;
    case INIT_LECUN_NORMAL: snprintf(buf, size, "lecun_normal: N(0, 1/%d)", fan_in); break;
    }
    return buf;
}

static void emit_storage(Emitter *e)
{
    const Ir *ir = e->ir;
    char text[128];
    const char *state[3];
    int nstate = optimizer_state(e->net, state);
    char states[128] = "";
    for (int i = 0; i < nstate; i++)
        snprintf(states + strlen(states), sizeof states - strlen(states), "%s%s",
                 i == 0 ? "" : i == nstate - 1 ? " and " : ", ", state[i]);
    emit(e, "/* Parameters: one layout, %d instances: the values, their gradients, and the optimizer's",
         2 + nstate);
    bool conv = false;
    for (int i = 0; i < ir->nops; i++)
        conv |= ir->ops[i].kind == IR_CONV;
    emit(e, " * state (%s). A dense W is [out, in]: row o holds the weights into unit o%s", states,
         conv ? ";" : ". */");
    if (conv)
        emit(e, " * a conv W is [out channel, in channel, K, K]. */");
    emit_open(e, "struct params");
    for (int i = 0; i < ir->nops; i++) {
        const IrOp *op = &ir->ops[i];
        Weights w;
        if (!op_weights(op, &w))
            continue;
        char code[256], comment[256];
        const char *torch = op->kind == IR_CONV ? "Conv2d" : "Linear";
        snprintf(code, sizeof code, "@R %s_W[%s];", op->name, w.w_size);
        snprintf(comment, sizeof comment, "%s %s", w.w_text,
                 init_text(text, sizeof text, op->layer->init, w.fan_in, w.fan_out, torch));
        emit_commented(e, code, comment);
        snprintf(code, sizeof code, "@R %s_b[%s];", op->name, w.b_size);
        snprintf(comment, sizeof comment, "[%d] %s", w.b_count,
                 init_text(text, sizeof text, op->layer->bias_init, w.fan_in, w.fan_out, torch));
        emit_commented(e, code, comment);
    }
    emit_close(e, ";");
    char instances[160] = "param, grad";
    for (int i = 0; i < nstate; i++)
        snprintf(instances + strlen(instances), sizeof instances - strlen(instances), ", %s",
                 state[i]);
    emit(e, "static struct params %s;", instances);
    emit_blank(e);

    emit(e, "/* Activations, written by the forward pass, and their gradients, written by the");
    emit(e, " * backward pass: BATCH_MAX rows each, allocated once, here. */");
    emit_commented(e, "static @R input[BATCH_MAX * INPUT_SIZE];", "a batch, written by the runtime");
    if (e->net->regression)
        emit_commented(e, "static @R targets[BATCH_MAX * OUTPUTS];",
                       "its target values, written by the runtime");
    else
        emit_commented(e, "static int32_t labels[BATCH_MAX];", "its classes, written by the runtime");
    for (int i = 0; i < ir->nops; i++) {
        const IrOp *op = &ir->ops[i];
        if (op->kind == IR_LOSS)
            continue;
        char code[256], comment[128];
        snprintf(code, sizeof code, "static @R %s[BATCH_MAX * %s];", op->out, op->O_name);
        if (op->act)
            snprintf(comment, sizeof comment, "%s's output, through %s", op->name, op->act->name);
        else
            snprintf(comment, sizeof comment, "%s's output", op->name);
        emit_commented(e, code, comment);
        if (op->z[0]) {
            snprintf(code, sizeof code, "static @R %s[BATCH_MAX * %s];", op->z, op->O_name);
            emit_commented(e, code, emit_text(e, "%s, z being %s's output before %s, kept for "
                                              "the backward pass", activation(e, op->act).keep_math,
                                              op->name, op->act->name));
        }
        if (op->kind == IR_POOL && op->layer->kind == LAYER_MAXPOOL) {
            snprintf(code, sizeof code, "static int32_t %s_arg[BATCH_MAX * %s];", op->name,
                     op->O_name);
            emit_commented(e, code, "where each window's maximum was, for the backward pass");
        }
        if (op->kind == IR_CONV) {
            snprintf(code, sizeof code,
                     "static @R %s_col[NETRT_MAX_THREADS][%s_IC * %s_K * %s_K * %s_OH * %s_OW];",
                     op->name, op->U, op->U, op->U, op->U, op->U);
            emit_commented(e, code, "one sample's im2col matrix, a scratch per thread");
            snprintf(code, sizeof code,
                     "static @R %s_sums[(BATCH_MAX + SAMPLES - 1) / SAMPLES][%s_OC * (%s_IC * %s_K * %s_K + 1)];",
                     op->name, op->U, op->U, op->U, op->U);
            emit_commented(e, code, "each range of samples' sums of grad W and grad b");
        }
        if (op->kind == IR_DROPOUT) {
            snprintf(code, sizeof code, "static @R %s_mask[BATCH_MAX * %s];", op->name,
                     op->O_name);
            emit_commented(e, code, "0 (dropped) or 1/(1 - p) (kept), for the backward pass");
        }
        if (op->act) {
            snprintf(code, sizeof code, "static @R %s[BATCH_MAX * %s];", op->pre, op->O_name);
            snprintf(comment, sizeof comment, "∂L/∂(%s's output before %s)", op->name,
                     op->act->name);
            emit_commented(e, code, comment);
        }
        snprintf(code, sizeof code, "static @R d_%s[BATCH_MAX * %s];", op->out, op->O_name);
        snprintf(comment, sizeof comment, "∂L/∂%s", op->out);
        emit_commented(e, code, comment);
    }
    emit_blank(e);
}

/* Does the model draw random numbers of its own (dropout)? */
static bool uses_rng(const Emitter *e)
{
    for (int i = 0; i < e->ir->nops; i++)
        if (e->ir->ops[i].kind == IR_DROPOUT)
            return true;
    return false;
}

static void emit_rng(Emitter *e)
{
    if (!uses_rng(e))
        return;
    emit(e, "/* The model's own random numbers, for dropout: splitmix64, seeded by the runtime. */");
    emit(e, "static uint64_t rng_state;");
    emit_function(e, "static inline @R uniform01(void)");
    emit(e, "uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);");
    emit(e, "z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;");
    emit(e, "z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;");
    emit(e, "return (@R)((z ^ (z >> 31)) >> 11) * (@R)(1.0 / 9007199254740992.0); /* [0, 1) */");
    emit_close(e, NULL);
    emit_blank(e);
}

/* An expression of x as C: every operation parenthesized, ^ as pow, abs as fabs. */
static const char *expr_c(Emitter *e, const Value *v)
{
    switch (v->kind) {
    case VAL_NUMBER: {
        char num[32];
        fmt_double(num, v->num);
        return emit_text(e, v->num < 0 ? "(%s%s)" : "%s%s", num, strpbrk(num, ".e") ? "" : ".0");
    }
    case VAL_CALL:
        return emit_text(e, "%s(%s)", strcmp(v->str, "abs") ? v->str : "fabs", expr_c(e, v->args));
    case VAL_BINOP:
        if (v->str[0] == '^')
            return emit_text(e, "pow(%s, %s)", expr_c(e, v->args), expr_c(e, v->args->next));
        return emit_text(e, "(%s %s %s)", expr_c(e, v->args), v->str, expr_c(e, v->args->next));
    case VAL_NEG: return emit_text(e, "(-%s)", expr_c(e, v->args));
    default: return "x";
    }
}

/* Does the expression read x? */
static bool uses_x(const Value *v)
{
    if (v->kind == VAL_NAME)
        return true; /* the only name a checked function of x keeps */
    for (const Value *a = v->args; a; a = a->next)
        if (uses_x(a))
            return true;
    return false;
}

/* The text of the source between two locations on one line (an expression as written). */
static const char *source_text(Emitter *e, Loc loc)
{
    const char *p = e->src->text;
    for (int line = 1; line < loc.first_line && *p; p++)
        line += *p == '\n';
    int len = loc.last_line == loc.first_line ? loc.last_column - loc.first_column + 1 : 0;
    if (loc.first_column < 1 || len <= 0 || (size_t)(loc.first_column - 1) > strlen(p))
        return "?";
    return emit_text(e, "%.*s", len, p + loc.first_column - 1);
}

/* data function { y = … }: the expression, as written and as C. */
static void emit_target_function(Emitter *e)
{
    if (e->net->data != DATA_FUNCTION)
        return;
    const char *text = comment_text(e, source_text(e, e->net->function->loc));
    emit(e, "/* ---- the data: y = f(x), from the data block -------------------------------------------- */");
    emit(e, "/* y = %s, with x ~ %s(%g, %g), %d points */", text, e->net->linspace ? "linspace" : "U",
         e->net->x_lo, e->net->x_hi, e->net->n);
    emit_function(e, "static double target_function(double x)");
    if (!uses_x(e->net->function))
        emit(e, "(void)x; /* a constant function */");
    emit(e, "return %s;", expr_c(e, e->net->function));
    emit_close(e, NULL);
    emit_blank(e);
}

static void emit_call_lists(Emitter *e)
{
    const Ir *ir = e->ir;
    emit(e, "/* ---- the network ------------------------------------------------------------------------- */");
    emit(e, "/* forward: the layers in order, from input to %s. */", ir->out);
    emit(e, "/* training = 0 (evaluation) turns dropout off. */");
    emit_function(e, "static void forward(int B, int training)");
    bool dropout = false;
    for (int i = 0; i < ir->nops; i++)
        dropout |= ir->ops[i].kind == IR_DROPOUT;
    if (!dropout)
        emit(e, "(void)training; /* no dropout in this model */");
    for (int i = 0; i < ir->nops; i++)
        if (ir->ops[i].kind != IR_LOSS)
            emit(e, "%s_forward(B%s); /* %s → %s */", ir->ops[i].name,
                 ir->ops[i].kind == IR_DROPOUT ? ", training" : "", ir->ops[i].in, ir->ops[i].out);
    emit_close(e, NULL);
    emit_blank(e);
    emit(e, "/* backward: the same layers in reverse. loss() has written d_%s; each layer turns", ir->out);
    emit(e, " * the gradient of its output into those of its parameters and of its input. */");
    emit_function(e, "static void backward(int B)");
    for (int i = ir->nops - 1; i >= 0; i--) {
        const IrOp *op = &ir->ops[i];
        if (op->kind == IR_LOSS)
            continue;
        if (op->in_is_data)
            emit(e, "%s_backward(B); /* d_%s → grad.%s */", op->name, op->out,
                 op->kind == IR_DENSE || op->kind == IR_CONV ? op->name : "(none)");
        else
            emit(e, "%s_backward(B); /* d_%s → d_%s */", op->name, op->out, op->in);
    }
    emit_close(e, NULL);
    emit_blank(e);
}

/* The two numbers of an init as C literals; torch's default becomes U(-1/√fan_in, 1/√fan_in). */
static void init_args(Init init, int fan_in, char a[32], char b[32])
{
    if (init.kind == INIT_TORCH)
        init = (Init){INIT_UNIFORM, -1 / sqrt(fan_in), 1 / sqrt(fan_in)};
    fmt_double(a, init.a);
    fmt_double(b, init.b);
}

static void emit_tables(Emitter *e)
{
    const Net *net = e->net;
    const Ir *ir = e->ir;
    static const char *const init_enum[] = {
        [INIT_ZEROS] = "NETRT_INIT_ZEROS",
        [INIT_CONSTANT] = "NETRT_INIT_CONSTANT",
        [INIT_NORMAL] = "NETRT_INIT_NORMAL",
        [INIT_UNIFORM] = "NETRT_INIT_UNIFORM",
        [INIT_XAVIER_UNIFORM] = "NETRT_INIT_XAVIER_UNIFORM",
        [INIT_XAVIER_NORMAL] = "NETRT_INIT_XAVIER_NORMAL",
        [INIT_HE_UNIFORM] = "NETRT_INIT_HE_UNIFORM",
        [INIT_HE_NORMAL] = "NETRT_INIT_HE_NORMAL",
        [INIT_LECUN_UNIFORM] = "NETRT_INIT_LECUN_UNIFORM",
        [INIT_LECUN_NORMAL] = "NETRT_INIT_LECUN_NORMAL",
        [INIT_TORCH] = "NETRT_INIT_UNIFORM",
    };
    emit(e, "/* ---- for the runtime ----------------------------------------------------------------------- */");
    emit(e, "/* The parameter table: what the runtime initialises, counts, reports and saves; --save");
    emit(e, " * writes each tensor under its name in the state_dict of the same torch.nn.Sequential. */");
    emit_open(e, "static const NetrtParam param_table[] =");
    int nparams = 0;
    for (int i = 0; i < ir->nops; i++) {
        const IrOp *op = &ir->ops[i];
        Weights w;
        if (!op_weights(op, &w))
            continue;
        Init wi = op->layer->init, bi = op->layer->bias_init;
        char wa[32], wb[32], ba[32], bb[32];
        /* torch.nn.Sequential numbers its modules from 0: every layer after the input is one */
        int module = (int)(op->layer - net->layers) - 1;
        emit(e, "{\"%s_W\", %d, %s, %s, param.%s_W, grad.%s_W,", op->name, w.rank, w.w_shape,
             w.w_size, op->name, op->name);
        init_args(wi, w.fan_in, wa, wb);
        emit(e, " {%s, %s, %s}, %d, %d, \"%d.weight\"},", init_enum[wi.kind], wa, wb, w.fan_in,
             w.fan_out, module);
        emit(e, "{\"%s_b\", 1, {%s}, %s, param.%s_b, grad.%s_b,", op->name, w.b_size, w.b_size,
             op->name, op->name);
        init_args(bi, w.fan_in, ba, bb);
        emit(e, " {%s, %s, %s}, %d, %d, \"%d.bias\"},", init_enum[bi.kind], ba, bb, w.fan_in,
             w.fan_out, module);
        nparams += 2;
    }
    emit_close(e, ";");
    emit_blank(e);

    const char *name = c_string(e, net->name, false), *path = c_string(e, e->src->path, false);
    const char *desc = c_string(e, ir_describe(net, e->scratch), true);
    static const char *const data_enum[] = {"NETRT_DATA_FASHION_MNIST", "NETRT_DATA_MNIST",
                                            "NETRT_DATA_IDX", "NETRT_DATA_CSV",
                                            "NETRT_DATA_FUNCTION"};
    const NetLayer *in = &net->layers[0];
    int c = in->out_rank == 3 ? in->out_shape[0] : 1;
    int h = in->out_rank >= 2 ? in->out_shape[in->out_rank - 2] : 1;
    int w = in->out_shape[in->out_rank - 1];

    emit(e, "/* The model as the runtime sees it: buffers, steps, and the settings of %s. */",
         net->name);
    emit_open(e, "static const NetrtModel model =");
    emit(e, ".name = \"%s\",", name);
    emit(e, ".source = \"%s\",", path);
    emit(e, ".summary = \"%s\",", desc);
    emit(e, ".optimizer = \"%s\",", net->optimizer_name);
    emit(e, ".dtype = %s, .task = %s,", e->f64 ? "NETRT_F64" : "NETRT_F32",
         net->regression ? "NETRT_REGRESS" : "NETRT_CLASSIFY");
    emit(e, ".in_size = INPUT_SIZE, .in_c = %d, .in_h = %d, .in_w = %d,", c, h, w);
    emit(e, ".out_size = %s,", net->regression ? "OUTPUTS" : "CLASSES");
    emit(e, ".batch_max = BATCH_MAX,");
    emit(e, ".flops_per_sample = %lld,", ir->flops_train);
    emit(e, ".input = input, .output = %s, %s,", ir->out,
         net->regression ? ".targets = targets" : ".labels = labels");
    if (uses_rng(e))
        emit(e, ".rng = &rng_state,");
    emit(e, ".params = param_table, .n_params = %d,", nparams);
    emit(e, ".forward = forward, .loss = loss, .backward = backward, .update = update,");
    char x1[32], x2[32], x3[32], x4[32];
    emit_open(e, ".train =");
    emit(e, ".epochs = %d, .batch = %d, .seed = %lld,", net->epochs, net->batch, net->seed);
    emit(e, ".lr = %s, .momentum = %s, .weight_decay = %s,", fmt_double(x1, net->lr),
         fmt_double(x2, net->momentum), fmt_double(x3, net->weight_decay));
    if (net->max_steps || net->loss_below)
        emit(e, ".max_steps = %lld, .loss_below = %s,", net->max_steps,
             fmt_double(x1, net->loss_below));
    if (net->patience || net->keep_best)
        emit(e, ".patience = %d, .monitor = %s, .keep_best = %d,", net->patience,
             net->monitor_acc ? "NETRT_MONITOR_VALID_ACC" : "NETRT_MONITOR_VALID_LOSS",
             net->keep_best);
    if (net->schedule != SCHED_CONSTANT) {
        static const char *const sched_enum[] = {
            "NETRT_SCHED_CONSTANT", "NETRT_SCHED_STEP",   "NETRT_SCHED_MULTISTEP",
            "NETRT_SCHED_EXPONENTIAL", "NETRT_SCHED_COSINE", "NETRT_SCHED_ONE_CYCLE"};
        emit_open(e, ".schedule =");
        emit(e, ".kind = %s, .per_step = %d,", sched_enum[net->schedule], net->schedule_per_step);
        switch (net->schedule) {
        case SCHED_STEP:
            emit(e, ".every = %d, .gamma = %s,", net->every, fmt_double(x1, net->gamma));
            break;
        case SCHED_MULTISTEP: {
            char list[256] = "";
            for (int i = 0; i < net->nmilestones; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", i ? ", " : "",
                         net->milestones[i]);
            emit(e, ".milestones = {%s}, .n_milestones = %d, .gamma = %s,", list,
                 net->nmilestones, fmt_double(x1, net->gamma));
            break;
        }
        case SCHED_EXPONENTIAL: emit(e, ".gamma = %s,", fmt_double(x1, net->gamma)); break;
        case SCHED_COSINE:
            emit(e, ".t_max = %s, .eta_min = %s,", fmt_double(x1, net->t_max),
                 fmt_double(x2, net->eta_min));
            break;
        default:
            emit(e, ".max_lr = %s, .pct_start = %s, .div_factor = %s, .final_div_factor = %s,",
                 fmt_double(x1, net->max_lr), fmt_double(x2, net->pct_start),
                 fmt_double(x3, net->div_factor), fmt_double(x4, net->final_div_factor));
            if (net->cycle_momentum)
                emit(e, ".cycle_momentum = 1, .base_momentum = %s, .max_momentum = %s,",
                     fmt_double(x1, net->base_momentum), fmt_double(x2, net->max_momentum));
            break;
        }
        emit_close(e, ",");
    }
    emit_close(e, ",");
    emit_open(e, ".data =");
    emit(e, ".kind = %s,", data_enum[net->data]);
    const char *const files[] = {net->images, net->labels, net->test_images, net->test_labels,
                                 net->csv};
    const char *const fields[] = {"images", "labels", "test_images", "test_labels", "csv"};
    for (int i = 0; i < 5; i++)
        if (files[i])
            emit(e, ".%s = \"%s\",", fields[i], c_string(e, files[i], false));
    if (net->data == DATA_CSV)
        emit(e, ".csv_target = %d, .csv_header = %d,", net->csv_target, net->csv_header);
    if (net->data == DATA_FUNCTION) {
        emit(e, ".function = {target_function, \"%s\",",
             c_string(e, source_text(e, net->function->loc), false));
        emit(e, "             .linspace = %d, .lo = %s, .hi = %s, .n = %d},", net->linspace,
             fmt_double(x1, net->x_lo), fmt_double(x2, net->x_hi), net->n);
    }
    emit(e, ".valid = %s, .test = %s, .normalize = %d, .mean = %s, .std = %s,",
         fmt_double(x1, net->valid), fmt_double(x2, net->test), net->normalize,
         fmt_double(x3, net->mean), fmt_double(x4, net->std));
    if (net->flip || net->rotate || net->shift)
        emit(e, ".augment = {.flip = %d, .rotate = %s, .shift = %s},", net->flip,
             fmt_double(x1, net->rotate), fmt_double(x2, net->shift));
    emit_close(e, ",");
    emit_close(e, ";");
    emit_blank(e);
    emit(e, "#ifndef NETC_NO_MAIN /* a test may include this file and drive the model itself */");
    emit_function(e, "int main(int argc, char **argv)");
    emit(e, "return netrt_main(&model, argc, argv);");
    emit_close(e, NULL);
    emit(e, "#endif");
}

int emit_batch_max(const Net *net, const EmitOptions *opt)
{
    /* Evaluation runs in batches of BATCH_MAX: 256 rows already keep the products at full
     * speed, and every activation buffer is BATCH_MAX rows (1024 would add 6 MiB to a 784-512-10
     * MLP's peak memory, a tenth of it). */
    int eval_batch = 256;
    int batch_max = opt->batch_max > 0       ? opt->batch_max
                    : net->batch > eval_batch ? net->batch
                                              : eval_batch;
    if (net->batch == 0 && !opt->batch_max && net->data == DATA_FUNCTION)
        batch_max = net->n > batch_max ? net->n : batch_max; /* full batch: every point at once */
    return batch_max;
}

bool emit_c(FILE *out, const Source *src, const Net *net, const Ir *ir, const EmitOptions *opt)
{
    Emitter e = {.out = out, .f64 = opt->f64, .src = src, .net = net, .ir = ir,
                 .scratch = arena_new()};
    int batch_max = emit_batch_max(net, opt);

    emit_header(&e, opt);
    emit_sizes(&e, batch_max);
    emit_storage(&e);
    emit_rng(&e);
    emit_activation_helpers(&e);
    for (int i = 0; i < ir->nops; i++) {
        const IrOp *op = &ir->ops[i];
        if (op->kind == IR_LOSS)
            continue;
        emit_banner(&e, op);
        emit_op_forward(&e, op);
        emit_blank(&e);
        emit_op_backward(&e, op);
        emit_blank(&e);
    }
    emit_loss(&e, &ir->ops[ir->nops - 1]);
    emit_blank(&e);
    emit_call_lists(&e);
    emit_update(&e);
    emit_blank(&e);
    emit_target_function(&e);
    emit_tables(&e);
    arena_free(e.scratch);
    return !ferror(out);
}
