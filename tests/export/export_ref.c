/* export_ref.c: the trainer's own predictions, for an exported model to match.
 *
 * Built with a model's generated trainer included whole (MODEL_C, single precision, as
 * tests/gradcheck's harnesses include theirs), so it is the real trainer:
 *
 *   export_ref train ARGS…                   the trainer itself (netrt_main): --save, --max-steps…
 *   export_ref predict WEIGHTS OUT.bin CASES.csv N
 *       loads WEIGHTS with the runtime's safetensors reader, loads the model's data as the trainer
 *       does (the same split for the same seed), runs the trainer's forward pass in evaluation
 *       mode over the whole test split, and writes
 *         OUT.bin    int32 n, inputs, outputs; then per sample its x as the data set gives it
 *                    (pixels / 255 for images; a row's values) and the trainer's outputs: the
 *                    class probabilities (softmax of the logits, or e^ of a log_softmax), or
 *                    the predicted values;
 *         CASES.csv  the first N of them as netc export --self-test reads them.
 *       On standard output: the --mean/--std options netc export needs when the trainer measured
 *       the normalization (nothing otherwise), at full precision.
 *   export_ref random WEIGHTS OUT.bin CASES.csv N
 *       every layer kind, without a data set: made-up weights (batchnorm's running statistics
 *       too) written to WEIGHTS with the runtime's writer, and 64 made-up inputs in [0, 1)
 *       (the model must not normalize), through the same forward pass into OUT.bin and CASES.csv.
 *       On standard output: "classes" or "values", what the outputs are.
 */
#define NETC_NO_MAIN
#include MODEL_C

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netrt_internal.h"
#include "../splitmix.h"

static int fail(const char *what)
{
    fprintf(stderr, "export_ref: %s\n", what);
    return 2;
}

/* Parameters, then buffers: the tensors --save writes (driver.c's state_tensors), into t. */
static int state_tensors(NetrtTensor t[64])
{
    int n = 0;
    for (int p = 0; p < model.n_params && n < 64; p++, n++) {
        const NetrtParam *q = &model.params[p];
        t[n] = (NetrtTensor){q->torch, NETRT_TENSOR_F32, q->rank, {0}, q->size, q->value};
        memcpy(t[n].shape, q->shape, sizeof q->shape);
    }
    for (int k = 0; k < model.n_buffers && n < 64; k++, n++) {
        const NetrtBuffer *b = &model.buffers[k];
        t[n] = (NetrtTensor){b->torch, b->is_count ? NETRT_TENSOR_I64 : NETRT_TENSOR_F32, b->rank,
                             {0}, b->size, b->value};
        memcpy(t[n].shape, b->shape, sizeof b->shape);
    }
    return n;
}

static int load_weights(const char *path)
{
    NetrtTensor t[64];
    int n = state_tensors(t);
    NetrtErr err;
    if (netrt_safetensors_read(path, t, n, &err) != 0) {
        netrt_err_print(&err);
        return -1;
    }
    return 0;
}

/* What the last layer yields: probabilities as they are, log-probabilities as e^, else softmax.
 * The summary ends "… → LAST → LOSS", LAST the layer's name: "softmax3", "log_softmax2". */
static void probabilities(const float *z, float *y, int n)
{
    const char *arrow[2] = {model.summary, model.summary};
    for (const char *p = strstr(model.summary, "→ "); p; p = strstr(p + 1, "→ ")) {
        arrow[0] = arrow[1];
        arrow[1] = p;
    }
    const char *last = arrow[0] + strlen("→ ");
    bool softmax = !strncmp(last, "softmax", 7);
    bool log_softmax = !strncmp(last, "log_softmax", 11);
    if (softmax) {
        memcpy(y, z, (size_t)n * sizeof *y);
        return;
    }
    double m = z[0], sum = 0;
    for (int k = 1; k < n; k++)
        m = z[k] > m ? z[k] : m;
    for (int k = 0; k < n; k++)
        sum += log_softmax ? 0 : exp((double)z[k] - m);
    for (int k = 0; k < n; k++)
        y[k] = log_softmax ? (float)exp(z[k]) : (float)(exp((double)z[k] - m) / sum);
}

/* Rows of the outputs file and the cases: x as the data set gives it, the trainer's outputs. */
static void write_sample(FILE *out, FILE *cases, int i, int ncases, const float *x,
                         const float *output)
{
    int in = model.in_size, outs = model.out_size;
    float y[64];
    if (model.task == NETRT_CLASSIFY)
        probabilities(output, y, outs);
    else
        memcpy(y, output, sizeof *y * (size_t)outs);
    fwrite(x, sizeof *x, (size_t)in, out);
    fwrite(y, sizeof *y, (size_t)outs, out);
    if (i < ncases) {
        for (int j = 0; j < in; j++)
            fprintf(cases, "%.9g,", x[j]);
        for (int k = 0; k < outs; k++)
            fprintf(cases, "%.9g%s", y[k], k + 1 < outs ? "," : "\n");
    }
}

