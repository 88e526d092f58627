/* netrt_internal.h: what the runtime's own files share, and what its tests call directly.
 * Generated code never includes this; it sees only netrt.h.
 *
 * Sections follow the file that defines them: err.c, idx.c, rng.c, data.c, cli.c.
 * Functions that can fail return 0 on success and -1 on failure, with the reason in a NetrtErr. */
#ifndef NETRT_INTERNAL_H
#define NETRT_INTERNAL_H

#include <stdio.h>

#include "netrt.h"

#define NETRT_PATH_MAX 4096

/* ---- err.c ------------------------------------------------------------------------------ */

/* Why something failed, kept until the caller prints it (or a test reads it).
 * msg is "path: message" without the "netrt: " prefix; hint is empty when there is none. */
typedef struct {
    char msg[2 * NETRT_PATH_MAX];
    char hint[NETRT_PATH_MAX];
} NetrtErr;

/* Set err->msg (and clear the hint); returns -1 so a failing function can `return netrt_err(…)`. */
int netrt_err(NetrtErr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void netrt_err_hint(NetrtErr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "netrt: msg" and, when there is one, "netrt: hint: hint", on stderr. */
void netrt_err_print(const NetrtErr *err);

/* ---- idx.c: IDX files, raw or gzip-compressed --------------------------------------------- */

/* One images file and its labels file, as read: unsigned bytes, never converted as a whole. */
typedef struct {
    uint8_t *pixels; /* [n, rows·cols], row-major as in the file */
    uint8_t *labels; /* [n], each below the number of classes */
    int n;           /* samples */
    int rows, cols;  /* image shape */
} NetrtIdx;

/* Read an images file (magic 0x00000803) and a labels file (magic 0x00000801). Every label must
 * be below n_classes. On failure nothing is left allocated. */
int netrt_idx_read(const char *images_path, const char *labels_path, int n_classes, NetrtIdx *out,
                   NetrtErr *err);
void netrt_idx_free(NetrtIdx *idx);

/* ---- rng.c: the seeded random numbers (xoshiro256**, seeded through splitmix64) ----------- */

/* Same seed, same numbers, on every machine: integer arithmetic only, except that the normal
 * numbers go through log/sqrt/cos of the C library (Box–Muller). */
typedef struct {
    uint64_t s[4];
    int has_spare;   /* Box–Muller makes normals in pairs: the second one waits here */
    double spare;
} NetrtRng;

void netrt_rng_seed(NetrtRng *rng, uint64_t seed);
uint64_t netrt_rng_next(NetrtRng *rng);
uint64_t netrt_rng_below(NetrtRng *rng, uint64_t n); /* uniform in [0, n), unbiased; n > 0 */
double netrt_rng_uniform(NetrtRng *rng);             /* uniform in [0, 1), 53 random bits */
double netrt_rng_normal(NetrtRng *rng);              /* N(0, 1) */
/* Fisher–Yates: a uniformly random permutation of idx[0..n-1], in place. */
void netrt_shuffle(NetrtRng *rng, int32_t *idx, int n);

/* ---- data.c: locating datasets, splits, normalization, batch assembly ---------------------- */

/* A run of samples in memory: image i is pixels[i·size …], its class labels[i]. */
typedef struct {
    const uint8_t *pixels, *labels;
    int n, size;
} NetrtSplit;

/* The four files of a dataset; test_images/test_labels are "" when there is no test set. */
typedef struct {
    char train_images[NETRT_PATH_MAX], train_labels[NETRT_PATH_MAX];
    char test_images[NETRT_PATH_MAX], test_labels[NETRT_PATH_MAX];
    char where[NETRT_PATH_MAX]; /* the directory they came from, or the images file for IDX */
} NetrtDataFiles;

typedef struct {
    const char *name;        /* "fashion-mnist", "mnist", "idx" */
    NetrtDataFiles files;
    NetrtIdx train_file;     /* the training file, valid samples included */
    NetrtIdx test_file;      /* n == 0 when there is no test set */
    NetrtSplit train, valid, test; /* views: train is the head of train_file, valid its tail */
    double mean, std;        /* input = (pixel/255 - mean) / std; 0 and 1 without normalization */
    int stats_computed;      /* mean and std were measured on the training split */
} NetrtDataset;

/* Pixel value → input value, both precisions, so a batch is one table look-up per pixel. */
typedef struct {
    float f32[256];
    double f64[256];
} NetrtPixelMap;

/* Find the files of data->kind: data_dir only when given, else $NETC_DATA_DIR/<name>, then the
 * standard places. For NETRT_DATA_IDX, relative paths are taken under data_dir when given. */
int netrt_data_locate(const NetrtData *data, const char *data_dir, NetrtDataFiles *files,
                      NetrtErr *err);
/* Locate and read the data of model, hold out the last `valid` training samples (a count, or a
 * fraction below 1 of the training file), and settle the
 * normalization (computing mean and std over the training split when model->data.std == 0). */
int netrt_data_load(const NetrtModel *model, const char *data_dir, double valid, uint64_t seed,
                    NetrtDataset *ds, NetrtErr *err);
void netrt_data_free(NetrtDataset *ds);

/* Mean and (population) standard deviation of split's pixels scaled to [0, 1]. */
void netrt_pixel_stats(const NetrtSplit *split, double *mean, double *std);
void netrt_pixel_map(NetrtPixelMap *map, double mean, double std);
/* Rows idx[0..B-1] of split into model->input (as model->dtype) and model->labels. */
void netrt_batch_fill(const NetrtModel *model, const NetrtPixelMap *map, const NetrtSplit *split,
                      const int32_t *idx, int B);

/* ---- cli.c: the command line ----------------------------------------------------------------- */

/* The settings in force: the model's compiled-in values, overridden by the command line. */
typedef struct {
    NetrtTrain train;
    double valid;         /* held out for validation: a count, or a fraction below 1 */
    const char *data_dir; /* NULL: the standard places */
    int threads;          /* 0: OpenBLAS's own choice */
    const char *csv;      /* NULL: no CSV */
    int quiet;            /* only the final test line on stdout */
    int help;
} NetrtOptions;

int netrt_cli_parse(const NetrtModel *model, int argc, char **argv, NetrtOptions *opt,
                    NetrtErr *err);
void netrt_cli_help(const NetrtModel *model, const char *argv0, FILE *out);

#endif
