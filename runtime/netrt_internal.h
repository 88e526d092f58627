/* netrt_internal.h: what the runtime's own files share, and what its tests call directly.
 * Generated code never includes this; it sees only netrt.h.
 *
 * Sections follow the file that defines them: err.c, idx.c, rng.c, data.c, cli.c.
 * Functions that can fail return 0 on success and -1 on failure, with the reason in a NetrtErr. */
#ifndef NETRT_INTERNAL_H
#define NETRT_INTERNAL_H

#include <stdio.h>
#include <zlib.h>

#include "netrt.h"
#include "outfile.h"

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
/* "netrt: msg" and, when there is one, "netrt: hint: hint", on stderr; under MPI with more
 * than one rank, "netrt[rank R]: …", so that the rank that failed is named. */
void netrt_err_print(const NetrtErr *err);
/* The rank netrt_err_print names; -1 (the default): none, a single process. */
void netrt_err_set_rank(int rank);

/* ---- the communicator: the processes of a data-parallel run (mpi.c) ------------------------- */

/* What the training loop needs of its fellow processes, and no more. netrt_main runs alone
 * (netrt_comm_single: rank 0 of 1, every operation a no-op); netrt_main_mpi (mpi.c, in
 * libnetrt_mpi) runs one rank of MPI_COMM_WORLD. Every rank calls the collective operations
 * (sum, gather) in the same order with the same sizes: the driver's decisions that lead to one
 * are taken on values already reduced, so they are the same on every rank. */
typedef struct NetrtComm NetrtComm;
struct NetrtComm {
    int rank, size;
    int local_size; /* ranks on this machine (set by open; 0 or 1: this one alone) */
    /* After OpenBLAS's set-up (which may run the program again) and before anything else. */
    int (*open)(NetrtComm *c, NetrtErr *err);
    /* values[0..n) ← their sum over the ranks, on every rank; dtype F32: float, F64: double. */
    void (*sum)(NetrtComm *c, void *values, size_t n, NetrtDtype dtype);
    /* all[r·bytes ..] ← rank r's `mine`, for every rank r, on every rank. */
    void (*gather)(NetrtComm *c, const void *mine, void *all, size_t bytes);
    /* The gradients' sums of the run so far, for the summary: seconds spent in them, how many,
     * bytes summed (one rank's buffer). */
    double sum_seconds;
    long sums;
    double sum_bytes;
};

/* Parse, load, train, report as netrt_main does, with comm's ranks. The exit status; *collective
 * is 1 when every rank reached the same status together (a failure at start-up that they agreed
 * on, divergence, an interrupt), 0 when this rank failed alone (its fellows may be waiting in a
 * sum: the caller must abort the job). */
int netrt_run(const NetrtModel *model, int argc, char **argv, NetrtComm *comm, int *collective);

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
/* An images file alone (--predict --input): labels stays NULL. */
int netrt_idx_read_images(const char *path, NetrtIdx *out, NetrtErr *err);

/* After gzread (zlib) failed or found the end of f, opened from path: 0 when the stream is
 * intact, else -1 with err saying what zlib found ("path: truncated gzip file…", "corrupt gzip
 * file…", then `where`, e.g. ", noticed at line 12", or ""), or a read error. A truncated
 * or damaged gzip stream often looks like a plain end of file to gzread: only this tells. */
int netrt_gz_error(gzFile f, const char *path, const char *where, NetrtErr *err);

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

/* ---- csv.c, function.c: samples as rows of floats (CSV files, y = f(x)) ------------------- */

/* n samples of x_size inputs and y_size target values, row-major: sample i is x[i·x_size …]
 * and y[i·y_size …]. For classification y_size is 1 and y[i] is the class, a whole number
 * (exact in a float below 2^24). */
typedef struct {
    float *x, *y;
    int n, x_size, y_size;
} NetrtRows;

