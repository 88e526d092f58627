/* driver.c: netrt_main(), the training loop around a generated model.
 *
 * Start-up: options, data, parameter initialisation, a summary of what is in force. Then per
 * epoch: shuffle, one step per batch (forward, loss, backward, update), evaluation of the valid
 * and test sets, one line of metrics (and a CSV row). Everything the loop needs is allocated
 * before the first step; the step itself never allocates. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, isatty, fileno */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "netrt_internal.h"

/* Loss (mean over samples) and accuracy (a fraction) of one pass over a set. */
typedef struct {
    double loss, acc;
} Metrics;

typedef struct {
    Metrics train, valid, test;
    double seconds; /* training time of the epoch, evaluation excluded */
} EpochLog;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
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

/* Forward and loss over a whole split, in batches of batch_max; seq is 0, 1, 2, … */
static Metrics evaluate(const NetrtModel *model, const NetrtPixelMap *map,
                        const NetrtSplit *split, const int32_t *seq)
{
    double loss = 0;
    long correct = 0;
    for (int start = 0; start < split->n; start += model->batch_max) {
        int B = split->n - start < model->batch_max ? split->n - start : model->batch_max;
        netrt_batch_fill(model, map, split, seq + start, B);
        model->forward(B, 0);
        correct += count_correct(model, B);
        loss += model->loss(B) * B;
    }
    return (Metrics){loss / split->n, (double)correct / split->n};
}

