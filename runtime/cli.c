/* cli.c: the trainer's command line. One table lists every option: it drives the parsing, the
 * checks, "did you mean", and --help (which shows the values compiled in from the .net file). */
#define _POSIX_C_SOURCE 200809L /* mkstemp */

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netrt_internal.h"

/* What an option's value must be; also says the type of the NetrtOptions field it sets. */
typedef enum {
    OPT_COUNT,       /* int >= 1           */
    OPT_THREADS,     /* int in [1, NETRT_MAX_THREADS] */
    OPT_NONNEG_INT,  /* int >= 0           */
    OPT_BATCH,       /* int >= 0, or "full" for 0 */
    OPT_STEPS,       /* long >= 0          */
    OPT_SEED,        /* uint64_t           */
    OPT_POSITIVE,    /* double > 0, finite */
    OPT_NONNEG,      /* double >= 0        */
    OPT_FRACTION,    /* double in [0, 1)   */
    OPT_PART,        /* double: a fraction in [0, 1) or a whole count */
    OPT_STRING,      /* const char *       */
    OPT_FLAG,        /* int, set to 1; takes no value */
    OPT_SWITCH,      /* int: on (1) or off (0); the option alone is on */
    OPT_MONITOR,     /* NetrtMonitor: valid_loss or valid_acc */
} OptKind;

typedef struct {
    const char *name;
    const char *arg;    /* "N", "X", "DIR", …; NULL for a flag */
    OptKind kind;
    size_t offset;      /* of the field in NetrtOptions */
    const char *doc;
    const char *unset;  /* --help's text for a default of 0 or NULL (NULL: show the value) */
} OptSpec;

