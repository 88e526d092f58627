/* driver.c: netrt_main(), the training loop around a generated model.
 *
 * netrt_main calls one function per job. Start-up: the options and the machine (set_up), the data
 * (load_data), the run's length and allocations (plan_run), the parameters and buffers, from
 * their tables or a file (init_state), a summary of what is in force (start_training). Then per
 * epoch (train): shuffle, one step per batch (forward, loss, backward, update) at the learning
 * rate the schedule gives (train_epoch), the stop conditions and the best epoch (judge_epoch),
 * evaluation, one line of metrics and CSV rows (report_epoch). At the end (finish): why it
 * stopped, keep_best's restore, the final line, the files asked for. Everything the loop needs
 * is allocated before the first step; the step itself never allocates (OpenBLAS's threaded GEMM
 * mallocs a job table for each product it splits over threads: with --threads 1 nothing does;
 * tests/alloc checks both).
 *
 * What is evaluated when. With at most 200 epochs of mini-batches every epoch is printed, and the
 * valid and test sets are evaluated after each one, as before. A run of more epochs (full batch,
 * where an epoch is one step, easily has thousands) prints only every k-th epoch (see
 * print_every), and evaluates the test set only on those epochs and the valid set only on those
 * too, unless early stopping or keep_best needs it after every epoch. The CSV still has a row for
 * every epoch, with empty cells for a split that was not evaluated then: an honest gap rather than
 * a stale number. The final line always comes from an evaluation after the last epoch.
 *
 * Data parallel (netrt_main_mpi, docs/distributed.md): every rank runs all of the above on the
 * whole data, in the same order, and the run's NetrtComm (netrt_internal.h) joins them at a few
 * points only: each step trains on the rank's share of the batch and sums the gradients, the
 * step's metrics and the stop decision over the ranks (train_epoch); an evaluation passes over
 * the rank's share of the split and sums (evaluate); start-up ends with the ranks agreeing on
 * what they train (agree). Every decision is then taken on sums every rank has, so all take it
 * together. Rank 0 alone prints and writes files (run->writer). Alone, the sums are no-ops and
 * the run is what it was, to the bit. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, isatty, fileno */

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "netrt_internal.h"

/* One pass over a set: the loss (mean over samples) and, for classification, the accuracy (a
 * fraction), for regression the mean squared and mean absolute errors (means over all n·out_size
 * output values, as torch.nn.MSELoss and L1Loss with reduction='mean'). */
typedef struct {
    double loss, acc, mse, mae;
} Metrics;

/* The running sums a pass turns into Metrics. */
typedef struct {
    double loss;   /* Σ batch loss · B */
    long correct;  /* classification */
    double sq, abs;/* regression: Σ (output − target)², Σ |output − target| */
    long n;        /* samples */
} Sums;

typedef struct {
    Metrics train, valid, test;
    int has_valid, has_test; /* evaluated after this epoch */
    double lr;               /* of the epoch's last step */
    int samples;             /* training samples seen: all, or fewer when max_steps cut it short */
    double seconds;          /* training time of the epoch, evaluation excluded */
    double cpu;              /* CPU time of the process (all threads) in those seconds */
    long step;               /* optimizer steps done at the epoch's end */
} EpochLog;

/* --log-every N: the training split over N steps (fewer at the run's end). */
typedef struct {
    long step;               /* steps done at its end */
    int epoch;               /* the epoch of its last step */
    double lr;               /* of its last step */
    Metrics train;
} StepLog;

/* Why training ended before its last epoch. */
typedef enum { STOP_NONE, STOP_MAX_STEPS, STOP_LOSS_BELOW, STOP_EARLY } StopReason;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of the whole process so far, every thread's, user and system. */
static double cpu_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* How many of the B output rows have their largest value at the sample's label. */
static int count_correct(const NetrtModel *model, int B)
{
    int correct = 0, K = model->out_size;
    for (int b = 0; b < B; b++) {
        int best = 0;
        if (model->dtype == NETRT_F32) {
            const float *row = (const float *)model->output + (size_t)b * K;
            for (int k = 1; k < K; k++)
                if (row[k] > row[best])
                    best = k;
        } else {
            const double *row = (const double *)model->output + (size_t)b * K;
            for (int k = 1; k < K; k++)
                if (row[k] > row[best])
                    best = k;
        }
        correct += best == model->labels[b];
    }
    return correct;
}

void netrt_regress_metrics(const NetrtModel *model, int B, double *sum_sq, double *sum_abs)
{
    size_t n = (size_t)B * model->out_size;
    double s = 0, a = 0;
    if (model->dtype == NETRT_F32) {
        const float *y = model->output, *t = model->targets;
        for (size_t i = 0; i < n; i++) {
            double d = (double)y[i] - (double)t[i];
            s += d * d;
            a += fabs(d);
        }
    } else {
        const double *y = model->output, *t = model->targets;
        for (size_t i = 0; i < n; i++) {
            double d = y[i] - t[i];
            s += d * d;
            a += fabs(d);
        }
    }
    *sum_sq += s;
    *sum_abs += a;
}

/* Add the B rows now in model->output (after forward) to the pass's accuracy or errors. */
static void sums_add_outputs(const NetrtModel *model, int B, Sums *sums)
{
    if (model->task == NETRT_REGRESS)
        netrt_regress_metrics(model, B, &sums->sq, &sums->abs);
    else
        sums->correct += count_correct(model, B);
    sums->n += B;
}

static Metrics sums_metrics(const NetrtModel *model, const Sums *sums)
{
    double n = sums->n > 0 ? (double)sums->n : 1, values = n * model->out_size;
    return (Metrics){sums->loss / n, (double)sums->correct / n, sums->sq / values,
                     sums->abs / values};
}

/* Fill every parameter as its table row says, drawing from rng in table order. Each kind is a
 * normal or a uniform distribution; the named ones take their spread from the fans. */
static int init_params(const NetrtModel *model, NetrtRng *rng, NetrtErr *err)
{
    for (int p = 0; p < model->n_params; p++) {
        const NetrtParam *param = &model->params[p];
        double fan_in = param->fan_in, fan_sum = param->fan_in + param->fan_out;
        double mean = 0, spread = 0; /* standard deviation, or the uniform's half width */
        int normal = 0;
        switch (param->init.kind) {
        case NETRT_INIT_ZEROS: break;
        case NETRT_INIT_CONSTANT: mean = param->init.a; break;
        case NETRT_INIT_NORMAL: normal = 1, mean = param->init.a, spread = param->init.b; break;
        case NETRT_INIT_UNIFORM:
            mean = (param->init.a + param->init.b) / 2;
            spread = (param->init.b - param->init.a) / 2;
            break;
        case NETRT_INIT_XAVIER_UNIFORM: spread = sqrt(6 / fan_sum); break;
        case NETRT_INIT_XAVIER_NORMAL: normal = 1, spread = sqrt(2 / fan_sum); break;
        case NETRT_INIT_HE_UNIFORM: spread = sqrt(6 / fan_in); break;
        case NETRT_INIT_HE_NORMAL: normal = 1, spread = sqrt(2 / fan_in); break;
        case NETRT_INIT_LECUN_UNIFORM: spread = sqrt(3 / fan_in); break;
        case NETRT_INIT_LECUN_NORMAL: normal = 1, spread = sqrt(1 / fan_in); break;
        }
        if (!isfinite(spread) || !isfinite(mean))
            return netrt_err(err, "parameter %s: fan_in %d and fan_out %d do not allow its init",
                             param->name, param->fan_in, param->fan_out);
        for (size_t i = 0; i < param->size; i++) {
            double v = mean;
            if (spread != 0)
                v += spread * (normal ? netrt_rng_normal(rng) : 2 * netrt_rng_uniform(rng) - 1);
            if (model->dtype == NETRT_F32)
                ((float *)param->value)[i] = (float)v;
            else
                ((double *)param->value)[i] = v;
        }
    }
    return 0;
}

/* Every buffer at its starting value: 0 for a running mean or a count, 1 for a variance. They
 * draw no random numbers, so the random streams are the same with buffers or without. */
static void init_buffers(const NetrtModel *model)
{
    for (int k = 0; k < model->n_buffers; k++) {
        const NetrtBuffer *buf = &model->buffers[k];
        for (size_t i = 0; i < buf->size; i++) {
            if (buf->is_count)
                ((int64_t *)buf->value)[i] = (int64_t)buf->init;
            else if (model->dtype == NETRT_F32)
                ((float *)buf->value)[i] = (float)buf->init;
            else
                ((double *)buf->value)[i] = buf->init;
        }
    }
}

/* The model's state: its parameters, then its buffers, what a file or a keep_best snapshot holds. */
static int state_count(const NetrtModel *model)
{
    return model->n_params + model->n_buffers;
}

/* The model's state as tensors of a safetensors file, under PyTorch's names where the model has
 * them (the state_dict of the same torch.nn.Sequential): state_count of them, for the caller to
 * free, or NULL when out of memory. A buffer's counter is int64, the rest the model's dtype. */
static NetrtTensor *state_tensors(const NetrtModel *model)
{
    NetrtTensor *t = calloc((size_t)state_count(model) + 1, sizeof *t);
    if (!t)
        return NULL;
    NetrtTensorType type = model->dtype == NETRT_F32 ? NETRT_TENSOR_F32 : NETRT_TENSOR_F64;
    for (int p = 0; p < model->n_params; p++) {
        const NetrtParam *param = &model->params[p];
        t[p] = (NetrtTensor){param->torch ? param->torch : param->name, type, param->rank, {0},
                             param->size, param->value};
        memcpy(t[p].shape, param->shape, sizeof param->shape);
    }
    for (int k = 0; k < model->n_buffers; k++) {
        const NetrtBuffer *buf = &model->buffers[k];
        NetrtTensor *b = &t[model->n_params + k];
        *b = (NetrtTensor){buf->torch ? buf->torch : buf->name,
                           buf->is_count ? NETRT_TENSOR_I64 : type, buf->rank, {0}, buf->size,
                           buf->value};
        memcpy(b->shape, buf->shape, sizeof buf->shape);
    }
    return t;
}

/* The metadata of every file the trainer writes: what it is, of which model and .net file, how
 * far trained, by which netc. */
static void file_metadata(const NetrtModel *model, const char *format, int epochs, long steps,
                          char text[2][24], const char *meta[24])
{
    snprintf(text[0], 24, "%d", epochs);
    snprintf(text[1], 24, "%ld", steps);
    const char *pairs[] = {"format", format,
                           "model", model->name ? model->name : "",
                           "source", model->source ? model->source : "",
                           "source_hash", model->source_hash ? model->source_hash : "",
                           "network", model->summary ? model->summary : "",
                           "optimizer", model->optimizer ? model->optimizer : "sgd",
                           "epoch", text[0], "step", text[1],
                           "netc_version", model->version ? model->version : "",
                           "written_by", "netc", NULL};
    memcpy(meta, pairs, sizeof pairs);
}

/* A file of another version of the .net file: the metadata's source_hash is not the model's. */
static int other_source(const NetrtModel *model, const NetrtMeta *meta)
{
    const char *hash = netrt_meta_get(meta, "source_hash");
    return hash && *hash && model->source_hash && strcmp(hash, model->source_hash);
}

/* --init-from, --eval, --predict: the parameters and buffers from a safetensors file, every one
 * of them; a checkpoint's own tensors (netc.…) are passed over. A file of another version of the
 * .net file whose tensors fit is taken, with a warning. */
static int load_state(const NetrtModel *model, const char *path, NetrtErr *err)
{
    NetrtTensor *t = state_tensors(model);
    if (!t)
        return netrt_err(err, "out of memory");
    NetrtMeta meta;
    int status = netrt_safetensors_load(path, t, state_count(model), NETRT_LOAD_SKIP_EXTRAS,
                                        &meta, err);
    free(t);
    if (status == 0 && other_source(model, &meta))
        fprintf(stderr, "netrt: warning: %s: written by a trainer of another version of %s (its "
                "source_hash is %s, this trainer's %s); its tensors fit this one\n", path,
                model->source, netrt_meta_get(&meta, "source_hash"), model->source_hash);
    return status;
}

/* --save: the parameters and buffers, with what they are in the metadata. */
static int save_state(const NetrtModel *model, const char *path, int epochs, long steps,
                      NetrtErr *err)
{
    NetrtTensor *t = state_tensors(model);
    if (!t)
        return netrt_err(err, "out of memory");
    char text[2][24];
    const char *meta[24];
    file_metadata(model, "netc model", epochs, steps, text, meta);
    int status = netrt_safetensors_write(path, t, state_count(model), meta, err);
    free(t);
    return status;
}

/* The values of the i-th tensor of the model's state (parameters first, then buffers), and their
 * size in bytes in *bytes. */
static void *state_values(const NetrtModel *model, int i, size_t *bytes)
{
    size_t elem = model->dtype == NETRT_F32 ? sizeof(float) : sizeof(double);
    if (i < model->n_params) {
        *bytes = model->params[i].size * elem;
        return model->params[i].value;
    }
    const NetrtBuffer *buf = &model->buffers[i - model->n_params];
    *bytes = buf->size * (buf->is_count ? sizeof(int64_t) : elem);
    return buf->value;
}

/* Bytes of the whole state: the size of a keep_best snapshot. */
static size_t state_bytes(const NetrtModel *model)
{
    size_t total = 0, bytes;
    for (int i = 0; i < state_count(model); i++) {
        state_values(model, i, &bytes);
        total += bytes;
    }
    return total;
}