/* Read a CSV file of numbers, one sample a row, as model->data says (csv_header, csv_target):
 * the target column is y, every other column, in order, is x, and there must be
 * model->in_size of them. Regression takes one target column (model->out_size must be 1);
 * classification takes a class in [0, model->out_size). Comma separated; blank lines, CRLF and
 * spaces around a cell accepted; gzip-compressed files read as well. Errors name
 * path:line:col. On failure nothing is left allocated. */
int netrt_csv_read(const char *path, const NetrtModel *model, NetrtRows *out, NetrtErr *err);
void netrt_rows_free(NetrtRows *rows);

/* fn->n samples of y = f(x), one input and one target: x = lo + (hi - lo)·i/(n - 1) with
 * fn->linspace, else x ~ U(lo, hi) drawn from rng, one draw a point in order. x is rounded to a
 * float before f sees it, so that y is f of exactly the x the model gets. A y that is not finite
 * or does not fit a float fails, naming x. On failure nothing is left allocated. */
int netrt_function_rows(const NetrtFunction *fn, NetrtRng *rng, NetrtRows *out, NetrtErr *err);

/* ---- data.c: locating datasets, splits, normalization, batch assembly ---------------------- */

/* A run of n samples in memory, of one of two kinds:
 *  - images (pixels set): sample i is pixels[i·size …], bytes mapped through a NetrtPixelMap,
 *    its class labels[i];
 *  - rows (x set): sample i is x[i·size …], floats used as they are (already normalized), its
 *    target y[i·y_size …]: the regression targets, or the class (y_size 1). */
typedef struct {
    const uint8_t *pixels, *labels;
    int n, size;
    const float *x, *y;
    int y_size;
} NetrtSplit;

/* The four files of a dataset; test_images/test_labels are "" when there is no test set. */
typedef struct {
    char train_images[NETRT_PATH_MAX], train_labels[NETRT_PATH_MAX];
    char test_images[NETRT_PATH_MAX], test_labels[NETRT_PATH_MAX];
    char where[NETRT_PATH_MAX]; /* the directory they came from, or the images file for IDX */
} NetrtDataFiles;

typedef struct {
    const char *name;        /* "fashion-mnist", "mnist", "idx", "csv", "function" */
    NetrtDataFiles files;    /* CSV: where is the file; function: where is "uniform(lo, hi)" or
                                "linspace(lo, hi)"; the other names stay "" */
    NetrtIdx train_file;     /* the training file, valid samples included */
    NetrtIdx test_file;      /* n == 0 when there is no test set */
    NetrtRows rows;          /* CSV and function: every sample, shuffled, then normalized */
    NetrtSplit train, valid, test; /* views: images: train is the head of train_file, valid its
                                      tail; rows: train, valid and test follow each other */
    double mean, std;        /* input = (pixel/255 - mean) / std; 0 and 1 without normalization */
    int stats_computed;      /* mean and std were measured on the training split */
    double *x_mean, *x_std;  /* rows with normalize: each input column's mean and std on the
                                training split (std 0: a constant column, only centred); else NULL */
} NetrtDataset;

/* Pixel value → input value: (v/255 - mean)/std = v·scale + offset, one multiply-add per pixel,
 * which the compiler vectorizes (a table look-up per pixel it would not). */
typedef struct {
    double scale, offset;
} NetrtPixelMap;

/* Find the files of data->kind: data_dir only when given, else $NETC_DATA_DIR/<name>, then the
 * standard places. For NETRT_DATA_IDX, relative paths are taken under data_dir when given. */
int netrt_data_locate(const NetrtData *data, const char *data_dir, NetrtDataFiles *files,
                      NetrtErr *err);
/* Locate and read the data of model, hold out the last `valid` training samples (a count, or a
 * fraction below 1 of the training file), and settle the
 * normalization (computing mean and std over the training split when model->data.std == 0).
 * CSV and function data: read (CSV paths relative to data_dir when given) or sampled, shuffled
 * once, then cut into train, valid (`valid`) and test (model->data.test), in that order, each
 * part a count or a fraction below 1 of all samples; with normalize, each input column
 * standardized by its mean and std on the training split. Every draw comes from one stream
 * seeded from `seed` (the x of uniform points first, then the shuffle). */