#define FIELD(f) offsetof(NetrtOptions, f)
#define NETRT_STR_(x) #x
#define NETRT_STR(x) NETRT_STR_(x)
static const OptSpec specs[] = {
    {"--epochs", "N", OPT_COUNT, FIELD(train.epochs), "passes over the training set",
     "no limit: --max-steps bounds the run"},
    {"--batch", "N|full", OPT_BATCH, FIELD(train.batch),
     "samples per training step; full (or 0): the whole training split", "full"},
    {"--max-steps", "N", OPT_STEPS, FIELD(train.max_steps),
     "stop after N optimizer steps; 0: no limit", "off"},
    {"--loss-below", "X", OPT_NONNEG, FIELD(train.loss_below),
     "stop after an epoch whose training loss is below X; 0: never", "off"},
    {"--patience", "N", OPT_NONNEG_INT, FIELD(train.patience),
     "stop when the valid metric has not improved for N epochs; 0: never", "off"},
    {"--lr", "X", OPT_POSITIVE, FIELD(train.lr), "learning rate", NULL},
    {"--momentum", "X", OPT_FRACTION, FIELD(train.momentum), "momentum, in [0, 1)", NULL},
    {"--weight-decay", "X", OPT_NONNEG, FIELD(train.weight_decay), "L2 penalty coefficient",
     NULL},
    {"--clip-value", "X", OPT_NONNEG, FIELD(train.clip_value),
     "clip every gradient value to [-X, X] before each step; 0: off", "off"},
    {"--clip-norm", "X", OPT_NONNEG, FIELD(train.clip_norm),
     "scale the gradients to a global L2 norm of at most X before each step; 0: off", "off"},
    {"--seed", "N", OPT_SEED, FIELD(train.seed), "seed of initialisation and shuffling", NULL},
    {"--data-dir", "DIR", OPT_STRING, FIELD(data_dir), "look for the data files only in DIR",
     NULL},
    {"--valid", "N|F", OPT_PART, FIELD(valid),
     "training samples held out for validation: a count, or a fraction below 1", NULL},
    {"--threads", "N", OPT_THREADS, FIELD(threads),
     "threads of the products (GEMMs) and passes, 1 to " NETRT_STR(NETRT_MAX_THREADS),
     "the CPUs available, at most " NETRT_STR(NETRT_MAX_THREADS)},
    {"--gemm", "KERNEL", OPT_STRING, FIELD(gemm),
     "who computes the products: auto (netc's best kernel for this CPU, else OpenBLAS), avx512, "
     "avx2, openblas, or netc (netc's best kernel, refused where none runs)", "auto"},
    {"--blas-core", "NAME", OPT_STRING, FIELD(blas_core),
     "OpenBLAS kernels: auto (the best this CPU runs) or a core, e.g. Haswell", "auto"},
    {"--csv", "FILE", OPT_STRING, FIELD(csv), "write the metrics of every epoch to FILE", "none"},
    {"--weights-png", "FILE", OPT_STRING, FIELD(weights_png),
     "after training, draw the first layer's weights into FILE (PNG)", "none"},
    {"--save", "FILE", OPT_STRING, FIELD(save),
     "after training, write the parameters to FILE (safetensors, with the names of the same "
     "torch.nn.Sequential's state_dict)", "none"},
    {"--init-from", "FILE", OPT_STRING, FIELD(init_from),
     "start from the parameters in FILE (safetensors) instead of initializing them", "none"},
    {"--eval", "FILE", OPT_STRING, FIELD(eval),
     "evaluate the parameters in FILE (safetensors) on the test split, and exit: no training",
     "none"},
    {"--checkpoint", "FILE", OPT_STRING, FIELD(checkpoint),
     "after every epoch (and on Ctrl-C or SIGTERM), write all a run needs to go on to FILE", "none"},
    {"--resume", "FILE", OPT_STRING, FIELD(resume),
     "go on from the checkpoint in FILE; --epochs counts from the start of the run", "none"},
    {"--predict", "FILE", OPT_STRING, FIELD(predict),
     "write the predictions of the parameters in FILE for the test split (or --input) as CSV "
     "to standard output, and exit", "none"},
    {"--input", "FILE", OPT_STRING, FIELD(input),
     "with --predict: the samples of this IDX images file or CSV file instead", "the test split"},
    /* the curves, the per-step log, the dry run and the overrides of the stopping rules,
     * augmentation and schedule (issue 17); checked together by check_run_options */
    {"--plot", "FILE", OPT_STRING, FIELD(plot),
     "after training, draw the loss and accuracy (or MSE) curves into FILE (PNG, by gnuplot)",
     "none"},
    {"--log-every", "N", OPT_NONNEG_INT, FIELD(log_every),
     "also log the training loss of every N steps (--csv rows, --plot points); 0: per epoch",
     "off"},
    {"--keep-best", "[on|off]", OPT_SWITCH, FIELD(train.keep_best),
     "at the end, restore the parameters of the epoch with the best valid metric", NULL},
    {"--monitor", "valid_loss|valid_acc", OPT_MONITOR, FIELD(train.monitor),
     "what --patience and --keep-best watch", NULL},
    {"--augment", "on|off", OPT_SWITCH, FIELD(augment),
     "the file's augmentation of training images on or off", NULL},
    {"--schedule", "on|off", OPT_SWITCH, FIELD(schedule),
     "the file's learning-rate schedule on or off (off: a constant lr)", NULL},
    {"--dry-run", NULL, OPT_FLAG, FIELD(dry_run),
     "print the settings in force and exit: no data read, nothing trained", NULL},
    {"--quiet", NULL, OPT_FLAG, FIELD(quiet), "print only the final test line", NULL},
    {"--help", NULL, OPT_FLAG, FIELD(help), "show this help and exit", NULL},
};
#define N_SPECS (int)(sizeof specs / sizeof specs[0])

/* The index in specs of the option that sets the field at offset. */
static int spec_index(size_t offset)
{
    for (int i = 0; i < N_SPECS; i++)
        if (specs[i].offset == offset)
            return i;
    return 0;
}

/* Optimal string alignment distance: edits, insertions, deletions, adjacent transpositions. */
static int edit_distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    int d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

static int unknown_option(const char *argv0, const char *arg, size_t len, NetrtErr *err)
{
    int best = -1, best_dist = 3, ties = 0;
    for (int i = 0; i < N_SPECS; i++) {
        int dist = edit_distance(arg, len, specs[i].name);
        if (dist < best_dist) {
            best = i;
            best_dist = dist;
            ties = 0;
        } else if (dist == best_dist) {
            ties++;
        }
    }
    if (best >= 0 && !ties)
        return netrt_err(err, "unknown option '%.*s'; did you mean '%s'?", (int)len, arg,
                         specs[best].name);
    netrt_err(err, "unknown option '%.*s'", (int)len, arg);
    netrt_err_hint(err, "'%s --help' lists every option", argv0);
    return -1;
}