/* Copy the model's state into snapshot (save) or back out of it (restore). */
static void state_copy(const NetrtModel *model, unsigned char *snapshot, int save)
{
    for (int i = 0; i < state_count(model); i++) {
        size_t bytes;
        void *values = state_values(model, i, &bytes);
        if (save)
            memcpy(snapshot, values, bytes);
        else
            memcpy(values, snapshot, bytes);
        snapshot += bytes;
    }
}

/* Rank r's share of n items (a batch's rows, a split's samples) among size ranks: items
 * [shard(n, r, size), shard(n, r + 1, size)). Shares differ by one at most, the first n % size
 * ranks holding the larger ones, so that rank 0 has an item whenever there is one. Alone: all. */
static int shard(int n, int r, int size)
{
    return r * (n / size) + (r < n % size ? r : n % size);
}

static void sums_add(Sums *to, const Sums *s)
{
    to->loss += s->loss;
    to->correct += s->correct;
    to->sq += s->sq;
    to->abs += s->abs;
    to->n += s->n;
}

/* A pass's sums over every rank's share, added up on every rank (nothing to do alone). */
static void sums_reduce(NetrtComm *comm, Sums *s)
{
    if (comm->size == 1)
        return;
    double v[5] = {s->loss, (double)s->correct, s->sq, s->abs, (double)s->n};
    comm->sum(comm, v, 5, NETRT_F64);
    *s = (Sums){v[0], (long)v[1], v[2], v[3], (long)v[4]};
}

/* Forward and loss over a whole split, in batches of batch_max; seq is 0, 1, 2, … Each rank
 * passes over its share of the split (shard), and the sums are added up: every rank gets the
 * metrics of the whole split. */
static Metrics evaluate(const NetrtModel *model, NetrtComm *comm, const NetrtPixelMap *map,
                        const NetrtSplit *split, const int32_t *seq)
{
    Sums sums = {0};
    int lo = shard(split->n, comm->rank, comm->size);
    int hi = shard(split->n, comm->rank + 1, comm->size);
    for (int start = lo; start < hi; start += model->batch_max) {
        int B = hi - start < model->batch_max ? hi - start : model->batch_max;
        netrt_batch_fill(model, map, split, seq + start, B, NULL);
        model->forward(B, 0);
        sums_add_outputs(model, B, &sums);
        sums.loss += model->loss(B) * B;
    }
    sums_reduce(comm, &sums);
    return sums_metrics(model, &sums);
}

/* One split's CSV cells: loss and accuracy, or loss, mse and mae; empty when not evaluated. */
static void csv_cells(FILE *f, const NetrtModel *model, const Metrics *m, int has)
{
    if (model->task == NETRT_REGRESS) {
        if (has)
            fprintf(f, "%.6g,%.6g,%.6g,", m->loss, m->mse, m->mae);
        else
            fprintf(f, ",,,");
    } else {
        if (has)
            fprintf(f, "%.6f,%.6f,", m->loss, m->acc);
        else
            fprintf(f, ",,");
    }
}

/* One row of the CSV for the training split over some steps (--log-every): the valid and test
 * cells, and the seconds, are empty. */
static void csv_step_row(FILE *f, const NetrtModel *model, const StepLog *row)
{
    fprintf(f, "%d,%.6g,", row->epoch, row->lr);
    csv_cells(f, model, &row->train, 1);
    csv_cells(f, model, NULL, 0);
    csv_cells(f, model, NULL, 0);
    fprintf(f, "%ld,,\n", row->step);
}

/* Rewrite the whole CSV (outfile.h: a regular file is replaced whole, never left half written),
 * when csv_log below decides. The columns: epoch, lr, each split's metrics, then the step (the
 * optimizer steps done at the row's end) and the epoch's CPU and wall seconds; seconds stays
 * the last column, as it was before the others came. A row with seconds is an epoch's; with
 * --log-every, the rows of an epoch's steps come before it, their seconds empty. Steps of an
 * epoch not finished (a diverged run) are left out with it. */
static int write_csv(const char *path, const NetrtModel *model, const EpochLog *log, int n,
                     const StepLog *steps, int n_steps, NetrtErr *err)
{
    NetrtOut out;
    if (netrt_out_open(&out, path) != 0)
        return netrt_err(err, "%s: %s", path, strerror(errno));
    FILE *f = out.f;
    if (model->task == NETRT_REGRESS)
        fprintf(f, "epoch,lr,train_loss,train_mse,train_mae,valid_loss,valid_mse,valid_mae,"
                   "test_loss,test_mse,test_mae,step,cpu_seconds,seconds\n");
    else
        fprintf(f, "epoch,lr,train_loss,train_acc,valid_loss,valid_acc,test_loss,test_acc,"
                   "step,cpu_seconds,seconds\n");
    int k = 0;
    for (int e = 0; e < n; e++) {
        for (; k < n_steps && steps[k].epoch <= e + 1; k++)
            csv_step_row(f, model, &steps[k]);
        fprintf(f, "%d,%.6g,", e + 1, log[e].lr);
        csv_cells(f, model, &log[e].train, 1);
        csv_cells(f, model, &log[e].valid, log[e].has_valid);
        csv_cells(f, model, &log[e].test, log[e].has_test);
        fprintf(f, "%ld,%.6f,%.6f\n", log[e].step, log[e].cpu, log[e].seconds);
    }
    /* a full disk shows up at the latest when the buffer is flushed, in the commit */
    if (netrt_out_commit(&out, false) != 0)
        return netrt_err(err, "%s: %s", path, strerror(errno));
    return 0;
}

/* --csv holds every epoch as it happens, so that a run killed mid-way keeps what it did, not
 * only the printed epochs. Each write rewrites the whole file, so writing after each of
 * thousands of tiny epochs would cost time quadratic in the run's length: the rewrites between
 * printed epochs are paced to keep all of them under a twentieth of the run's time (spent:
 * seconds in write_csv so far). Epochs that take longer than a rewrite are written each one;
 * tiny ones every few, a rewrite's twenty times apart. due: write now (printed epochs, start). */
typedef struct {
    double start, spent;
} CsvPace;

static int csv_log(CsvPace *pace, int due, const char *path, const NetrtModel *model,
                   const EpochLog *log, int n, const StepLog *steps, int n_steps, NetrtErr *err)
{
    double t = now();
    if (!due && pace->spent > (t - pace->start) / 20)
        return 0;
    int status = write_csv(path, model, log, n, steps, n_steps, err);
    pace->spent += now() - t;
    return status;
}

/* The "\r" progress line on stderr, shown only on a terminal, redrawn at most 10 times a second
 * and always in place (it never scrolls): the epoch, its steps, the running loss, the speed and
 * what is left of the epoch. Kept under 80 columns, so that it does not wrap. */
typedef struct {
    int on;
    int width;   /* characters on the line now, to clear it */
    double last; /* when it was last drawn */
    double t0;   /* when the epoch began */
} Progress;

