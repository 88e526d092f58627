/* reference.c: a generated model, trained step by step as the trainer trains it, against
 * PyTorch's run of the same network (make_reference.py's dump, CASE.ref.safetensors).
 *
 * The harness includes the generated file whole (MODEL_C, f32 as the trainers run) and drives
 * it as runtime/driver.c does, without the runtime's data loading or command line:
 *   - the parameters and buffers start from the dump's initial state ("0.weight", ...);
 *   - each step fills model.input and model.labels with the dump's samples of that step
 *     ("batches"), then forward(B, 1), loss(B), backward(B), update(&hyper), with hyper as
 *     driver.c fills it: lr from netrt_schedule_lr on the model's own .train.schedule (per
 *     epoch before the epoch's first step, or per step), momentum (netrt_schedule_momentum
 *     when per step), weight decay, and the step count from 1;
 *   - every step's loss is compared with torch's (relative REF_REL_TOL), the learning rate and
 *     the momentum with the ones torch's optimizer had at that step (which checks that the two
 *     runs are configured alike: the schedule, its clock and its horizon), and at the end every
 *     parameter and buffer with torch's ("final.0.weight", ...).
 * It prints the largest per-step loss difference and the largest difference of each tensor.
 * Exit 0 when everything is within tolerance, 1 otherwise.
 *
 * `--sabotage` trains at 1.01 times the learning rate, to show that the comparison can fail.
 *
 * Tolerances. Torch's run is in float64, so the differences are netc's float32 error (torch's
 * own float32 run of these cases is 2e-6 relative or less from its float64 one).
 *   - loss: relative 1e-4 (the bound), against |torch's loss|. The losses run from 1.8
 *     down to 0.007; the cross-entropy of a confident batch is small because its terms are
 *     (log Σ e^(z − max) and z_y − max are both small then), so its float32 error is relative
 *     to it, and a relative bound means what it says at every step.
 *   - final tensors: |netc − torch| ≤ 1e-4 · max(|torch|, REF_FLOOR · scale), scale the tensor's
 *     largest |value|. Why a floor: an element's float32 error comes from the sums that made it
 *     (products over a batch, 48 updates), whose terms are of the size of the tensor's values,
 *     not of that element's; an element that ends near 0 carries the absolute error of its
 *     neighbours, and a purely relative bound fails it for no fault of its own (measured: a weight
 *     of mlp_adam that ends at -3.9e-5, off by 2e-7, is 5e-3 off "relative"). REF_FLOOR = 0.1 lets an element
 *     be off by 1e-5 of its tensor's largest value: ten times float32's error accumulated over
 *     the 48 steps here (~1e-6 of it, measured), while a real fault (the sabotage's 1 % more
 *     lr, a biased running variance, ε inside Adam's square root, a layer's own weight decay
 *     lost, each planted once by hand) moves whole tensors by far more.
 */
#define NETC_NO_MAIN
#include MODEL_C

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netrt_internal.h"

enum { REF_SAMPLES = 256 }; /* make_reference.py's REF_SAMPLES */
static const double REF_REL_TOL = 1e-4, REF_FLOOR = 0.1, REF_LR_TOL = 1e-9;

static void *ref_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "reference: out of memory\n");
        exit(2);
    }
    return p;
}

/* One tensor of the dump, with the harness's storage for it. */
static NetrtTensor ref_tensor(const char *name, NetrtTensorType dtype, int rank, const int *shape,
                          void *data)
{
    NetrtTensor t = {name, dtype, rank, {0}, 1, data};
    for (int d = 0; d < rank; d++) {
        t.shape[d] = shape[d];
        t.count *= (size_t)shape[d];
    }
    return t;
}

/* The state's tensors in the model's order: parameters, then buffers. */
static int ref_count(void)
{
    return model.n_params + model.n_buffers;
}