/* Whether text is written as a plain decimal number: digits, with a sign, a point and an
 * exponent where `real`. strtol and strtod also take leading spaces (so " -1" slipped past a
 * check of text[0] and wrapped to 2^64 - 1 as a seed), hex, "nan" and "inf"; none of them is
 * a value a user means to give here, so they are refused before strtol or strtod sees them. */
static int is_plain_number(const char *text, int real)
{
    const char *p = text + (*text == '-' || *text == '+');
    if (!(*p >= '0' && *p <= '9') && !(real && *p == '.'))
        return 0;
    return strspn(p, real ? "0123456789.eE+-" : "0123456789") == strlen(p);
}

/* Check text against spec and store it in the options. */
static int set_value(const OptSpec *spec, const char *text, NetrtOptions *opt, NetrtErr *err)
{
    void *field = (char *)opt + spec->offset;
    char *end;
    errno = 0;
    switch (spec->kind) {
    case OPT_COUNT:
    case OPT_THREADS:
    case OPT_NONNEG_INT: {
        long v = is_plain_number(text, 0) ? strtol(text, &end, 10) : 0;
        if (!is_plain_number(text, 0) || *end)
            return netrt_err(err, "%s: '%s' is not a whole number", spec->name, text);
        long min = spec->kind == OPT_NONNEG_INT ? 0 : 1;
        long max = spec->kind == OPT_THREADS ? NETRT_MAX_THREADS : INT_MAX;
        if (errno == ERANGE || v < min || v > max)
            return netrt_err(err, "%s: must be a whole number from %ld to %ld, got %s", spec->name,
                             min, max, text);
        *(int *)field = (int)v;
        return 0;
    }
    case OPT_BATCH: {
        if (!strcmp(text, "full")) {
            *(int *)field = 0;
            return 0;
        }
        long v = is_plain_number(text, 0) ? strtol(text, &end, 10) : -1;
        if (v < 0 || *end || errno == ERANGE || v > INT_MAX)
            return netrt_err(err, "%s: must be a whole number from 1 to %d, or 'full' (also 0) "
                             "for the whole training split, got %s", spec->name, INT_MAX, text);
        *(int *)field = (int)v;
        return 0;
    }
    case OPT_STEPS: {
        long v = is_plain_number(text, 0) ? strtol(text, &end, 10) : 0;
        if (!is_plain_number(text, 0) || *end)
            return netrt_err(err, "%s: '%s' is not a whole number", spec->name, text);
        if (errno == ERANGE || v < 0)
            return netrt_err(err, "%s: must be a whole number from 0 to %ld, got %s", spec->name,
                             LONG_MAX, text);
        *(long *)field = v;
        return 0;
    }
    case OPT_SEED: {
        /* digits only: strtoull would quietly wrap "-1" (and " -1") around to 2^64 - 1 */
        int digits = text[0] >= '0' && text[0] <= '9' && is_plain_number(text, 0);
        unsigned long long v = digits ? strtoull(text, &end, 10) : 0;
        if (!digits || *end || errno == ERANGE)
            return netrt_err(err, "%s: '%s' is not a whole number from 0 to 2^64 - 1", spec->name,
                             text);
        *(uint64_t *)field = v;
        return 0;
    }
    case OPT_POSITIVE:
    case OPT_NONNEG:
    case OPT_FRACTION:
    case OPT_PART: {
        double v = is_plain_number(text, 1) ? strtod(text, &end) : 0;
        if (!is_plain_number(text, 1) || *end)
            return netrt_err(err, "%s: '%s' is not a number", spec->name, text);
        /* overflow, or an underflow that lost the value: either way not what was written */
        if (!isfinite(v) || errno == ERANGE)
            return netrt_err(err, "%s: '%s' is out of range", spec->name, text);
        if (spec->kind == OPT_POSITIVE && v <= 0)
            return netrt_err(err, "%s: must be positive, got %s", spec->name, text);
        if (spec->kind == OPT_NONNEG && v < 0)
            return netrt_err(err, "%s: must not be negative, got %s", spec->name, text);
        if (spec->kind == OPT_FRACTION && (v < 0 || v >= 1))
            return netrt_err(err, "%s: must be in [0, 1), got %s", spec->name, text);
        if (spec->kind == OPT_PART && (v < 0 || (v >= 1 && v != floor(v)) || v > INT_MAX))
            return netrt_err(err, "%s: must be a fraction in [0, 1) or a whole count, got %s",
                             spec->name, text);
        *(double *)field = v + 0.0; /* -0 is 0 */
        return 0;
    }
    case OPT_STRING:
        if (!text[0])
            return netrt_err(err, "%s: empty value", spec->name);
        *(const char **)field = text;
        return 0;
    case OPT_FLAG:
        *(int *)field = 1;
        return 0;
    case OPT_SWITCH:
        if (strcmp(text, "on") && strcmp(text, "off"))
            return netrt_err(err, "%s: must be on or off, got '%s'", spec->name, text);
        *(int *)field = !strcmp(text, "on");
        return 0;
    case OPT_MONITOR:
        if (!strcmp(text, "valid_loss"))
            *(NetrtMonitor *)field = NETRT_MONITOR_VALID_LOSS;
        else if (!strcmp(text, "valid_acc"))
            *(NetrtMonitor *)field = NETRT_MONITOR_VALID_ACC;
        else
            return netrt_err(err, "%s: must be valid_loss or valid_acc, got '%s'", spec->name,
                             text);
        return 0;
    }
    return 0;
}