static void progress_show(Progress *pg, int epoch, int epochs, int step, int steps, int done,
                          int total, double loss)
{
    double t = now();
    if (t - pg->last < 0.1)
        return;
    pg->last = t;
    char bar[11];
    int filled = (int)(10.0 * done / total);
    for (int i = 0; i < 10; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[10] = '\0';
    double rate = t > pg->t0 ? done / (t - pg->t0) : 0;
    long eta = rate > 0 ? lround((total - done) / rate) : 0;
    pg->width = fprintf(stderr, "\repoch %d/%d [%s] %d/%d  loss %.4g  %.0f samples/s  ETA "
                        "%ld:%02ld", epoch, epochs, bar, step, steps, loss, rate, eta / 60,
                        eta % 60) - 1;
}

static void progress_clear(Progress *pg)
{
    if (pg->width > 0)
        fprintf(stderr, "\r%*s\r", pg->width, "");
    pg->width = 0;
}

/* Which epochs get a line: all of up to 200 epochs of mini-batches. Beyond that, or with full
 * batch (an epoch of one step: runs of thousands), every k-th, k the smallest of 1, 2, 5, 10, 20,
 * 50, … with at most 50 multiples of k among the epochs (so more than 20 once there are more
 * than 50 epochs); the first and the last epoch get a line as well. */
static long print_every(long epochs, int full_batch)
{
    if (!full_batch && epochs <= 200)
        return 1;
    for (long m = 1;; m *= 10)
        for (int i = 0; i < 3; i++) {
            long k = m * (i == 0 ? 1 : i == 1 ? 2 : 5);
            if (50 * k >= epochs)
                return k;
        }
}

/* "valid acc 97.00%" or "valid loss 0.1234": the monitored value, as the epoch lines show it. */
static void format_monitor(char *out, size_t size, const NetrtModel *model, NetrtMonitor monitor,
                           double value)
{
    if (monitor == NETRT_MONITOR_VALID_ACC)
        snprintf(out, size, "valid acc %.2f%%", 100 * value);
    else if (model->task == NETRT_REGRESS)
        snprintf(out, size, "valid loss %.3g", value);
    else
        snprintf(out, size, "valid loss %.4f", value);
}

/* Whether the trainer's optimizer has a momentum (Adagrad, Adam and AdamW have none: the
 * start-up block does not show them one). */
static int has_momentum(const NetrtModel *model)
{
    static const char *const without[] = {"adagrad", "adam", "adamw"};
    const char *name = model->optimizer ? model->optimizer : "sgd";
    for (size_t i = 0; i < sizeof without / sizeof without[0]; i++)
        if (!strcmp(name, without[i]))
            return 0;
    return 1;
}

/* --dry-run: where the data would come from, read from the model's table alone. */
static void print_planned_data(const NetrtModel *model, const NetrtOptions *opt)
{
    const NetrtData *d = &model->data;
    static const char *const names[] = {"fashion-mnist", "mnist", "idx", "csv", "function"};
    printf("data      %s", names[d->kind]);
    if (d->kind == NETRT_DATA_FUNCTION)
        printf(" y = %s: %d points, x in [%g, %g]%s", d->function.expr ? d->function.expr : "f(x)",
               d->function.n, d->function.lo, d->function.hi,
               d->function.linspace ? " evenly spaced" : " drawn uniformly");
    else if (d->kind == NETRT_DATA_CSV)
        printf(" from %s", d->csv);
    else if (d->kind == NETRT_DATA_IDX)
        printf(" from %s", d->images);
    if (opt->data_dir)
        printf(" (under %s)", opt->data_dir);
    printf("; valid %g", opt->valid);
    if (d->kind == NETRT_DATA_CSV || d->kind == NETRT_DATA_FUNCTION)
        printf(", test %g", d->test);
    printf(" (not read: --dry-run)\n");
    if (d->kind == NETRT_DATA_CSV || d->kind == NETRT_DATA_FUNCTION) {
        if (d->normalize)
            printf("normalize each input standardized on the training split\n");
    } else if (d->normalize && d->std != 0) {
        printf("normalize (x - %g) / %g\n", d->mean, d->std);
    } else if (d->normalize) {
        printf("normalize (x - mean) / std, measured on the training split\n");
    }
}

/* The initialization of every parameter tensor, runs of the same one written once:
 * "init      dense1_W he_normal; dense1_b zeros". */
static void print_inits(const NetrtModel *model)
{
    static const char *const kinds[] = {"zeros", "constant", "normal", "uniform",
                                        "xavier_uniform", "xavier_normal", "he_uniform",
                                        "he_normal", "lecun_uniform", "lecun_normal"};
    if (model->n_params == 0)
        return;
    printf("init     ");
    for (int p = 0; p < model->n_params; p++) {
        const NetrtInit *in = &model->params[p].init;
        printf("%s %s %s", p ? ";" : "", model->params[p].name, kinds[in->kind]);
        if (in->kind == NETRT_INIT_CONSTANT)
            printf("(%g)", in->a);
        else if (in->kind == NETRT_INIT_NORMAL || in->kind == NETRT_INIT_UNIFORM)
            printf("(%g, %g)", in->a, in->b);
    }
    printf("\n");
}

static void print_schedule(const NetrtSchedule *s, double lr, long total_steps, int epochs)
{
    int per_step = s->per_step || s->kind == NETRT_SCHED_ONE_CYCLE;
    const char *unit = per_step ? "steps" : "epochs";
    printf("schedule  %s", netrt_schedule_name(s->kind));
    switch (s->kind) {
    case NETRT_SCHED_CONSTANT: break;
    case NETRT_SCHED_STEP: printf(": lr x %g every %d %s", s->gamma, s->every, unit); break;
    case NETRT_SCHED_MULTISTEP:
        printf(": lr x %g at %s", s->gamma, unit);
        for (int i = 0; i < s->n_milestones; i++)
            printf("%s%d", i ? ", " : " ", s->milestones[i]);
        break;
    case NETRT_SCHED_EXPONENTIAL:
        printf(": lr x %g every %s", s->gamma, per_step ? "step" : "epoch");
        break;
    case NETRT_SCHED_COSINE:
        if (s->t_max > 0 || total_steps > 0)
            printf(": from %g to %g over %g %s", lr, s->eta_min,
                   s->t_max > 0 ? s->t_max : (double)(per_step ? total_steps : epochs), unit);
        else /* --dry-run: the run's length needs the data */
            printf(": from %g to %g over the run", lr, s->eta_min);
        break;
    case NETRT_SCHED_ONE_CYCLE: {
        double max_lr = s->max_lr > 0 ? s->max_lr : lr;
        double div = s->div_factor > 0 ? s->div_factor : 25;
        double final_div = s->final_div_factor > 0 ? s->final_div_factor : 1e4;
        printf(": %g up to %g over %g%% of ", max_lr / div, max_lr,
               100 * (s->pct_start > 0 ? s->pct_start : 0.3));
        if (total_steps > 0)
            printf("%ld steps", total_steps);
        else /* --dry-run: the run's length needs the data */
            printf("the run's steps");
        printf(", then down to %g", max_lr / div / final_div);
        if (s->cycle_momentum)
            printf("; momentum %g down to %g and back", s->max_momentum > 0 ? s->max_momentum : 0.95,
                   s->base_momentum > 0 ? s->base_momentum : 0.85);
        else
            printf(" (momentum not cycled)");
        break;
    }
    }
    printf("\n");
}

/* The files a run writes, when it writes any. */
static void print_outputs(const NetrtOptions *opt)
{
    const char *files[][2] = {{"csv", opt->csv}, {"plot", opt->plot},
                              {"weights-png", opt->weights_png}, {"save", opt->save}};
    const char *sep = "output    ";
    for (int i = 0; i < 4; i++)
        if (files[i][1]) {
            printf("%s--%s %s", sep, files[i][0], files[i][1]);
            sep = ", ";
        }
    if (opt->log_every)
        printf("; the training loss every %d steps as well", opt->log_every);
    if (sep[0] == ',')
        printf("\n");
}

/* run_epochs and total_steps: how long the run can be, at most; batch: the one in force
 * (ds NULL, batch and total_steps 0: --dry-run, before the data is read). */
static void print_startup(const NetrtModel *model, const NetrtOptions *opt,
                          const NetrtDataset *ds, int batch, int run_epochs, long total_steps,
                          const NetrtBlasStatus *blas, const NetrtGemmStatus *gemm)
{
    size_t n_values = 0;
    for (int p = 0; p < model->n_params; p++)
        n_values += model->params[p].size;
    const NetrtTrain *t = &opt->train;

    printf("model     %s  (%s)\n", model->name, model->source);
    printf("network   %s\n", model->summary);
    printf("params    %zu in %d tensors, %s", n_values, model->n_params,
           model->dtype == NETRT_F32 ? "f32" : "f64");
    if (model->n_buffers > 0) { /* not parameters: not counted with them */
        size_t n_buffer_values = 0;
        for (int k = 0; k < model->n_buffers; k++)
            n_buffer_values += model->buffers[k].size;
        printf("; %d buffers (%zu values, not trained)", model->n_buffers, n_buffer_values);
    }
    printf("; %lld flops per sample\n", model->flops_per_sample);
    const char *expr = model->data.function.expr;
    if (!ds)
        print_planned_data(model, opt);
    else if (ds->rows.x && model->data.kind == NETRT_DATA_FUNCTION && expr)
        printf("data      function y = %s, x = %s: %d train, %d valid, %d test\n", expr,
               ds->files.where, ds->train.n, ds->valid.n, ds->test.n);
    else if (ds->rows.x) /* CSV or y = f(x): float rows */
        printf("data      %s %s %s: %d train, %d valid, %d test; %d input%s, %d %s%s\n", ds->name,
               model->data.kind == NETRT_DATA_CSV ? "from" : "of x =", ds->files.where,
               ds->train.n, ds->valid.n, ds->test.n, ds->rows.x_size,
               ds->rows.x_size == 1 ? "" : "s", model->out_size,
               model->task == NETRT_CLASSIFY ? "classes" : model->out_size == 1 ? "target"
                                                                                : "targets",
               ds->x_mean ? ", inputs standardized on the training split" : "");
    else
        printf("data      %s from %s: %d train, %d valid, %d test; %dx%d images, %d classes\n",
               ds->name, ds->files.where, ds->train.n, ds->valid.n, ds->test.n,
               ds->train_file.rows, ds->train_file.cols, model->out_size);
    if (ds && ds->stats_computed)
        printf("normalize (x - %.4f) / %.4f, measured on the training split\n", ds->mean, ds->std);
    else if (ds && model->data.normalize && !ds->x_mean)
        printf("normalize (x - %g) / %g\n", ds->mean, ds->std);
    const NetrtAugment *a = &model->data.augment;
    if (netrt_augment_is_on(a) && !opt->augment)
        printf("augment   off (--augment off)\n");
    else if (netrt_augment_is_on(a)) {
        printf("augment   each training image, at random:");
        if (a->flip)
            printf(" mirrored left-right half the time;");
        if (a->rotate > 0)
            printf(" rotated by up to ±%g°;", a->rotate);
        if (a->shift > 0)
            printf(" shifted by up to ±%g%% of its size;", 100 * a->shift);
        printf("\n");
    }
    printf("settings  %s  epochs ", model->optimizer ? model->optimizer : "sgd");
    if (t->epochs)
        printf("%d", t->epochs);
    else if (run_epochs) /* bounded by steps alone: the epochs they take */
        printf("%d (no limit; the %ld steps take them)", run_epochs, total_steps);
    else
        printf("no limit (max_steps)");
    printf("  batch ");
    if (t->batch == 0 && batch)
        printf("full (%d)", batch);
    else if (t->batch == 0)
        printf("full");
    else
        printf("%d", batch);
    printf("  lr %g", t->lr);
    if (has_momentum(model))
        printf("  momentum %g", t->momentum);
    if (model->optimizer_detail && model->optimizer_detail[0])
        printf("  %s", model->optimizer_detail);
    printf("  weight decay %g", t->weight_decay);
    if (t->clip_value > 0)
        printf("  clip value %g", t->clip_value);
    if (t->clip_norm > 0)
        printf("  clip norm %g", t->clip_norm);
    printf("  seed %llu\n", (unsigned long long)t->seed);
    if (t->schedule.kind != NETRT_SCHED_CONSTANT)
        print_schedule(&t->schedule, t->lr, total_steps, run_epochs);
    else if (model->train.schedule.kind != NETRT_SCHED_CONSTANT)
        printf("schedule  off (--schedule off): the lr stays %g\n", t->lr);
    print_inits(model);
    if (t->max_steps || t->loss_below > 0 || t->patience || t->keep_best) {
        const char *sep = "";
        printf("stopping  ");
        if (t->max_steps)
            printf("%safter %ld steps", sep, t->max_steps), sep = "; ";
        if (t->loss_below > 0)
            printf("%swhen the training loss is below %g", sep, t->loss_below), sep = "; ";
        const char *watched = t->monitor == NETRT_MONITOR_VALID_ACC ? "valid acc" : "valid loss";
        if (t->patience)
            printf("%searly, when the %s has not improved for %d epochs", sep, watched,
                   t->patience), sep = "; ";
        if (t->keep_best)
            printf("%sat the end, back to the parameters of the epoch with the best %s", sep,
                   watched);
        printf("\n");
    }
    printf("blas      OpenBLAS %s (%s), %d threads\n", blas->core, blas->detail,
           openblas_get_num_threads());
    /* advice on OpenBLAS's core, unless netc's own kernel computes every product */
    if (blas->remark[0] && !(model->dtype == NETRT_F32 && gemm->own))
        printf("          %s\n", blas->remark);
    if (model->dtype == NETRT_F32)
        printf("products  %s\n", gemm->detail);
    print_outputs(opt);
    fflush(stdout);
}

/* Metrics on an epoch line: " loss L acc A%" or " loss L mse M mae E". */
static void print_metrics(const NetrtModel *model, const char *split, const Metrics *m)
{
    if (model->task == NETRT_REGRESS)
        printf("  %s loss %.3g mse %.3g mae %.3g", split, m->loss, m->mse, m->mae);
    else
        printf("  %s loss %.4f acc %.2f%%", split, m->loss, 100 * m->acc);
}

static void print_epoch(const NetrtModel *model, const EpochLog *log, int epoch, int epochs,
                        int n_train, int show_lr)
{
    int width = snprintf(NULL, 0, "%d", epochs);
    printf("epoch %*d/%d", width, epoch, epochs);
    if (show_lr)
        printf("  lr %.3g", log->lr);
    print_metrics(model, "train", &log->train);
    if (log->has_valid)
        print_metrics(model, "valid", &log->valid);
    if (log->has_test) {
        if (model->task == NETRT_REGRESS)
            printf("  test mse %.3g mae %.3g", log->test.mse, log->test.mae);
        else
            printf("  test acc %.2f%%", 100 * log->test.acc);
    }
    printf("  %.2f s  cpu %.2f s  %.0f samples/s", log->seconds, log->cpu,
           log->seconds > 0 ? log->samples / log->seconds : 0.0);
    if (log->samples < n_train)
        printf("  (partial: %d of %d samples)", log->samples, n_train);
    printf("\n");
    fflush(stdout);
}

/* The final line: "test: loss 0.1234  accuracy 97.50%" or "test: loss 0.000123  mse 0.000123
 * mae 0.0081". */
static void print_final(const NetrtModel *model, const char *split, const Metrics *m)
{
    if (model->task == NETRT_REGRESS)
        printf("%s: loss %.3g  mse %.3g  mae %.3g\n", split, m->loss, m->mse, m->mae);
    else
        printf("%s: loss %.4f  accuracy %.2f%%\n", split, m->loss, 100 * m->acc);
}

/* --weights-png: the first layer's weights as a grid of tiles, one per unit or filter. A conv
 * weight [out, in, K, K] is out·in tiles of K×K; a dense weight [out, in] is one tile per unit
 * when its inputs form a square (784 = 28×28) or the input image. draw 0 only checks that the
 * weights can be drawn (at start-up, so that a model they cannot be fails before training). */
static int draw_weights(const NetrtModel *model, const char *path, int draw, NetrtErr *err)
{
    if (model->n_params == 0)
        return netrt_err(err, "%s: the model has no parameters to draw", path);
    const NetrtParam *w = &model->params[0];
    int tile_h, tile_w, max_tiles;
    if (w->rank == 4) {
        tile_h = w->shape[2], tile_w = w->shape[3], max_tiles = 1024;
    } else if (w->rank == 2) {
        int in = w->shape[1], side = (int)lround(sqrt(in));
        if (model->in_h > 1 && model->in_c == 1 && in == model->in_h * model->in_w)
            tile_h = model->in_h, tile_w = model->in_w;
        else if (side * side == in)
            tile_h = tile_w = side;
        else
            return netrt_err(err, "%s: the first layer's weights %s are [%d, %d]: their %d inputs "
                             "are not an image to draw", path, w->name, w->shape[0], in, in);
        max_tiles = 100;
    } else {
        return netrt_err(err, "%s: the first parameter, %s, is not a layer's weights", path,
                         w->name);
    }
    if (!draw)
        return 0;
    if (netrt_weights_png(path, w, model->dtype, tile_h, tile_w, max_tiles, err) < 0)
        return -1;
    int tiles = (int)(w->size / ((size_t)tile_h * tile_w));
    printf("weights   %s: %d tile%s of %dx%d from %s\n", path, tiles < max_tiles ? tiles : max_tiles,
           tiles == 1 ? "" : "s", tile_h, tile_w, w->name);
    return 0;
}

/* A run of netrt_main: the settings in force, the data, the run's length, and everything it
 * allocates, which run_free frees on every way out. */
typedef struct {
    const NetrtModel *model;
    NetrtOptions opt;
    NetrtBlasStatus blas;
    NetrtGemmStatus gemm;
    NetrtDataset ds;
    NetrtPixelMap map;
    /* The run's length: epochs of ⌈n/batch⌉ steps, cut short by max_steps. run_epochs counts the
     * epochs that can run (the last one maybe partial); it sizes the log and sets the schedule's
     * and the printing's horizon. */
    int n, batch;            /* training samples, and samples a step */
    long total_steps;
    int run_epochs;
    NetrtRng init_rng;       /* the parameters' draws, then the seeds of the other streams */
    NetrtRng shuffle_rng;    /* its own stream: the data's order does not depend on the parameters */
    int32_t *order;          /* training indices, shuffled each epoch */
    int32_t *seq;            /* 0, 1, 2, …: the evaluation order */
    EpochLog *log;
    unsigned char *snapshot; /* keep_best: the parameters and buffers of the best epoch so far */
    NetrtAugmenter aug;      /* scratch == NULL: no augmentation */
    StepLog *steps;          /* --log-every: room for every row of the run */
    int n_steps, max_step_rows;
    /* The ranks of a data-parallel run (netrt_comm_single alone). Rank 0 alone writes files and
     * prints (the others' standard output is /dev/null); every rank trains. */
    NetrtComm *comm;
    int opened;              /* comm->open has run: its collective operations may be called */
    int threads_given;       /* --threads was on the command line (else: the machine's share) */
    int writer;              /* rank 0 */
    void *grads;             /* the gradients as one buffer for the sum: the parameters' own
                                when they follow each other in memory, else a copy (packed) */
    size_t n_grads;          /* values in it */
    int grads_packed;
    double sum_seconds;      /* in the gradients' sums so far, and how many */
    long sums;
} Run;

/* The epoch loop's state: the schedule's clock, which epochs are printed, and how training goes. */
typedef struct {
    int per_step;        /* the schedule's clock: finished steps (1; ONE_CYCLE always) or epochs */
    long sched_total;    /* the run's length in that unit */
    int show_lr;         /* the lr moves: the epoch lines show it */
    long every;          /* every k-th epoch gets a line (print_every) */
    int watch;           /* early stopping and keep_best judge every epoch by the valid set */
    int higher_better;   /* they watch the valid accuracy, not the loss */
    NetrtHyper hyper;
    Progress pg;
    CsvPace csv_pace;
    Sums window, seen;   /* --log-every: the steps since the last row; the epoch's sums then */
    int every_epoch;     /* valid and test evaluated after every epoch: --csv and --plot */
    long step;           /* optimizer steps taken */
    int epochs;          /* epochs finished */
    StopReason stop;
    double best;         /* the watched value of best_epoch */
    int best_epoch;      /* 0: none yet */
    /* An epoch cut short by a signal, or resumed from such a checkpoint: its samples done (in
     * the order already shuffled), its running sums and its seconds so far. */
    int at;
    Sums partial;
    double partial_seconds;
} Loop;

static void run_free(Run *run)
{
    netrt_data_free(&run->ds);
    free(run->order);
    free(run->seq);
    free(run->log);
    free(run->snapshot);
    free(run->aug.scratch);
    free(run->aug.draw);
    free(run->steps);
    if (run->grads_packed)
        free(run->grads);
    free(run);
}

/* Whether what was printed could not all be written (a full disk, a closed pipe): the final
 * line is the run's result, so losing it is a failure, not a success with nothing to show. */
static int stdout_failed(NetrtErr *err)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    netrt_err(err, "standard output: %s", errno ? strerror(errno) : "write error");
    return 1;
}