static int random_model(const char *weights, const char *out_path, const char *cases_path,
                        int ncases)
{
    enum { SAMPLES = 64 };
    uint64_t rng = 0x6578706f7274u; /* "export" */
    NetrtTensor t[64];
    int n = state_tensors(t);
    for (int i = 0; i < n; i++) {
        float *v = t[i].data;
        bool var = strstr(t[i].name, "running_var") != NULL;
        bool mean = strstr(t[i].name, "running_mean") != NULL;
        for (size_t k = 0; t[i].dtype == NETRT_TENSOR_F32 && k < t[i].count; k++)
            v[k] = (float)(var    ? splitmix_uniform(&rng, 0.5, 2)
                           : mean ? splitmix_uniform(&rng, -0.5, 0.5)
                                  : splitmix_uniform(&rng, -0.8, 0.8));
    }
    NetrtErr err;
    const char *meta[] = {"model", model.name, NULL};
    if (netrt_safetensors_write(weights, t, n, meta, &err) != 0) {
        netrt_err_print(&err);
        return 1;
    }
    int in = model.in_size, outs = model.out_size;
    if (model.batch_max < SAMPLES || outs > 64)
        return fail("the model takes batches under 64 rows, or has over 64 outputs");
    FILE *out = fopen(out_path, "wb"), *cases = fopen(cases_path, "w");
    if (!out || !cases)
        return fail("cannot write the outputs");
    int32_t head[3] = {SAMPLES, in, outs};
    fwrite(head, sizeof head, 1, out);
    float *input = (float *)model.input;
    for (size_t k = 0; k < (size_t)SAMPLES * in; k++)
        input[k] = (float)splitmix_uniform(&rng, 0, 1);
    model.forward(SAMPLES, 0);
    for (int b = 0; b < SAMPLES; b++)
        write_sample(out, cases, b, ncases, input + (size_t)b * in,
                     (const float *)model.output + (size_t)b * outs);
    printf("%s\n", model.task == NETRT_CLASSIFY ? "classes" : "values");
    int bad = ferror(out) || ferror(cases);
    bad |= fclose(out) != 0;
    bad |= fclose(cases) != 0;
    return bad ? fail("cannot write the outputs") : 0;
}

static int predict(const char *weights, const char *out_path, const char *cases_path, int ncases)
{
    if (load_weights(weights) != 0)
        return 1;
    NetrtDataset ds;
    NetrtErr err;
    memset(&ds, 0, sizeof ds);
    if (netrt_data_load(&model, NULL, model.data.valid, (uint64_t)model.train.seed, &ds, &err)) {
        netrt_err_print(&err);
        return 1;
    }
    bool images = ds.test.pixels != NULL;
    if (model.data.normalize && images && model.data.std == 0)
        printf("--mean %.17g --std %.17g\n", ds.mean, ds.std);
    if (ds.x_mean) {
        printf("--mean ");
        for (int j = 0; j < model.in_size; j++)
            printf("%s%.17g", j ? "," : "", ds.x_mean[j]);
        printf(" --std ");
        for (int j = 0; j < model.in_size; j++)
            printf("%s%.17g", j ? "," : "", ds.x_std[j]);
        printf("\n");
    }
    NetrtPixelMap map;
    netrt_pixel_map(&map, ds.mean, ds.std);
    const NetrtSplit *split = &ds.test;
    int n = split->n, in = model.in_size, outs = model.out_size;
    FILE *out = fopen(out_path, "wb"), *cases = fopen(cases_path, "w");
    int32_t *seq = malloc(sizeof *seq * (size_t)model.batch_max);
    float *x = malloc(sizeof *x * (size_t)in);
    if (!out || !cases || !seq || !x || outs > 64)
        return fail("cannot write the outputs");
    int32_t head[3] = {n, in, outs};
    fwrite(head, sizeof head, 1, out);
    for (int start = 0; start < n; start += model.batch_max) {
        int B = n - start < model.batch_max ? n - start : model.batch_max;
        for (int b = 0; b < B; b++)
            seq[b] = start + b;
        netrt_batch_fill(&model, &map, split, seq, B, NULL);
        model.forward(B, 0);
        const float *output = model.output;
        for (int b = 0; b < B; b++) {
            int i = start + b;
            for (int j = 0; j < in; j++) {
                if (images)
                    x[j] = split->pixels[(size_t)i * in + j] / 255.0f;
                else if (ds.x_mean) /* rows are standardized in place: undo it */
                    x[j] = (float)(split->x[(size_t)i * in + j] *
                                   (ds.x_std[j] > 0 ? ds.x_std[j] : 1) + ds.x_mean[j]);
                else
                    x[j] = split->x[(size_t)i * in + j];
            }
            write_sample(out, cases, i, ncases, x, output + (size_t)b * outs);
        }
    }
    int bad = ferror(out) || ferror(cases);
    bad |= fclose(out) != 0;
    bad |= fclose(cases) != 0;
    free(seq);
    free(x);
    netrt_data_free(&ds);
    return bad ? fail("cannot write the outputs") : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "train"))
        return netrt_main(&model, argc - 1, argv + 1);
    if (argc == 6 && !strcmp(argv[1], "predict"))
        return predict(argv[2], argv[3], argv[4], atoi(argv[5]));
    if (argc == 6 && !strcmp(argv[1], "random"))
        return random_model(argv[2], argv[3], argv[4], atoi(argv[5]));
    return fail("usage: export_ref train ARGS… | predict|random WEIGHTS OUT.bin CASES.csv N");
}