int netrt_data_load(const NetrtModel *model, const char *data_dir, double valid, uint64_t seed,
                    NetrtDataset *ds, NetrtErr *err);
void netrt_data_free(NetrtDataset *ds);
/* The data file of ds that path is (the same file, by device and inode, whatever the name
 * path gives it), or NULL: an output file must not overwrite the data it was trained on. */
const char *netrt_data_input_file(const NetrtDataset *ds, const char *path);

/* Mean and (population) standard deviation of split's pixels scaled to [0, 1]. */
void netrt_pixel_stats(const NetrtSplit *split, double *mean, double *std);
void netrt_pixel_map(NetrtPixelMap *map, double mean, double std);
/* Standardize rows->x column by column: x ← (x - mean) / std, mean and (population) std of the
 * column over its first n_train rows, applied to all rows; a column with one value throughout
 * (std 0) is only centred. mean and std (x_size each, the caller's) receive what was measured. */
void netrt_rows_standardize(NetrtRows *rows, int n_train, double *mean, double *std);
/* One random change of an image: what netrt_augment_draw drew. */
typedef struct {
    int flip;
    double angle; /* degrees */
    int dx, dy;
} NetrtTransform;

/* Random changes of training images, drawn from their own stream, for a batch's rows in order,
 * then made in an image-sized scratch buffer per thread as each sample is copied into its
 * batch: the dataset is never copied. */
typedef struct {
    const NetrtAugment *settings;
    NetrtRng rng;
    uint8_t *scratch;     /* NETRT_MAX_THREADS images of in_c·in_h·in_w bytes */
    NetrtTransform *draw; /* batch_max of them */
} NetrtAugmenter;

/* Samples idx[0..B-1] of split into model->input (as model->dtype) and, by model->task, into
 * model->labels or model->targets (as model->dtype). map is used for images only; so is aug,
 * which may be NULL (no augmentation: evaluation, or none asked for). */
void netrt_batch_fill(const NetrtModel *model, const NetrtPixelMap *map, const NetrtSplit *split,
                      const int32_t *idx, int B, NetrtAugmenter *aug);

/* ---- augment.c: random flips, rotations and shifts of training images --------------------- */

/* 1 when aug changes anything: a flip, or a rotation or shift range above 0. */
int netrt_augment_is_on(const NetrtAugment *aug);
/* dst (c·h·w bytes, the caller's) = src (uint8, c×h×w) under one random transform of aug, the
 * same for every channel. Draws, in this order and only for what is on: the flip (1/2), the angle
 * U(-rotate, rotate) degrees, dx and dy uniform in [-round(shift·w), round(shift·w)] and
 * [-round(shift·h), round(shift·h)] (none when that bound is 0). */
void netrt_augment_image(const NetrtAugment *aug, NetrtRng *rng, const uint8_t *src,
                         uint8_t *dst, int c, int h, int w);
/* Its two halves: the draws (for an image h×w) and the transform they give. */
void netrt_augment_draw(const NetrtAugment *aug, NetrtRng *rng, int h, int w, NetrtTransform *t);
/* count draws of aug's stream passed over: the rows of a batch another rank takes (driver.c). */
void netrt_augment_skip(NetrtAugmenter *aug, int h, int w, int count);
/* The transform itself, as netrt_augment_image applies it after drawing: mirror left-right when
 * flip, rotate by angle_deg (counter-clockwise on screen) about the centre, move by (dx, dy)
 * pixels (right, down); one resampling, bilinear unless angle_deg is 0; outside pixels are 0. */
void netrt_augment_apply(const uint8_t *src, uint8_t *dst, int c, int h, int w, int flip,
                         double angle_deg, int dx, int dy);

/* ---- png.c: a parameter tensor as a PNG of gray tiles (--weights-png) ---------------------- */