/* Rewrite the whole CSV through path.tmp and a rename, so that the file is never half written. */
static int write_csv(const char *path, const EpochLog *log, int n, int has_valid, int has_test,
                     NetrtErr *err)
{
    char tmp[NETRT_PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return netrt_err(err, "%s: %s", tmp, strerror(errno));
    fprintf(f, "epoch,train_loss,train_acc,valid_loss,valid_acc,test_loss,test_acc,seconds\n");
    for (int e = 0; e < n; e++) {
        fprintf(f, "%d,%.6f,%.6f,", e + 1, log[e].train.loss, log[e].train.acc);
        if (has_valid)
            fprintf(f, "%.6f,%.6f,", log[e].valid.loss, log[e].valid.acc);
        else
            fprintf(f, ",,");
        if (has_test)
            fprintf(f, "%.6f,%.6f,", log[e].test.loss, log[e].test.acc);
        else
            fprintf(f, ",,");
        fprintf(f, "%.3f\n", log[e].seconds);
    }
    /* A full disk shows up at the latest when the buffer is flushed. */
    int failed = fflush(f) != 0 || ferror(f);
    int saved = errno;
    if (fclose(f) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        remove(tmp);
        return netrt_err(err, "%s: %s", tmp, strerror(saved));
    }
    if (rename(tmp, path) != 0)
        return netrt_err(err, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
    return 0;
}

/* The "\r" progress line on stderr, shown only on a terminal, redrawn at most 10 times a second. */
typedef struct {
    int on;
    int width; /* characters on the line now, to clear it */
    double last;
} Progress;

static void progress_show(Progress *pg, int epoch, int epochs, int done, int total, double loss)
{
    double t = now();
    if (t - pg->last < 0.1)
        return;
    pg->last = t;
    char bar[21];
    int filled = (int)(20.0 * done / total);
    for (int i = 0; i < 20; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[20] = '\0';
    pg->width = fprintf(stderr, "\repoch %d/%d [%s] %3d%%  loss %.4f", epoch, epochs, bar,
                        (int)(100.0 * done / total), loss) - 1;
}

static void progress_clear(Progress *pg)
{
    if (pg->width > 0)
        fprintf(stderr, "\r%*s\r", pg->width, "");
    pg->width = 0;
}

static void print_startup(const NetrtModel *model, const NetrtOptions *opt,
                          const NetrtDataset *ds)
{
    size_t n_values = 0;
    for (int p = 0; p < model->n_params; p++)
        n_values += model->params[p].size;
    const NetrtTrain *t = &opt->train;
    const char *coretype = getenv("OPENBLAS_CORETYPE");

    printf("model     %s  (%s)\n", model->name, model->source);
    printf("network   %s\n", model->summary);
    printf("params    %zu in %d tensors, %s; %lld flops per sample\n", n_values, model->n_params,
           model->dtype == NETRT_F32 ? "f32" : "f64", model->flops_per_sample);
    printf("data      %s from %s: %d train, %d valid, %d test; %dx%d images, %d classes\n",
           ds->name, ds->files.where, ds->train.n, ds->valid.n, ds->test.n, ds->train_file.rows,
           ds->train_file.cols, model->out_size);
    if (ds->stats_computed)
        printf("normalize (x - %.4f) / %.4f, measured on the training split\n", ds->mean, ds->std);
    else if (model->data.normalize)
        printf("normalize (x - %g) / %g\n", ds->mean, ds->std);
    printf("settings  epochs %d  batch %d  lr %g  momentum %g  weight decay %g  seed %llu\n",
           t->epochs, t->batch, t->lr, t->momentum, t->weight_decay, (unsigned long long)t->seed);
    printf("blas      OpenBLAS %s, %d threads", openblas_get_corename(),
           openblas_get_num_threads());
    if (coretype && coretype[0])
        printf(" (OPENBLAS_CORETYPE=%s preset)\n", coretype);
    else
        printf(" (OPENBLAS_CORETYPE not set: core detected)\n");
    fflush(stdout);
}

/* Everything netrt_main allocates, to free on every way out. */
typedef struct {
    NetrtDataset ds;
    int32_t *order; /* training indices, shuffled each epoch */
    int32_t *seq;   /* 0, 1, 2, …: the evaluation order */
    EpochLog *log;
} Run;

static void run_free(Run *run)
{
    netrt_data_free(&run->ds);
    free(run->order);
    free(run->seq);
    free(run->log);
    free(run);
}

static int fail(Run *run, const NetrtErr *err, int status)
{
    netrt_err_print(err);
    if (run)
        run_free(run);
    return status;
}

int netrt_main(const NetrtModel *model, int argc, char **argv)
{
    NetrtErr err;
    NetrtOptions opt;
    if (netrt_cli_parse(model, argc, argv, &opt, &err) < 0)
        return fail(NULL, &err, 1);
    if (opt.help) {
        netrt_cli_help(model, argv[0], stdout);
        return 0;
    }
    if (opt.threads)
        openblas_set_num_threads(opt.threads);

    Run *run = calloc(1, sizeof *run);
    if (!run) {
        netrt_err(&err, "out of memory");
        return fail(NULL, &err, 1);
    }
    NetrtDataset *ds = &run->ds;
    if (netrt_data_load(model, opt.data_dir, opt.valid, opt.train.seed, ds, &err) < 0)
        return fail(run, &err, 1);
    int n_eval = ds->valid.n > ds->test.n ? ds->valid.n : ds->test.n;
    run->order = malloc(sizeof *run->order * ds->train.n);
    run->seq = malloc(sizeof *run->seq * (n_eval ? n_eval : 1));
    run->log = malloc(sizeof *run->log * opt.train.epochs);
    if (!run->order || !run->seq || !run->log) {
        netrt_err(&err, "out of memory");
        return fail(run, &err, 1);
    }
    for (int i = 0; i < ds->train.n; i++)
        run->order[i] = i;
    for (int i = 0; i < n_eval; i++)
        run->seq[i] = i;
    NetrtPixelMap map;
    netrt_pixel_map(&map, ds->mean, ds->std);

    /* The shuffle gets its own stream, so the data order does not depend on the parameters. */
    NetrtRng init_rng, shuffle_rng;
    netrt_rng_seed(&init_rng, opt.train.seed);
    netrt_rng_seed(&shuffle_rng, netrt_rng_next(&init_rng));
    if (init_params(model, &init_rng, &err) < 0)
        return fail(run, &err, 1);
    /* An unwritable CSV path should fail now, not after the first epoch. */
    if (opt.csv && write_csv(opt.csv, run->log, 0, 0, 0, &err) < 0)
        return fail(run, &err, 1);
    if (!opt.quiet)
        print_startup(model, &opt, ds);

    NetrtHyper hyper = {opt.train.lr, opt.train.momentum, opt.train.weight_decay, 0};
    Progress pg = {.on = !opt.quiet && isatty(fileno(stderr))};
    int epochs = opt.train.epochs, n = ds->train.n;
    long step = 0;
    for (int epoch = 1; epoch <= epochs; epoch++) {
        EpochLog *log = &run->log[epoch - 1];
        netrt_shuffle(&shuffle_rng, run->order, n);
        double t0 = now(), loss_sum = 0;
        long correct = 0;
        int batch_no = 0;
        for (int start = 0; start < n; start += opt.train.batch) {
            int B = n - start < opt.train.batch ? n - start : opt.train.batch;
            netrt_batch_fill(model, &map, &ds->train, run->order + start, B);
            model->forward(B, 1);
            correct += count_correct(model, B);
            double loss = model->loss(B);
            step++;
            batch_no++;
            if (!isfinite(loss)) {
                progress_clear(&pg);
                fflush(stdout);
                netrt_err(&err, "step %ld (epoch %d, batch %d): training loss is %s", step, epoch,
                          batch_no, isnan(loss) ? "nan" : loss > 0 ? "inf" : "-inf");
                netrt_err_hint(&err, "the training diverged; try a lower learning rate (--lr, "
                               "now %g)", opt.train.lr);
                return fail(run, &err, 3);
            }
            loss_sum += loss * B;
            model->backward(B);
            hyper.step = step;
            model->update(&hyper);
            if (pg.on)
                progress_show(&pg, epoch, epochs, start + B, n, loss_sum / (start + B));
        }
        log->seconds = now() - t0;
        progress_clear(&pg);
        log->train = (Metrics){loss_sum / n, (double)correct / n};
        if (ds->valid.n)
            log->valid = evaluate(model, &map, &ds->valid, run->seq);
        if (ds->test.n)
            log->test = evaluate(model, &map, &ds->test, run->seq);

        if (!opt.quiet) {
            int width = snprintf(NULL, 0, "%d", epochs);
            printf("epoch %*d/%d  train loss %.4f acc %.2f%%", width, epoch, epochs,
                   log->train.loss, 100 * log->train.acc);
            if (ds->valid.n)
                printf("  valid loss %.4f acc %.2f%%", log->valid.loss, 100 * log->valid.acc);
            if (ds->test.n)
                printf("  test acc %.2f%%", 100 * log->test.acc);
            printf("  %.2f s  %.0f samples/s\n", log->seconds,
                   log->seconds > 0 ? n / log->seconds : 0.0);
            fflush(stdout);
        }
        if (opt.csv && write_csv(opt.csv, run->log, epoch, ds->valid.n, ds->test.n, &err) < 0)
            return fail(run, &err, 1);
    }

    /* The final result: on the test set, or the best stand-in there is without one. */
    const EpochLog *last = &run->log[epochs - 1];
    if (ds->test.n)
        printf("test: loss %.4f  accuracy %.2f%%\n", last->test.loss, 100 * last->test.acc);
    else if (ds->valid.n)
        printf("valid: loss %.4f  accuracy %.2f%%\n", last->valid.loss, 100 * last->valid.acc);
    else
        printf("train: loss %.4f  accuracy %.2f%%\n", last->train.loss, 100 * last->train.acc);
    run_free(run);
    return 0;
}