/* --momentum must mean something to this trainer: its optimizer must have a momentum (SGD and
 * RMSprop; Adagrad, Adam and AdamW have none), Nesterov's needs one above 0, and a one_cycle
 * schedule that cycles the momentum sets it at every step. */
static int check_momentum(const NetrtModel *model, const NetrtOptions *opt, NetrtErr *err)
{
    static const char *const without[] = {"adagrad", "adam", "adamw"};
    const char *name = model->optimizer ? model->optimizer : "sgd";
    for (size_t i = 0; i < sizeof without / sizeof without[0]; i++)
        if (!strcmp(name, without[i])) {
            netrt_err(err, "--momentum: this trainer's optimizer is %s, which has no momentum",
                      name);
            netrt_err_hint(err, "momentum is a setting of sgd, momentum, nesterov and rmsprop");
            return -1;
        }
    if (!strcmp(name, "nesterov") && opt->train.momentum == 0)
        return netrt_err(err, "--momentum: this trainer's optimizer is nesterov, which needs a "
                         "momentum above 0");
    const NetrtSchedule *s = &opt->train.schedule;
    if (s->kind == NETRT_SCHED_ONE_CYCLE && s->cycle_momentum) {
        netrt_err(err, "--momentum: this trainer's one_cycle schedule sets the momentum at every "
                  "step (from %g down to %g and back), so --momentum would be ignored",
                  s->max_momentum > 0 ? s->max_momentum : 0.95,
                  s->base_momentum > 0 ? s->base_momentum : 0.85);
        netrt_err_hint(err, "set base_momentum and max_momentum in the schedule of %s",
                       model->source ? model->source : "the .net file");
        return -1;
    }
    return 0;
}

static void defaults(const NetrtModel *model, NetrtOptions *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->train = model->train;
    opt->valid = model->data.valid;
    opt->augment = netrt_augment_is_on(&model->data.augment);
    opt->plot = model->train.plot;
    opt->schedule = model->train.schedule.kind != NETRT_SCHED_CONSTANT;
}

/* The options of issue 17, each refused where it would not act, as --momentum is: an override
 * of something the model does not have, a monitor nothing watches, a per-step log nothing
 * writes. given[i]: specs[i] was on the command line. */
