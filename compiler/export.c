/* export.c: `netc export`, the frame of an inference-only C99 file, top to bottom:
 *
 *   1. header comment: source, weights, the network, what x and y are, conventions
 *   2. the size enum, the weights as static const float arrays, the activations (one sample)
 *   3. each layer's NAME_forward(x, y) for one sample, in model order        (ops/: op->infer)
 *   4. NAME_predict(): the input's normalization, the layers, the probabilities; the batch variant
 *   5. with --self-test, the cases and a main() (under NETC_SELF_TEST) that checks them
 * and NAME.h, which declares NAME_predict and NAME_predict_batch.
 *
 * The weights come from the file the trainer's --save wrote, read with the runtime's own
 * safetensors reader: the same names, dtypes and shapes, or a refusal naming the first tensor
 * that differs. The file needs nothing but the C library and libm, allocates nothing, and keeps
 * one sample's activations in static arrays (one call at a time). */
#define _POSIX_C_SOURCE 200809L /* getline */
#include "export.h"
#include "netrt_internal.h"
#undef I /* complex.h's, which the runtime's headers bring in; here I is an IrOp's input size */
#include "ops/op.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>

/* The values of every tensor of the model's state, read from the weights file. */
typedef struct {
    OpTensor t[OP_MAX_TENSORS];
    int n;
    float *values[OP_MAX_TENSORS];  /* NULL for a counter (num_batches_tracked), not needed */
} OpWeights;

/* The self-test cases: n rows of inputs then expected outputs. */
typedef struct {
    int n;
    float *x, *y;
} Cases;

/* torch.nn.Sequential numbers its modules from 0: every layer after the input is one. */
static int torch_module(const Net *net, const IrOp *op)
{
    return (int)(op->layer - net->layers) - 1;
}

/* Every tensor of the model, by its state_dict name, as --save wrote them; false after a message.
 * Counters are read too (the reader wants every tensor of the file) but not kept. */
static bool read_weights(const Net *net, const Ir *ir, const char *path, OpWeights *w,
                         Arena *arena)
{
    int total = 0;
    for (int i = 0; i < ir->nops; i++)
        total += w[i].n = op_tensors(ir->ops[i].layer, w[i].t);
    NetrtTensor *t = arena_alloc(arena, (size_t)(total + 1) * sizeof *t);
    int64_t *counters = arena_alloc(arena, (size_t)(total + 1) * sizeof *counters);
    /* the reader takes the parameters first, then the buffers, in the order --save writes them */
    int k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < ir->nops; i++)
            for (int j = 0; j < w[i].n; j++) {
                OpTensor *ot = &w[i].t[j];
                if (ot->buffer != (pass == 1))
                    continue;
                size_t count = 1;
                for (int d = 0; d < ot->rank; d++)
                    count *= (size_t)ot->shape[d];
                NetrtTensor *nt = &t[k];
                *nt = (NetrtTensor){arena_printf(arena, "%d.%s", torch_module(net, &ir->ops[i]),
                                                    ot->torch),
                                    ot->count ? NETRT_TENSOR_I64 : NETRT_TENSOR_F32, ot->rank,
                                    {0}, count, NULL};
                memcpy(nt->shape, ot->shape, sizeof nt->shape);
                if (ot->count) {
                    nt->data = &counters[k];
                    w[i].values[j] = NULL;
                } else {
                    nt->data = w[i].values[j] = arena_alloc(arena, count * sizeof(float));
                }
                k++;
            }
    NetrtErr err;
    if (netrt_safetensors_read(path, t, total, &err) != 0) {
        fprintf(stderr, "netc: %s\n", err.msg);
        if (err.hint[0])
            fprintf(stderr, "netc: hint: %s\n", err.hint);
        return false;
    }
    for (int i = 0; i < total; i++)
        for (size_t v = 0; t[i].dtype == NETRT_TENSOR_F32 && v < t[i].count; v++)
            if (!isfinite(((const float *)t[i].data)[v])) {
                fprintf(stderr, "netc: %s: tensor '%s' holds %g at index %zu: a diverged "
                        "training? nothing exported\n", path, t[i].name,
                        ((const float *)t[i].data)[v], v);
                return false;
            }
    return true;
}