/* Write param (its value, dtype) to path as an 8-bit grayscale PNG: its values cut into tiles of
 * tile_h×tile_w (param->size must be a multiple), at most max_tiles of them (all when ≤ 0), in a
 * near-square grid with separators, each tile scaled to its own min..max → 0..255 and enlarged by
 * an integer factor to at least 56 pixels. Written to path.tmp, then renamed over path. */
int netrt_weights_png(const char *path, const NetrtParam *param, NetrtDtype dtype, int tile_h,
                      int tile_w, int max_tiles, NetrtErr *err);

/* ---- plot.c: the curves of a run, drawn by gnuplot (--plot) -------------------------------- */

/* One point of the curves: after an epoch (the splits evaluated then), or, with --log-every, the
 * training split over the last N steps. NAN: no value. */
typedef struct {
    double x;         /* epochs done: the epoch's number, or steps / steps per epoch */
    double loss[3];   /* train, valid, test */
    double metric[3]; /* accuracy (a fraction), or the MSE for regression */
} NetrtPlotPoint;

typedef struct {
    const char *title;                          /* the page's title */
    int regress;                                /* the metric is the MSE, not the accuracy */
    const NetrtPlotPoint *epochs; int n_epochs; /* one point per epoch */
    const NetrtPlotPoint *steps; int n_steps;   /* --log-every's points, or none */
    int log_every;
    /* a regression on y = f(x): the model and f on n_grid points of the interval (none: no
     * third panel) */
    const char *expr;
    const double *grid_x, *grid_true, *grid_model; int n_grid;
} NetrtPlot;

/* Find gnuplot on PATH: 0 with its path, or -1 when there is none. */
int netrt_gnuplot(char *path, size_t size);
/* Draw plot into path (PNG) with gnuplot, through outfile.h: the file is replaced only by a
 * complete PNG. 0, or -1 with err: gnuplot missing (the hint names Debian's package), failing
 * (its first message quoted), or the file not writable. */
int netrt_plot_write(const char *path, const NetrtPlot *plot, NetrtErr *err);

/* ---- schedule.c: the learning rate over the run, as torch.optim.lr_scheduler -------------- */

/* The learning rate at time t: the number of finished epochs, or of finished optimizer steps
 * when s->per_step (ONE_CYCLE always counts steps). total is the run's length in the same unit:
 * ONE_CYCLE needs it (the run's total number of steps), COSINE takes it for a t_max of 0. */
double netrt_schedule_lr(const NetrtSchedule *s, double base_lr, long t, long total);
/* The momentum at time t: what the optimizer says, or OneCycleLR's cycled one (per step). */
double netrt_schedule_momentum(const NetrtSchedule *s, double momentum, long t, long total);
/* Reject what the formulas cannot take (a STEP of every 0, milestones out of order, …). */
int netrt_schedule_check(const NetrtSchedule *s, NetrtErr *err);
const char *netrt_schedule_name(NetrtSchedKind kind); /* "step", "one_cycle", … */

/* ---- interrupt.c: Ctrl-C and SIGTERM ------------------------------------------------------- */

/* From now on SIGINT and SIGTERM only set a flag, which the training loop reads after each step;
 * a second one while the first is being handled ends the process at once (128 + its number). */
void netrt_interrupt_install(void);
/* The signal caught (SIGINT, SIGTERM), or 0. */
int netrt_interrupted(void);

/* ---- predict.c: --predict ----------------------------------------------------------------- */

/* The model's predictions for samples idx[0..split->n-1] of split, as CSV on out: a header, then
 * a row per sample: classification "index,label,predicted,p0,…" (probabilities by
 * model->output_kind), regression "index,target,predicted" (or target0…, predicted0… for more
 * than one output). truth 0: the labels or targets are unknown, their cells empty. 0, or -1
 * when out could not be written (err set). */
int netrt_predict(const NetrtModel *model, const NetrtPixelMap *map, const NetrtSplit *split,
                  const int32_t *idx, int truth, FILE *out, NetrtErr *err);