static int check_run_options(const NetrtModel *model, NetrtOptions *opt, const int *given,
                             NetrtErr *err)
{
    const char *source = model->source ? model->source : "the .net file";
    for (int i = 0; i < N_SPECS; i++) {
        if (!given[i])
            continue;
        size_t field = specs[i].offset;
        if (field == FIELD(augment) && !netrt_augment_is_on(&model->data.augment)) {
            netrt_err(err, "--augment: this trainer's model has no augmentation to turn on or off");
            netrt_err_hint(err, "augmentation (flip, rotate, shift) is set in the data block of %s",
                           source);
            return -1;
        }
        if (field == FIELD(schedule) && model->train.schedule.kind == NETRT_SCHED_CONSTANT) {
            netrt_err(err, "--schedule: this trainer's learning rate is constant: there is no "
                      "schedule to turn on or off");
            netrt_err_hint(err, "a schedule is set in the train block of %s", source);
            return -1;
        }
        if (field == FIELD(train.monitor) && !opt->train.patience && !opt->train.keep_best) {
            netrt_err(err, "--monitor: nothing watches it: neither early stopping (--patience) "
                      "nor --keep-best is on");
            return -1;
        }
        if (field == FIELD(plot) && opt->eval) {
            netrt_err(err, "--plot: --eval trains nothing, so there are no curves to draw");
            return -1;
        }
        if (field == FIELD(log_every) && opt->log_every && !opt->csv && !opt->plot) {
            netrt_err(err, "--log-every: the per-step rows go to --csv and --plot, and neither "
                      "is given");
            return -1;
        }
    }
    if (!opt->schedule)
        opt->train.schedule.kind = NETRT_SCHED_CONSTANT;
    /* a file with max_steps and no epochs compiles "no epoch limit": some limit must stay */
    if (opt->train.epochs == 0 && opt->train.max_steps == 0) {
        netrt_err(err, "--max-steps 0: this trainer's run is bounded by steps alone (max_steps "
                  "and no epochs in %s), so it would never end", source);
        netrt_err_hint(err, "give --epochs N as well, or a --max-steps above 0");
        return -1;
    }
    /* one clipping at a time, as the file allows: an option that would add one to the file's
     * other says how to replace it */
    int value_given = given[spec_index(FIELD(train.clip_value))];
    int norm_given = given[spec_index(FIELD(train.clip_norm))];
    const NetrtTrain *t = &opt->train;
    if (t->clip_value > 0 && t->clip_norm > 0) {
        if (value_given && norm_given)
            return netrt_err(err, "--clip-value and --clip-norm: clip by value or by norm, not "
                             "both");
        netrt_err(err, "%s %g: this trainer's model clips by %s already (%s = %g in %s): clip "
                  "by value or by norm, not both", value_given ? "--clip-value" : "--clip-norm",
                  value_given ? t->clip_value : t->clip_norm, value_given ? "norm" : "value",
                  value_given ? "clip_norm" : "clip_value",
                  value_given ? t->clip_norm : t->clip_value, source);
        netrt_err_hint(err, "add %s 0 to turn the file's clipping off",
                       value_given ? "--clip-norm" : "--clip-value");
        return -1;
    }
    if (given[spec_index(FIELD(train.monitor))] && model->task == NETRT_REGRESS &&
        opt->train.monitor == NETRT_MONITOR_VALID_ACC) {
        netrt_err(err, "--monitor: a regression model has no accuracy to watch");
        netrt_err_hint(err, "use --monitor valid_loss");
        return -1;
    }
    /* the picture may not replace another output */
    const char *outputs[][2] = {{"--csv", opt->csv}, {"--weights-png", opt->weights_png},
                                {"--save", opt->save}};
    for (int o = 0; o < 3 && opt->plot; o++)
        if (outputs[o][1] && (!strcmp(outputs[o][1], opt->plot) ||
                              netrt_same_file(outputs[o][1], opt->plot)))
            return netrt_err(err, "%s and --plot: both name %s; the picture would overwrite it",
                             outputs[o][0], opt->plot);
    return 0;
}

