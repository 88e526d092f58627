/* sweep.c: netc sweep — train one .net file over a grid of let values, and tabulate the runs.
 *
 *   netc sweep FILE.net --set NAME=V1,V2,… [--set …] [--repeat K] [--out DIR] [--jobs J]
 *              [--force] [--dtype f32|f64] [-- TRAINER FLAGS]
 *
 * 1. Every combination of the --set values (the first --set varies slowest) is checked in
 *    process, its values read by main.c's parse_defines: a sweep takes what -D takes.
 * 2. Combinations whose generated C is the same once the settings the trainer takes on its
 *    command line (--lr, --batch, --epochs, …) are set aside share one trainer: it is built by
 *    `netc build -D …` (a child process, so its command is the one a user would type) with the
 *    first such combination's values, and the others pass theirs as flags.
 * 3. Every run (combination × seed) trains with --csv into DIR/runs, J at a time.
 * 4. DIR/results.csv, DIR/results.md and DIR/curves.png (gnuplot, when installed) are written
 *    from the CSV logs and the final lines of the trainers' output.
 * A combination that fails (in the checker, the C compiler or the trainer) is a row with its
 * error. Exit status: 0 every run trained; 1 a bad command line or .net file, nothing run; 2
 * some runs failed (their rows say why) or the results could not be written. */
#define _DEFAULT_SOURCE /* wait4 */
#define _XOPEN_SOURCE 700
#include "sweep.h"

#include "emit.h"
#include "ops/train.h"
#include "outfile.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char usage[] =
    "usage: netc sweep FILE.net [FILE.net …] --set NAME=V1,V2,… [--set NAME=…] [options]\n"
    "                  [-- TRAINER FLAGS]\n"
    "  FILE.net …          several files: the first dimension of the grid, its column 'file'\n"
    "  --set NAME=V1,V2,…  values of 'let NAME', each as -D takes it (commas inside\n"
    "                      parentheses belong to the value); every combination runs\n"
    "  --repeat K          each combination with K seeds: the file's seed, seed+1, …\n"
    "                      (results: mean ± std)\n"
    "  --out DIR           where the runs and results go (default: MODEL-sweep); created, and\n"
    "                      refused if it exists and is not empty, unless --force\n"
    "  --force             write into an existing DIR, replacing the results it holds\n"
    "  --jobs J            runs at a time (default: the number of CPUs)\n"
    "  --dtype f32|f64     the trainers' precision, as netc build's --dtype (default f32)\n"
    "  -- FLAGS            passed to every trainer, e.g. -- --epochs 2 --max-steps 50\n";

enum { MAX_SETS = 16, MAX_VALUES = 64, MAX_COMBOS = 4096 };

typedef struct {
    const char *name;
    const char *values[MAX_VALUES];
    int nvalues;
} SetOpt;

typedef struct {
    const char *inputs[MAX_VALUES]; /* the .net files                                  */
    int ninputs;
    const char *out;
    SetOpt sets[MAX_SETS]; /* with several files, sets[0] is the file: "file=a.net,b.net" */
    int nsets;
    int first_let;        /* the first of sets that is a let: 1 with several files, else 0 */
    int repeat, jobs;
    bool force;
    bool f64;             /* --dtype f64: the trainers in double precision, as netc build's */
    char **extra; /* after "--" */
    int nextra;
} SweepArgs;

/* The settings a trainer takes on its command line: a combination that differs from its
 * trainer's only in these runs that trainer with flags. */
typedef struct {
    int epochs, batch;
    long long seed, max_steps;
    double lr, momentum, weight_decay, loss_below;
} Flags;

typedef struct {
    int index;            /* 1-based, in grid order                                  */
    int file;             /* which of the inputs                                     */
    const char *input;
    const char **values;  /* one per --set                                           */
    const char *tag;      /* "3-width=16,lr=0.02": the runs' file names              */
    char *error;          /* the checker's first error, or NULL                      */
    Flags flags;          /* as the file and its -D give them                        */
    bool momentum_fixed;  /* a one_cycle schedule cycles the momentum: no --momentum  */
    int batch_max;        /* what `netc build` would give it alone                   */
    char *text;           /* its C, the flag settings at the file's; a trainer's first only */
    int trainer;          /* index into trainers, or -1                              */
} Combo;

typedef struct {
    int first;            /* the combination it is built with                        */
    int batch_max;        /* the largest any of its combinations needs               */
    char *path;           /* DIR/trainers/tN                                         */
    char **argv;          /* the netc build command                                  */
    char *error;          /* the build's failure, or NULL                            */
} Trainer;

/* Points of a curve: x (epochs), the loss and the metric (acc % or mse). */
typedef struct {
    int n, cap;
    double *x, *loss, *metric;
} Curve;

static void curve_add(Curve *c, double x, double loss, double metric)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->x = realloc(c->x, sizeof *c->x * (size_t)c->cap);
        c->loss = realloc(c->loss, sizeof *c->loss * (size_t)c->cap);
        c->metric = realloc(c->metric, sizeof *c->metric * (size_t)c->cap);
        if (!c->x || !c->loss || !c->metric) {
            fprintf(stderr, "netc sweep: out of memory\n");
            exit(2);
        }
    }
    c->x[c->n] = x;
    c->loss[c->n] = loss;
    c->metric[c->n] = metric;
    c->n++;
}

static void curve_free(Curve *c)
{
    free(c->x);
    free(c->loss);
    free(c->metric);
}

typedef struct {
    int combo, rep;
    long long seed;
    const char *tag;
    char *csv, *log;
    char **argv;
    /* outcome */
    bool ok;
    char *error;
    double wall, cpu;     /* the whole process: seconds                              */
    /* from the CSV: one point per evaluated epoch of the monitored split */
    bool regression;
    const char *split;    /* "valid", or "test" when the run has no validation split */
    int epochs;           /* rows of the CSV                                         */
    double s_epoch, cpu_epoch;
    bool cpu_from_csv;
    double best, best_epoch; /* best metric (acc or mse) of the split, and its epoch    */
    Curve curve;          /* the split's, one point per evaluated epoch               */
    Curve steps;          /* with --log-every N: the training split's every N steps, at
                             x = steps / steps per epoch                              */
    /* the final line: "test: loss 0.3770  accuracy 86.46%" */
    const char *final_split;
    double final_loss, final_metric;
    bool has_final;
    double last_test_loss, last_test_metric; /* the CSV's last row, NAN when not evaluated */
} Run;

/* A job for the pool: a child process with its output into a log. */
typedef struct {
    int id;               /* what it is for: a trainer's or a run's index            */
    char **argv;
    const char *log;
    pid_t pid;
    bool live;            /* started and not yet waited for                          */
    bool ended;           /* waited for, or could not start                          */
    struct timespec start;
    int status;           /* wait status, or -1: could not start                     */
    int spawn_errno;
    double wall, cpu;
} Job;

static int fail_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "netc sweep: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return 1;
}

/* "relu,gelu" → relu, gelu; "normal(0.01),uniform(-0.1,0.1)" → two values: a comma inside
 * parentheses is part of a call. */
static int split_values(Arena *arena, const char *list, SetOpt *set)
{
    const char *start = list;
    int depth = 0;
    for (const char *p = list;; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')')
            depth--;
        if (*p && (*p != ',' || depth > 0))
            continue;
        if (p == start)
            return fail_usage("--set %s: an empty value", set->name);
        if (set->nvalues == MAX_VALUES)
            return fail_usage("--set %s: more than 64 values", set->name);
        set->values[set->nvalues++] = arena_strndup(arena, start, (size_t)(p - start));
        if (!*p)
            return 0;
        start = p + 1;
    }
}

static int parse_count(const char *opt, const char *v, int max, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 1 || n > max) {
        fprintf(stderr, "netc sweep: %s takes a whole number from 1 to %d, got '%s'\n", opt, max,
                v);
        return 1;
    }
    *out = (int)n;
    return 0;
}