/* ---- driver.c: the parts of the training loop its tests call directly ---------------------- */

/* Regression: add Σ (output − target)² to *sum_sq and Σ |output − target| to *sum_abs, over
 * the B rows of out_size values in model->output and model->targets (as model->dtype). */
void netrt_regress_metrics(const NetrtModel *model, int B, double *sum_sq, double *sum_abs);

/* ---- blas.c: which OpenBLAS core (kernel set) runs ---------------------------------------- */

/* OpenBLAS picks its kernels by CPU model once, when it loads, and does not know recent CPUs
 * (a new Xeon gets Prescott's SSE3 kernels); only OPENBLAS_CORETYPE, read at load time,
 * overrides that. So netrt_blas_setup, first thing in netrt_main, compares what was loaded with
 * what the CPU can run and, when it can do better, runs the program again with
 * OPENBLAS_CORETYPE set, once, trusting the new core only after a GEMM self-test. */

/* What the CPU can run, from cpuid; AVX and AVX-512 flags are 1 only when the OS also saves
 * their registers (XCR0), as without that the instructions fault. */
typedef struct {
    int avx, fma, avx2, fma4;
    int avx512f, avx512dq, avx512cd, avx512bw, avx512vl, avx512_bf16, avx512_fp16;
} NetrtCpuFeatures;

void netrt_cpu_features(NetrtCpuFeatures *f); /* all 0 off x86 */

/* The CPU family the runtime is compiled for: on x86 netrt detects the CPU's extensions and
 * chooses kernels (netc's own, OpenBLAS's core); elsewhere there is nothing to detect and the
 * products run on OpenBLAS as it loaded. NETRT_ARCH names the family in messages. */
#if defined(__x86_64__) || defined(__i386__)
#define NETRT_X86 1
#else
#define NETRT_X86 0
#endif
#if defined(__x86_64__)
#define NETRT_ARCH "x86-64"
#elif defined(__i386__)
#define NETRT_ARCH "32-bit x86"
#elif defined(__aarch64__)
#define NETRT_ARCH "aarch64"
#elif defined(__arm__)
#define NETRT_ARCH "32-bit ARM"
#elif defined(__riscv)
#define NETRT_ARCH "RISC-V"
#elif defined(__powerpc64__)
#define NETRT_ARCH "POWER"
#elif defined(__s390x__)
#define NETRT_ARCH "s390x"
#else
#define NETRT_ARCH "a CPU other than x86"
#endif

/* Where the core in force comes from: the startup line's parentheses. */
typedef enum {
    NETRT_BLAS_DETECTED, /* OpenBLAS's own choice, kept                                   */
    NETRT_BLAS_UPGRADED, /* netrt re-ran the program with a better core: its self-test passed */
    NETRT_BLAS_PRESET,   /* OPENBLAS_CORETYPE was in the environment: never overridden     */
    NETRT_BLAS_USER,     /* --blas-core NAME                                              */
} NetrtBlasOrigin;

/* What netrt_blas_choose decides. */
typedef struct {
    NetrtBlasOrigin origin;
    char core[32];    /* the core to run: current_core when kept, else a core's proper name */
    int reexec;       /* 1: core is not the one loaded: run again with OPENBLAS_CORETYPE=core */
    char reason[512]; /* UPGRADED: "the CPU has AVX-512"; otherwise a note for the startup line,
                         or ""; after a failure, the error message */
    char remark[256]; /* "" or one more startup line: a preset core below the CPU, or beyond */
} NetrtBlasChoice;