int netrt_cli_parse(const NetrtModel *model, int argc, char **argv, NetrtOptions *opt,
                    NetrtErr *err)
{
    defaults(model, opt);
    int momentum_given = 0, given[N_SPECS] = {0};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-') {
            netrt_err(err, "unexpected argument '%s'", arg);
            netrt_err_hint(err, "every setting is an option, e.g. --epochs 5; see '%s --help'",
                           argv[0]);
            return -1;
        }
        /* "--lr=0.1" and "--lr 0.1" alike */
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        const OptSpec *spec = NULL;
        for (int s = 0; s < N_SPECS; s++)
            if (strlen(specs[s].name) == len && !strncmp(arg, specs[s].name, len))
                spec = &specs[s];
        if (!spec)
            return unknown_option(argv[0], arg, len, err);
        const char *value = "";
        if (spec->kind == OPT_FLAG) {
            if (eq)
                return netrt_err(err, "%s: takes no value, got '%s'", spec->name, eq + 1);
        } else if (spec->kind == OPT_SWITCH && !eq) {
            /* "--keep-best" alone is on; "--keep-best off" takes the next word unless it is an
             * option (a word that is not one would be refused anyway: no argument is positional) */
            value = "on";
            if (i + 1 < argc && argv[i + 1][0] != '-')
                value = argv[++i];
        } else if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return netrt_err(err, "%s: missing value (%s)", spec->name, spec->arg);
        }
        if (set_value(spec, value, opt, err) < 0)
            return -1;
        momentum_given |= spec->offset == FIELD(train.momentum);
        given[spec - specs] = 1;
    }
    if (momentum_given && check_momentum(model, opt, err) < 0)
        return -1;
    /* one thing to do with a saved file at a time */
    const char *uses[][2] = {{"--init-from", opt->init_from}, {"--resume", opt->resume},
                             {"--eval", opt->eval}, {"--predict", opt->predict}};
    for (int a = 0; a < 4; a++)
        for (int b = a + 1; b < 4; b++)
            if (uses[a][1] && uses[b][1])
                return netrt_err(err, "%s and %s: give one of them", uses[a][0], uses[b][0]);
    if (opt->input && !opt->predict)
        return netrt_err(err, "--input: only --predict reads it (--predict FILE --input %s)",
                         opt->input);
    /* the checkpoint is rewritten every epoch: it may be the file resumed from, no other output */
    const char *outputs[][2] = {{"--save", opt->save}, {"--csv", opt->csv},
                                {"--weights-png", opt->weights_png}};
    for (int o = 0; o < 3 && opt->checkpoint; o++)
        if (outputs[o][1] && !strcmp(outputs[o][1], opt->checkpoint))
            return netrt_err(err, "--checkpoint and %s: both name %s; give each its own file",
                             outputs[o][0], opt->checkpoint);
    if (check_run_options(model, opt, given, err) < 0)
        return -1;
    if (opt->csv && opt->weights_png && !strcmp(opt->csv, opt->weights_png))
        return netrt_err(err, "--csv and --weights-png: both name %s; the picture would "
                         "overwrite the log", opt->csv);
    if (opt->train.batch > model->batch_max) {
        netrt_err(err, "--batch: %d is more than this trainer's buffers hold (%d)",
                  opt->train.batch, model->batch_max);
        netrt_err_hint(err, "regenerate the trainer with netc's --batch-max %d (or more)",
                       opt->train.batch);
        return -1;
    }
    return 0;
}

/* Where the data comes from, for --help. */
static void print_data(const NetrtData *data, FILE *out)
{
    switch (data->kind) {
    case NETRT_DATA_FASHION_MNIST:
        fprintf(out, "Data: Fashion-MNIST, from --data-dir if given, else "
                     "$NETC_DATA_DIR/fashion-mnist, else /usr/share/datasets/fashion-mnist.\n");
        break;
    case NETRT_DATA_MNIST:
        fprintf(out, "Data: MNIST, from --data-dir if given, else $NETC_DATA_DIR/mnist, else "
                     "${XDG_DATA_HOME:-$HOME/.local/share}/netc/mnist, else "
                     "/usr/local/share/netc/mnist.\n");
        break;
    case NETRT_DATA_IDX:
        fprintf(out, "Data: IDX files %s and %s,\n", data->images, data->labels);
        if (data->test_images && data->test_labels)
            fprintf(out, "      test set %s and %s;\n", data->test_images, data->test_labels);
        else
            fprintf(out, "      no test set;\n");
        fprintf(out, "      relative paths are taken under --data-dir if given.\n");
        break;
    case NETRT_DATA_CSV:
        fprintf(out, "Data: CSV file %s (relative to --data-dir if given).\n", data->csv);
        return;
    case NETRT_DATA_FUNCTION:
        fprintf(out, "Data: %d points of y = %s, x in [%g, %g].\n", data->function.n,
                data->function.expr ? data->function.expr : "f(x)", data->function.lo,
                data->function.hi);
        return;
    }
    if (data->normalize && data->std != 0)
        fprintf(out, "Inputs are pixel/255 normalized as (x - %g) / %g.\n", data->mean, data->std);
    else if (data->normalize)
        fprintf(out, "Inputs are pixel/255 normalized by the training split's mean and standard "
                     "deviation.\n");
    else
        fprintf(out, "Inputs are pixel/255.\n");
}