/* The self-test file: a CSV, one case a line, the model's inputs then the outputs the trainer
 * gave for them (class probabilities, or the predicted values); a first line that is not all
 * numbers is a header. False after a message naming the line. */
static bool read_cases(const char *path, int inputs, int outputs, Cases *cases, Arena *arena)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "netc: --self-test %s: %s\n", path, strerror(errno));
        return false;
    }
    size_t cap = 0, len = 0;
    char *line = NULL;
    int n = 0, lineno = 0, width = inputs + outputs;
    bool ok = true;
    float *row = malloc((size_t)width * sizeof *row);
    size_t have = 0;
    cases->x = cases->y = NULL;
    while (ok && row && getline(&line, &cap, f) > 0) {
        lineno++;
        len = strcspn(line, "\r\n");
        line[len] = '\0';
        if (len == 0)
            continue;
        int got = 0;
        char *p = line, *end;
        bool numbers = true;
        while (numbers) {
            double v = strtod(p, &end);
            if (end == p || (*end && *end != ',') || !isfinite(v)) {
                numbers = false;
                break;
            }
            if (got < width)
                row[got] = (float)v;
            got++;
            if (!*end)
                break;
            p = end + 1;
        }
        if (!numbers && lineno == 1)
            continue; /* a header */
        if (!numbers || got != width) {
            fprintf(stderr, "%s:%d: a self-test case is %d numbers separated by commas (%d inputs, "
                    "then the trainer's %d outputs); %s\n", path, lineno, width, inputs, outputs,
                    numbers ? arena_printf(arena, "this line has %d", got)
                            : "this line has something else");
            ok = false;
            break;
        }
        if ((size_t)n == have) {
            have = have ? 2 * have : 16;
            float *x = realloc(cases->x, have * (size_t)inputs * sizeof *x);
            float *y = x ? realloc(cases->y, have * (size_t)outputs * sizeof *y) : NULL;
            if (x)
                cases->x = x;
            if (!x || !y) {
                fprintf(stderr, "netc: --self-test %s: out of memory\n", path);
                ok = false;
                break;
            }
            cases->y = y;
        }
        memcpy(cases->x + (size_t)n * inputs, row, (size_t)inputs * sizeof *row);
        memcpy(cases->y + (size_t)n * outputs, row + inputs, (size_t)outputs * sizeof *row);
        n++;
    }
    free(line);
    free(row);
    fclose(f);
    if (ok && n == 0) {
        fprintf(stderr, "netc: --self-test %s: no cases in it\n", path);
        ok = false;
    }
    cases->n = n;
    return ok;
}

/* A float as C, exactly: 9 significant digits name every float (FLT_DECIMAL_DIG), so the
 * literal reads back as the very value trained, and stays readable, unlike %a's hex. */
static const char *float_c(char buf[40], float v)
{
    snprintf(buf, 40, "%.9g", (double)v);
    if (!strpbrk(buf, ".e"))
        strcat(buf, ".0");
    strcat(buf, "f");
    return buf;
}

/* values[0 … count) as the rows of an initializer, 8 a line. */
static void emit_floats(Emitter *e, const float *values, size_t count)
{
    char line[8 * 24], num[40];
    for (size_t i = 0; i < count; i += 8) {
        line[0] = '\0';
        for (size_t j = i; j < count && j < i + 8; j++) {
            strcat(line, float_c(num, values[j]));
            strcat(line, ",");
            if (j + 1 < count && j + 1 < i + 8)
                strcat(line, " ");
        }
        emit(e, "%s", line);
    }
}

static bool is_image_data(const Net *net)
{
    return net->data == DATA_FASHION_MNIST || net->data == DATA_MNIST || net->data == DATA_IDX;
}

/* What the last layer yields, and so what predict does to it for a classifier. */
static OpYields last_yields(const Ir *ir)
{
    return ir->ops[ir->nops - 1].op->yields;
}