/* The decision, a pure function of its arguments. current_core: openblas_get_corename();
 * preset: OPENBLAS_CORETYPE when someone else set it (NULL or "": not set); user: --blas-core
 * (NULL or "auto": not given). In order: a user's core is taken as named (case does not matter)
 * if netrt knows it and the CPU has its instructions (the level's, and BF16, FP16 or FMA4 for
 * the cores built for them); a preset is kept, with a remark; else a core below
 * the CPU is replaced by SkylakeX (avx512f, cd, bw, dq and vl) or else Haswell (avx2 and fma),
 * chosen by features only, never by vendor or model; a core netrt does not know is kept.
 * Returns 0, or -1 for a --blas-core that cannot be honoured, with the message in reason. */
int netrt_blas_choose(const NetrtCpuFeatures *f, const char *current_core, const char *preset,
                      const char *user, NetrtBlasChoice *out);

/* The startup line's account of a choice kept as it is (no run again): "preset by
 * OPENBLAS_CORETYPE", "--blas-core" or "detected", then the reason if any; a preset OpenBLAS
 * does not have gives the reason alone, since OpenBLAS chose its core itself. */
void netrt_blas_detail(const NetrtBlasChoice *c, char *buf, size_t size);

/* Row-major GEMMs, C = alpha·op(A)·op(B) + beta·C, op by 'N' or 'T': what the self-test calls. */
typedef struct {
    void (*sgemm)(char trans_a, char trans_b, int m, int n, int k, float alpha, const float *a,
                  int lda, const float *b, int ldb, float beta, float *c, int ldc);
    void (*dgemm)(char trans_a, char trans_b, int m, int n, int k, double alpha, const double *a,
                  int lda, const double *b, int ldb, double beta, double *c, int ldc);
} NetrtGemm;

/* Check gemm (NULL: OpenBLAS's cblas_sgemm and cblas_dgemm, with the core loaded now) against
 * a triple loop in double on the shapes and transpositions generated trainers use, odd sizes,
 * wider leading dimensions and beta 0 and 1. Returns 0, or -1 with the first wrong case in why. */
int netrt_blas_selftest(const NetrtGemm *gemm, char *why, size_t size);

/* The value of the last --blas-core X or --blas-core=X in argv, or NULL. */
const char *netrt_blas_core_arg(int argc, char **argv);

/* What the startup block says about BLAS. */
typedef struct {
    NetrtBlasOrigin origin;
    char core[32];     /* openblas_get_corename()                                           */
    char detail[640];  /* "upgraded from Prescott: the CPU has AVX-512", "detected", …       */
    char remark[256];  /* "" or a line of advice                                             */
} NetrtBlasStatus;

/* Settle the core before anything calls BLAS: may run the program again (execve of
 * /proc/self/exe with the same argv, which must end with a NULL, as main's does) and so not
 * return. blas_core_option: --blas-core's value when the caller has it; NULL: found in argv.
 * Returns 0 with status filled, or -1 (a --blas-core that cannot be honoured, or a failed
 * self-test that could not be left) with err set. */
int netrt_blas_setup(int argc, char **argv, const char *blas_core_option,
                     NetrtBlasStatus *status, NetrtErr *err);

/* ---- threads.c: the threads of products and passes ------------------------------------------ */

/* Work cut into `units`; run(job, u, t) does unit u on thread t (netrt_thread(): 0 for the
 * trainer's, 1.. for workers). A job is the first member of a larger struct that run() casts it
 * back to. */
typedef struct NetrtJob NetrtJob;
struct NetrtJob {
    void (*run)(const NetrtJob *job, int u, int t);
    int units;
};

/* Run every unit of job on at most `threads` threads (and netrt_threads()), this one among
 * them; returns when all are done. One thread starts jobs: the trainer's. Jobs of one unit or of
 * more than 65535, and jobs started by a unit of another job, run here alone. */
void netrt_run_job(const NetrtJob *job, int threads);
/* The threads of jobs and of netrt_parallel (clamped to 1..NETRT_MAX_THREADS); 1 at start.
 * netrt_threads() is 1 inside a unit of a job, whose own jobs run on its thread alone, and
 * fewer than set while other processes keep the cores busy (threads.c, "A busy machine"). */