void netrt_cli_help(const NetrtModel *model, const char *argv0, FILE *out)
{
    NetrtOptions def;
    defaults(model, &def);
    fprintf(out, "usage: %s [options]\n\n", argv0);
    fprintf(out, "Trains model '%s' of %s, compiled by netc:\n  %s\n\n", model->name,
            model->source, model->summary);
    print_data(&model->data, out);
    fprintf(out, "\nOptions (each overrides the value compiled in, shown in brackets):\n");
    for (int i = 0; i < N_SPECS; i++) {
        const OptSpec *spec = &specs[i];
        const void *field = (const char *)&def + spec->offset;
        char left[64], value[128];
        snprintf(left, sizeof left, "%s %s", spec->name, spec->arg ? spec->arg : "");
        switch (spec->kind) {
        case OPT_COUNT:
        case OPT_THREADS:
        case OPT_NONNEG_INT:
        case OPT_BATCH:
            if (*(const int *)field == 0 && spec->unset)
                snprintf(value, sizeof value, " [%s]", spec->unset);
            else
                snprintf(value, sizeof value, " [%d]", *(const int *)field);
            break;
        case OPT_STEPS:
            if (*(const long *)field == 0 && spec->unset)
                snprintf(value, sizeof value, " [%s]", spec->unset);
            else
                snprintf(value, sizeof value, " [%ld]", *(const long *)field);
            break;
        case OPT_SEED:
            snprintf(value, sizeof value, " [%llu]", (unsigned long long)*(const uint64_t *)field);
            break;
        case OPT_POSITIVE:
        case OPT_NONNEG:
        case OPT_FRACTION:
        case OPT_PART:
            if (*(const double *)field == 0 && spec->unset)
                snprintf(value, sizeof value, " [%s]", spec->unset);
            else
                snprintf(value, sizeof value, " [%g]", *(const double *)field);
            break;
        case OPT_STRING:
            if (*(const char *const *)field) /* a default of the file's: plot = "…" */
                snprintf(value, sizeof value, " [%s]", *(const char *const *)field);
            else if (spec->unset)
                snprintf(value, sizeof value, " [%s]", spec->unset);
            else
                value[0] = '\0';
            break;
        case OPT_FLAG:
            value[0] = '\0';
            break;
        case OPT_SWITCH:
            snprintf(value, sizeof value, " [%s]", *(const int *)field ? "on" : "off");
            break;
        case OPT_MONITOR:
            snprintf(value, sizeof value, " [%s]",
                     *(const NetrtMonitor *)field == NETRT_MONITOR_VALID_ACC ? "valid_acc"
                                                                             : "valid_loss");
            break;
        }
        /* an option wider than its column: its text on the next line, in the column */
        int wide = strlen(left) >= 20;
        fprintf(out, "  %-20s%s%*s%s%s\n", left, wide ? "\n" : "", wide ? 22 : 0, "", spec->doc,
                value);
    }
    fprintf(out, "\n--batch can be at most %d, the size of this trainer's buffers; so can the "
                 "training split\nwith --batch full.\n", model->batch_max);
}

int netrt_check_output(const char *option, const char *path, NetrtErr *err)
{
    struct stat st;
    size_t len = strlen(path);
    if (len == 0 || path[len - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        return netrt_err(err, "%s %s: is a directory; give a file name", option, path);
    /* The file is written beside itself and renamed into place: what it needs is a directory
     * where a new file can be made. So make one there, under a name nothing else uses, and
     * remove it: a test that answers for a missing directory, permissions and read-only file
     * systems alike (access() would say yes to root on a read-only one). */
    char probe[NETRT_PATH_MAX], dir[NETRT_PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    else
        snprintf(dir, sizeof dir, ".");
    if ((size_t)snprintf(probe, sizeof probe, "%s/.netrt-probe-XXXXXX", dir) >= sizeof probe)
        return netrt_err(err, "%s %s: path too long", option, path);
    int fd = mkstemp(probe);
    if (fd < 0)
        return netrt_err(err, "%s %s: cannot create a file in %s: %s", option, path, dir,
                         strerror(errno));
    close(fd);
    unlink(probe);
    return 0;
}