static int parse_args(int argc, char **argv, Arena *arena, SweepArgs *a)
{
    a->repeat = 1;
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--")) {
            a->extra = argv + i + 1;
            a->nextra = argc - i - 1;
            break;
        }
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            fputs(usage, stdout);
            exit(0);
        }
        if (!strcmp(s, "--force")) {
            a->force = true;
            continue;
        }
        if (!strcmp(s, "--set") || !strcmp(s, "--repeat") || !strcmp(s, "--out") ||
            !strcmp(s, "--jobs") || !strcmp(s, "--dtype")) {
            if (i + 1 >= argc)
                return fail_usage("%s needs a value", s);
            const char *v = argv[++i];
            if (!strcmp(s, "--dtype")) {
                if (strcmp(v, "f32") && strcmp(v, "f64"))
                    return fail_usage("--dtype takes f32 or f64, got '%s'", v);
                a->f64 = !strcmp(v, "f64");
            } else if (!strcmp(s, "--out")) {
                if (!*v)
                    return fail_usage("--out needs a directory's name%s", "");
                a->out = v;
            } else if (!strcmp(s, "--repeat")) {
                if (parse_count(s, v, 1000, &a->repeat))
                    return 1;
            } else if (!strcmp(s, "--jobs")) {
                if (parse_count(s, v, 256, &a->jobs))
                    return 1;
            } else {
                const char *eq = strchr(v, '=');
                if (!eq || eq == v || !eq[1])
                    return fail_usage("--set takes NAME=V1,V2,…, e.g. --set width=128,256, "
                                      "got '%s'", v);
                if (a->nsets == MAX_SETS)
                    return fail_usage("more than 16 --set%s", "");
                SetOpt *set = &a->sets[a->nsets];
                set->name = arena_strndup(arena, v, (size_t)(eq - v));
                for (int j = 0; j < a->nsets; j++)
                    if (!strcmp(a->sets[j].name, set->name))
                        return fail_usage("--set %s given twice; list its values in one",
                                          set->name);
                if (split_values(arena, eq + 1, set))
                    return 1;
                a->nsets++;
            }
            continue;
        }
        if (s[0] == '-' && s[1])
            return fail_usage("unknown option '%s' (trainer flags go after '--')", s);
        if (a->ninputs == MAX_VALUES)
            return fail_usage("more than 64 .net files%s", "");
        a->inputs[a->ninputs++] = s;
    }
    if (!a->ninputs)
        return fail_usage("sweep needs a .net file%s", "");
    if (!a->nsets && a->ninputs == 1)
        return fail_usage("nothing to sweep: give at least one --set NAME=V1,V2%s", "");
    if (a->ninputs > 1) { /* the files are the grid's first dimension, its column "file" */
        if (a->nsets == MAX_SETS)
            return fail_usage("more than 15 --set beside several files%s", "");
        memmove(a->sets + 1, a->sets, sizeof a->sets[0] * (size_t)a->nsets);
        a->sets[0] = (SetOpt){.name = "file", .nvalues = a->ninputs};
        memcpy(a->sets[0].values, a->inputs, sizeof a->inputs[0] * (size_t)a->ninputs);
        a->nsets++;
        a->first_let = 1;
    }
    return 0;
}

/* ---- files -------------------------------------------------------------------------------- */

/* Whether a directory holds nothing but . and .. */
static bool dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool empty = true;
    for (struct dirent *e; empty && (e = readdir(d));)
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty;
}

/* DIR: created (with its parents) when missing; an existing one must be a directory, and
 * empty unless --force: a second sweep never mixes its runs into a first one's by accident. */
static bool make_out_dir(const char *dir, bool force)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            fprintf(stderr, "netc sweep: --out %s exists and is not a directory\n", dir);
            return false;
        }
        if (!force && !dir_empty(dir)) {
            fprintf(stderr, "netc sweep: %s exists and is not empty; name another --out, or "
                            "give --force to write into it\n", dir);
            return false;
        }
        return true;
    }
    char *path = strdup(dir);
    if (!path)
        return false;
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "netc sweep: cannot create %s: %s\n", path, strerror(errno));
            free(path);
            return false;
        }
        *p = c;
        if (!c)
            break;
    }
    free(path);
    return true;
}

/* The whole of a small file (a log, a CSV), NUL-terminated; NULL when it cannot be read. */
static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    for (size_t got; s && (got = fread(s + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (cap - n - 1 == 0) {
            char *t = realloc(s, cap *= 2);
            if (!t)
                free(s);
            s = t;
        }
    }
    fclose(f);
    if (s)
        s[n] = '\0';
    return s;
}

/* The first line of a log that starts with `prefix` or holds `inside` (either may be NULL),
 * without its newline; NULL if none. */
static char *find_line(Arena *arena, const char *text, const char *prefix, const char *inside)
{
    for (const char *p = text; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *line = arena_strndup(arena, p, len);
        if ((prefix && !strncmp(line, prefix, strlen(prefix))) || (inside && strstr(line, inside)))
            return line;
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

/* The last line of a log that is not empty and not the "$ command" line sweep wrote. */
static char *last_line(Arena *arena, const char *text)
{
    char *found = NULL;
    for (const char *p = text; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len && p[0] != '$')
            found = arena_strndup(arena, p, len);
        p = end ? end + 1 : NULL;
    }
    return found;
}

/* An argument as a shell would need it quoted, for the logs and the table. */
static char *shell_word(Arena *arena, const char *s)
{
    if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=.,/:@%")
                  == strlen(s))
        return arena_strndup(arena, s, strlen(s));
    char *q = arena_alloc(arena, 4 * strlen(s) + 3), *o = q;
    *o++ = '\'';
    for (; *s; s++) {
        if (*s == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *s;
        }
    }
    *o++ = '\'';
    return q;
}

static char *command_text(Arena *arena, char **argv)
{
    char *s = "";
    for (int i = 0; argv[i]; i++)
        s = arena_printf(arena, "%s%s%s", s, i ? " " : "", shell_word(arena, argv[i]));
    return s;
}

/* ---- the job pool: child processes, J at a time ---------------------------------------- */

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

/* Start one job, its command as the log's first line, its output after it. */
static bool spawn_job(Job *j, Arena *arena)
{
    FILE *log = fopen(j->log, "w");
    if (!log || fprintf(log, "$ %s\n", command_text(arena, j->argv)) < 0 || fclose(log) != 0) {
        j->status = -1;
        j->spawn_errno = errno;
        return false;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, j->log, O_WRONLY | O_APPEND, 0);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    clock_gettime(CLOCK_MONOTONIC, &j->start);
    int rc = posix_spawn(&j->pid, j->argv[0], &fa, NULL, j->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        j->status = -1;
        j->spawn_errno = rc;
        return false;
    }
    return true;
}

typedef void JobDone(Job *j, int ndone, int n, void *ctx);

/* Ctrl-C: no job is started after it; those running end (the terminal interrupts them too)
 * and are waited for, and the sweep writes what it has. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Run every job, `parallel` at a time; `done` is called as each ends (or fails to start). After
 * an interrupt, the jobs not started are left with `ended` false. */
static void run_jobs(Job *jobs, int n, int parallel, Arena *arena, JobDone *done, void *ctx)
{
    int next = 0, running = 0, ndone = 0;
    while (ndone < n) {
        while (running < parallel && next < n && !interrupted) {
            Job *j = &jobs[next++];
            j->live = spawn_job(j, arena);
            if (j->live) {
                running++;
            } else {
                j->ended = true;
                done(j, ++ndone, n, ctx);
            }
        }
        if (!running) {
            if (interrupted)
                return;
            continue;
        }
        int status;
        struct rusage ru;
        pid_t pid = wait4(-1, &status, 0, &ru);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            perror("netc sweep: wait4");
            exit(2);
        }
        for (int i = 0; i < next; i++)
            if (jobs[i].live && jobs[i].pid == pid) { /* a pid is unique among the live */
                Job *j = &jobs[i];
                j->live = false;
                j->ended = true;
                j->status = status;
                j->wall = seconds_since(&j->start);
                j->cpu = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
                         (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
                running--;
                done(j, ++ndone, n, ctx);
                break;
            }
    }
}

/* What went wrong with a finished job, or NULL: its exit, and the line of its log that says. */
static char *job_error(Arena *arena, const Job *j, const char *why_prefix)
{
    if (j->status == -1)
        return arena_printf(arena, "cannot run %s: %s", j->argv[0], strerror(j->spawn_errno));
    if (WIFEXITED(j->status) && WEXITSTATUS(j->status) == 0)
        return NULL;
    char *text = read_all(j->log);
    char *line = text ? find_line(arena, text, why_prefix, NULL) : NULL;
    if (!line && text)
        line = last_line(arena, text);
    free(text);
    char how[64];
    if (WIFEXITED(j->status))
        snprintf(how, sizeof how, "exit %d", WEXITSTATUS(j->status));
    else
        snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(j->status));
    return arena_printf(arena, "%s%s%s", how, line ? ": " : "", line ? line : "");
}