static int fail(Run *run, const NetrtErr *err, int status)
{
    if (err->msg[0]) /* empty: another rank reported it (agree) */
        netrt_err_print(err);
    if (run)
        run_free(run);
    return status;
}

/* The settings that need the data to be checked: a full batch must fit the buffers, early
 * stopping and keep_best need a valid split, a regression has no accuracy to watch. */
static int check_settings(const NetrtModel *model, const NetrtOptions *opt, const NetrtDataset *ds,
                          NetrtErr *err)
{
    const NetrtTrain *t = &opt->train;
    if (t->batch == 0 && ds->train.n > model->batch_max) {
        netrt_err(err, "full batch: the training split has %d samples, but this trainer's "
                  "buffers hold batch_max = %d rows", ds->train.n, model->batch_max);
        netrt_err_hint(err, "regenerate the trainer with netc's --batch-max %d (or more), or "
                       "train in batches with --batch N (at most %d)", ds->train.n,
                       model->batch_max);
        return -1;
    }
    if ((t->patience || t->keep_best) && ds->valid.n == 0) {
        if (t->patience)
            netrt_err(err, "early stopping (--patience %d) needs a validation split, and there "
                      "is none", t->patience);
        else
            netrt_err(err, "keep_best needs a validation split to pick the best epoch, and "
                      "there is none");
        netrt_err_hint(err, "hold training samples out with --valid N (a count, or a fraction "
                       "below 1)%s", t->patience ? ", or turn early stopping off with "
                       "--patience 0" : "");
        return -1;
    }
    if ((t->patience || t->keep_best) && t->monitor == NETRT_MONITOR_VALID_ACC &&
        model->task == NETRT_REGRESS) {
        netrt_err(err, "early stopping watches the valid accuracy, which a regression model "
                  "does not have");
        netrt_err_hint(err, "monitor valid_loss in the train block of %s", model->source);
        return -1;
    }
    return netrt_schedule_check(&t->schedule, err);
}

/* ---- set-up --------------------------------------------------------------------------------- */

/* --plot: a path where the picture can be written, and gnuplot to draw it. Without gnuplot the
 * run goes on (its other results are worth having) and says now, not after training, that no
 * picture will come; it then ends with exit status 4 (finish_plot). */
static int check_plot(const NetrtOptions *opt, NetrtErr *err)
{
    if (!opt->plot)
        return 0;
    if (netrt_check_output("--plot", opt->plot, err) < 0)
        return -1;
    char gnuplot[NETRT_PATH_MAX];
    if (netrt_gnuplot(gnuplot, sizeof gnuplot) < 0)
        fprintf(stderr, "netrt: warning: --plot %s: gnuplot is not installed (Debian: apt-get "
                "install gnuplot-nox); training goes on, but no picture will be drawn\n",
                opt->plot);
    return 0;
}

/* Whether mpirun bound this process to some of the machine's CPUs (it does by default for
 * up to two ranks: one core each); then the binding already shares the cores out. */
static int run_bound(void)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 && netrt_cpus_available() < online;
}

/* The settings in force, and the machine set up for them: OpenBLAS's core, the threads, who
 * computes the products. Output files that cannot be written fail now, not after the data is
 * loaded or the model trained. 0 (also for --help, which is then all there is to do), or -1. */
static int set_up(Run *run, int argc, char **argv, NetrtErr *err)
{
    const NetrtModel *model = run->model;
    NetrtOptions *opt = &run->opt;
    /* Before anything calls BLAS: this may run the program again with better kernels. */
    if (netrt_blas_setup(argc, argv, NULL, &run->blas, err) < 0)
        return -1;
    /* then the ranks (MPI_Init), once the program will not be run again */
    NetrtComm *comm = run->comm;
    if (comm->open && comm->open(comm, err) < 0)
        return -1;
    run->opened = 1;
    run->writer = comm->rank == 0;
    if (comm->size > 1)
        netrt_err_set_rank(comm->rank);
    /* rank 0 alone prints; the others' errors still reach stderr, with their rank */
    if (!run->writer && !freopen("/dev/null", "w", stdout))
        return netrt_err(err, "rank %d: /dev/null: %s", comm->rank, strerror(errno));
    if (netrt_cli_parse(model, argc, argv, opt, err) < 0)
        return -1;
    if (opt->help)
        return 0;
    /* the other ranks write no file */
    if (run->writer &&
        ((opt->save && netrt_check_output("--save", opt->save, err) < 0) ||
         (opt->checkpoint && netrt_check_output("--checkpoint", opt->checkpoint, err) < 0) ||
         (opt->csv && netrt_check_output("--csv", opt->csv, err) < 0) ||
         (opt->weights_png && (netrt_check_output("--weights-png", opt->weights_png, err) < 0 ||
                               draw_weights(model, opt->weights_png, 0, err) < 0)) ||
         check_plot(opt, err) < 0))
        return -1;
    /* Ranks sharing a machine share its cores: each takes its part unless --threads says */
    run->threads_given = opt->threads > 0;
    if (!opt->threads && comm->local_size > 1 && !run_bound()) {
        int cpus = netrt_cpus_available() / comm->local_size;
        opt->threads = cpus > 1 ? cpus : 1;
    }
    if (opt->threads)
        openblas_set_num_threads(opt->threads);
    if (netrt_gemm_setup(opt->gemm, opt->threads, &run->gemm, err) < 0)
        return -1;
    /* Double precision: the products are OpenBLAS's, whose idle threads spin between calls;
     * passes on netc's threads as well would fight them (docs/performance.md). */
    if (model->dtype != NETRT_F32)
        netrt_set_threads(1);
    return 0;
}

/* The data, and the settings that can only be checked against it; no output file may be one of
 * its files. 0, or -1. */
static int load_data(Run *run, NetrtErr *err)
{
    const NetrtOptions *opt = &run->opt;
    NetrtDataset *ds = &run->ds;
    if (netrt_data_load(run->model, opt->data_dir, opt->valid, opt->train.seed, ds, err) < 0 ||
        check_settings(run->model, opt, ds, err) < 0)
        return -1;
    /* --csv data.csv would have replaced the data by the log */
    const char *outputs[][2] = {{"--csv", opt->csv}, {"--weights-png", opt->weights_png},
                                {"--save", opt->save}, {"--checkpoint", opt->checkpoint},
                                {"--plot", opt->plot}};
    for (int o = 0; o < 5; o++) {
        const char *path = outputs[o][1];
        const char *input = path ? netrt_data_input_file(ds, path) : NULL;
        if (input)
            return netrt_err(err, "%s %s: is the data file %s, which it would overwrite",
                             outputs[o][0], path, input);
    }
    return 0;
}

/* --log-every N: room for a row every N steps and one at the end of each epoch (a window cut
 * short there), so that the loop never allocates. 0, or -1 when out of memory. */
static int plan_step_log(Run *run)
{
    int every = run->opt.log_every;
    if (!every)
        return 0;
    long rows = run->total_steps / every + run->run_epochs + 1;
    if (rows > INT_MAX / 2)
        return -1;
    run->max_step_rows = (int)rows;
    run->steps = malloc(sizeof *run->steps * (size_t)rows);
    return run->steps ? 0 : -1;
}

/* With more than one rank: the one buffer the gradients are summed in. Generated code keeps
 * them in one struct of arrays of one type, one after the other: then the buffer is the
 * gradients themselves; otherwise room to pack them into, and unpack from, each step. 0, or -1
 * when out of memory. */
static int plan_gradients(Run *run)
{
    const NetrtModel *model = run->model;
    if (run->comm->size == 1 || model->n_params == 0)
        return 0;
    size_t elem = model->dtype == NETRT_F32 ? sizeof(float) : sizeof(double), n = 0;
    const char *first = model->params[0].grad;
    int contiguous = 1;
    for (int p = 0; p < model->n_params; p++) {
        if ((const char *)model->params[p].grad != first + n * elem)
            contiguous = 0;
        n += model->params[p].size;
    }
    run->n_grads = n;
    if (contiguous) {
        run->grads = model->params[0].grad;
        return 0;
    }
    run->grads_packed = 1;
    run->grads = malloc(n * elem);
    return run->grads ? 0 : -1;
}

/* The run's length, and what the loop needs, allocated before the first step. 0, or -1. */
static int plan_run(Run *run, NetrtErr *err)
{
    const NetrtTrain *tr = &run->opt.train;
    const NetrtDataset *ds = &run->ds;
    int n = ds->train.n, batch = tr->batch ? tr->batch : n;
    long steps_per_epoch = (n + batch - 1) / batch;
    /* epochs 0: no epoch limit, the steps alone bound the run (cli.c: max_steps is then set) */
    long total_steps = tr->epochs ? (long)tr->epochs * steps_per_epoch : tr->max_steps;
    if (tr->max_steps > 0 && tr->max_steps < total_steps)
        total_steps = tr->max_steps;
    long run_epochs = (total_steps + steps_per_epoch - 1) / steps_per_epoch;
    if (run_epochs > INT_MAX) /* (max_steps alone, 1e12 full-batch steps) */
        return netrt_err(err, "a run of %ld epochs: more than this trainer counts (%d)",
                         run_epochs, INT_MAX);
    run->n = n;
    run->batch = batch;
    run->total_steps = total_steps;
    run->run_epochs = (int)run_epochs;

    int n_eval = ds->valid.n > ds->test.n ? ds->valid.n : ds->test.n;
    run->order = malloc(sizeof *run->order * n);
    run->seq = malloc(sizeof *run->seq * (n_eval ? n_eval : 1));
    run->log = calloc((size_t)run->run_epochs, sizeof *run->log);
    size_t snapshot = state_bytes(run->model);
    if (tr->keep_best)
        run->snapshot = malloc(snapshot ? snapshot : 1);
    if (!run->order || !run->seq || !run->log || (tr->keep_best && !run->snapshot) ||
        plan_step_log(run) < 0 || plan_gradients(run) < 0)
        return netrt_err(err, "out of memory (for a run of %d epochs)", run->run_epochs);
    for (int i = 0; i < n; i++)
        run->order[i] = i;
    for (int i = 0; i < n_eval; i++)
        run->seq[i] = i;
    netrt_pixel_map(&run->map, ds->mean, ds->std);
    return 0;
}

/* The parameters and buffers before the first step: initialised as their tables say, then, from
 * a saved model, replaced by its values (the random streams are drawn all the same, so the
 * data's order does not depend on where the parameters came from). 0, or -1. */
static int init_state(Run *run, NetrtErr *err)
{
    const NetrtModel *model = run->model;
    netrt_rng_seed(&run->init_rng, run->opt.train.seed);
    netrt_rng_seed(&run->shuffle_rng, netrt_rng_next(&run->init_rng));
    if (init_params(model, &run->init_rng, err) < 0)
        return -1;
    init_buffers(model);
    const char *from = run->opt.eval ? run->opt.eval
                       : run->opt.predict ? run->opt.predict
                                          : run->opt.init_from;
    return from ? load_state(model, from, err) : 0;
}

/* --eval: the final line a training run would print, of the state read. */
static void print_eval(Run *run)
{
    const NetrtDataset *ds = &run->ds;
    const NetrtSplit *split = ds->test.n ? &ds->test : ds->valid.n ? &ds->valid : &ds->train;
    const int32_t *idx = split == &ds->train ? run->order : run->seq;
    Metrics m = evaluate(run->model, run->comm, &run->map, split, idx);
    print_final(run->model, ds->test.n ? "test" : ds->valid.n ? "valid" : "train", &m);
}

/* --predict --input FILE: for image data an IDX images file (its labels unknown: empty cells),
 * for CSV or function data a CSV file laid out as the training data's (targets included),
 * standardized as the training split was. 0, or -1. */