static void emit_file_header(Emitter *e, const ExportOptions *opt, const char *input_text,
                             const char *output_text)
{
    const Net *net = e->net;
    char n1[32];
    emit(e, "/* %s: inference-only C99, exported by netc %s from %s; do not edit.", opt->name,
         NETC_VERSION, comment_text(e, e->src->path));
    emit(e, " *   %s", comment_text(e, opt->command));
    emit(e, " *");
    emit(e, " * Network:    %s", comment_text(e, ir_describe(net, e->scratch)));
    emit(e, " * Parameters: %s, trained, in this file (from %s)", fmt_count(n1, e->ir->nparams),
         comment_text(e, opt->weights));
    emit(e, " * Input x:    %s", input_text);
    emit(e, " * Output y:   %s", output_text);
    emit(e, " *");
    emit(e, " * Conventions");
    emit(e, " *   one sample  each layer's NAME_forward(x, y) takes one sample's values x and writes y;");
    emit(e, " *               %s_predict_batch() runs the samples one after another.", opt->name);
    emit(e, " *   W[o][i]     a dense layer's weight is [out, in], so y = W·x + b, as torch.nn.Linear.");
    emit(e, " *   NCHW        an image is [channels, height, width], row-major; 'flatten' is free.");
    emit(e, " *   weights     static const float arrays, named as the trainer's struct params (the");
    emit(e, " *               state_dict name beside each); every value printed with 9 significant");
    emit(e, " *               digits, which name a float exactly: these are the trained values.");
    emit(e, " *   evaluation  dropout is the identity; batchnorm applies its running statistics.");
    emit(e, " *   memory      nothing allocated; one sample's activations are static arrays, so one");
    emit(e, " *               call at a time (not reentrant). Needs the C library's math (-lm) only.");
    emit(e, " */");
    emit(e, "#include <math.h>");
    emit_blank(e);
    emit(e, "#include \"%s\"", c_string(e, opt->h_include, false));
    emit_blank(e);
}

static void emit_export_sizes(Emitter *e)
{
    char shape[64];
    net_shape_text(&e->net->layers[0], shape, sizeof shape);
    emit(e, "/* Sizes: every loop bound below is one of these. */");
    emit_open(e, "enum");
    emit(e, "INPUT_SIZE = %d, /* one sample: %s */", e->net->layers[0].out_size, shape);
    for (int i = 0; i < e->ir->nops; i++) {
        const IrOp *op = &e->ir->ops[i];
        if (op->op->sizes)
            op->op->sizes(e, op);
        else
            emit(e, "%s = %d,", op->I_name, op->I);
    }
    emit(e, "OUTPUTS = %d, /* %s */", e->ir->out_size,
         e->net->regression ? "values per sample" : "classes");
    emit_close(e, ";");
    emit_blank(e);
}

static void emit_weights(Emitter *e, const OpWeights *w)
{
    emit(e, "/* ---- the weights ------------------------------------------------------------------------- */");
    for (int i = 0; i < e->ir->nops; i++) {
        const IrOp *op = &e->ir->ops[i];
        for (int j = 0; j < w[i].n; j++) {
            const OpTensor *t = &w[i].t[j];
            if (!w[i].values[j])
                continue;
            char *shape = emit_text(e, "[");
            size_t count = 1;
            for (int d = 0; d < t->rank; d++) {
                shape = emit_text(e, "%s%s%d", shape, d ? "," : "", t->shape[d]);
                count *= (size_t)t->shape[d];
            }
            emit(e, "/* %s %s]: '%d.%s' of the state_dict%s */", t->field, shape,
                 torch_module(e->net, op), t->torch, t->buffer ? ", a running statistic" : "");
            emit(e, "static const float %s[%s] = {", t->field, t->size);
            e->depth++;
            emit_floats(e, w[i].values[j], count);
            e->depth--;
            emit(e, "};");
        }
    }
    emit_blank(e);
}

