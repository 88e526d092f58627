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
 *   - final tensors: |netc − torch| ≤ 1e-4 · max(|torch|, REF_FLOOR · scale), scale the
 *     tensor's largest |value|. Why a floor: an element's float32 error comes from the sums
 *     that made it (products over a batch, 48 updates), whose terms are of the size of the
 *     tensor's values, not of that element's; an element that ends near 0 carries the absolute
 *     error of its neighbours, and a purely relative bound fails it for no fault of its own
 *     (measured: a weight of mlp_adam that ends at -3.9e-5, off by 2e-7, is 5e-3 off
 *     "relative"). REF_FLOOR = 0.1 lets an element be off by 1e-5 of its tensor's largest
 *     value: ten times float32's error accumulated over the 48 steps here (~1e-6 of it,
 *     measured), while a real fault (the sabotage's 1 % more lr, a biased running variance,
 *     ε inside Adam's square root, a layer's own weight decay lost, each planted once by hand)
 *     moves whole tensors by far more.
 */
#define NETC_NO_MAIN
#include MODEL_C

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netrt_internal.h"

enum { REF_SAMPLES = 256 }; /* make_reference.py's SAMPLES */
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

/* One tensor of the model's state, i counting its parameters, then its buffers. */
typedef struct {
    const char *name; /* torch's, as --save writes it: "0.weight", "1.running_mean" */
    int is_count;     /* an int64 counter (num_batches_tracked); else float */
    int rank;
    const int *shape;
    size_t size;
    void *value;      /* the model's own storage */
} RefState;

static RefState ref_state(int i)
{
    if (i < model.n_params) {
        const NetrtParam *p = &model.params[i];
        return (RefState){p->torch ? p->torch : p->name, 0, p->rank, p->shape, p->size, p->value};
    }
    const NetrtBuffer *b = &model.buffers[i - model.n_params];
    return (RefState){b->torch ? b->torch : b->name, b->is_count, b->rank, b->shape, b->size,
                      b->value};
}

/* A tensor of the dump to read, into data. */
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

/* What torch saw and did (make_reference.py's tensors but the initial state, which goes
 * straight into the model). */
typedef struct {
    int batch, per_epoch, epochs, steps;
    float *x;               /* [REF_SAMPLES, in_size] */
    int64_t *y;             /* [REF_SAMPLES] */
    int64_t *batches;       /* [steps, batch]: the samples of each step */
    double *lr, *momentum;  /* [steps]: torch's at each step */
    double *loss;           /* [steps]: of each step's batch, before its update */
    double **final;         /* per state tensor: its values after the last step */
    int64_t **final_count;  /* the same for a counter (NULL for the others) */
    char **final_name;      /* "final.0.weight" */
} RefDump;

/* Read the whole dump at path, the initial state into the model: 0, or -1 with a message. The
 * reader insists on each tensor's name, dtype and shape and on nothing else in the file, so a
 * dump of another network, or of another batch or number of epochs, is refused naming the first
 * tensor that differs. */