static int predict_input(Run *run, NetrtErr *err)
{
    const NetrtModel *model = run->model;
    const NetrtDataset *ds = &run->ds;
    const char *path = run->opt.input;
    NetrtIdx idx = {0};
    NetrtRows rows = {0};
    NetrtSplit split = {0};
    uint8_t *no_labels = NULL;
    int32_t *seq = NULL;
    int status = -1, truth = 0;
    if (ds->rows.x) {
        if (netrt_csv_read(path, model, &rows, err) < 0)
            return -1;
        for (int j = 0; ds->x_mean && j < rows.x_size; j++) {
            double scale = ds->x_std[j] > 0 ? 1 / ds->x_std[j] : 1;
            for (int i = 0; i < rows.n; i++) {
                float *v = &rows.x[(size_t)i * rows.x_size + j];
                *v = (float)((*v - ds->x_mean[j]) * scale);
            }
        }
        split = (NetrtSplit){.x = rows.x, .y = rows.y, .n = rows.n, .size = rows.x_size,
                             .y_size = rows.y_size};
        truth = 1;
    } else {
        if (netrt_idx_read_images(path, &idx, err) < 0)
            return -1;
        if (idx.rows * idx.cols != model->in_size) {
            netrt_err(err, "%s: images of %dx%d; the model takes %dx%d", path, idx.rows, idx.cols,
                      model->in_h, model->in_w);
            goto done;
        }
        no_labels = calloc((size_t)idx.n, 1);
        split = (NetrtSplit){.pixels = idx.pixels, .labels = no_labels, .n = idx.n,
                             .size = model->in_size};
    }
    seq = malloc(sizeof *seq * (size_t)(split.n ? split.n : 1));
    if ((!split.x && !no_labels) || !seq) {
        netrt_err(err, "out of memory");
        goto done;
    }
    for (int i = 0; i < split.n; i++)
        seq[i] = i;
    status = netrt_predict(model, &run->map, &split, seq, truth, stdout, err);
done:
    free(seq);
    free(no_labels);
    netrt_idx_free(&idx);
    netrt_rows_free(&rows);
    return status;
}

/* --predict: the predictions of the state read, for the test split (valid, then train, when
 * there is none) or the samples of --input, as CSV on standard output. 0, or -1. */
static int predict(Run *run, NetrtErr *err)
{
    const NetrtDataset *ds = &run->ds;
    if (run->opt.input)
        return predict_input(run, err);
    const NetrtSplit *split = ds->test.n ? &ds->test : ds->valid.n ? &ds->valid : &ds->train;
    const int32_t *idx = split == &ds->train ? run->order : run->seq;
    return netrt_predict(run->model, &run->map, split, idx, 1, stdout, err);
}

/* The model's own draws (dropout) on ranks other than 0: a stream of the rank's own, seeded from
 * rank 0's state and the rank, so that the ranks' rows do not share their masks. Rank 0, and a
 * run alone, keep the stream a single process has. */
static void rank_stream(const Run *run)
{
    const NetrtModel *model = run->model;
    if (!model->rng || run->comm->rank == 0)
        return;
    NetrtRng rng;
    netrt_rng_seed(&rng, *model->rng ^ (0x9e3779b97f4a7c15u * (uint64_t)run->comm->rank));
    *model->rng = netrt_rng_next(&rng);
}

/* The last of the set-up before training: streams of their own for the model's draws (dropout)
 * and the augmentation, the CSV's header, the loop's state, and the start-up block. 0, or -1. */
static int start_training(Run *run, Loop *loop, NetrtErr *err)
{
    const NetrtModel *model = run->model;
    const NetrtOptions *opt = &run->opt;
    const NetrtTrain *tr = &opt->train;
    if (model->rng)
        *model->rng = netrt_rng_next(&run->init_rng);
    rank_stream(run);
    if (netrt_augment_is_on(&model->data.augment) && opt->augment && run->ds.train.pixels) {
        run->aug.settings = &model->data.augment;
        netrt_rng_seed(&run->aug.rng, netrt_rng_next(&run->init_rng));
        run->aug.scratch = malloc((size_t)model->in_size * NETRT_MAX_THREADS);
        run->aug.draw = malloc(sizeof *run->aug.draw * (size_t)model->batch_max);
        if (!run->aug.scratch || !run->aug.draw)
            return netrt_err(err, "out of memory");
    }
    const NetrtSchedule *sched = &tr->schedule;
    *loop = (Loop){0};
    loop->per_step = sched->per_step || sched->kind == NETRT_SCHED_ONE_CYCLE;
    loop->sched_total = loop->per_step ? run->total_steps : run->run_epochs;
    loop->show_lr = sched->kind != NETRT_SCHED_CONSTANT;
    loop->every = print_every(run->run_epochs, tr->batch == 0);
    loop->watch = (tr->patience || tr->keep_best) && run->ds.valid.n;
    loop->higher_better = tr->monitor == NETRT_MONITOR_VALID_ACC;
    loop->hyper = (NetrtHyper){tr->lr, tr->momentum, tr->weight_decay, 0, tr->clip_value,
                               tr->clip_norm};
    loop->pg.on = run->writer && !opt->quiet && isatty(fileno(stderr));
    /* curves need every epoch's point: without them a full-batch CSV had empty valid and test
     * cells on all but the printed epochs */
    loop->every_epoch = opt->csv || opt->plot;
    /* An unwritable CSV path should fail now, not after the first epoch. */
    loop->csv_pace = (CsvPace){now(), 0};
    if (opt->csv && run->writer &&
        csv_log(&loop->csv_pace, 1, opt->csv, model, run->log, 0, NULL, 0, err) < 0)
        return -1;
    if (!opt->quiet)
        print_startup(model, opt, &run->ds, run->batch, run->run_epochs, run->total_steps,
                      &run->blas, &run->gemm);
    return 0;
}

/* ---- checkpoints: --checkpoint, --resume, Ctrl-C ---------------------------------------------- */

/* A checkpoint is a safetensors file: the model's tensors under their torch names, as --save
 * writes them (so --init-from, --eval and PyTorch read it as a model), and besides them the rest
 * of the run under names starting with "netc.", which no state_dict has:
 *   netc.optimizer.<state>.<torch name>  the optimizer's state (state table), e.g.
 *                                        netc.optimizer.exp_avg.0.weight
 *   netc.keep_best.<torch name>          keep_best: the best epoch's parameters and buffers
 *   netc.rng.shuffle, netc.rng.augment   I64 [6]: a stream's four words, its spare normal's
 *                                        flag and bits
 *   netc.rng.model                       I64 [1]: the model's own (dropout) state
 *   netc.order                           I32 [n]: the training samples' order now (each epoch
 *                                        shuffles the last one's)
 *   netc.position                        I64 [5]: epochs finished, optimizer steps, samples of
 *                                        the unfinished epoch done, the best epoch, its samples
 *                                        counted as correct
 *   netc.position_values                 F64 [5]: the best epoch's watched value; the unfinished
 *                                        epoch's loss sum, squared and absolute error sums,
 *                                        seconds
 *   netc.log                             F64 [epochs, 17]: each finished epoch's metrics (the
 *                                        CSV's rows and keep_best's final line)
 * The learning rate schedule needs no tensor: it is a function of the step or the epoch. */

enum { LOG_VALUES = 17, RNG_VALUES = 6 };

/* What a checkpoint holds beyond the model's arrays, in the form the file has it. */
typedef struct {
    int64_t rng_shuffle[RNG_VALUES], rng_augment[RNG_VALUES], rng_model;
    int64_t position[5];
    double position_values[5];
    double *log; /* [epochs, LOG_VALUES] */
    int epochs;
} Extras;

/* The tensors of a checkpoint, with the names they own. */
typedef struct {
    NetrtTensor *t;
    char **names;
    int n, cap;
} TensorList;

static void list_free(TensorList *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    free(l->t);
}

/* Append a tensor named prefix + name; its shape: rank values of dims. 0, or -1 out of memory. */
static int list_add(TensorList *l, const char *prefix, const char *name, NetrtTensorType type,
                    int rank, const int *dims, void *data)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        NetrtTensor *t = realloc(l->t, sizeof *t * cap);
        if (t)
            l->t = t;
        char **names = t ? realloc(l->names, sizeof *names * cap) : NULL;
        if (!names)
            return -1;
        l->names = names;
        l->cap = cap;
    }
    size_t len = strlen(prefix) + strlen(name) + 1;
    char *full = malloc(len);
    if (!full)
        return -1;
    snprintf(full, len, "%s%s", prefix, name);
    NetrtTensor *t = &l->t[l->n];
    *t = (NetrtTensor){full, type, rank, {0}, 1, data};
    for (int d = 0; d < rank; d++)
        t->shape[d] = dims[d], t->count *= (size_t)dims[d];
    l->names[l->n++] = full;
    return 0;
}

/* The whole list, for writing or (the same names, dtypes and shapes) for reading into. */
static int checkpoint_tensors(const Run *run, Extras *x, TensorList *l)
{
    const NetrtModel *model = run->model;
    NetrtTensorType real = model->dtype == NETRT_F32 ? NETRT_TENSOR_F32 : NETRT_TENSOR_F64;
    NetrtTensor *state = state_tensors(model);
    if (!state)
        return -1;
    int status = -1;
    for (int i = 0; i < state_count(model); i++)
        if (list_add(l, "", state[i].name, state[i].dtype, state[i].rank, state[i].shape,
                     state[i].data) < 0)
            goto done;
    for (int k = 0; k < model->n_state; k++) {
        const NetrtState *st = &model->state[k];
        const NetrtParam *p = &model->params[st->param];
        char prefix[96];
        snprintf(prefix, sizeof prefix, "netc.optimizer.%s.", st->name);
        if (list_add(l, prefix, p->torch ? p->torch : p->name, real, p->rank, p->shape,
                     st->value) < 0)
            goto done;
    }
    if (run->opt.train.keep_best) {
        unsigned char *at = run->snapshot;
        for (int i = 0; i < state_count(model); i++) {
            size_t bytes;
            state_values(model, i, &bytes);
            if (list_add(l, "netc.keep_best.", state[i].name, state[i].dtype, state[i].rank,
                         state[i].shape, at) < 0)
                goto done;
            at += bytes;
        }
    }
    int rng_dims[1] = {RNG_VALUES}, one[1] = {1}, five[1] = {5}, n[1] = {run->n};
    int log_dims[2] = {x->epochs, LOG_VALUES};
    if (list_add(l, "", "netc.rng.shuffle", NETRT_TENSOR_I64, 1, rng_dims, x->rng_shuffle) < 0 ||
        (run->aug.scratch &&
         list_add(l, "", "netc.rng.augment", NETRT_TENSOR_I64, 1, rng_dims, x->rng_augment) < 0) ||
        (model->rng && list_add(l, "", "netc.rng.model", NETRT_TENSOR_I64, 1, one,
                                &x->rng_model) < 0) ||
        list_add(l, "", "netc.order", NETRT_TENSOR_I32, 1, n, run->order) < 0 ||
        list_add(l, "", "netc.position", NETRT_TENSOR_I64, 1, five, x->position) < 0 ||
        list_add(l, "", "netc.position_values", NETRT_TENSOR_F64, 1, five,
                 x->position_values) < 0 ||
        list_add(l, "", "netc.log", NETRT_TENSOR_F64, 2, log_dims, x->log) < 0)
        goto done;
    status = 0;
done:
    free(state);
    return status;
}

static void rng_pack(const NetrtRng *rng, int64_t out[RNG_VALUES])
{
    for (int i = 0; i < 4; i++)
        out[i] = (int64_t)rng->s[i];
    out[4] = rng->has_spare;
    memcpy(&out[5], &rng->spare, sizeof rng->spare);
}

static void rng_unpack(const int64_t in[RNG_VALUES], NetrtRng *rng)
{
    for (int i = 0; i < 4; i++)
        rng->s[i] = (uint64_t)in[i];
    rng->has_spare = in[4] != 0;
    memcpy(&rng->spare, &in[5], sizeof rng->spare);
}

static void log_pack(const EpochLog *log, double *v)
{
    const Metrics *m[3] = {&log->train, &log->valid, &log->test};
    for (int s = 0; s < 3; s++) {
        v[4 * s] = m[s]->loss, v[4 * s + 1] = m[s]->acc;
        v[4 * s + 2] = m[s]->mse, v[4 * s + 3] = m[s]->mae;
    }
    v[12] = log->has_valid, v[13] = log->has_test, v[14] = log->lr;
    v[15] = log->samples, v[16] = log->seconds;
}

static void log_unpack(const double *v, EpochLog *log)
{
    Metrics *m[3] = {&log->train, &log->valid, &log->test};
    for (int s = 0; s < 3; s++)
        *m[s] = (Metrics){v[4 * s], v[4 * s + 1], v[4 * s + 2], v[4 * s + 3]};
    log->has_valid = (int)v[12], log->has_test = (int)v[13], log->lr = v[14];
    log->samples = (int)v[15], log->seconds = v[16];
}

/* --checkpoint: the run as it is now, after loop->epochs epochs and, when a signal cut the next
 * one short, loop->at samples of it. Written through a temporary, synced, renamed. 0, or -1. */
static int write_checkpoint(const Run *run, const Loop *loop, NetrtErr *err)
{
    const NetrtModel *model = run->model;
    Extras x = {.rng_model = model->rng ? (int64_t)*model->rng : 0, .epochs = loop->epochs};
    rng_pack(&run->shuffle_rng, x.rng_shuffle);
    rng_pack(&run->aug.rng, x.rng_augment);
    int64_t position[5] = {loop->epochs, loop->step, loop->at, loop->best_epoch,
                           loop->partial.correct};
    double values[5] = {loop->best, loop->partial.loss, loop->partial.sq, loop->partial.abs,
                        loop->partial_seconds};
    memcpy(x.position, position, sizeof position);
    memcpy(x.position_values, values, sizeof values);
    x.log = malloc(sizeof *x.log * LOG_VALUES * (size_t)(loop->epochs + 1));
    TensorList l = {0};
    if (!x.log || checkpoint_tensors(run, &x, &l) < 0) {
        free(x.log);
        list_free(&l);
        return netrt_err(err, "out of memory (for the checkpoint)");
    }
    for (int e = 0; e < loop->epochs; e++)
        log_pack(&run->log[e], x.log + (size_t)e * LOG_VALUES);
    char text[2][24], train_samples[24];
    const char *meta[28];
    file_metadata(model, "netc checkpoint", loop->epochs, loop->step, text, meta);
    int m = 0;
    while (meta[m])
        m++;
    snprintf(train_samples, sizeof train_samples, "%d", run->n);
    meta[m] = "train_samples", meta[m + 1] = train_samples, meta[m + 2] = NULL;
    int status = netrt_safetensors_write(run->opt.checkpoint, l.t, l.n, meta, err);
    free(x.log);
    list_free(&l);
    return status;
}