static void emit_export_activations(Emitter *e)
{
    emit(e, "/* ---- the layers, one sample at a time ------------------------------------------------------- */");
    emit(e, "/* Activations: each layer's output for the sample being predicted. */");
    emit_commented(e, "static float input[INPUT_SIZE];", "x, normalized as in training");
    for (int i = 0; i < e->ir->nops; i++) {
        const IrOp *op = &e->ir->ops[i];
        emit_commented(e, emit_text(e, "static float %s[%s];", op->out, op->O_name),
                       op->act ? emit_text(e, "%s's output, through %s", op->name, op->act->name)
                               : emit_text(e, "%s's output", op->name));
    }
    emit_blank(e);
}

/* predict(): normalization, the layers, probabilities; and the batch variant. */
static void emit_predict(Emitter *e, const ExportOptions *opt, bool normalize, bool per_column)
{
    const Ir *ir = e->ir;
    const char *N = opt->name;
    emit(e, "/* ---- prediction ------------------------------------------------------------------------- */");
    emit_function(e, "void %s_predict(const float *x, float *y)", N);
    if (!normalize)
        emit(e, "for (int i = 0; i < INPUT_SIZE; i++) /* the model takes x as it is */");
    else if (per_column)
        emit(e, "for (int i = 0; i < INPUT_SIZE; i++) /* (x - mean) / std, column by column */");
    else
        emit(e, "for (int i = 0; i < INPUT_SIZE; i++) /* (x - mean) / std, as the trainer's data */");
    emit(e, "    input[i] = %s;", !normalize  ? "x[i]"
                                  : per_column ? "(x[i] - input_mean[i]) / input_std[i]"
                                               : "(x[i] - INPUT_MEAN) / INPUT_STD");
    for (int i = 0; i < ir->nops; i++)
        emit(e, "%s_forward(%s, %s);", ir->ops[i].name, ir->ops[i].in, ir->ops[i].out);
    if (e->net->regression || last_yields(ir) == YIELDS_PROBABILITIES) {
        emit(e, "for (int k = 0; k < OUTPUTS; k++)%s",
             e->net->regression ? "" : " /* the model ends in softmax: probabilities already */");
        emit(e, "    y[k] = %s[k];", ir->out);
    } else if (last_yields(ir) == YIELDS_LOG_PROBABILITIES) {
        emit(e, "for (int k = 0; k < OUTPUTS; k++) /* log_softmax: its e^ are the probabilities */");
        emit(e, "    y[k] = expf(%s[k]);", ir->out);
    } else {
        emit(e, "/* the class probabilities: softmax of the outputs (the logits), the row's max");
        emit(e, " * subtracted first so that e^ stays finite */");
        emit(e, "const float *z = %s;", ir->out);
        emit(e, "float m = z[0], sum = 0.0f;");
        emit(e, "for (int k = 1; k < OUTPUTS; k++)");
        emit(e, "    m = z[k] > m ? z[k] : m;");
        emit_open(e, "for (int k = 0; k < OUTPUTS; k++)");
        emit(e, "y[k] = expf(z[k] - m);");
        emit(e, "sum += y[k];");
        emit_close(e, NULL);
        emit(e, "for (int k = 0; k < OUTPUTS; k++)");
        emit(e, "    y[k] /= sum;");
    }
    emit_close(e, NULL);
    emit_blank(e);
    emit_function(e, "void %s_predict_batch(int n, const float *x, float *y)", N);
    emit(e, "for (int b = 0; b < n; b++)");
    emit(e, "    %s_predict(x + (long)b * INPUT_SIZE, y + (long)b * OUTPUTS);", N);
    emit_close(e, NULL);
    if (!e->net->regression) {
        emit_blank(e);
        emit_function(e, "int %s_classify(const float *x)", N);
        emit(e, "float y[OUTPUTS];");
        emit(e, "%s_predict(x, y);", N);
        emit(e, "int best = 0;");
        emit(e, "for (int k = 1; k < OUTPUTS; k++)");
        emit(e, "    best = y[k] > y[best] ? k : best;");
        emit(e, "return best;");
        emit_close(e, NULL);
    }
}