static int ref_read_dump(const char *path, RefDump *d)
{
    const NetrtTrain *tr = &model.train;
    d->batch = tr->batch;
    if (d->batch <= 0 || REF_SAMPLES % d->batch || d->batch > model.batch_max) {
        fprintf(stderr, "reference: %s's batch %d must divide the %d samples (every batch full)\n",
                model.name, d->batch, REF_SAMPLES);
        return -1;
    }
    d->per_epoch = REF_SAMPLES / d->batch;
    d->epochs = tr->epochs;
    d->steps = d->epochs * d->per_epoch;
    int n_state = model.n_params + model.n_buffers, n = 0;
    NetrtTensor *t = ref_malloc(sizeof *t * (size_t)(2 * n_state + 6));
    for (int i = 0; i < n_state; i++) {
        RefState s = ref_state(i);
        t[n++] = ref_tensor(s.name, s.is_count ? NETRT_TENSOR_I64 : NETRT_TENSOR_F32, s.rank,
                            s.shape, s.value);
    }
    int steps = d->steps, image = model.in_c > 1 || model.in_h > 1; /* [N, C, H, W], or [N, in] */
    int x_shape[4] = {REF_SAMPLES, image ? model.in_c : model.in_size, model.in_h, model.in_w};
    d->x = ref_malloc(sizeof *d->x * (size_t)REF_SAMPLES * model.in_size);
    d->y = ref_malloc(sizeof *d->y * REF_SAMPLES);
    d->batches = ref_malloc(sizeof *d->batches * (size_t)steps * d->batch);
    d->lr = ref_malloc(sizeof *d->lr * (size_t)steps);
    d->momentum = ref_malloc(sizeof *d->momentum * (size_t)steps);
    d->loss = ref_malloc(sizeof *d->loss * (size_t)steps);
    t[n++] = ref_tensor("x", NETRT_TENSOR_F32, image ? 4 : 2, x_shape, d->x);
    t[n++] = ref_tensor("y", NETRT_TENSOR_I64, 1, (int[]){REF_SAMPLES}, d->y);
    t[n++] = ref_tensor("batches", NETRT_TENSOR_I64, 2, (int[]){steps, d->batch}, d->batches);
    t[n++] = ref_tensor("lr", NETRT_TENSOR_F64, 1, &steps, d->lr);
    t[n++] = ref_tensor("momentum", NETRT_TENSOR_F64, 1, &steps, d->momentum);
    t[n++] = ref_tensor("loss", NETRT_TENSOR_F64, 1, &steps, d->loss);
    d->final = ref_malloc(sizeof *d->final * (size_t)n_state);
    d->final_count = ref_malloc(sizeof *d->final_count * (size_t)n_state);
    d->final_name = ref_malloc(sizeof *d->final_name * (size_t)n_state);
    for (int i = 0; i < n_state; i++) {
        RefState s = ref_state(i);
        size_t len = strlen(s.name) + sizeof "final.";
        d->final_name[i] = ref_malloc(len);
        snprintf(d->final_name[i], len, "final.%s", s.name);
        d->final[i] = s.is_count ? NULL : ref_malloc(sizeof(double) * s.size);
        d->final_count[i] = s.is_count ? ref_malloc(sizeof(int64_t) * s.size) : NULL;
        t[n++] = ref_tensor(d->final_name[i], s.is_count ? NETRT_TENSOR_I64 : NETRT_TENSOR_F64,
                            s.rank, s.shape,
                            s.is_count ? (void *)d->final_count[i] : (void *)d->final[i]);
    }
    NetrtErr err;
    int status = netrt_safetensors_read(path, t, n, &err);
    free(t);
    if (status < 0) {
        netrt_err_print(&err);
        return -1;
    }
    for (int i = 0; i < REF_SAMPLES; i++)
        if (d->y[i] < 0 || d->y[i] >= model.out_size) {
            fprintf(stderr, "reference: %s: y[%d] = %lld is not a class of %d\n", path, i,
                    (long long)d->y[i], model.out_size);
            return -1;
        }
    for (long i = 0; i < (long)steps * d->batch; i++)
        if (d->batches[i] < 0 || d->batches[i] >= REF_SAMPLES) {
            fprintf(stderr, "reference: %s: batches holds %lld, not a sample\n", path,
                    (long long)d->batches[i]);
            return -1;
        }
    return 0;
}

static void ref_free_dump(RefDump *d)
{
    for (int i = 0; i < model.n_params + model.n_buffers; i++) {
        free(d->final[i]);
        free(d->final_count[i]);
        free(d->final_name[i]);
    }
    free(d->final);
    free(d->final_count);
    free(d->final_name);
    free(d->x);
    free(d->y);
    free(d->batches);
    free(d->lr);
    free(d->momentum);
    free(d->loss);
}

/* The largest differences from torch over the steps. */
typedef struct {
    double loss, lr, momentum; /* relative, relative, absolute */
    int loss_step;             /* where the loss's was (1-based), and netc's loss there */
    double loss_there;
} RefWorst;

/* A NaN counts as the worst. */
static int ref_worse(double d, double worst)
{
    return !(d <= worst);
}

/* The run, as driver.c's train_epoch runs it: the lr of the schedule's clock (finished epochs,
 * set before an epoch's first step; or finished steps when per step, and one_cycle always) over
 * its horizon (the run's length in that unit), times lr_scale (the sabotage); the momentum of
 * the clock when per step; the step count from 1. */
static RefWorst ref_train(const RefDump *d, double lr_scale)
{
    const NetrtTrain *tr = &model.train;
    const NetrtSchedule *sched = &tr->schedule;
    int per_step = sched->per_step || sched->kind == NETRT_SCHED_ONE_CYCLE;
    long sched_total = per_step ? d->steps : d->epochs;
    NetrtHyper hyper = {tr->lr, tr->momentum, tr->weight_decay, 0, tr->clip_value, tr->clip_norm};
    RefWorst worst = {0};
    float *input = model.input;
    int in_size = model.in_size, B = d->batch;
    long step = 0; /* steps taken */
    for (int epoch = 1; epoch <= d->epochs; epoch++) {
        if (!per_step)
            hyper.lr = netrt_schedule_lr(sched, tr->lr, epoch - 1, sched_total) * lr_scale;
        for (int b = 0; b < d->per_epoch; b++) {
            if (per_step) {
                hyper.lr = netrt_schedule_lr(sched, tr->lr, step, sched_total) * lr_scale;
                hyper.momentum = netrt_schedule_momentum(sched, tr->momentum, step, sched_total);
            }
            const int64_t *idx = d->batches + step * B;
            for (int r = 0; r < B; r++) {
                memcpy(input + (size_t)r * in_size, d->x + (size_t)idx[r] * in_size,
                       sizeof *input * (size_t)in_size);
                model.labels[r] = (int32_t)d->y[idx[r]];
            }
            model.forward(B, 1);
            double loss = model.loss(B);
            model.backward(B);
            hyper.step = step + 1;
            model.update(&hyper);

            double diff = fabs(loss - d->loss[step]) / fabs(d->loss[step]);
            if (ref_worse(diff, worst.loss))
                worst.loss = diff, worst.loss_step = (int)step + 1, worst.loss_there = loss;
            diff = fabs(hyper.lr / lr_scale - d->lr[step]) / fabs(d->lr[step]);
            if (ref_worse(diff, worst.lr))
                worst.lr = diff;
            diff = fabs(hyper.momentum - d->momentum[step]);
            if (ref_worse(diff, worst.momentum))
                worst.momentum = diff;
            step++;
        }
    }
    return worst;
}