void netrt_set_threads(int threads);
int netrt_threads(void);
/* The CPUs this process may run on. */
int netrt_cpus_available(void);
/* seconds[n]: the wall time the jobs have run on n threads since the start; fewer than set
 * while other processes kept the cores busy (threads.c, "A busy machine"). */
void netrt_busy_seconds(double seconds[NETRT_MAX_THREADS + 1]);
/* For measurements of the products alone (bench/gemm_libs.c): 0 keeps the threads as set, on
 * a busy machine too; 1 (the default) adapts them. */
void netrt_adapt_threads(int on);

/* ---- gemm.c: the single-precision products -------------------------------------------------- */

/* Who computes netrt_sgemm: OpenBLAS, or one of netc's kernels (x86-64 only). */
typedef enum { NETRT_GEMM_OPENBLAS, NETRT_GEMM_AVX512, NETRT_GEMM_AVX2 } NetrtGemmKernel;

/* What the startup block says about the products. */
typedef struct {
    int own;                /* 1: one of netc's kernels; 0: OpenBLAS                          */
    NetrtGemmKernel kernel;
    int threads;            /* the kernel's threads                                           */
    char detail[256];       /* "netc's AVX2 kernel, 2 threads (the CPU has AVX2 and FMA, …)"  */
} NetrtGemmStatus;

/* Choose who computes netrt_sgemm: choice "auto" (or NULL): netc's AVX-512 kernel where the CPU
 * and its OS offer AVX-512, else its AVX2 kernel where they offer AVX2 and FMA, else OpenBLAS;
 * "avx512", "avx2" (each refused, naming what is missing, where it cannot run), "openblas", or
 * "netc": the kernel auto takes, refused when that is OpenBLAS. threads: the kernel's threads,
 * 0 for the CPUs available. Returns 0, or -1 with err set. */
int netrt_gemm_setup(const char *choice, int threads, NetrtGemmStatus *st, NetrtErr *err);

/* 1 if kernel runs on a CPU (and OS) with features f (OpenBLAS always does); else 0, with why
 * it cannot, naming what is missing. */
int netrt_gemm_runs(const NetrtCpuFeatures *f, NetrtGemmKernel kernel, char *why, size_t size);
/* netrt_gemm_setup's decision, a pure function of f and choice: 0 with the kernel and the
 * reason for the startup line ("--gemm avx2", "the CPU has AVX2 and FMA, not AVX-512; …"), or
 * -1 with the error message. */
int netrt_gemm_choose(const NetrtCpuFeatures *f, const char *choice, NetrtGemmKernel *kernel,
                      char *msg, size_t size);
/* netrt_gemm_runs on this CPU. */
int netrt_gemm_available(NetrtGemmKernel kernel, char *why, size_t size);
/* What auto takes: the first of AVX-512, AVX2 and OpenBLAS that is available. */
NetrtGemmKernel netrt_gemm_best(void);
/* Its --gemm name: "avx512", "avx2" or "openblas". */
const char *netrt_gemm_name(NetrtGemmKernel kernel);

/* For tests and benches: kernel computes netrt_sgemm with this many threads (the passes' too;
 * OpenBLAS: the passes on one thread). Returns 0, or -1 (nothing changed) where it cannot run. */
int netrt_gemm_use(NetrtGemmKernel kernel, int threads);

/* ---- cli.c: the command line ----------------------------------------------------------------- */