static void emit_self_test(Emitter *e, const ExportOptions *opt, const Cases *cases)
{
    const char *N = opt->name;
    bool classes = !e->net->regression;
    emit_blank(e);
    emit(e, "/* ---- self-test: cc -DNETC_SELF_TEST %s.c -lm && ./a.out ------------------------------- */",
         N);
    emit(e, "/* %d inputs and the outputs the trainer gave for them (from %s); each output must",
         cases->n, comment_text(e, opt->self_test));
    emit(e, " * agree within 1e-5 (relative, for values above 1)%s. */",
         classes ? ", and the predicted class must be the same" : "");
    emit(e, "#ifdef NETC_SELF_TEST");
    emit(e, "#include <stdio.h>");
    emit_blank(e);
    emit(e, "enum { CASES = %d };", cases->n);
    emit(e, "static const float case_x[CASES][INPUT_SIZE] = {");
    e->depth++;
    for (int n = 0; n < cases->n; n++) {
        emit(e, "{");
        e->depth++;
        emit_floats(e, cases->x + (size_t)n * e->net->layers[0].out_size,
                    (size_t)e->net->layers[0].out_size);
        e->depth--;
        emit(e, "},");
    }
    e->depth--;
    emit(e, "};");
    emit(e, "static const float case_y[CASES][OUTPUTS] = {");
    e->depth++;
    for (int n = 0; n < cases->n; n++) {
        emit(e, "{");
        e->depth++;
        emit_floats(e, cases->y + (size_t)n * e->ir->out_size, (size_t)e->ir->out_size);
        e->depth--;
        emit(e, "},");
    }
    e->depth--;
    emit(e, "};");
    emit_blank(e);
    if (classes) {
        emit_function(e, "static int argmax(const float *v)");
        emit(e, "int best = 0;");
        emit(e, "for (int k = 1; k < OUTPUTS; k++)");
        emit(e, "    best = v[k] > v[best] ? k : best;");
        emit(e, "return best;");
        emit_close(e, NULL);
        emit_blank(e);
    }
    emit_function(e, "int main(void)");
    emit(e, "int failed = 0;");
    emit(e, "double worst = 0.0;");
    emit_open(e, "for (int n = 0; n < CASES; n++)");
    emit(e, "float y[OUTPUTS];");
    emit(e, "%s_predict(case_x[n], y);", N);
    emit(e, "int bad = 0;");
    emit_open(e, "for (int k = 0; k < OUTPUTS; k++)");
    emit(e, "double d = fabs((double)y[k] - case_y[n][k]);");
    emit(e, "double scale = fabs(case_y[n][k]) > 1.0 ? fabs(case_y[n][k]) : 1.0;");
    emit(e, "worst = d / scale > worst ? d / scale : worst;");
    emit(e, "bad |= d > 1e-5 * scale;");
    emit_close(e, NULL);
    if (classes)
        emit(e, "bad |= argmax(y) != argmax(case_y[n]);");
    emit_open(e, "if (bad && failed++ < 10)");
    emit(e, "printf(\"case %%d: differs from the trainer's outputs\\n\", n);");
    emit_close(e, NULL);
    emit_close(e, NULL);
    emit(e, "printf(\"%s self-test: %%d of %%d cases agree with the trainer; largest difference %%.3g\\n\",",
         N);
    emit(e, "       CASES - failed, CASES, worst);");
    emit(e, "return failed ? 1 : 0;");
    emit_close(e, NULL);
    emit(e, "#endif");
}