/* Each tensor of the model's state against torch's after the last step, a line each: the
 * number beyond tolerance. */
static int ref_compare_state(const RefDump *d)
{
    int failed = 0;
    for (int i = 0; i < model.n_params + model.n_buffers; i++) {
        RefState s = ref_state(i);
        const char *shape = ref_shape_text(s.rank, s.shape);
        if (s.is_count) { /* counters are exact */
            const int64_t *got = s.value, *want = d->final_count[i];
            size_t bad = 0;
            for (size_t j = 0; j < s.size; j++)
                bad += got[j] != want[j];
            printf("  %-22s %-14s %s (netc %lld, torch %lld)\n", s.name, shape,
                   bad ? "DIFFERS" : "equal", (long long)got[0], (long long)want[0]);
            failed += bad != 0;
            continue;
        }
        const float *got = s.value;
        const double *want = d->final[i];
        double scale = 0, worst = 0, worst_abs = 0;
        size_t at = 0;
        for (size_t j = 0; j < s.size; j++)
            scale = fmax(scale, fabs(want[j]));
        for (size_t j = 0; j < s.size; j++) {
            double diff = fabs((double)got[j] - want[j]);
            double rel = diff / fmax(fmax(fabs(want[j]), REF_FLOOR * scale), 1e-30);
            if (ref_worse(rel, worst))
                worst = rel, worst_abs = diff, at = j;
        }
        printf("  %-22s %-14s largest difference %.3g relative, %.3g absolute at [%zu] "
               "(netc %.9g, torch %.9g)\n", s.name, shape, worst, worst_abs, at, (double)got[at],
               want[at]);
        failed += ref_worse(worst, REF_REL_TOL);
    }
    return failed;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--sabotage"))) {
        fprintf(stderr, "usage: %s CASE.ref.safetensors [--sabotage]\n", argv[0]);
        return 2;
    }
    bool sabotage = argc == 3;
    if (model.dtype != NETRT_F32) {
        fprintf(stderr, "reference: the model must be generated in f32, as trainers are\n");
        return 2;
    }
    /* As a trainer runs: the products on netc's kernel where the CPU has AVX-512, else
     * OpenBLAS; one thread, as the machine is shared (results do not depend on it). */
    NetrtErr err;
    NetrtGemmStatus gemm;
    openblas_set_num_threads(1);
    netrt_set_threads(1);
    if (netrt_gemm_setup("auto", 1, &gemm, &err) < 0) {
        netrt_err_print(&err);
        return 2;
    }
    RefDump dump;
    if (ref_read_dump(argv[1], &dump) < 0)
        return 2;

    RefWorst worst = ref_train(&dump, sabotage ? 1.01 : 1);
    printf("%s: %s, %d steps of %d samples, %s, products on %s\n", model.name, model.summary,
           dump.steps, dump.batch, model.optimizer,
           gemm.kernel == NETRT_GEMM_AVX512 ? "netc's AVX-512 kernel"
           : gemm.kernel == NETRT_GEMM_AVX2 ? "netc's AVX2 kernel"
                                            : "OpenBLAS");
    printf("  learning rate: largest relative difference from torch's %.3g (tolerance %g)\n",
           worst.lr, REF_LR_TOL);
    printf("  momentum: largest difference from torch's %.3g (tolerance %g)\n", worst.momentum,
           REF_LR_TOL);
    printf("  loss: largest relative difference %.3g at step %d (netc %.9g, torch %.9g; "
           "tolerance %g)\n", worst.loss, worst.loss_step, worst.loss_there,
           dump.loss[worst.loss_step > 0 ? worst.loss_step - 1 : 0], REF_REL_TOL);
    int failed = ref_worse(worst.lr, REF_LR_TOL) + ref_worse(worst.momentum, REF_LR_TOL) +
                 ref_worse(worst.loss, REF_REL_TOL) + ref_compare_state(&dump);
    printf("%s: %s\n", model.name, failed ? "FAILED: beyond tolerance (see above)" :
           "agrees with torch");
    ref_free_dump(&dump);
    return failed ? 1 : 0;
}