/* The settings in force: the model's compiled-in values, overridden by the command line. */
typedef struct {
    NetrtTrain train;
    double valid;         /* held out for validation: a count, or a fraction below 1 */
    const char *data_dir; /* NULL: the standard places */
    int threads;          /* 0: the CPUs available (OpenBLAS's own choice) */
    const char *csv;      /* NULL: no CSV */
    const char *weights_png; /* NULL: no picture of the first layer's weights */
    const char *save;        /* --save: the parameters after training, as safetensors */
    const char *init_from;   /* --init-from: start from these parameters (safetensors) */
    const char *eval;        /* --eval: evaluate these parameters, no training */
    const char *checkpoint;  /* --checkpoint: the whole run's state, every epoch */
    const char *resume;      /* --resume: go on from this checkpoint */
    const char *predict;     /* --predict: these parameters' predictions, as CSV on stdout */
    const char *input;       /* --input: --predict's samples (IDX images or CSV); NULL: test */
    const char *blas_core;   /* --blas-core: NULL for auto (blas.c acts on it before parsing) */
    const char *gemm;        /* --gemm auto|avx512|avx2|openblas|netc; NULL: auto */
    int quiet;            /* only the final test line on stdout */
    int help;
    /* issue 17 */
    const char *plot;     /* --plot: the curves as a PNG, drawn by gnuplot; NULL: none */
    int log_every;        /* --log-every N: a row of the training loss every N steps; 0: none */
    int augment;          /* the model's augmentation is used (1 by default where it has one) */
    int schedule;         /* the model's schedule is used; 0: a constant lr */
    int dry_run;          /* print the settings in force and exit */
} NetrtOptions;

int netrt_cli_parse(const NetrtModel *model, int argc, char **argv, NetrtOptions *opt,
                    NetrtErr *err);
void netrt_cli_help(const NetrtModel *model, const char *argv0, FILE *out);

/* Whether an output file given to option (--csv, --weights-png) can be made at path: not a
 * directory, in a directory where a file can be created (tried). Checked at start-up, so that a
 * bad path fails before training rather than after it. */
int netrt_check_output(const char *option, const char *path, NetrtErr *err);

/* ---- safetensors.c: tensors in a safetensors file ------------------------------------------- */

/* The element types netrt reads and writes: a model's float or double, and the int64 of a
 * buffer's counter (batchnorm's num_batches_tracked). */
typedef enum {
    NETRT_TENSOR_F32,
    NETRT_TENSOR_F64,
    NETRT_TENSOR_I64,
    NETRT_TENSOR_I32, /* a checkpoint's order of the training samples */
} NetrtTensorType;

/* A tensor as the file holds it: its name (PyTorch's: "0.weight"), element type, shape (rank 0:
 * a scalar, count 1, "shape": []) and values (count of them, row-major). */
typedef struct {
    const char *name;
    NetrtTensorType dtype;
    int rank;
    int shape[4];
    size_t count;
    void *data;
} NetrtTensor;

/* Write n tensors and the metadata (key, value, key, value, …, NULL) to path, atomically and
 * durably (outfile.h, fsync): a full disk or a kill leaves the old file. 0, or -1 with err. */
int netrt_safetensors_write(const char *path, const NetrtTensor *t, int n,
                            const char *const *metadata, NetrtErr *err);
/* Read the values of n tensors from path, each found by name with the same dtype and shape,
 * and nothing else in the file; any difference is refused naming the first tensor that differs,
 * before a value is read. 0, or -1 with err. */
int netrt_safetensors_read(const char *path, NetrtTensor *t, int n, NetrtErr *err);

/* A file's __metadata__: its first NETRT_META_MAX pairs, each cut to its buffer. */
#define NETRT_META_MAX 24
typedef struct {
    char key[NETRT_META_MAX][32];
    char value[NETRT_META_MAX][512];
    int n;
} NetrtMeta;
/* The value of key, or NULL. */
const char *netrt_meta_get(const NetrtMeta *meta, const char *key);

enum {
    NETRT_LOAD_HEADER = 1,      /* read and check the header, fill meta, read no tensor (t, n unused) */
    NETRT_LOAD_SKIP_EXTRAS = 2, /* tensors named "netc.…" (a checkpoint's) may be in the file
                                   besides the n asked for: --init-from and --eval of a checkpoint */
};
/* netrt_safetensors_read with flags (NETRT_LOAD_…), and the metadata into meta (may be NULL). */
int netrt_safetensors_load(const char *path, NetrtTensor *t, int n, int flags, NetrtMeta *meta,
                           NetrtErr *err);

#endif