static const char *ref_name(int i)
{
    if (i < model.n_params)
        return model.params[i].torch ? model.params[i].torch : model.params[i].name;
    const NetrtBuffer *b = &model.buffers[i - model.n_params];
    return b->torch ? b->torch : b->name;
}

static int ref_is_count(int i)
{
    return i >= model.n_params && model.buffers[i - model.n_params].is_count;
}

static int ref_rank(int i)
{
    return i < model.n_params ? model.params[i].rank : model.buffers[i - model.n_params].rank;
}

static const int *ref_shape(int i)
{
    return i < model.n_params ? model.params[i].shape : model.buffers[i - model.n_params].shape;
}

static size_t ref_size(int i)
{
    return i < model.n_params ? model.params[i].size : model.buffers[i - model.n_params].size;
}

static void *ref_value(int i)
{
    return i < model.n_params ? model.params[i].value : model.buffers[i - model.n_params].value;
}

/* "[32, 16]" */
static const char *ref_shape_text(int rank, const int *shape)
{
    static char buf[64];
    int used = snprintf(buf, sizeof buf, "[");
    for (int d = 0; d < rank; d++)
        used += snprintf(buf + used, sizeof buf - (size_t)used, "%s%d", d ? ", " : "", shape[d]);
    snprintf(buf + used, sizeof buf - (size_t)used, "]");
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--sabotage"))) {
        fprintf(stderr, "usage: %s CASE.ref.safetensors [--sabotage]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    bool sabotage = argc == 3;
    if (model.dtype != NETRT_F32) {
        fprintf(stderr, "reference: the model must be generated in f32, as trainers are\n");
        return 2;
    }
    /* as a trainer runs: the products on netc's kernel where the CPU has AVX-512 (else
     * OpenBLAS), on one thread (the machine is shared; results do not depend on it) */
    NetrtErr err;
    NetrtGemmStatus gemm;
    openblas_set_num_threads(1);
    netrt_set_threads(1);
    if (netrt_gemm_setup("auto", 1, &gemm, &err) < 0) {
        netrt_err_print(&err);
        return 2;
    }

    const NetrtTrain *tr = &model.train;
    int batch = tr->batch;
    if (batch <= 0 || REF_SAMPLES % batch || batch > model.batch_max) {
        fprintf(stderr, "reference: %s's batch %d must divide the %d samples (every batch full)\n",
                model.name, batch, REF_SAMPLES);
        return 2;
    }
    int per_epoch = REF_SAMPLES / batch, epochs = tr->epochs, steps = epochs * per_epoch;

    /* Every tensor of the dump, in one read: the reader insists on each name, dtype and shape,
     * and on nothing else in the file, so a dump of another network (or of other settings:
     * another batch or number of epochs) is refused naming the first tensor that differs. */
    int n_state = ref_count(), n = 2 * n_state + 6, k = 0;
    NetrtTensor *t = ref_malloc(sizeof *t * (size_t)n);
    double **final = ref_malloc(sizeof *final * (size_t)n_state);
    char **final_names = ref_malloc(sizeof *final_names * (size_t)n_state);
    for (int i = 0; i < n_state; i++) /* the initial state, straight into the model */
        t[k++] = ref_tensor(ref_name(i), ref_is_count(i) ? NETRT_TENSOR_I64 : NETRT_TENSOR_F32,
                        ref_rank(i), ref_shape(i), ref_value(i));
    float *x = ref_malloc(sizeof *x * (size_t)REF_SAMPLES * model.in_size);
    int64_t *y = ref_malloc(sizeof *y * REF_SAMPLES);
    int64_t *order = ref_malloc(sizeof *order * (size_t)steps * batch);
    double *torch_lr = ref_malloc(sizeof *torch_lr * (size_t)steps);
    double *torch_momentum = ref_malloc(sizeof *torch_momentum * (size_t)steps);
    double *torch_loss = ref_malloc(sizeof *torch_loss * (size_t)steps);
    int image = model.in_c > 1 || model.in_h > 1; /* [N, C, H, W]; else [N, in] */
    int x_shape[4] = {REF_SAMPLES, image ? model.in_c : model.in_size, model.in_h, model.in_w};
    t[k++] = ref_tensor("x", NETRT_TENSOR_F32, image ? 4 : 2, x_shape, x);
    t[k++] = ref_tensor("y", NETRT_TENSOR_I64, 1, (int[]){REF_SAMPLES}, y);
    t[k++] = ref_tensor("batches", NETRT_TENSOR_I64, 2, (int[]){steps, batch}, order);
    t[k++] = ref_tensor("lr", NETRT_TENSOR_F64, 1, (int[]){steps}, torch_lr);
    t[k++] = ref_tensor("momentum", NETRT_TENSOR_F64, 1, (int[]){steps}, torch_momentum);
    t[k++] = ref_tensor("loss", NETRT_TENSOR_F64, 1, (int[]){steps}, torch_loss);
    for (int i = 0; i < n_state; i++) { /* the final state: doubles, or the counters' int64 */
        size_t len = strlen(ref_name(i)) + sizeof "final.";
        final_names[i] = ref_malloc(len);
        snprintf(final_names[i], len, "final.%s", ref_name(i));
        final[i] = ref_malloc(sizeof(double) * ref_size(i)); /* int64 fits a double's room */
        t[k++] = ref_tensor(final_names[i], ref_is_count(i) ? NETRT_TENSOR_I64 : NETRT_TENSOR_F64,
                        ref_rank(i), ref_shape(i), final[i]);
    }
    if (netrt_safetensors_read(path, t, n, &err) < 0) {
        netrt_err_print(&err);
        return 2;
    }
    for (int i = 0; i < REF_SAMPLES; i++)
        if (y[i] < 0 || y[i] >= model.out_size) {
            fprintf(stderr, "reference: %s: y[%d] = %lld is not a class of %d\n", path, i,
                    (long long)y[i], model.out_size);
            return 2;
        }
    for (long i = 0; i < (long)steps * batch; i++)
        if (order[i] < 0 || order[i] >= REF_SAMPLES) {
            fprintf(stderr, "reference: %s: batches holds %lld, not a sample\n", path,
                    (long long)order[i]);
            return 2;
        }

    /* The run, as driver.c's train_epoch: the schedule's clock is finished epochs, or finished
     * steps (per_step, and ONE_CYCLE always); its horizon the run's length in that unit. */
    const NetrtSchedule *sched = &tr->schedule;
    int per_step = sched->per_step || sched->kind == NETRT_SCHED_ONE_CYCLE;
    long sched_total = per_step ? steps : epochs;
    double lr_scale = sabotage ? 1.01 : 1;
    NetrtHyper hyper = {tr->lr, tr->momentum, tr->weight_decay, 0};
    double worst_loss = 0, worst_lr = 0, worst_momentum = 0;
    int worst_loss_step = 0, failed = 0;
    double loss_at_worst = 0;
    float *in = model.input;
    long step = 0;
    for (int epoch = 1; epoch <= epochs; epoch++) {
        if (!per_step)
            hyper.lr = netrt_schedule_lr(sched, tr->lr, epoch - 1, sched_total) * lr_scale;
        for (int b = 0; b < per_epoch; b++) {
            if (per_step) {
                hyper.lr = netrt_schedule_lr(sched, tr->lr, step, sched_total) * lr_scale;
                hyper.momentum = netrt_schedule_momentum(sched, tr->momentum, step, sched_total);
            }
            const int64_t *idx = order + step * batch;
            for (int r = 0; r < batch; r++) {
                memcpy(in + (size_t)r * model.in_size, x + (size_t)idx[r] * model.in_size,
                       sizeof *in * (size_t)model.in_size);
                model.labels[r] = (int32_t)y[idx[r]];
            }
            model.forward(batch, 1);
            double loss = model.loss(batch);
            step++;
            model.backward(batch);
            hyper.step = step;
            model.update(&hyper);

            double want = torch_loss[step - 1];
            double d = fabs(loss - want) / fabs(want);
            if (!(d <= worst_loss)) { /* a NaN is the worst */
                worst_loss = d, worst_loss_step = (int)step, loss_at_worst = loss;
            }
            double dl = fabs(hyper.lr / lr_scale - torch_lr[step - 1]) / torch_lr[step - 1];
            if (!(dl <= worst_lr))
                worst_lr = dl;
            double dm = fabs(hyper.momentum - torch_momentum[step - 1]);
            if (!(dm <= worst_momentum))
                worst_momentum = dm;
        }
    }
    printf("%s: %s, %d steps of %d samples, %s, products on %s\n", model.name, model.summary,
           steps, batch, model.optimizer, gemm.own ? "netc's AVX-512 kernel" : "OpenBLAS");
    printf("  learning rate: largest relative difference from torch's scheduler %.3g (tolerance "
           "%g)\n", worst_lr, REF_LR_TOL);
    failed += !(worst_lr <= REF_LR_TOL);
    printf("  momentum: largest difference from torch's %.3g (tolerance %g)\n", worst_momentum,
           REF_LR_TOL);
    failed += !(worst_momentum <= REF_LR_TOL);
    printf("  loss: largest relative difference %.3g at step %d (netc %.9g, torch %.9g; "
           "tolerance %g)\n", worst_loss, worst_loss_step, loss_at_worst,
           torch_loss[worst_loss_step > 0 ? worst_loss_step - 1 : 0], REF_REL_TOL);
    failed += !(worst_loss <= REF_REL_TOL);

    /* The final state, tensor by tensor. */
    for (int i = 0; i < n_state; i++) {
        size_t size = ref_size(i);
        double scale = 0;
        for (size_t j = 0; j < size; j++)
            scale = fmax(scale, fabs(final[i][j]));
        if (ref_is_count(i)) {
            const int64_t *got = ref_value(i), *want = (const int64_t *)final[i];
            long long worst = 0;
            for (size_t j = 0; j < size; j++)
                if (llabs((long long)(got[j] - want[j])) > worst)
                    worst = llabs((long long)(got[j] - want[j]));
            printf("  %-22s %-14s largest difference %lld (netc %lld, torch %lld; must be "
                   "equal)\n", ref_name(i), ref_shape_text(ref_rank(i), ref_shape(i)), worst,
                   (long long)got[0], (long long)want[0]);
            failed += worst != 0;
            continue;
        }
        const float *got = ref_value(i);
        double worst = 0, worst_abs = 0;
        size_t at = 0;
        for (size_t j = 0; j < size; j++) {
            double diff = fabs((double)got[j] - final[i][j]);
            double rel = diff / fmax(fabs(final[i][j]), REF_FLOOR * fmax(scale, 1e-30));
            if (!(rel <= worst))
                worst = rel, worst_abs = diff, at = j;
        }
        printf("  %-22s %-14s largest difference %.3g relative, %.3g absolute at [%zu] "
               "(netc %.9g, torch %.9g)\n", ref_name(i),
               ref_shape_text(ref_rank(i), ref_shape(i)), worst, worst_abs, at,
               (double)got[at], final[i][at]);
        failed += !(worst <= REF_REL_TOL);
    }
    printf("%s: %s\n", model.name, failed ? "FAILED: beyond tolerance (see above)" :
           "agrees with torch");
    for (int i = 0; i < n_state; i++) {
        free(final[i]);
        free(final_names[i]);
    }
    free(final);
    free(final_names);
    free(t);
    free(x);
    free(y);
    free(order);
    free(torch_lr);
    free(torch_momentum);
    free(torch_loss);
    return failed ? 1 : 0;
}