/* A whole number of the metadata, or -1 when it has none. */
static long meta_long(const NetrtMeta *meta, const char *key)
{
    const char *v = netrt_meta_get(meta, key);
    char *end;
    long n = v && *v >= '0' && *v <= '9' ? strtol(v, &end, 10) : -1;
    return n >= 0 && !*end ? n : -1;
}

/* --resume: the run as the checkpoint has it, in place of what start_training set up. A file
 * that is not a checkpoint of this model, with this optimizer, over this training split, or has
 * no epoch left under --epochs, is refused before anything is read. 0, or -1. */
static int resume(Run *run, Loop *loop, NetrtErr *err)
{
    const NetrtModel *model = run->model;
    const char *path = run->opt.resume;
    NetrtMeta meta;
    if (netrt_safetensors_load(path, NULL, 0, NETRT_LOAD_HEADER, &meta, err) < 0)
        return -1;
    const char *format = netrt_meta_get(&meta, "format");
    const char *optimizer = netrt_meta_get(&meta, "optimizer");
    const char *ours = model->optimizer ? model->optimizer : "sgd";
    long epochs = meta_long(&meta, "epoch"), samples = meta_long(&meta, "train_samples");
    if (!format || strcmp(format, "netc checkpoint") || epochs < 0) {
        netrt_err(err, "%s: not a checkpoint (a model's parameters only?)", path);
        netrt_err_hint(err, "a run writes one with --checkpoint FILE; --init-from starts from a "
                       "model's parameters");
        return -1;
    }
    if (!optimizer || strcmp(optimizer, ours))
        return netrt_err(err, "%s: a checkpoint of a run with optimizer %s; this trainer's is %s",
                         path, optimizer ? optimizer : "(none named)", ours);
    if (samples != run->n)
        return netrt_err(err, "%s: a checkpoint of a run on %ld training samples; this one has %d "
                         "(is --valid the same?)", path, samples, run->n);
    if (epochs >= run->run_epochs)
        return netrt_err(err, "%s: the checkpoint has %ld epochs done; this run has %d in all, "
                         "none left to train (--epochs counts from the start of the run)", path,
                         epochs, run->run_epochs);
    Extras x = {.epochs = (int)epochs};
    x.log = malloc(sizeof *x.log * LOG_VALUES * (size_t)(epochs + 1));
    TensorList l = {0};
    if (!x.log || checkpoint_tensors(run, &x, &l) < 0) {
        free(x.log);
        list_free(&l);
        return netrt_err(err, "out of memory (for the checkpoint)");
    }
    /* every tensor this run has, with its dtype and shape, and no other: another network, or
     * the same with other settings (keep_best, augmentation), is refused naming the first */
    int status = netrt_safetensors_load(path, l.t, l.n, 0, NULL, err);
    list_free(&l);
    if (status == 0) {
        for (int e = 0; e < epochs; e++)
            log_unpack(x.log + (size_t)e * LOG_VALUES, &run->log[e]);
        rng_unpack(x.rng_shuffle, &run->shuffle_rng);
        if (run->aug.scratch)
            rng_unpack(x.rng_augment, &run->aug.rng);
        if (model->rng)
            *model->rng = (uint64_t)x.rng_model; /* rank 0's */
        rank_stream(run);
        loop->epochs = (int)x.position[0], loop->step = x.position[1];
        loop->at = (int)x.position[2], loop->best_epoch = (int)x.position[3];
        loop->best = x.position_values[0];
        loop->partial = (Sums){x.position_values[1], x.position[4], x.position_values[2],
                               x.position_values[3], loop->at};
        loop->partial_seconds = x.position_values[4];
        if (other_source(model, &meta))
            fprintf(stderr, "netrt: warning: %s: written by a trainer of another version of "
                    "%s (its source_hash is %s, this trainer's %s); its tensors fit this one, "
                    "so it goes on\n", path, model->source, netrt_meta_get(&meta, "source_hash"),
                    model->source_hash);
        if (!run->opt.quiet)
            printf("resumed   from %s: %d epochs and %d samples done, step %ld\n", path,
                   loop->epochs, loop->at, loop->step);
    }
    free(x.log);
    return status;
}

/* Ctrl-C or SIGTERM (sig), seen after a step of `epoch` or after its evaluation (by any rank:
 * every rank stops at the same step): the CSV of the finished epochs, the checkpoint when asked
 * for, where the run stopped. Returns 128 + the signal: 130 for SIGINT, 143 for SIGTERM. */
static int interrupted(Run *run, Loop *loop, int epoch, int sig, NetrtErr *err)
{
    progress_clear(&loop->pg);
    NetrtErr csv_err;
    if (run->opt.csv && run->writer)
        write_csv(run->opt.csv, run->model, run->log, loop->epochs, run->steps, run->n_steps,
                  &csv_err);
    /* between epochs the checkpoint of the last one is already written */
    if (run->opt.checkpoint && run->writer && loop->at && write_checkpoint(run, loop, err) < 0)
        return 1;
    printf("interrupted by %s: %d epochs and %d of %d samples of epoch %d done, step %ld",
           sig == SIGINT ? "SIGINT" : "SIGTERM", loop->epochs, loop->at, run->n, epoch,
           loop->step);
    if (run->opt.checkpoint)
        printf("; checkpoint %s (go on with --resume %s)", run->opt.checkpoint,
               run->opt.checkpoint);
    printf("\n");
    fflush(stdout);
    netrt_err(err, "interrupted");
    return 128 + sig;
}

/* ---- the epoch loop -------------------------------------------------------------------------- */

/* A training loss that is not finite: the message, and the finished epochs in the CSV, which a
 * thinned log may not have written yet. Returns the exit status, 3. */
static int diverged(const Run *run, Loop *loop, int epoch, int batch_no, double loss,
                    NetrtErr *err)
{
    progress_clear(&loop->pg);
    fflush(stdout);
    netrt_err(err, "step %ld (epoch %d, batch %d): training loss is %s", loop->step, epoch,
              batch_no, isnan(loss) ? "nan" : loss > 0 ? "inf" : "-inf");
    netrt_err_hint(err, "the training diverged; try a lower learning rate (--lr, now %g)",
                   run->opt.train.lr);
    NetrtErr csv_err;
    if (run->opt.csv && run->writer)
        write_csv(run->opt.csv, run->model, run->log, epoch - 1, run->steps, run->n_steps,
                  &csv_err);
    return 3;
}

/* --log-every: add the steps since the last call (sums, the epoch's so far, less loop->seen) to
 * the window, and make it a row after every N steps, or now when `last` (the run's end) and it
 * holds any. */
static void log_steps(Run *run, Loop *loop, int epoch, const Sums *sums, int last)
{
    Sums *w = &loop->window;
    w->loss += sums->loss - loop->seen.loss;
    w->correct += sums->correct - loop->seen.correct;
    w->sq += sums->sq - loop->seen.sq;
    w->abs += sums->abs - loop->seen.abs;
    w->n += sums->n - loop->seen.n;
    loop->seen = *sums;
    if (w->n == 0 || (!last && loop->step % run->opt.log_every != 0) ||
        run->n_steps >= run->max_step_rows)
        return;
    run->steps[run->n_steps++] = (StepLog){loop->step, epoch, loop->hyper.lr,
                                           sums_metrics(run->model, w)};
    *w = (Sums){0};
}

/* A step's sums (this rank's rows) added up over the ranks, *loss then the batch's mean loss,
 * and with them whether a rank caught a signal: the signal every rank then stops on (SIGINT
 * before SIGTERM), or 0. Alone: nothing to add up; the signal is looked at after the step. */
static int step_reduce(Run *run, Sums *step, double *loss)
{
    NetrtComm *comm = run->comm;
    if (comm->size == 1)
        return 0;
    int sig = netrt_interrupted();
    double v[7] = {step->loss, (double)step->correct, step->sq, step->abs, (double)step->n,
                   sig == SIGINT, sig == SIGTERM};
    comm->sum(comm, v, 7, NETRT_F64);
    *step = (Sums){v[0], (long)v[1], v[2], v[3], (long)v[4]};
    *loss = step->loss / (double)step->n;
    return v[5] > 0 ? SIGINT : v[6] > 0 ? SIGTERM : 0;
}

/* Between epochs: the signal a rank caught, the same on every rank (step_reduce). */
static int stop_signal(Run *run)
{
    NetrtComm *comm = run->comm;
    int sig = netrt_interrupted();
    if (comm->size == 1)
        return sig;
    double v[2] = {sig == SIGINT, sig == SIGTERM};
    comm->sum(comm, v, 2, NETRT_F64);
    return v[0] > 0 ? SIGINT : v[1] > 0 ? SIGTERM : 0;
}

/* The batch's mean gradient, on every rank: each rank's gradients are the mean over its rows,
 * so weighted by its share of the batch (rows / B) they add up to the mean over all B rows; the
 * sum is one MPI_Allreduce over one buffer (plan_gradients). A rank without rows (a last batch
 * smaller than the ranks) adds zeros. Alone: nothing to do, the gradients are the batch's. */
static void sum_gradients(Run *run, int rows, int B)
{
    const NetrtModel *model = run->model;
    NetrtComm *comm = run->comm;
    if (comm->size == 1 || !run->grads)
        return;
    int f32 = model->dtype == NETRT_F32;
    size_t elem = f32 ? sizeof(float) : sizeof(double);
    double share = (double)rows / B;
    unsigned char *packed = run->grads;
    for (int p = 0; p < model->n_params; p++) {
        const NetrtParam *param = &model->params[p];
        for (size_t i = 0; i < param->size; i++)
            if (f32)
                ((float *)param->grad)[i] = rows ? (float)(((float *)param->grad)[i] * share) : 0;
            else
                ((double *)param->grad)[i] = rows ? ((double *)param->grad)[i] * share : 0;
        if (run->grads_packed) {
            memcpy(packed, param->grad, param->size * elem);
            packed += param->size * elem;
        }
    }
    double t0 = now();
    comm->sum(comm, run->grads, run->n_grads, model->dtype);
    run->sum_seconds += now() - t0;
    run->sums++;
    packed = run->grads;
    for (int p = 0; run->grads_packed && p < model->n_params; p++) {
        memcpy(model->params[p].grad, packed, model->params[p].size * elem);
        packed += model->params[p].size * elem;
    }
}

/* Buffers (batchnorm's running statistics) move with each rank's own rows in forward: after the
 * step every rank takes their mean over the ranks that had rows (the first min(B, size): shard),
 * so that all ranks keep the same buffers. The batch statistics themselves stay each rank's
 * (as PyTorch's DistributedDataParallel without SyncBatchNorm; docs/distributed.md). */
static void average_buffers(Run *run, int rows, int B)
{
    const NetrtModel *model = run->model;
    NetrtComm *comm = run->comm;
    if (comm->size == 1)
        return;
    double ranks = B < comm->size ? B : comm->size;
    for (int k = 0; k < model->n_buffers; k++) {
        const NetrtBuffer *buf = &model->buffers[k];
        if (buf->is_count) { /* the same on every rank that had rows */
            for (size_t i = 0; i < buf->size; i++) {
                int64_t *count = &((int64_t *)buf->value)[i];
                double v = rows ? (double)*count : 0;
                comm->sum(comm, &v, 1, NETRT_F64);
                *count = llround(v / ranks);
            }
        } else if (model->dtype == NETRT_F32) {
            float *v = buf->value;
            for (size_t i = 0; !rows && i < buf->size; i++)
                v[i] = 0;
            comm->sum(comm, v, buf->size, NETRT_F32);
            for (size_t i = 0; i < buf->size; i++)
                v[i] = (float)(v[i] / ranks);
        } else {
            double *v = buf->value;
            for (size_t i = 0; !rows && i < buf->size; i++)
                v[i] = 0;
            comm->sum(comm, v, buf->size, NETRT_F64);
            for (size_t i = 0; i < buf->size; i++)
                v[i] /= ranks;
        }
    }
}

/* One pass over the training split, shuffled: a step per batch (forward, loss, backward, update)
 * at the learning rate the schedule gives, until the run's last step; the epoch's training
 * metrics go to its log. 0, or 3 when the training diverged (err set). */