static bool write_header(const char *path, const ExportOptions *opt, const Net *net,
                         const Ir *ir, const char *input_text, const char *output_text)
{
    NetrtOut out;
    if (netrt_out_open(&out, path) != 0) {
        fprintf(stderr, "netc: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    const char *N = opt->name;
    char guard[256];
    op_upper(guard, sizeof guard, N, "_H");
    char upper[256];
    op_upper(upper, sizeof upper, N, "");
    FILE *f = out.f;
    fprintf(f, "/* %s.h: the model %s as a function, exported by netc %s; do not edit.\n", N,
            net->name, NETC_VERSION);
    fprintf(f, " * x: %s\n * y: %s\n */\n", input_text, output_text);
    fprintf(f, "#ifndef %s\n#define %s\n\n", guard, guard);
    fprintf(f, "#define %s_INPUTS %d  /* values of x per sample */\n", upper,
            net->layers[0].out_size);
    fprintf(f, "#define %s_OUTPUTS %d /* values of y per sample */\n\n", upper, ir->out_size);
    fprintf(f, "/* One sample: x[%s_INPUTS] in, y[%s_OUTPUTS] out. */\n", upper, upper);
    fprintf(f, "void %s_predict(const float *x, float *y);\n", N);
    fprintf(f, "/* n samples, one after another: x[n * %s_INPUTS], y[n * %s_OUTPUTS]. */\n", upper,
            upper);
    fprintf(f, "void %s_predict_batch(int n, const float *x, float *y);\n", N);
    if (!net->regression) {
        fprintf(f, "/* The most probable class of one sample, 0 … %s_OUTPUTS - 1. */\n", upper);
        fprintf(f, "int %s_classify(const float *x);\n", N);
    }
    fprintf(f, "\n#endif\n");
    if (ferror(f) || netrt_out_commit(&out, false) != 0) {
        fprintf(stderr, "netc: cannot write %s: %s; nothing written\n", path, strerror(errno));
        return false;
    }
    return true;
}

/* Whether the model normalizes its input, and with which values: false after a message. */
static bool settle_normalization(const Net *net, const ExportOptions *opt, bool *normalize,
                                 bool *per_column, double *mean, double *std)
{
    int inputs = net->layers[0].out_size;
    bool given = opt->nmean || opt->nstd;
    *normalize = net->normalize;
    *per_column = !is_image_data(net);
    if (!net->normalize) {
        if (given) {
            fprintf(stderr, "netc: %s does not normalize its input (normalize = false): "
                    "--mean and --std do not apply\n", net->name);
            return false;
        }
        return true;
    }
    if (is_image_data(net) && net->std != 0) {
        if (given) {
            fprintf(stderr, "netc: %s's data block fixes mean = %g and std = %g: --mean and "
                    "--std do not apply\n", net->name, net->mean, net->std);
            return false;
        }
        mean[0] = net->mean;
        std[0] = net->std;
        return true;
    }
    int want = is_image_data(net) ? 1 : inputs;
    if (opt->nmean != want || opt->nstd != want) {
        if (is_image_data(net))
            fprintf(stderr, "netc: %s normalizes its pixels by the mean and std the trainer "
                    "measured on its training split, which the weights file does not hold: give "
                    "them with --mean M --std S (the trainer prints them, to 4 decimals, as "
                    "'normalize (x - M) / S'), or, to match the trainer exactly, set them in the "
                    "data block (mean = M  std = S) and train again\n",
                    net->name);
        else
            fprintf(stderr, "netc: %s standardizes each of its %d input column%s by the mean and "
                    "std the trainer measured on its training split, which the weights file "
                    "does not hold: give %d value%s each with --mean and --std "
                    "(comma-separated)\n", net->name, inputs, inputs == 1 ? "" : "s", inputs,
                    inputs == 1 ? "" : "s");
        return false;
    }
    for (int i = 0; i < want; i++) {
        mean[i] = opt->mean[i];
        std[i] = opt->std[i];
        if (std[i] < 0 || (is_image_data(net) && std[i] == 0)) {
            fprintf(stderr, "netc: --std %g: a standard deviation must be %s\n", std[i],
                    is_image_data(net) ? "above 0" : "0 (a constant column) or more");
            return false;
        }
    }
    return true;
}

int export_model(const Source *src, const Net *net, const Ir *ir, const ExportOptions *opt)
{
    Arena *arena = arena_new();
    int status = 1;
    OpWeights *w = arena_alloc(arena, (size_t)ir->nops * sizeof *w);
    Cases cases = {0};
    double *mean = arena_alloc(arena, EXPORT_MAX_STATS * sizeof *mean);
    double *std = arena_alloc(arena, EXPORT_MAX_STATS * sizeof *std);
    bool normalize, per_column;
    int inputs = net->layers[0].out_size;
    if (!settle_normalization(net, opt, &normalize, &per_column, mean, std) ||
        !read_weights(net, ir, opt->weights, w, arena) ||
        (opt->self_test && !read_cases(opt->self_test, inputs, ir->out_size, &cases, arena)))
        goto done;

    Emitter e = {.inference = true, .src = src, .net = net, .ir = ir, .scratch = arena};
    const char *input_text =
        !is_image_data(net) ? emit_text(&e, "%d value%s per sample, as the %s gives %s%s", inputs,
                                        inputs == 1 ? "" : "s",
                                        net->data == DATA_CSV ? "CSV file" : "function's x",
                                        inputs == 1 ? "it" : "them",
                                        normalize ? "; standardized inside" : "")
                            : emit_text(&e, "%d pixels per sample, each scaled to [0, 1] (byte / 255)%s",
                                        inputs, normalize ? "; normalized inside" : "");
    const char *output_text =
        net->regression ? emit_text(&e, "%d predicted value%s per sample", ir->out_size,
                                    ir->out_size == 1 ? "" : "s")
                        : emit_text(&e, "the probabilities of the %d classes", ir->out_size);

    NetrtOut out;
    if (netrt_out_open(&out, opt->c_path) != 0) {
        fprintf(stderr, "netc: cannot write %s: %s\n", opt->c_path, strerror(errno));
        status = 2;
        goto done;
    }
    e.out = out.f;
    emit_file_header(&e, opt, input_text, output_text);
    emit_export_sizes(&e);
    emit_weights(&e, w);
    if (normalize && per_column) {
        char num[40];
        emit(&e, "/* The input's standardization, measured by the trainer on its training split (given");
        emit(&e, " * to netc export): each column's mean and std (a std of 0, a constant column: 1). */");
        emit(&e, "static const float input_mean[INPUT_SIZE] = {");
        e.depth++;
        for (int i = 0; i < inputs; i++)
            emit(&e, "%s,", float_c(num, (float)mean[i]));
        e.depth--;
        emit(&e, "};");
        emit(&e, "static const float input_std[INPUT_SIZE] = {");
        e.depth++;
        for (int i = 0; i < inputs; i++)
            emit(&e, "%s,", float_c(num, std[i] > 0 ? (float)std[i] : 1.0f));
        e.depth--;
        emit(&e, "};");
        emit_blank(&e);
    } else if (normalize) {
        char m[40], s[40];
        emit(&e, "/* The input's normalization, as in training: x' = (x - mean) / std, %s. */",
             net->std != 0 ? "the data block's values" : "measured by the trainer (given to netc export)");
        emit(&e, "#define INPUT_MEAN %s", float_c(m, (float)mean[0]));
        emit(&e, "#define INPUT_STD %s", float_c(s, (float)std[0]));
        emit_blank(&e);
    }
    emit_export_activations(&e);
    for (int k = 0; op_list[k]; k++)
        if (op_list[k]->helpers)
            op_list[k]->helpers(&e, ir);
    for (int i = 0; i < ir->nops; i++) {
        emit_banner(&e, &ir->ops[i]);
        ir->ops[i].op->infer(&e, &ir->ops[i]);
        emit_blank(&e);
    }
    emit_predict(&e, opt, normalize, per_column);
    if (opt->self_test)
        emit_self_test(&e, opt, &cases);
    if (ferror(out.f) || netrt_out_commit(&out, false) != 0) {
        if (ferror(out.f))
            netrt_out_abort(&out);
        fprintf(stderr, "netc: cannot write %s: %s; nothing written\n", opt->c_path,
                strerror(errno));
        status = 2;
        goto done;
    }
    status = write_header(opt->h_path, opt, net, ir, input_text, output_text) ? 0 : 2;
done:
    free(cases.x);
    free(cases.y);
    arena_free(arena);
    return status;
}
