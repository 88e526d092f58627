/* predict.c: --predict, a saved model's predictions as CSV on standard output, one row per
 * sample, for a script or a spreadsheet to read (messages go to standard error, never here).
 *
 * Classification: index,label,predicted,p0,…,pK-1, the p's the class probabilities: the
 * softmax of the outputs (logits), or the outputs themselves when the model ends in softmax,
 * or their exp when it ends in log_softmax (model->output_kind). predicted is the argmax of
 * the outputs, as the accuracy counts it. Regression: index,target,predicted (target0…,
 * predicted0… for several outputs). A label or target that is not known (--input of images
 * without labels, or a CSV without the target column) is an empty cell. Numbers are printed
 * with 9 significant digits (%.9g): a float read back from the text is the same float. */
#include <math.h>

#include "netrt_internal.h"

static double output_at(const NetrtModel *model, size_t i)
{
    return model->dtype == NETRT_F32 ? (double)((const float *)model->output)[i]
                                     : ((const double *)model->output)[i];
}

static double target_at(const NetrtModel *model, size_t i)
{
    return model->dtype == NETRT_F32 ? (double)((const float *)model->targets)[i]
                                     : ((const double *)model->targets)[i];
}

static void header(const NetrtModel *model, FILE *out)
{
    int K = model->out_size;
    if (model->task == NETRT_CLASSIFY) {
        fprintf(out, "index,label,predicted");
        for (int k = 0; k < K; k++)
            fprintf(out, ",p%d", k);
    } else if (K == 1) {
        fprintf(out, "index,target,predicted");
    } else {
        fprintf(out, "index");
        for (int k = 0; k < K; k++)
            fprintf(out, ",target%d", k);
        for (int k = 0; k < K; k++)
            fprintf(out, ",predicted%d", k);
    }
    fputc('\n', out);
}

/* Row b of the batch in model->output (and labels or targets). */
static void row(const NetrtModel *model, int b, int index, int truth, FILE *out)
{
    int K = model->out_size;
    size_t base = (size_t)b * K;
    fprintf(out, "%d", index);
    if (model->task == NETRT_REGRESS) {
        for (int k = 0; k < K; k++)
            truth ? fprintf(out, ",%.9g", target_at(model, base + k)) : fputc(',', out);
        for (int k = 0; k < K; k++)
            fprintf(out, ",%.9g", output_at(model, base + k));
        fputc('\n', out);
        return;
    }
    int best = 0;
    double max = output_at(model, base), sum = 0;
    for (int k = 1; k < K; k++)
        if (output_at(model, base + k) > max) {
            max = output_at(model, base + k);
            best = k;
        }
    if (model->output_kind == NETRT_OUTPUT_SCORES) /* softmax, shifted by the max: no overflow */
        for (int k = 0; k < K; k++)
            sum += exp(output_at(model, base + k) - max);
    if (truth)
        fprintf(out, ",%d,%d", model->labels[b], best);
    else
        fprintf(out, ",,%d", best);
    for (int k = 0; k < K; k++) {
        double y = output_at(model, base + k);
        double p = model->output_kind == NETRT_OUTPUT_PROBABILITIES ? y
                   : model->output_kind == NETRT_OUTPUT_LOG_PROBABILITIES ? exp(y)
                                                                          : exp(y - max) / sum;
        fprintf(out, ",%.9g", p);
    }
    fputc('\n', out);
}

int netrt_predict(const NetrtModel *model, const NetrtPixelMap *map, const NetrtSplit *split,
                  const int32_t *idx, int truth, FILE *out, NetrtErr *err)
{
    header(model, out);
    for (int start = 0; start < split->n; start += model->batch_max) {
        int B = split->n - start < model->batch_max ? split->n - start : model->batch_max;
        netrt_batch_fill(model, map, split, idx + start, B, NULL);
        model->forward(B, 0);
        for (int b = 0; b < B; b++)
            row(model, b, idx[start + b], truth, out);
    }
    if (fflush(out) != 0 || ferror(out))
        return netrt_err(err, "standard output: cannot write the predictions");
    return 0;
}