static int train_epoch(Run *run, Loop *loop, int epoch, NetrtErr *err)
{
    const NetrtModel *model = run->model;
    const NetrtTrain *tr = &run->opt.train;
    const NetrtSchedule *sched = &tr->schedule;
    NetrtHyper *hyper = &loop->hyper;
    EpochLog *log = &run->log[epoch - 1];
    int n = run->n, batch = run->batch;
    if (!loop->per_step)
        hyper->lr = netrt_schedule_lr(sched, tr->lr, epoch - 1, loop->sched_total);
    /* an epoch resumed in its middle goes on in the order it had */
    int first = loop->at;
    if (!first)
        netrt_shuffle(&run->shuffle_rng, run->order, n);
    double t0 = now() - loop->partial_seconds, cpu0 = cpu_now();
    Sums sums = loop->partial;
    loop->at = 0, loop->partial = (Sums){0}, loop->partial_seconds = 0;
    int batch_no = (first + batch - 1) / batch, batches = (int)((n + batch - 1) / batch);
    if (run->total_steps - loop->step < batches - batch_no) /* max_steps ends it sooner */
        batches = batch_no + (int)(run->total_steps - loop->step);
    loop->pg.t0 = t0;
    loop->seen = (Sums){0};
    for (int start = first; start < n && loop->step < run->total_steps; start += batch) {
        int B = n - start < batch ? n - start : batch;
        if (loop->per_step) {
            hyper->lr = netrt_schedule_lr(sched, tr->lr, loop->step, loop->sched_total);
            hyper->momentum = netrt_schedule_momentum(sched, tr->momentum, loop->step,
                                                      loop->sched_total);
        }
        /* this rank's rows of the batch (all of them alone), and their sums */
        int lo = shard(B, run->comm->rank, run->comm->size);
        int rows = shard(B, run->comm->rank + 1, run->comm->size) - lo;
        Sums step = {0};
        double loss = 0;
        /* augmentation draws for every row of the batch, in order, on every rank, each keeping
         * its own rows' draws: the images are those of a single process */
        if (run->aug.scratch)
            netrt_augment_skip(&run->aug, model->in_h, model->in_w, lo);
        if (rows > 0) {
            netrt_batch_fill(model, &run->map, &run->ds.train, run->order + start + lo, rows,
                             run->aug.scratch ? &run->aug : NULL);
            model->forward(rows, 1);
            sums_add_outputs(model, rows, &step);
            loss = model->loss(rows);
            step.loss = loss * rows;
        }
        if (run->aug.scratch)
            netrt_augment_skip(&run->aug, model->in_h, model->in_w, B - lo - rows);
        int sig = step_reduce(run, &step, &loss);
        loop->step++;
        batch_no++;
        if (!isfinite(loss))
            return diverged(run, loop, epoch, batch_no, loss, err);
        sums_add(&sums, &step);
        if (rows > 0)
            model->backward(rows);
        sum_gradients(run, rows, B);
        hyper->step = loop->step;
        model->update(hyper);
        average_buffers(run, rows, B);
        if (run->steps)
            log_steps(run, loop, epoch, &sums, 0);
        if (loop->pg.on)
            progress_show(&loop->pg, epoch, run->run_epochs, batch_no, batches, start + B, n,
                          sums.loss / sums.n);
        if (run->comm->size == 1)
            sig = netrt_interrupted();
        if (sig) {
            loop->at = start + B, loop->partial = sums, loop->partial_seconds = now() - t0;
            return interrupted(run, loop, epoch, sig, err);
        }
    }
    log->seconds = now() - t0;
    log->cpu = cpu_now() - cpu0;
    log->step = loop->step;
    progress_clear(&loop->pg);
    log->lr = hyper->lr;
    log->samples = (int)sums.n;
    log->train = sums_metrics(model, &sums);
    return 0;
}

/* After an epoch's training: whether a stop condition is met; and, for early stopping and
 * keep_best, the epoch judged by the valid set, its state kept when it is the best so far. */
static void judge_epoch(Run *run, Loop *loop, int epoch)
{
    const NetrtTrain *tr = &run->opt.train;
    EpochLog *log = &run->log[epoch - 1];
    if (tr->max_steps > 0 && loop->step >= tr->max_steps)
        loop->stop = STOP_MAX_STEPS;
    else if (tr->loss_below > 0 && log->train.loss < tr->loss_below)
        loop->stop = STOP_LOSS_BELOW;
    if (!loop->watch)
        return;
    log->valid = evaluate(run->model, run->comm, &run->map, &run->ds.valid, run->seq);
    log->has_valid = 1;
    int higher_better = loop->higher_better;
    double value = higher_better ? log->valid.acc : log->valid.loss, best = loop->best;
    /* strictly better: a tie keeps the earlier epoch */
    if (!loop->best_epoch || (higher_better ? value > best : value < best)) {
        loop->best = value;
        loop->best_epoch = epoch;
        if (tr->keep_best)
            state_copy(run->model, run->snapshot, 1);
    } else if (loop->stop == STOP_NONE && tr->patience &&
               epoch - loop->best_epoch >= tr->patience) {
        loop->stop = STOP_EARLY;
    }
}

/* An epoch's line, on the epochs that get one, with the valid and test sets evaluated for it;
 * and its CSV row, written now or later (csv_log). 0, or -1 when the CSV cannot be written. */
static int report_epoch(Run *run, Loop *loop, int epoch, NetrtErr *err)
{
    const NetrtOptions *opt = &run->opt;
    const NetrtDataset *ds = &run->ds;
    EpochLog *log = &run->log[epoch - 1];
    int last = loop->stop != STOP_NONE || epoch == run->run_epochs;
    int printed = loop->every == 1 || epoch == 1 || epoch % loop->every == 0 || last;
    if (run->steps && last) { /* the steps after the last full window */
        Sums epoch_sums = loop->seen;
        log_steps(run, loop, epoch, &epoch_sums, 1);
    }
    if (printed || loop->every_epoch) {
        if (ds->valid.n && !log->has_valid) {
            log->valid = evaluate(run->model, run->comm, &run->map, &ds->valid, run->seq);
            log->has_valid = 1;
        }
        if (ds->test.n) {
            log->test = evaluate(run->model, run->comm, &run->map, &ds->test, run->seq);
            log->has_test = 1;
        }
    }
    if (printed && !opt->quiet)
        print_epoch(run->model, log, epoch, run->run_epochs, run->n, loop->show_lr);
    if (opt->csv && run->writer &&
        csv_log(&loop->csv_pace, printed, opt->csv, run->model, run->log, epoch, run->steps,
                run->n_steps, err) < 0)
        return -1;
    return 0;
}

/* The epochs, up to the last one or a stop condition. 0, or the exit status of a failure (1, or
 * 3 when the training diverged) with err set. */
static int train(Run *run, Loop *loop, NetrtErr *err)
{
    for (int epoch = loop->epochs + 1; epoch <= run->run_epochs && loop->stop == STOP_NONE;
         epoch++) {
        int status = train_epoch(run, loop, epoch, err);
        if (status != 0)
            return status;
        judge_epoch(run, loop, epoch);
        if (report_epoch(run, loop, epoch, err) < 0)
            return 1;
        loop->epochs = epoch;
        if (run->opt.checkpoint && run->writer && write_checkpoint(run, loop, err) < 0)
            return 1;
        /* caught while evaluating: the checkpoint is this epoch's */
        int sig = stop_signal(run);
        if (sig)
            return interrupted(run, loop, epoch + 1, sig, err);
    }
    return 0;
}

/* ---- the end --------------------------------------------------------------------------------- */

/* The training time of the epochs run, evaluation excluded. */
static double training_seconds(const Run *run, const Loop *loop)
{
    double t = 0;
    for (int e = 0; e < loop->epochs; e++)
        t += run->log[e].seconds;
    return t;
}

static void print_stop(const Run *run, const Loop *loop)
{
    const NetrtTrain *tr = &run->opt.train;
    switch (loop->stop) {
    case STOP_NONE: break;
    case STOP_MAX_STEPS:
        printf("stopped: max_steps %ld reached in epoch %d\n", tr->max_steps, loop->epochs);
        break;
    case STOP_LOSS_BELOW:
        printf("stopped: training loss %.3g < %g after epoch %d (step %ld)\n",
               run->log[loop->epochs - 1].train.loss, tr->loss_below, loop->epochs, loop->step);
        break;
    case STOP_EARLY:
        printf("stopped early: %s has not improved for %d epochs; best was epoch %d\n",
               loop->higher_better ? "valid acc" : "valid loss", tr->patience, loop->best_epoch);
        break;
    }
}

/* A run on more than one rank: what summing the gradients cost (docs/distributed.md's table). */
static void print_ranks(const Run *run, const Loop *loop)
{
    size_t elem = run->model->dtype == NETRT_F32 ? sizeof(float) : sizeof(double);
    double bytes = (double)run->n_grads * elem;
    printf("ranks     %d: gradients summed %ld times, %.0f bytes each, %.3f ms a step (%.1f%% of "
           "the training time)\n", run->comm->size, run->sums, bytes,
           run->sums ? 1e3 * run->sum_seconds / run->sums : 0.0,
           100 * run->sum_seconds / fmax(training_seconds(run, loop), 1e-9));
}

/* When other processes kept the cores busy, the jobs ran on fewer threads for a while
 * (threads.c): how long on each number of threads. Nothing on a quiet machine. */
static void print_busy(void)
{
    double seconds[NETRT_MAX_THREADS + 1];
    netrt_busy_seconds(seconds);
    int used = 0;
    for (int n = 1; n <= NETRT_MAX_THREADS; n++)
        used += seconds[n] > 0;
    if (used < 2)
        return;
    const char *sep = "";
    printf("threads   ");
    for (int n = NETRT_MAX_THREADS; n >= 1; n--)
        if (seconds[n] > 0)
            printf("%s%d for %.1f s", sep, n, seconds[n]), sep = ", ";
    printf(" (fewer while other processes kept the cores busy)\n");
}

/* After the last epoch: why training stopped, the final line, and the files asked for. The final
 * result is on the test set, or the best stand-in there is without one; with keep_best, of the
 * best epoch's parameters and buffers, evaluated again after restoring them. 0, or -1. */
static int finish(Run *run, const Loop *loop, NetrtErr *err)
{
    const NetrtModel *model = run->model;
    const NetrtOptions *opt = &run->opt;
    const NetrtTrain *tr = &opt->train;
    const NetrtDataset *ds = &run->ds;
    const EpochLog *last = &run->log[loop->epochs - 1];
    if (!opt->quiet) {
        print_stop(run, loop);
        print_busy();
    }
    Metrics final_train = last->train, final_valid = last->valid, final_test = last->test;
    if (tr->keep_best && loop->best_epoch) {
        state_copy(model, run->snapshot, 0);
        if (!opt->quiet) {
            char what[64];
            format_monitor(what, sizeof what, model, tr->monitor, loop->best);
            printf("restored the parameters of epoch %d (%s)\n", loop->best_epoch, what);
        }
        final_train = run->log[loop->best_epoch - 1].train;
        final_valid = run->log[loop->best_epoch - 1].valid;
        if (ds->test.n)
            final_test = evaluate(model, run->comm, &run->map, &ds->test, run->seq);
    }
    if (ds->test.n)
        print_final(model, "test", &final_test);
    else if (ds->valid.n)
        print_final(model, "valid", &final_valid);
    else
        print_final(model, "train", &final_train);
    if (run->comm->size > 1)
        print_ranks(run, loop);
    if (!run->writer) /* the files are rank 0's */
        return 0;
    if (opt->weights_png && draw_weights(model, opt->weights_png, 1, err) < 0)
        return -1;
    if (opt->save && save_state(model, opt->save, loop->epochs, loop->step, err) < 0)
        return -1;
    return 0;
}

/* --plot, regression on y = f(x): the model's outputs at n points x evenly spaced over the
 * interval, into y, evaluated in batches as the data were (inputs standardized as they were). */
static void predict_grid(const Run *run, const double *x, double *y, int n)
{
    const NetrtModel *model = run->model;
    const NetrtDataset *ds = &run->ds;
    double mean = ds->x_mean ? ds->x_mean[0] : 0, std = ds->x_std ? ds->x_std[0] : 1;
    for (int start = 0; start < n; start += model->batch_max) {
        int B = n - start < model->batch_max ? n - start : model->batch_max;
        for (int b = 0; b < B; b++) {
            double v = (x[start + b] - mean) / (std > 0 ? std : 1);
            if (model->dtype == NETRT_F32)
                ((float *)model->input)[b] = (float)v;
            else
                ((double *)model->input)[b] = v;
        }
        model->forward(B, 0);
        for (int b = 0; b < B; b++)
            y[start + b] = model->dtype == NETRT_F32
                               ? (double)((const float *)model->output)[(size_t)b * model->out_size]
                               : ((const double *)model->output)[(size_t)b * model->out_size];
    }
}

/* An epoch's (or some steps') metrics as a point of the curves: NAN where not evaluated. */
static NetrtPlotPoint plot_point(const NetrtModel *model, double x, const Metrics *m[3])
{
    NetrtPlotPoint pt = {x, {NAN, NAN, NAN}, {NAN, NAN, NAN}};
    for (int s = 0; s < 3; s++)
        if (m[s]) {
            pt.loss[s] = m[s]->loss;
            pt.metric[s] = model->task == NETRT_REGRESS ? m[s]->mse : m[s]->acc;
        }
    return pt;
}

/* --plot: the curves of the finished run, and for a regression on y = f(x) the model against
 * f, after keep_best's restore: the model the run ends with. 0, or -1 with err (exit status 4:
 * trained, evaluated and saved, but without the picture). */