/* ---- the combinations: checked, and grouped by the trainer they need --------------------- */

static Flags net_flags(const Net *net)
{
    return (Flags){.epochs = net->epochs, .batch = net->batch, .seed = net->seed,
                   .max_steps = net->max_steps, .lr = net->lr, .momentum = net->momentum,
                   .weight_decay = net->weight_decay, .loss_below = net->loss_below};
}

/* Set the trainer's flag settings of `net` to those of `to`: what is left is what the C
 * depends on. The settings that the emitter writes only into the model's .train block, and
 * the trainer overrides with a flag, exactly those (netrt's cli.c). The momentum is left
 * when a schedule cycles it: the trainer refuses --momentum then. */
static void set_flags(Net *net, const Flags *to, bool momentum_fixed)
{
    net->epochs = to->epochs;
    net->batch = to->batch;
    net->seed = to->seed;
    net->max_steps = to->max_steps;
    net->lr = to->lr;
    net->weight_decay = to->weight_decay;
    net->loss_below = to->loss_below;
    if (!momentum_fixed)
        net->momentum = to->momentum;
}

static bool cycles_momentum(const Net *net)
{
    return net->schedule->cycles_momentum && net->cycle_momentum;
}

/* The "NAME=VALUE" texts of a combination, as -D takes them. */
static const char **combo_defines(Arena *arena, const SweepArgs *a, const Combo *c)
{
    int n = a->nsets - a->first_let;
    const char **d = arena_alloc(arena, sizeof *d * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        d[i] = arena_printf(arena, "%s=%s", a->sets[a->first_let + i].name,
                       c->values[a->first_let + i]);
    return d;
}

/* Check one combination in this process, with its messages into `log`; on success keep its
 * flag settings and its C with the flags set to `base`'s. */
static void check_combo(const SweepArgs *a, Combo *c, const Flags *base, const char *log,
                        Arena *keep)
{
    fflush(stderr);
    int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (saved < 0 || fd < 0) {
        c->error = arena_printf(keep, "cannot write %s: %s", log, strerror(errno));
        if (saved >= 0)
            close(saved);
        return;
    }
    dup2(fd, 2);
    close(fd);

    Arena *arena = arena_new();
    Source src;
    bool ok = source_load(&src, c->input);
    if (ok) {
        src.keep_going = true; /* many errors: counted, never exit() */
        Define defines[MAX_SETS];
        Net net;
        int n = a->nsets - a->first_let;
        const char *const *texts = combo_defines(arena, a, c);
        src.defines = texts; /* a message about a value names its --set */
        src.define_flag = "--set";
        Stmt *prog = parse_source(&src, arena);
        ok = parse_defines(texts, n, "--set", arena, defines) &&
             src.nerrors == 0 && check_program(&src, arena, prog, defines, n, &net);
        EmitOptions opt = {.f64 = a->f64};
        if (ok) {
            Ir ir = ir_lower(&net, arena);
            c->batch_max = emit_batch_max(&net, &opt);
            ok = ir_check_storage(&src, &ir, c->batch_max, a->f64 ? 8 : 4);
        }
        if (ok) {
            c->flags = net_flags(&net);
            c->momentum_fixed = cycles_momentum(&net);
            set_flags(&net, base, c->momentum_fixed);
            Ir ir = ir_lower(&net, arena);
            /* one BATCH_MAX for all: each trainer gets the largest its combinations need */
            opt.batch_max = 1;
            opt.command = "netc sweep";
            size_t size;
            FILE *mem = open_memstream(&c->text, &size);
            ok = mem && emit_c(mem, &src, &net, &ir, &opt);
            if (mem && fclose(mem) != 0)
                ok = false;
        }
        source_free(&src);
    }
    arena_free(arena);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    if (!ok) {
        char *text = read_all(log);
        char *line = text ? find_line(keep, text, NULL, "error") : NULL;
        if (!line && text)
            line = last_line(keep, text);
        c->error = line ? line : arena_printf(keep, "the checker failed; see %s", log);
        free(text);
        free(c->text);
        c->text = NULL;
    }
}

/* The flags a run passes to its trainer: each setting that differs from the trainer's own. */
static int flag_args(Arena *arena, const Flags *run, const Flags *trainer, char **argv)
{
    int n = 0;
    char buf[32];
    if (run->epochs != trainer->epochs) {
        argv[n++] = "--epochs";
        argv[n++] = arena_printf(arena, "%d", run->epochs);
    }
    if (run->batch != trainer->batch) {
        argv[n++] = "--batch";
        argv[n++] = run->batch ? arena_printf(arena, "%d", run->batch) : "full";
    }
    if (run->seed != trainer->seed) {
        argv[n++] = "--seed";
        argv[n++] = arena_printf(arena, "%lld", run->seed);
    }
    if (run->max_steps != trainer->max_steps) {
        argv[n++] = "--max-steps";
        argv[n++] = arena_printf(arena, "%lld", run->max_steps);
    }
    const struct {
        const char *flag;
        double r, t;
    } reals[] = {{"--lr", run->lr, trainer->lr},
                 {"--momentum", run->momentum, trainer->momentum},
                 {"--weight-decay", run->weight_decay, trainer->weight_decay},
                 {"--loss-below", run->loss_below, trainer->loss_below}};
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
        if (reals[i].r != reals[i].t) {
            argv[n++] = (char *)reals[i].flag;
            argv[n++] = arena_printf(arena, "%s", fmt_double(buf, reals[i].r));
        }
    return n;
}

/* "3-width=16,lr=0.02" (with several .net files, "3-e2_1l,act=relu"): the run's files,
 * readable and unique (the index), kept to letters, digits and . , = + - _ */
static char *combo_tag(Arena *arena, const SweepArgs *a, const Combo *c)
{
    char *s = arena_printf(arena, "%d", c->index);
    if (a->first_let) { /* the file by its base name: e2_1l */
        const char *slash = strrchr(c->input, '/'), *base = slash ? slash + 1 : c->input;
        s = arena_printf(arena, "%s-%.*s", s, (int)strcspn(base, "."), base);
    }
    for (int i = a->first_let; i < a->nsets; i++)
        s = arena_printf(arena, "%s%s%s=%s", s, i ? "," : "-", a->sets[i].name, c->values[i]);
    for (char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,=+-_", *p))
            *p = '_';
    if (strlen(s) > 120)
        s[120] = '\0';
    return s;
}

/* ---- the runs' results: the CSV log and the final line ----------------------------------- */

/* Split a CSV line in place at commas; returns the number of cells. */
static int csv_split(char *line, char **cells, int max)
{
    int n = 0;
    for (char *p = line; n < max;) {
        cells[n++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n;
}

static int column(char **head, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(head[i], name))
            return i;
    return -1;
}

/* A cell as a number; NAN when empty or not one. */
static double cell(char **cells, int n, int col)
{
    if (col < 0 || col >= n || !*cells[col])
        return NAN;
    char *end;
    double x = strtod(cells[col], &end);
    return *end ? NAN : x;
}

/* The trainer's --csv: epochs, seconds (and CPU seconds, once the trainer writes them: a
 * column named cpu…), the monitored split's curve and its best epoch. With --log-every N the
 * rows of each epoch's steps come before its own row, their seconds empty (runtime/driver.c's
 * write_csv): they are the training split's curve every N steps, not epochs. */
static void read_csv(Run *r)
{
    char *text = read_all(r->csv);
    if (!text)
        return;
    enum { MAXC = 64 };
    char *head[MAXC];
    char *nl = strchr(text, '\n');
    if (!nl) {
        free(text);
        return;
    }
    *nl = '\0';
    int nh = csv_split(text, head, MAXC);
    r->regression = column(head, nh, "train_mse") >= 0;
    const char *metric = r->regression ? "mse" : "acc";
    int c_epoch = column(head, nh, "epoch"), c_sec = column(head, nh, "seconds"), c_cpu = -1;
    int c_step = column(head, nh, "step");
    for (int i = 0; i < nh; i++)
        if (!strncmp(head[i], "cpu", 3) && c_cpu < 0)
            c_cpu = i;
    int c_loss[3], c_metric[3];
    const char *splits[3] = {"valid", "test", "train"};
    for (int s = 0; s < 3; s++) {
        char name[32];
        snprintf(name, sizeof name, "%s_loss", splits[s]);
        c_loss[s] = column(head, nh, name);
        snprintf(name, sizeof name, "%s_%s", splits[s], metric);
        c_metric[s] = column(head, nh, name);
    }
    double scale = r->regression ? 1 : 100; /* accuracy in percent, as the trainer prints it */
    /* the rows, once to choose the split (valid if the run has one) and to count the steps of
     * an epoch (the first epoch's), once to read them */
    char *rows = nl + 1;
    int split = 1;
    double steps_per_epoch = 0;
    double sec = 0, cpu = 0;
    r->last_test_loss = r->last_test_metric = NAN;
    for (int pass = 0; pass < 2; pass++) {
        char *copy = strdup(rows);
        for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
            char *cells[MAXC];
            int n = csv_split(line, cells, MAXC);
            bool epoch_row = c_sec < 0 || !isnan(cell(cells, n, c_sec));
            double x = cell(cells, n, c_epoch);
            if (pass == 0) {
                if (!isnan(cell(cells, n, c_metric[0])))
                    split = 0;
                if (epoch_row && steps_per_epoch == 0)
                    steps_per_epoch = cell(cells, n, c_step);
                continue;
            }
            if (!epoch_row) {
                double step = cell(cells, n, c_step), m = cell(cells, n, c_metric[2]);
                if (!isnan(step) && steps_per_epoch > 0 && !isnan(m))
                    curve_add(&r->steps, step / steps_per_epoch, cell(cells, n, c_loss[2]),
                              m * scale);
                continue;
            }
            r->epochs++;
            r->last_test_loss = cell(cells, n, c_loss[1]);
            r->last_test_metric = cell(cells, n, c_metric[1]) * scale;
            sec += isnan(cell(cells, n, c_sec)) ? 0 : cell(cells, n, c_sec);
            cpu += isnan(cell(cells, n, c_cpu)) ? 0 : cell(cells, n, c_cpu);
            double m = cell(cells, n, c_metric[split]) * scale;
            if (isnan(x) || isnan(m))
                continue;
            if (r->curve.n == 0 || (r->regression ? m < r->best : m > r->best)) {
                r->best = m;
                r->best_epoch = x;
            }
            curve_add(&r->curve, x, cell(cells, n, c_loss[split]), m);
        }
        free(copy);
    }
    r->split = splits[split];
    if (r->epochs) {
        r->s_epoch = sec / r->epochs;
        r->cpu_from_csv = c_cpu >= 0;
        r->cpu_epoch = c_cpu >= 0 ? cpu / r->epochs : r->cpu / r->epochs;
    }
    free(text);
}

/* The trainer's last line: "test: loss 0.3770  accuracy 86.46%" or
 * "test: loss 8.05e-05  mse 8.05e-05  mae 0.00585" (valid or train when there is no test). */
static void read_final(Run *r, Arena *arena)
{
    char *text = read_all(r->log);
    if (!text)
        return;
    const char *splits[] = {"test: loss ", "valid: loss ", "train: loss "};
    char *line = NULL;
    for (int s = 0; s < 3 && !line; s++)
        for (const char *p = text; (p = strstr(p, splits[s])); p++)
            if (p == text || p[-1] == '\n')
                line = arena_strndup(arena, p, strcspn(p, "\n"));
    if (line) {
        char split[8] = "";
        double loss, m;
        if (sscanf(line, "%7[a-z]: loss %lf accuracy %lf%%", split, &loss, &m) == 3 ||
            sscanf(line, "%7[a-z]: loss %lf mse %lf", split, &loss, &m) == 3) {
            r->final_split = arena_strndup(arena, split, strlen(split));
            r->final_loss = loss;
            r->final_metric = m;
            r->has_final = true;
        }
    }
    free(text);
}

/* ---- the tables -------------------------------------------------------------------------- */

typedef enum {
    F_EPOCHS, F_FINAL_LOSS, F_FINAL_METRIC, F_BEST, F_BEST_EPOCH, F_S_EPOCH, F_CPU_EPOCH,
    NFIELDS
} Field;

static double field(const Run *r, Field f)
{
    if (!r->ok)
        return NAN;
    switch (f) {
    case F_EPOCHS: return r->epochs ? r->epochs : NAN;
    case F_FINAL_LOSS: return r->has_final ? r->final_loss : NAN;
    case F_FINAL_METRIC: return r->has_final ? r->final_metric : NAN;
    case F_BEST: return r->curve.n ? r->best : NAN;
    case F_BEST_EPOCH: return r->curve.n ? r->best_epoch : NAN;
    case F_S_EPOCH: return r->epochs ? r->s_epoch : NAN;
    case F_CPU_EPOCH: return r->epochs ? r->cpu_epoch : NAN;
    case NFIELDS: break;
    }
    return NAN;
}

/* Mean and sample standard deviation (n - 1) of a field over a combination's runs that have
 * it; NAN when none (std: when fewer than two). */
static void stats(const Run *runs, int first, int k, Field f, double *mean, double *std)
{
    double sum = 0, sq = 0;
    int n = 0;
    for (int i = first; i < first + k; i++) {
        double x = field(&runs[i], f);
        if (!isnan(x)) {
            sum += x;
            n++;
        }
    }
    *mean = n ? sum / n : NAN;
    for (int i = first; i < first + k; i++) {
        double x = field(&runs[i], f);
        if (!isnan(x))
            sq += (x - *mean) * (x - *mean);
    }
    *std = n > 1 ? sqrt(sq / (n - 1)) : NAN;
}

/* One number as the tables show it: accuracy in percent with 2 decimals, the rest with 4
 * significant digits; "" when missing. */
static const char *num(char buf[32], double x, Field f, bool regression)
{
    if (isnan(x))
        return "";
    if ((f == F_FINAL_METRIC || f == F_BEST) && !regression)
        snprintf(buf, 32, "%.2f", x);
    else if ((f == F_EPOCHS || f == F_BEST_EPOCH) && x == floor(x))
        snprintf(buf, 32, "%.0f", x);
    else
        snprintf(buf, 32, "%.4g", x);
    return buf;
}

/* A CSV cell: quoted when it holds a comma, a quote or a line break. */
static void csv_cell(FILE *f, const char *s, bool last)
{
    if (strpbrk(s, ",\"\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s == '\n' ? ' ' : *s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

/* A Markdown table cell: | would end it. */
static void md_cell(FILE *f, const char *s)
{
    fputs(" ", f);
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
    fputs(" |", f);
}

typedef struct {
    const SweepArgs *a;
    Combo *combos;
    int ncombos;
    Trainer *trainers;
    int ntrainers;
    Run *runs;
    int nruns;
    bool regression;      /* the metric is the MSE, not the accuracy                 */
    const char *command;  /* the sweep's own command line                            */
    const char *files;    /* the .net files, for titles                              */
    double seconds;       /* the whole sweep                                         */
    bool curves;          /* curves.png was drawn                                    */
    int jobs, threads;
} Sweep;

static const char *const field_csv[NFIELDS] = {
    [F_EPOCHS] = "epochs", [F_FINAL_LOSS] = "final_loss", [F_FINAL_METRIC] = "final_%s",
    [F_BEST] = "best_%s", [F_BEST_EPOCH] = "best_epoch", [F_S_EPOCH] = "s_per_epoch",
    [F_CPU_EPOCH] = "cpu_s_per_epoch"};

static bool write_results_csv(const Sweep *s, const char *path)
{
    NetrtOut out;
    if (netrt_out_open(&out, path) != 0) {
        fprintf(stderr, "netc sweep: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    FILE *f = out.f;
    const char *m = s->regression ? "mse" : "acc";
    fprintf(f, "run,");
    for (int i = 0; i < s->a->nsets; i++)
        csv_cell(f, s->a->sets[i].name, false);
    fprintf(f, "seed,trainer,status,final_split,best_split,");
    for (int k = 0; k < NFIELDS; k++) {
        fprintf(f, field_csv[k], m);
        fputc(',', f);
    }
    fprintf(f, "cpu_from,error\n");
    char buf[32];
    int K = s->a->repeat;
    for (int i = 0; i < s->nruns; i++) {
        const Run *r = &s->runs[i];
        const Combo *c = &s->combos[r->combo];
        fprintf(f, "%d,", i + 1);
        for (int v = 0; v < s->a->nsets; v++)
            csv_cell(f, c->values[v], false);
        fprintf(f, "%lld,", r->seed);
        if (c->trainer >= 0)
            fprintf(f, "t%d,", c->trainer + 1);
        else
            fprintf(f, ",");
        fprintf(f, "%s,%s,%s,", r->ok ? "ok" : "failed",
                r->ok && r->has_final ? r->final_split : "", r->ok && r->curve.n ? r->split : "");
        for (int k = 0; k < NFIELDS; k++)
            fprintf(f, "%s,", num(buf, field(r, (Field)k), (Field)k, s->regression));
        fprintf(f, "%s,", r->ok ? (r->cpu_from_csv ? "csv" : "process") : "");
        csv_cell(f, r->ok ? "" : r->error, true);
        /* after a combination's K runs, their mean and standard deviation */
        if (K > 1 && r->rep == K - 1) {
            for (int row = 0; row < 2; row++) {
                fprintf(f, ",");
                for (int v = 0; v < s->a->nsets; v++)
                    csv_cell(f, c->values[v], false);
                fprintf(f, "%s,,,,,", row ? "std" : "mean");
                for (int k = 0; k < NFIELDS; k++) {
                    double mean, std;
                    stats(s->runs, i - K + 1, K, (Field)k, &mean, &std);
                    fprintf(f, "%s,", num(buf, row ? std : mean, (Field)k, s->regression));
                }
                fprintf(f, ",\n");
            }
        }
    }
    if (netrt_out_commit(&out, false) != 0) {
        fprintf(stderr, "netc sweep: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    return true;
}

/* The runs as a Markdown table (results.md, and the terminal). */
static void md_runs(const Sweep *s, FILE *f)
{
    const char *m = s->regression ? "mse" : "acc %";
    fprintf(f, "| run |");
    for (int i = 0; i < s->a->nsets; i++)
        md_cell(f, s->a->sets[i].name);
    fprintf(f, " seed | trainer | final loss | final %s | best %s | best epoch | epochs |"
               " s/epoch | CPU s/epoch | status |\n",
            m, m);
    fprintf(f, "|---:|");
    for (int i = 0; i < s->a->nsets; i++)
        fprintf(f, "---|");
    fprintf(f, "---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    char buf[32];
    for (int i = 0; i < s->nruns; i++) {
        const Run *r = &s->runs[i];
        const Combo *c = &s->combos[r->combo];
        fprintf(f, "| %d |", i + 1);
        for (int v = 0; v < s->a->nsets; v++)
            md_cell(f, c->values[v]);
        fprintf(f, " %lld |", r->seed);
        if (c->trainer >= 0)
            fprintf(f, " t%d |", c->trainer + 1);
        else
            fprintf(f, " – |");
        const Field order[] = {F_FINAL_LOSS, F_FINAL_METRIC, F_BEST, F_BEST_EPOCH, F_EPOCHS,
                               F_S_EPOCH, F_CPU_EPOCH};
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
            fprintf(f, " %s", num(buf, field(r, order[k]), order[k], s->regression));
            if (order[k] == F_FINAL_METRIC && r->ok && r->has_final &&
                strcmp(r->final_split, "test"))
                fprintf(f, " (%s)", r->final_split);
            if (order[k] == F_BEST && r->ok && r->curve.n && strcmp(r->split, "valid"))
                fprintf(f, " (%s)", r->split);
            if (order[k] == F_CPU_EPOCH && r->ok && r->epochs && !r->cpu_from_csv)
                fprintf(f, "*");
            fprintf(f, " |");
        }
        if (r->ok)
            md_cell(f, "ok");
        else
            md_cell(f, r->error);
        fprintf(f, "\n");
    }
}

/* Mean ± std over the seeds, one row per combination. */
static void md_means(const Sweep *s, FILE *f)
{
    const char *m = s->regression ? "mse" : "acc %";
    int K = s->a->repeat;
    fprintf(f, "|");
    for (int i = 0; i < s->a->nsets; i++)
        md_cell(f, s->a->sets[i].name);
    fprintf(f, " runs | final loss | final %s | best %s | best epoch | s/epoch | CPU s/epoch |"
               " failures |\n", m, m);
    fprintf(f, "|");
    for (int i = 0; i < s->a->nsets; i++)
        fprintf(f, "---|");
    fprintf(f, "---:|---:|---:|---:|---:|---:|---:|---|\n");
    char b1[32], b2[32];
    for (int c = 0; c < s->ncombos; c++) {
        fprintf(f, "|");
        for (int v = 0; v < s->a->nsets; v++)
            md_cell(f, s->combos[c].values[v]);
        int ok = 0;
        for (int i = c * K; i < (c + 1) * K; i++)
            ok += s->runs[i].ok;
        fprintf(f, " %d of %d |", ok, K);
        const Field order[] = {F_FINAL_LOSS, F_FINAL_METRIC, F_BEST, F_BEST_EPOCH, F_S_EPOCH,
                               F_CPU_EPOCH};
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
            double mean, std;
            stats(s->runs, c * K, K, order[k], &mean, &std);
            if (isnan(mean))
                fprintf(f, " |");
            else if (isnan(std))
                fprintf(f, " %s |", num(b1, mean, order[k], s->regression));
            else
                fprintf(f, " %s ± %s |", num(b1, mean, order[k], s->regression),
                        num(b2, std, order[k], s->regression));
        }
        const char *error = "";
        for (int i = c * K; i < (c + 1) * K && !*error; i++)
            if (!s->runs[i].ok)
                error = s->runs[i].error;
        md_cell(f, error);
        fprintf(f, "\n");
    }
}

static bool write_results_md(const Sweep *s, const char *path)
{
    NetrtOut out;
    if (netrt_out_open(&out, path) != 0) {
        fprintf(stderr, "netc sweep: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    FILE *f = out.f;
    int failed = 0;
    for (int i = 0; i < s->nruns; i++)
        failed += !s->runs[i].ok;
    fprintf(f, "# netc sweep: %s\n\n", s->files);
    fprintf(f, "```\n%s\n```\n\n", s->command);
    fprintf(f, "%d combination%s × %d seed%s: built %d trainer%s for %d runs, %d at a time "
               "(%d thread%s each); %d failed; %.1f s in all.\n\n",
            s->ncombos, s->ncombos == 1 ? "" : "s", s->a->repeat, s->a->repeat == 1 ? "" : "s",
            s->ntrainers, s->ntrainers == 1 ? "" : "s", s->nruns, s->jobs, s->threads,
            s->threads == 1 ? "" : "s", failed, s->seconds);
    if (s->a->repeat > 1) {
        fprintf(f, "## Mean ± standard deviation over the %d seeds\n\n", s->a->repeat);
        md_means(s, f);
        fprintf(f, "\n");
    }
    fprintf(f, "## Runs\n\n");
    md_runs(s, f);
    fprintf(f, "\nfinal: the trainer's last line, on the test split unless marked. best: the "
               "best epoch of the validation split (of the test split where marked: the run has "
               "no validation split). s/epoch: training time per epoch, evaluation excluded "
               "(the CSV's seconds). CPU s/epoch: the CSV's CPU time, or, marked *, the "
               "process's CPU time (loading and evaluation included) over its epochs. Each run's "
               "log and CSV are in runs/.\n\n");
    if (s->curves)
        fprintf(f, "![validation curves](curves.png)\n\n");
    fprintf(f, "## Trainers\n\n| trainer | built by | runs |\n|---|---|---|\n");
    Arena *arena = arena_new();
    for (int t = 0; t < s->ntrainers; t++) {
        const Trainer *tr = &s->trainers[t];
        fprintf(f, "| t%d |", t + 1);
        md_cell(f, arena_printf(arena, "`%s`%s%s", command_text(arena, tr->argv),
                           tr->error ? " failed: " : "", tr->error ? tr->error : ""));
        char *list = "";
        for (int i = 0; i < s->nruns; i++)
            if (s->combos[s->runs[i].combo].trainer == t)
                list = arena_printf(arena, "%s%s%d", list, *list ? ", " : "", i + 1);
        fprintf(f, " %s |\n", list);
    }
    arena_free(arena);
    if (netrt_out_commit(&out, false) != 0) {
        fprintf(stderr, "netc sweep: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    return true;
}

/* ---- curves.png, drawn by gnuplot through a pipe ------------------------------------------ */

/* A string for gnuplot between single quotes, where '' is one quote. */
static char *gp_string(Arena *arena, const char *s)
{
    char *q = arena_alloc(arena, 2 * strlen(s) + 3), *o = q;
    *o++ = '\'';
    for (; *s; s++) {
        if (*s == '\'')
            *o++ = '\'';
        *o++ = *s == '\n' ? ' ' : *s;
    }
    *o++ = '\'';
    return q;
}

/* One panel: every run's column `col` (2: loss, 3: metric) against the epoch, one colour per
 * combination, its seeds alike and named once; under them, thin, the training split's every N
 * steps where the runs logged it (--log-every N). */
static void gp_plot(FILE *gp, const Sweep *s, int col, bool key, Arena *arena)
{
    fprintf(gp, "plot ");
    bool first = true;
    for (int i = 0; i < s->nruns; i++) {
        const Run *r = &s->runs[i];
        const Combo *c = &s->combos[r->combo];
        if (r->ok && r->curve.n && r->steps.n) {
            fprintf(gp, "%s$s%d using 1:%d with lines lw 0.6 lc %d dt 1 notitle", first ? "" : ", ",
                    i + 1, col, c->index % 8 ? c->index % 8 : 8);
            first = false;
        }
    }
    for (int i = 0; i < s->nruns; i++) {
        const Run *r = &s->runs[i];
        if (!r->ok || !r->curve.n)
            continue;
        const Combo *c = &s->combos[r->combo];
        char *title = "";
        for (int v = 0; v < s->a->nsets; v++)
            title = arena_printf(arena, "%s%s%s=%s", title, v ? " " : "", s->a->sets[v].name,
                            c->values[v]);
        fprintf(gp, "%s$r%d using 1:%d with linespoints lc %d dt %d pt 7 ps 0.4 %s %s",
                first ? "" : ", ", i + 1, col, c->index % 8 ? c->index % 8 : 8,
                (c->index - 1) / 8 % 5 + 1, key && r->rep == 0 ? "title" : "notitle",
                key && r->rep == 0 ? gp_string(arena, title) : "");
        first = false;
    }
    fprintf(gp, "\n");
}

/* Draw DIR/curves.png; false (with the reason on stdout) when it could not be drawn. */
static bool draw_curves(const Sweep *s, const char *dir, Arena *arena)
{
    const Run *any = NULL;
    for (int i = 0; i < s->nruns && !any; i++)
        if (s->runs[i].ok && s->runs[i].curve.n)
            any = &s->runs[i];
    if (!any) {
        printf("no curves.png: no run has a curve\n");
        return false;
    }
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    const char *log = arena_printf(arena, "%s/curves.log", dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    char *gargv[] = {"gnuplot", NULL};
    int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, gargv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[0]);
    if (rc != 0) {
        close(fds[1]);
        if (rc == ENOENT)
            printf("no curves.png: gnuplot is not installed (Debian: apt-get install "
                   "gnuplot-nox)\n");
        else
            printf("no curves.png: cannot run gnuplot: %s\n", strerror(rc));
        return false;
    }
    FILE *gp = fdopen(fds[1], "w");
    if (!gp) {
        close(fds[1]);
        waitpid(pid, NULL, 0);
        return false;
    }
    const char *split = any->split;
    fprintf(gp, "set terminal pngcairo size 1400,560 noenhanced font ',10'\n");
    fprintf(gp, "set output %s\n", gp_string(arena, arena_printf(arena, "%s/curves.png", dir)));
    bool steps = false;
    double last = 0, lo = INFINITY, hi = 0; /* the epochs; the range of the losses (or MSEs) */
    for (int i = 0; i < s->nruns; i++) {
        const Run *r = &s->runs[i];
        if (!r->ok || !r->curve.n)
            continue;
        for (int k = 0; k < 2; k++) { /* $rN: the split's epochs; $sN: the training steps */
            const Curve *cv = k ? &r->steps : &r->curve;
            if (!cv->n)
                continue;
            fprintf(gp, "$%c%d << EOD\n", k ? 's' : 'r', i + 1);
            for (int p = 0; p < cv->n; p++) {
                fprintf(gp, "%.9g %.9g %.9g\n", cv->x[p], cv->loss[p], cv->metric[p]);
                double y = s->regression ? cv->metric[p] : cv->loss[p];
                if (y > 0) {
                    lo = fmin(lo, y);
                    hi = fmax(hi, y);
                }
            }
            fprintf(gp, "EOD\n");
            last = fmax(last, cv->x[cv->n - 1]);
            steps |= k;
        }
    }
    /* a log scale where the losses span more than a decade; a narrow range reads better linear */
    const char *scale = hi > 10 * lo ? "set logscale y\n" : "unset logscale y\n";
    fprintf(gp, "set grid\nset xlabel 'epoch'\n");
    if (last <= 20) /* whole epochs, not 1.5 */
        fprintf(gp, "set xtics 1\n");
    const char *every = "N"; /* the runs' --log-every, as given after -- */
    for (int i = 0; i + 1 < s->a->nextra; i++)
        if (!strcmp(s->a->extra[i], "--log-every"))
            every = s->a->extra[i + 1];
    const char *title = gp_string(arena, arena_printf(arena, "netc sweep %s: the %s split, epoch by "
                                                 "epoch%s%s%s", s->files, split, steps ?
                                                 "; thin lines: the training split every " : "",
                                                 steps ? every : "", steps ? " steps" : ""));
    if (s->regression) {
        fprintf(gp, "set title %s\n%sset ylabel '%s mse'\n", title, scale, split);
        fprintf(gp, "set key outside right top\n");
        gp_plot(gp, s, 3, true, arena);
    } else {
        fprintf(gp, "set multiplot layout 1,2 title %s\n", title);
        fprintf(gp, "%sset ylabel '%s loss'\nunset key\n", scale, split);
        gp_plot(gp, s, 2, false, arena);
        fprintf(gp, "unset logscale y\nset ylabel '%s accuracy (%%)'\n", split);
        fprintf(gp, "set key outside right top\n");
        gp_plot(gp, s, 3, true, arena);
        fprintf(gp, "unset multiplot\n");
    }
    bool ok = fclose(gp) == 0;
    int status;
    ok &= waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    char *text = read_all(log);
    if (!ok || (text && *text)) /* gnuplot says nothing when all is well */
        printf("curves.png: gnuplot %s; see %s\n", ok ? "warned" : "failed", log);
    if (text && !*text)
        unlink(log);
    free(text);
    return ok;
}

/* ---- the sweep ---------------------------------------------------------------------------- */

/* Progress of the builds and runs, one line each as they end. */
typedef struct {
    Sweep *s;
    Arena *arena;
} Progress;

static void build_done(Job *j, int ndone, int n, void *ctx)
{
    Progress *p = ctx;
    int t = j->id;
    Trainer *tr = &p->s->trainers[t];
    tr->error = job_error(p->arena, j, "netc");
    if (tr->error)
        printf("[build %d/%d] t%d failed: %s\n", ndone, n, t + 1, tr->error);
    else
        printf("[build %d/%d] t%d (%.1f s)\n", ndone, n, t + 1, j->wall);
    fflush(stdout);
}

static void run_done(Job *j, int ndone, int n, void *ctx)
{
    Progress *p = ctx;
    Run *r = &p->s->runs[j->id];
    r->wall = j->wall;
    r->cpu = j->cpu;
    r->error = job_error(p->arena, j, "netrt:");
    r->ok = !r->error;
    read_csv(r);
    read_final(r, p->arena);
    if (r->ok && !r->has_final && !isnan(r->last_test_metric)) {
        /* no last line of the form read_final knows: the CSV's last epoch on the test split */
        r->final_split = "test";
        r->final_loss = r->last_test_loss;
        r->final_metric = r->last_test_metric;
        r->has_final = true;
    }
    if (r->ok && !r->has_final) {
        r->ok = false;
        r->error = arena_printf(p->arena, "no final line in %s", r->log);
    }
    if (!r->ok)
        printf("[run %d/%d] %s seed %lld: failed: %s\n", ndone, n, r->tag, r->seed, r->error);
    else
        printf("[run %d/%d] %s seed %lld: %s loss %.4g %s %.4g%s (%.1f s)\n", ndone, n, r->tag,
               r->seed, r->final_split, r->final_loss, r->regression ? "mse" : "acc",
               r->final_metric, r->regression ? "" : "%", j->wall);
    fflush(stdout);
}

static int cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

/* The sweep, its memory in `arena` (freed by the caller on every path). */
static int sweep(int argc, char **argv, Arena *arena)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    SweepArgs a = {0};
    if (parse_args(argc, argv, arena, &a))
        return 1;
    bool threads_given = false;
    for (int i = 0; i < a.nextra; i++) {
        const char *x = a.extra[i];
        size_t len = strcspn(x, "=");
        if (len == 5 && !strncmp(x, "--csv", 5)) {
            fprintf(stderr, "netc sweep: the sweep gives each run its --csv (in DIR/runs); "
                            "leave it out of the trainer flags\n");
            return 1;
        }
        if (len == 6 && !strncmp(x, "--seed", 6) && a.repeat > 1) {
            fprintf(stderr, "netc sweep: --repeat sets each run's --seed; leave it out of the "
                            "trainer flags\n");
            return 1;
        }
        threads_given |= len == 9 && !strncmp(x, "--threads", 9);
    }
    long ncombos = 1;
    for (int i = 0; i < a.nsets; i++)
        ncombos *= a.sets[i].nvalues;
    if (ncombos * a.repeat > MAX_COMBOS) {
        fprintf(stderr, "netc sweep: %ld runs; a sweep runs at most %d\n", ncombos * a.repeat,
                MAX_COMBOS);
        return 1;
    }

    /* each file as it is: its errors are every combination's, so they end the sweep here */
    Flags base_flags[MAX_VALUES];
    const char *model = NULL;
    for (int i = 0; i < a.ninputs; i++) {
        Source src;
        if (!source_load(&src, a.inputs[i]))
            return 1;
        Stmt *prog = parse_source(&src, arena);
        Net base;
        if (!check_program(&src, arena, prog, NULL, 0, &base)) { /* after syntax errors too */
            fprintf(stderr, "netc: %d error%s in %s; nothing swept\n", src.nerrors,
                    src.nerrors == 1 ? "" : "s", src.path);
            source_free(&src);
            return 1;
        }
        /* a --set that names no let would fail every combination: a mistake in the command */
        const char *lets[65];
        int nlets = 0;
        for (const Stmt *st = prog; st && nlets < 64; st = st->next)
            if (st->kind == STMT_LET)
                lets[nlets++] = st->name;
        lets[nlets] = NULL;
        for (int k = a.first_let; k < a.nsets; k++) {
            bool found = false;
            for (int l = 0; l < nlets && !found; l++)
                found = !strcmp(lets[l], a.sets[k].name);
            if (!found) {
                const char *guess = suggest(a.sets[k].name, lets);
                fprintf(stderr, "netc sweep: --set %s: %s has no 'let %s'%s%s%s\n",
                        a.sets[k].name, src.path, a.sets[k].name, guess ? "; did you mean '" : "",
                        guess ? guess : "", guess ? "'?" : "");
                source_free(&src);
                return 1;
            }
        }
        source_free(&src);
        base_flags[i] = net_flags(&base);
        model = model ? model : base.name;
    }

    const char *dir = a.out ? a.out : arena_printf(arena, "%s-sweep", model);
    if (!make_out_dir(dir, a.force))
        return 1;
    const char *runs_dir = arena_printf(arena, "%s/runs", dir);
    const char *tr_dir = arena_printf(arena, "%s/trainers", dir);
    if ((mkdir(runs_dir, 0777) != 0 && errno != EEXIST) ||
        (mkdir(tr_dir, 0777) != 0 && errno != EEXIST)) {
        fprintf(stderr, "netc sweep: cannot create %s: %s\n", runs_dir, strerror(errno));
        return 1;
    }
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0)
        self[len] = '\0';
    else
        snprintf(self, sizeof self, "%s", argv[0]);

    /* 1. the combinations, checked; 2. grouped by their C, one trainer per group */
    Sweep s = {.a = &a, .ncombos = (int)ncombos};
    s.combos = arena_alloc(arena, sizeof *s.combos * (size_t)ncombos);
    s.trainers = arena_alloc(arena, sizeof *s.trainers * (size_t)ncombos);
    int nchecked = 0;
    for (int i = 0; i < s.ncombos; i++) {
        Combo *c = &s.combos[i];
        c->index = i + 1;
        c->values = arena_alloc(arena, sizeof *c->values * (size_t)a.nsets);
        for (int v = a.nsets - 1, rest = i; v >= 0; v--) { /* the first --set varies slowest */
            c->values[v] = a.sets[v].values[rest % a.sets[v].nvalues];
            if (v == 0 && a.first_let)
                c->file = rest % a.sets[v].nvalues;
            rest /= a.sets[v].nvalues;
        }
        c->input = a.inputs[c->file];
        c->tag = combo_tag(arena, &a, c);
        const char *log = arena_printf(arena, "%s/%s.check.log", runs_dir, c->tag);
        check_combo(&a, c, &base_flags[c->file], log, arena);
        struct stat st;
        if (!c->error && stat(log, &st) == 0 && st.st_size == 0)
            unlink(log); /* nothing to say */
        c->trainer = -1;
        if (c->error) {
            printf("%s: %s\n", c->tag, c->error);
            continue;
        }
        nchecked++;
        for (int t = 0; t < s.ntrainers && c->trainer < 0; t++)
            if (!strcmp(s.combos[s.trainers[t].first].text, c->text))
                c->trainer = t;
        if (c->trainer < 0) {
            c->trainer = s.ntrainers++;
            s.trainers[c->trainer] = (Trainer){.first = i, .batch_max = c->batch_max};
        }
        Trainer *tr = &s.trainers[c->trainer];
        if (c->batch_max > tr->batch_max)
            tr->batch_max = c->batch_max;
        if (tr->first != i) { /* only a trainer's first C is compared with again */
            free(c->text);
            c->text = NULL;
        }
    }
    int nruns = s.ncombos * a.repeat;
    printf("%d of %d combinations valid: %d trainer%s to build for %d run%s\n", nchecked,
           s.ncombos, s.ntrainers, s.ntrainers == 1 ? "" : "s", nchecked * a.repeat,
           nchecked * a.repeat == 1 ? "" : "s");
    fflush(stdout);

    int ncpu = cpu_count();
    s.jobs = a.jobs ? a.jobs : ncpu;
    int busy = s.jobs < nruns ? s.jobs : nruns;
    s.threads = ncpu / (busy ? busy : 1);
    s.threads = s.threads < 1 ? 1 : s.threads > 16 ? 16 : s.threads;

    /* 3. the trainers: netc build with the first combination's values */
    Job *builds = arena_alloc(arena, sizeof *builds * (size_t)(s.ntrainers + 1));
    for (int t = 0; t < s.ntrainers; t++) {
        Trainer *tr = &s.trainers[t];
        const Combo *c = &s.combos[tr->first];
        tr->path = arena_printf(arena, "%s/t%d", tr_dir, t + 1);
        char **v = arena_alloc(arena, sizeof *v * (size_t)(2 * a.nsets + 12));
        int n = 0;
        v[n++] = self;
        v[n++] = "build";
        v[n++] = (char *)c->input;
        const char **d = combo_defines(arena, &a, c);
        for (int k = 0; k < a.nsets - a.first_let; k++) {
            v[n++] = "-D";
            v[n++] = (char *)d[k];
        }
        if (tr->batch_max != c->batch_max) {
            v[n++] = "--batch-max";
            v[n++] = arena_printf(arena, "%d", tr->batch_max);
        }
        if (a.f64) {
            v[n++] = "--dtype";
            v[n++] = "f64";
        }
        v[n++] = "-o";
        v[n++] = tr->path;
        v[n] = NULL;
        tr->argv = v;
        builds[t] = (Job){.id = t, .argv = v, .log = arena_printf(arena, "%s/t%d.log", tr_dir, t + 1)};
    }
    struct sigaction sa = {.sa_handler = on_interrupt}; /* no SA_RESTART: wait4 returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    Progress progress = {&s, arena};
    run_jobs(builds, s.ntrainers, s.jobs, arena, build_done, &progress);
    for (int t = 0; t < s.ntrainers; t++)
        if (!builds[t].ended)
            s.trainers[t].error = "interrupted before it was built";

    /* 4. the runs: every combination with every seed, its trainer's flags and --csv */
    s.nruns = nruns;
    s.runs = arena_alloc(arena, sizeof *s.runs * (size_t)nruns);
    Job *jobs = arena_alloc(arena, sizeof *jobs * (size_t)nruns);
    int njobs = 0;
    for (int i = 0; i < nruns; i++) {
        Run *r = &s.runs[i];
        r->combo = i / a.repeat;
        r->rep = i % a.repeat;
        Combo *c = &s.combos[r->combo];
        r->seed = (c->error ? base_flags[c->file].seed : c->flags.seed) + r->rep;
        r->tag = a.repeat > 1 ? arena_printf(arena, "%s,seed=%lld", c->tag, r->seed) : c->tag;
        r->csv = arena_printf(arena, "%s/%s.csv", runs_dir, r->tag);
        r->log = arena_printf(arena, "%s/%s.log", runs_dir, r->tag);
        r->split = "valid";
        if (c->error) {
            r->error = c->error;
            continue;
        }
        Trainer *tr = &s.trainers[c->trainer];
        if (tr->error) {
            r->error = arena_printf(arena, "the build of t%d failed: %s", c->trainer + 1, tr->error);
            continue;
        }
        Flags want = c->flags;
        want.seed = r->seed;
        char **v = arena_alloc(arena, sizeof *v * (size_t)(a.nextra + 32));
        int n = 0;
        v[n++] = tr->path;
        n += flag_args(arena, &want, &s.combos[tr->first].flags, v + n);
        v[n++] = "--csv";
        v[n++] = r->csv;
        if (!threads_given) {
            v[n++] = "--threads";
            v[n++] = arena_printf(arena, "%d", s.threads);
        }
        for (int k = 0; k < a.nextra; k++)
            v[n++] = a.extra[k];
        v[n] = NULL;
        r->argv = v;
        jobs[njobs++] = (Job){.id = i, .argv = v, .log = r->log};
    }
    run_jobs(jobs, njobs, s.jobs, arena, run_done, &progress);
    for (int k = 0; k < njobs; k++)
        if (!jobs[k].ended)
            s.runs[jobs[k].id].error = "interrupted before it ran";
    if (interrupted)
        printf("interrupted: the results hold the runs that ended\n");

    /* 5. the results */
    for (int i = 0; i < nruns; i++)
        if (s.runs[i].ok) {
            s.regression = s.runs[i].regression;
            break;
        }
    char *cmd = "netc";
    for (int i = 1; i < argc; i++)
        cmd = arena_printf(arena, "%s %s", cmd, shell_word(arena, argv[i]));
    s.command = cmd;
    char *files = "";
    for (int i = 0; i < a.ninputs; i++)
        files = arena_printf(arena, "%s%s%s", files, i ? " " : "", a.inputs[i]);
    s.files = files;
    s.curves = draw_curves(&s, dir, arena);
    const char *png = arena_printf(arena, "%s/curves.png", dir);
    struct stat st;
    if (!s.curves && lstat(png, &st) == 0 && S_ISREG(st.st_mode))
        unlink(png); /* an earlier sweep's (--force): not this one's curves */
    s.seconds = seconds_since(&t0);
    bool written = write_results_csv(&s, arena_printf(arena, "%s/results.csv", dir)) &&
                   write_results_md(&s, arena_printf(arena, "%s/results.md", dir));
    int failed = 0;
    for (int i = 0; i < nruns; i++)
        failed += !s.runs[i].ok;
    printf("\n");
    if (a.repeat > 1) {
        md_means(&s, stdout);
        printf("\n");
    } else {
        md_runs(&s, stdout);
        printf("\n");
    }
    printf("built %d trainer%s for %d run%s; %d failed\n", s.ntrainers,
           s.ntrainers == 1 ? "" : "s", nruns, nruns == 1 ? "" : "s", failed);
    if (written)
        printf("%s/results.md, %s/results.csv%s%s\n", dir, dir, s.curves ? ", " : "",
               s.curves ? arena_printf(arena, "%s/curves.png", dir) : "");
    for (int i = 0; i < s.ncombos; i++)
        free(s.combos[i].text);
    for (int i = 0; i < nruns; i++) {
        curve_free(&s.runs[i].curve);
        curve_free(&s.runs[i].steps);
    }
    return interrupted ? 130 : failed || !written ? 2 : 0;
}

int sweep_main(int argc, char **argv)
{
    Arena *arena = arena_new();
    int status = sweep(argc, argv, arena);
    arena_free(arena);
    return status;
}