static int draw_plot(const Run *run, const Loop *loop, NetrtErr *err)
{
    enum { GRID = 400 };
    const NetrtModel *model = run->model;
    const NetrtFunction *fn = &model->data.function;
    double per_epoch = (double)((run->n + run->batch - 1) / run->batch); /* steps */
    int fit = model->data.kind == NETRT_DATA_FUNCTION && model->task == NETRT_REGRESS &&
              model->in_size == 1 && model->out_size == 1 && fn->f;
    NetrtPlotPoint *epochs = malloc(sizeof *epochs * (size_t)(loop->epochs + 1));
    NetrtPlotPoint *steps = malloc(sizeof *steps * (size_t)(run->n_steps + 1));
    double *grid = malloc(sizeof *grid * 3 * GRID);
    if (!epochs || !steps || !grid) {
        free(epochs), free(steps), free(grid);
        return netrt_err(err, "--plot %s: out of memory", run->opt.plot);
    }
    for (int e = 0; e < loop->epochs; e++) {
        const EpochLog *log = &run->log[e];
        const Metrics *m[3] = {&log->train, log->has_valid ? &log->valid : NULL,
                               log->has_test ? &log->test : NULL};
        epochs[e] = plot_point(model, (double)log->step / per_epoch, m);
    }
    for (int k = 0; k < run->n_steps; k++) {
        const Metrics *m[3] = {&run->steps[k].train, NULL, NULL};
        steps[k] = plot_point(model, (double)run->steps[k].step / per_epoch, m);
    }
    double *gx = grid, *gtrue = grid + GRID, *gmodel = grid + 2 * GRID;
    if (fit) {
        for (int i = 0; i < GRID; i++) {
            gx[i] = fn->lo + (fn->hi - fn->lo) * i / (GRID - 1);
            gtrue[i] = fn->f(gx[i]);
        }
        predict_grid(run, gx, gmodel, GRID);
    }
    const NetrtTrain *t = &run->opt.train;
    char title[1024], batch[32];
    if (t->batch)
        snprintf(batch, sizeof batch, "%d", t->batch);
    else
        snprintf(batch, sizeof batch, "full (%d)", run->batch);
    snprintf(title, sizeof title, "%s (%s): %s, lr %g, batch %s, %d epoch%s, seed %llu",
             model->name, model->source, model->optimizer ? model->optimizer : "sgd", t->lr, batch,
             loop->epochs, loop->epochs == 1 ? "" : "s", (unsigned long long)t->seed);
    NetrtPlot plot = {title, model->task == NETRT_REGRESS, epochs, loop->epochs, steps,
                      run->n_steps, run->opt.log_every, fn->expr, gx, gtrue, gmodel,
                      fit ? GRID : 0};
    int status = netrt_plot_write(run->opt.plot, &plot, err);
    free(epochs), free(steps), free(grid);
    if (status == 0 && !run->opt.quiet)
        printf("plot      %s: %d epoch%s%s\n", run->opt.plot, loop->epochs,
               loop->epochs == 1 ? "" : "s", fit ? ", and the model against f(x)" : "");
    return status;
}

/* A run that did its job: 0, unless what it printed did not all reach standard output. */
static int succeed(Run *run, NetrtErr *err)
{
    if (stdout_failed(err))
        return fail(run, err, 1);
    run_free(run);
    return 0;
}

/* ---- the ranks of a run -------------------------------------------------------------------- */

/* What the ranks of a data-parallel run must share: each rank's, gathered on every rank at
 * start-up (agree). A rank of another model, precision, thread count, data or command line is
 * found there, before a step is taken, rather than as weights that silently drift apart. */
typedef struct {
    int32_t ok;              /* its start-up went well (else its error is on its stderr) */
    int32_t dtype, threads, blas_threads;
    int32_t n[3];            /* train, valid and test samples */
    uint64_t data;           /* a hash of every sample and label, and of the normalization */
    uint64_t settings;       /* a hash of the command line */
    char source_hash[32];    /* of the .net file the trainer was generated from */
    char host[64];           /* for the messages */
} Fingerprint;

static uint64_t hash_bytes(uint64_t h, const void *data, size_t n)
{
    const unsigned char *b = data;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) { /* a word at a time: Fashion-MNIST's 47 MB in a few ms */
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0x100000001b3u;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}

static uint64_t hash_split(uint64_t h, const NetrtSplit *s)
{
    size_t n = (size_t)s->n;
    if (s->pixels)
        return hash_bytes(hash_bytes(h, s->pixels, n * s->size), s->labels, n);
    if (s->x)
        return hash_bytes(hash_bytes(h, s->x, n * s->size * sizeof(float)), s->y,
                          n * s->y_size * sizeof(float));
    return h;
}

static void fingerprint(const Run *run, int ok, int argc, char **argv, Fingerprint *f)
{
    const NetrtDataset *ds = &run->ds;
    memset(f, 0, sizeof *f);
    f->ok = ok;
    f->dtype = run->model->dtype;
    f->threads = netrt_threads();
    f->blas_threads = openblas_get_num_threads();
    f->n[0] = ds->train.n, f->n[1] = ds->valid.n, f->n[2] = ds->test.n;
    uint64_t h = 0xcbf29ce484222325u;
    h = hash_split(hash_split(hash_split(h, &ds->train), &ds->valid), &ds->test);
    double norm[2] = {ds->mean, ds->std};
    f->data = hash_bytes(h, norm, sizeof norm);
    h = 0xcbf29ce484222325u;
    for (int i = 1; i < argc; i++)
        h = hash_bytes(h, argv[i], strlen(argv[i]) + 1);
    f->settings = h;
    snprintf(f->source_hash, sizeof f->source_hash, "%s",
             run->model->source_hash ? run->model->source_hash : "");
    if (gethostname(f->host, sizeof f->host - 1) != 0)
        snprintf(f->host, sizeof f->host, "?");
}

/* What rank r's fingerprint has that rank 0's has not, as a message; 0 when nothing differs. */
static int differs(const Fingerprint *r0, const Fingerprint *f, int r, NetrtErr *err)
{
    char who[256]; /* two host names of up to 63 characters */
    snprintf(who, sizeof who, "rank %d (on %s) differs from rank 0 (on %s):", r, f->host,
             r0->host);
    if (strcmp(f->source_hash, r0->source_hash))
        return netrt_err(err, "%s another model: a trainer of source_hash %s; rank 0's is %s",
                         who, f->source_hash, r0->source_hash);
    if (f->dtype != r0->dtype)
        return netrt_err(err, "%s precision %s; rank 0's is %s", who,
                         f->dtype == NETRT_F32 ? "f32" : "f64",
                         r0->dtype == NETRT_F32 ? "f32" : "f64");
    if (f->threads != r0->threads || f->blas_threads != r0->blas_threads)
        return netrt_err(err, "%s %d threads (OpenBLAS: %d); rank 0 has %d (OpenBLAS: %d): give "
                         "every rank the same --threads", who, f->threads, f->blas_threads,
                         r0->threads, r0->blas_threads);
    if (f->n[0] != r0->n[0] || f->n[1] != r0->n[1] || f->n[2] != r0->n[2] ||
        f->data != r0->data)
        return netrt_err(err, "%s another data set: %d train, %d valid, %d test samples, "
                         "checksum %016llx; rank 0 has %d, %d, %d, checksum %016llx", who,
                         f->n[0], f->n[1], f->n[2], (unsigned long long)f->data, r0->n[0],
                         r0->n[1], r0->n[2], (unsigned long long)r0->data);
    if (f->settings != r0->settings)
        return netrt_err(err, "%s another command line (every rank must be given the same "
                         "options)", who);
    return 0;
}

/* Every rank's start-up, and what it trains, compared with rank 0's: 0 when all went well and
 * agree, else -1 on every rank, together. Rank 0 names the first rank that failed or differs;
 * a rank that failed has printed its own error, the others print nothing (an empty err). */
static int agree(Run *run, int ok, int argc, char **argv, NetrtErr *err)
{
    NetrtComm *comm = run->comm;
    if (comm->size == 1)
        return ok ? 0 : -1;
    Fingerprint mine, *all = calloc((size_t)comm->size, sizeof *all);
    fingerprint(run, ok, argc, argv, &mine);
    if (!all) { /* the others wait in the gather: this rank must end the job */
        netrt_err(err, "out of memory");
        return -2;
    }
    comm->gather(comm, &mine, all, sizeof mine);
    int status = 0;
    NetrtErr found = {{0}, {0}};
    for (int r = 0; r < comm->size && !status; r++)
        if (!all[r].ok) {
            netrt_err(&found, "rank %d (on %s) failed to start (its own message says why); every "
                      "rank stops", r, all[r].host);
            status = -1;
        } else if (r > 0 && differs(&all[0], &all[r], r, &found) < 0) {
            status = -1;
        }
    free(all);
    if (status == 0)
        return 0;
    if (ok) /* a failed rank keeps its own message */
        *err = comm->rank == 0 ? found : (NetrtErr){{0}, {0}};
    return -1;
}

/* Under the start-up block, on more than one rank: how a batch is shared. */
static void print_sharding(const Run *run)
{
    int size = run->comm->size, batch = run->batch;
    size_t elem = run->model->dtype == NETRT_F32 ? sizeof(float) : sizeof(double);
    printf("ranks     %d (MPI): each batch of %d shared, %d to %d samples a rank; the gradients "
           "(%zu bytes) summed over the ranks every step%s\n", size, batch, batch / size,
           (batch + size - 1) / size, run->n_grads * elem,
           run->grads_packed ? ", packed into one buffer" : "");
    int threads = netrt_threads();
    if (run->threads_given)
        printf("          %d thread%s a rank (--threads)\n", threads, threads == 1 ? "" : "s");
    else if (run_bound())
        printf("          %d thread%s a rank: the rank is bound to %d of this machine's %ld CPUs "
               "(mpirun's binding; --threads, or mpirun --bind-to none)\n", threads,
               threads == 1 ? "" : "s", netrt_cpus_available(), sysconf(_SC_NPROCESSORS_ONLN));
    else if (run->comm->local_size > 1)
        printf("          %d thread%s a rank: %d ranks share this machine's %d CPUs (--threads)\n",
               threads, threads == 1 ? "" : "s", run->comm->local_size, netrt_cpus_available());
    if (run->model->n_buffers > 0)
        printf("          batchnorm's batch statistics are each rank's own; its running "
               "statistics are averaged over the ranks every step\n");
    if (run->model->rng)
        printf("          dropout draws from a stream of each rank's own\n");
    fflush(stdout);
}

/* A run alone: rank 0 of 1, whose operations have no one to wait for. */
static void sum_alone(NetrtComm *c, void *values, size_t n, NetrtDtype dtype)
{
    (void)c, (void)values, (void)n, (void)dtype;
}

static void gather_alone(NetrtComm *c, const void *mine, void *all, size_t bytes)
{
    (void)c;
    memcpy(all, mine, bytes);
}

int netrt_main(const NetrtModel *model, int argc, char **argv)
{
    NetrtComm alone = {.rank = 0, .size = 1, .sum = sum_alone, .gather = gather_alone};
    int collective;
    return netrt_run(model, argc, argv, &alone, &collective);
}

int netrt_run(const NetrtModel *model, int argc, char **argv, NetrtComm *comm, int *collective)
{
    NetrtErr err;
    *collective = 0; /* until the ranks have agreed */
    Run *run = calloc(1, sizeof *run);
    if (!run) {
        netrt_err(&err, "out of memory");
        return fail(NULL, &err, 1);
    }
    run->model = model;
    run->comm = comm;
    int ok = set_up(run, argc, argv, &err) == 0;
    if (!run->opened) /* no ranks to agree with */
        return fail(run, &err, 1);
    /* Each rank's start-up, then the agreement: a rank that failed alone, or differs, stops them
     * all here, rather than leave them waiting in the first sum. */
    int status = agree(run, ok, argc, argv, &err);
    if (status < 0) {
        *collective = status == -1;
        return fail(run, &err, 1);
    }
    *collective = 1;
    if (run->opt.help) {
        netrt_cli_help(model, argv[0], stdout);
        return succeed(run, &err);
    }
    if (run->opt.dry_run) {
        print_startup(model, &run->opt, NULL, run->opt.train.batch, run->opt.train.epochs, 0,
                      &run->blas, &run->gemm);
        return succeed(run, &err);
    }
    ok = load_data(run, &err) == 0 && plan_run(run, &err) == 0 && init_state(run, &err) == 0;
    if ((status = agree(run, ok, argc, argv, &err)) < 0) {
        *collective = status == -1;
        return fail(run, &err, 1);
    }
    if (run->opt.eval) {
        print_eval(run);
        return succeed(run, &err);
    }
    if (run->opt.predict) { /* rank 0's, on standard output */
        if (!run->writer)
            return succeed(run, &err);
        *collective = 0;
        return predict(run, &err) < 0 ? fail(run, &err, 1) : succeed(run, &err);
    }
    Loop loop;
    ok = start_training(run, &loop, &err) == 0 &&
         (!run->opt.resume || resume(run, &loop, &err) == 0);
    if ((status = agree(run, ok, argc, argv, &err)) < 0) {
        *collective = status == -1;
        return fail(run, &err, 1);
    }
    if (comm->size > 1)
        print_sharding(run);
    netrt_interrupt_install();
    status = train(run, &loop, &err);
    if (status > 128) { /* interrupted: what was reached is printed already */
        run_free(run);
        return status;
    }
    if (status != 0) {
        /* divergence is seen by every rank at once; a file rank 0 could not write, by it alone */
        *collective = status == 3;
        return fail(run, &err, status);
    }
    *collective = 0; /* what fails from here fails on rank 0 alone */
    if (finish(run, &loop, &err) < 0)
        return fail(run, &err, 1);
    if (run->writer && run->opt.plot && draw_plot(run, &loop, &err) < 0)
        return fail(run, &err, 4);
    *collective = 1;
    return succeed(run, &err);
}
